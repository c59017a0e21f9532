package elastic

import (
	"bytes"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
)

func TestFiles(t *testing.T) {
	rules := sampleRules()
	files, err := Files(rules)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	want := []string{
		"elastic/00000000-0000-4000-8000-000000000001.json",
		"elastic/11111111-2222-4333-8444-555555555555.json",
		"elastic/5b3e1c1e-7f4a-4e5b-9c2d-3a1b2c3d4e5f.json",
		"elastic/e8ea6f58-0040-11f0-a243-f661ea17fbcd.json",
		"elastic/rules.ndjson",
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("files:\n got %q\nwant %q", names, want)
	}
	for _, r := range rules {
		body, _ := Render(r)
		if !bytes.Equal(files["elastic/"+r.ID+".json"], body) {
			t.Errorf("elastic/%s.json is not Render's output", r.ID)
		}
	}

	// rules.ndjson holds one import line per rule, sorted by rule_id, and
	// does not depend on the order of the input.
	s := loadSchemas(t)
	lines := strings.SplitAfter(string(files[ImportFile]), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) != len(rules) {
		t.Fatalf("rules.ndjson has %d lines, want %d", len(lines), len(rules))
	}
	for i, line := range lines {
		if !strings.Contains(line, `"rule_id":"`+strings.TrimSuffix(strings.TrimPrefix(want[i], "elastic/"), ".json")+`"`) {
			t.Errorf("line %d is not the rule %s: %.80s", i+1, want[i], line)
		}
		if err := validate(t, s.importLine, []byte(line)); err != nil {
			t.Errorf("line %d does not validate: %v", i+1, err)
		}
	}
	reversed := append([]*ir.Rule(nil), rules...)
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	again, _ := Files(reversed)
	if !reflect.DeepEqual(files, again) {
		t.Error("the output depends on the order of the rules")
	}
}

func TestFilesErrors(t *testing.T) {
	a := seedRuleByHand()
	a.File = "rules/a.yml"
	a.Keys = map[string]diag.Pos{"id": {File: a.File, Line: 2, Col: 5}}
	b := seedRuleByHand()
	b.File = "rules/b.yml"
	b.Keys = map[string]diag.Pos{"id": {File: b.File, Line: 3, Col: 5}}
	bad := thresholdRule()
	bad.Threshold.Value = 0
	slash := thresholdRule()
	slash.ID = "../escape"
	good := sampleRules()[3]

	files, err := Files([]*ir.Rule{a, b, bad, slash, good})
	var l diag.List
	if !errors.As(err, &l) {
		t.Fatalf("error = %v, want a diag.List", err)
	}
	var got []string
	for _, d := range l {
		got = append(got, d.Error())
	}
	want := []string{
		"error[untranslatable]: target elastic: rule_id ../escape cannot be a file name (rule ../escape, key id)",
		"error[untranslatable]: target elastic: threshold.value must be at least 1, it is 0 (rule 5b3e1c1e-7f4a-4e5b-9c2d-3a1b2c3d4e5f, key threshold.value)",
		"rules/a.yml:2:5: error[duplicate-id]: target elastic: rule_id e8ea6f58-0040-11f0-a243-f661ea17fbcd is also used at rules/b.yml:3:5 (rule e8ea6f58-0040-11f0-a243-f661ea17fbcd, key id)",
		"rules/b.yml:3:5: error[duplicate-id]: target elastic: rule_id e8ea6f58-0040-11f0-a243-f661ea17fbcd is also used at rules/a.yml:2:5 (rule e8ea6f58-0040-11f0-a243-f661ea17fbcd, key id)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("diagnostics:\n got %q\nwant %q", got, want)
	}
	// The good rule is still rendered.
	if _, ok := files["elastic/"+good.ID+".json"]; !ok || len(files) != 2 {
		t.Errorf("files = %d entries, want the good rule and rules.ndjson", len(files))
	}
	if strings.Count(string(files[ImportFile]), "\n") != 1 {
		t.Errorf("rules.ndjson should hold the good rule only:\n%s", files[ImportFile])
	}
}

func TestDSLFiles(t *testing.T) {
	rules := sampleRules()
	files, err := DSLFiles(rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(rules) {
		t.Fatalf("%d files for %d rules", len(files), len(rules))
	}
	for _, r := range rules {
		want, _ := RenderDSL(r.Expr)
		if got := files["elastic/dsl/"+r.ID+".json"]; !bytes.Equal(got, want) {
			t.Errorf("elastic/dsl/%s.json = %q, want %q", r.ID, got, want)
		}
	}
	bad := thresholdRule()
	bad.ID, bad.Expr = "a/b", nil
	if _, err := DSLFiles([]*ir.Rule{bad}); err == nil || !strings.Contains(err.Error(), "cannot be a file name") {
		t.Errorf("error = %v", err)
	}
}
