package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"gopkg.in/yaml.v3"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
	"github.com/detc/detc/rulefile"
)

// copyTree copies the regular files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFmtRules runs detc fmt on a copy of rules/: --check lists the files
// that would change and exits 1, fmt rewrites them, a second --check finds
// nothing, and every rule loads to the same rule as before.
func TestFmtRules(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, "../../rules", dir)
	before, diags := rulefile.LoadAll([]string{dir}, rulefile.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var out, errb bytes.Buffer
	code := run([]string{"fmt", "--check", dir}, nil, &out, &errb)
	listed := nonEmptyLines(out.String())
	if code != exitFail || len(listed) == 0 {
		t.Fatalf("--check: exit %d, %d files listed; %s", code, len(listed), errb.String())
	}
	out.Reset()
	if code := run([]string{"fmt", dir}, nil, &out, &errb); code != exitOK {
		t.Fatalf("fmt: exit %d: %s", code, errb.String())
	}
	if got := nonEmptyLines(out.String()); strings.Join(got, "\n") != strings.Join(listed, "\n") {
		t.Errorf("fmt rewrote %d files, --check listed %d", len(got), len(listed))
	}
	out.Reset()
	if code := run([]string{"fmt", "--check", dir}, nil, &out, &errb); code != exitOK || out.Len() != 0 {
		t.Errorf("second --check: exit %d, output %q", code, out.String())
	}
	after, diags := rulefile.LoadAll([]string{dir}, rulefile.Options{})
	if diags.HasErrors() || len(after) != len(before) {
		t.Fatalf("%d rules before, %d after: %v", len(before), len(after), diags)
	}
	for i := range before {
		if !ir.Equal(before[i].Expr, after[i].Expr) || before[i].Description != after[i].Description || before[i].Note != after[i].Note {
			t.Errorf("%s changed meaning", before[i].File)
		}
	}
	// Test files are not rule files: fmt leaves them as they were.
	tests, _ := filepath.Glob(filepath.Join(dir, "aws", "*.test.yml"))
	for _, f := range tests {
		a, _ := os.ReadFile(f)
		b, _ := os.ReadFile(filepath.Join("../../rules/aws", filepath.Base(f)))
		if !bytes.Equal(a, b) {
			t.Errorf("%s was modified", f)
		}
	}
	t.Logf("detc fmt on a copy of rules/: %d rule files, %d rewritten, second pass: 0 changes", len(before), len(listed))
}

func TestFmtDiffStdinAndErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	bad := filepath.Join(dir, "bad.yml")
	src := "name: x\nid: y\nquery: 'a: b and c: d'\n"
	os.WriteFile(good, []byte(src), 0o644)
	os.WriteFile(bad, []byte("name: [\n"), 0o644)
	var out, errb bytes.Buffer
	code := run([]string{"fmt", "--diff", dir}, nil, &out, &errb)
	if code != exitFail || !strings.Contains(errb.String(), "bad.yml: not valid YAML") {
		t.Errorf("exit %d, stderr %s", code, errb.String())
	}
	for _, w := range []string{"--- " + good, "-name: x", "+name: x", "+query: |", "+  a: b and c: d"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("diff lacks %q:\n%s", w, out.String())
		}
	}
	if data, _ := os.ReadFile(good); string(data) != src {
		t.Errorf("--diff wrote the file")
	}
	out.Reset()
	if code := run([]string{"fmt", "-"}, strings.NewReader(src), &out, &errb); code != exitOK ||
		out.String() != "id: y\nname: x\nquery: |\n  a: b and c: d\n" {
		t.Errorf("stdin: exit %d, output %q", code, out.String())
	}
}

// TestFmtCorpus wraps the 792 queries of Elastic's detection rules in rule
// files in a temporary directory and runs the command on them: detc fmt
// rewrites them, a second detc fmt --check finds nothing to change, and
// every file still loads with the author's query IR.
func TestFmtCorpus(t *testing.T) {
	data, err := os.ReadFile("../../../shared/corpus/kql/elastic_rule_queries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	want := map[string]ir.Expr{}
	n := 0
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte{'\n'}) {
		var q struct {
			Path, Name, Query string
		}
		if err := json.Unmarshal(line, &q); err != nil {
			t.Fatal(err)
		}
		n++
		doc := map[string]any{
			"id": uuid.NewSHA1(uuid.NameSpaceURL, []byte(q.Path)).String(), "name": q.Name,
			"description": "Corpus rule " + q.Path, "type": "query", "query": q.Query,
			"severity": "low", "risk_score": 21, "tags": []string{"Corpus"},
		}
		src, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("corpus_%03d.yml", n))
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		expr, diags := lower.Query(q.Query, lower.Options{})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", q.Path, diags)
		}
		want[path] = expr
	}
	var out, errb bytes.Buffer
	if code := run([]string{"fmt", dir}, nil, &out, &errb); code != exitOK {
		t.Fatalf("fmt: exit %d: %s", code, errb.String())
	}
	rewritten := len(nonEmptyLines(out.String()))
	out.Reset()
	if code := run([]string{"fmt", "--check", dir}, nil, &out, &errb); code != exitOK || out.Len() != 0 {
		t.Errorf("second pass: exit %d, would change:\n%s", code, out.String())
	}
	equal := 0
	for path, expr := range want {
		r, diags := rulefile.Load(path, rulefile.Options{})
		if r == nil {
			t.Errorf("%s: %v", path, diags)
			continue
		}
		if ir.Equal(r.Expr, expr) {
			equal++
		} else {
			t.Errorf("%s: query IR changed", path)
		}
	}
	if n != 792 {
		t.Errorf("%d corpus queries, want 792", n)
	}
	t.Logf("detc fmt on %d corpus rule files: %d rewritten, second pass 0 changes; query IR equal after formatting: %d/%d", n, rewritten, equal, n)
}
