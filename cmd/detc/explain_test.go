package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/detc/detc/backends/athena"
	"github.com/detc/detc/backends/cloudwatch"
	"github.com/detc/detc/rulefile"
)

// TestExplainSeed runs detc explain on the seed rule: every section is
// there, and the translation shown for each clause alone is a piece of
// the full translation the backend gives for the whole rule.
func TestExplainSeed(t *testing.T) {
	const seed = "../../rules/aws/dynamodb_table_exported_to_s3.yml"
	var out, errb bytes.Buffer
	if code := run([]string{"explain", seed}, nil, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	text := out.String()
	for _, w := range []string{"== query (as written)", "== query (detc fmt)", "== ir", "== elastic: Query DSL",
		"== cloudwatch: Logs Insights", "== athena: Trino SQL", "== clauses, each translated alone", "== fields",
		"   cloudtrail  eventSource\n", "   cloudtrail  constant \"aws.cloudtrail\""} {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q", w)
		}
	}
	rule, diags := rulefile.Load(seed, rulefile.Options{})
	if rule == nil {
		t.Fatal(diags)
	}
	cw, err := cloudwatch.Render(rule, cloudwatch.Options{LogGroups: []string{"aws-cloudtrail-logs"}})
	if err != nil {
		t.Fatal(err)
	}
	sql, err := athena.Render(rule, athena.Options{Table: "cloudtrail_logs"})
	if err != nil {
		t.Fatal(err)
	}
	clauses := leafClauses(rule.Expr)
	if len(clauses) != 4 {
		t.Fatalf("%d clauses, want 4", len(clauses))
	}
	targets := explainTargets{athena: athena.Options{Table: "cloudtrail_logs"}, cloudwatch: cloudwatch.Options{LogGroups: []string{"aws-cloudtrail-logs"}}}
	for _, c := range clauses[1:] { // clause 0 is the constant event.dataset
		tr := translateClause(rule, c, targets)
		if !strings.Contains(cw.Query, tr[1].text) {
			t.Errorf("%s: cloudwatch %q is not in the rule's query", kqlText(c), tr[1].text)
		}
		if !strings.Contains(sql, tr[2].text) {
			t.Errorf("%s: athena %q is not in the rule's SQL", kqlText(c), tr[2].text)
		}
	}
	if tr := translateClause(rule, clauses[0], targets); !strings.HasPrefix(tr[1].text, "(no filter") || !strings.HasPrefix(tr[2].text, "(no condition") {
		t.Errorf("constant clause: %q", tr)
	}
}

// TestExplainUntranslatable shows the backends' reasons for a clause they
// cannot translate, next to the clause, and still explains the rest.
func TestExplainUntranslatable(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"new", "-o", dir, "geo"}, nil, &out, &errb); code != exitOK {
		t.Fatal(errb.String())
	}
	path := filepath.Join(dir, "geo.yml")
	data, _ := os.ReadFile(path)
	data = bytes.Replace(data, []byte("and event.outcome: success"), []byte("and event.outcome: success and not source.geo.country_iso_code: (US or CA)"), 1)
	os.WriteFile(path, data, 0o644)
	out.Reset()
	if code := run([]string{"explain", path}, nil, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	text := out.String()
	for _, w := range []string{
		"5. not source.geo.country_iso_code: US",
		"6. not source.geo.country_iso_code: CA",
		"   cloudwatch  cannot translate: cloudwatch: field source.geo.country_iso_code: cannot be produced from raw CloudTrail: GeoIP",
		"   athena      cannot translate: athena: field source.geo.country_iso_code: GeoIP",
		"   cloudtrail  not available: field source.geo.country_iso_code cannot be produced from raw CloudTrail",
		"   cloudwatch  eventSource = \"iam.amazonaws.com\"",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q", w)
		}
	}
	if !strings.Contains(text[strings.Index(text, "== athena"):], "cannot translate:") {
		t.Errorf("the athena section does not say why")
	}
}

// TestExplainRules explains every rule of rules/ without failing.
func TestExplainRules(t *testing.T) {
	files, err := rulefile.Discover([]string{"../../rules"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		var out, errb bytes.Buffer
		if code := run([]string{"explain", f}, nil, &out, &errb); code != exitOK || !strings.Contains(out.String(), "== fields") {
			t.Errorf("%s: exit %d: %s", f, code, errb.String())
		}
	}
}
