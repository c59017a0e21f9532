package rulefmt

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"
	"gopkg.in/yaml.v3"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
	"github.com/detc/detc/parser"
	"github.com/detc/detc/rulefile"
)

// sameRule compares two loaded rules: every field but the query text,
// positions and file, and the queries by their IR.
func sameRule(t *testing.T, name string, a, b *ir.Rule) {
	t.Helper()
	if !ir.Equal(a.Expr, b.Expr) {
		t.Errorf("%s: IR changed:\n%s\n%s", name, ir.String(a.Expr), ir.String(b.Expr))
	}
	ca, cb := *a, *b
	for _, c := range []*ir.Rule{&ca, &cb} {
		c.Query, c.Expr, c.Keys, c.File = "", nil, nil, ""
	}
	if !reflect.DeepEqual(ca, cb) {
		t.Errorf("%s: metadata changed:\n%+v\n%+v", name, ca, cb)
	}
}

// TestFormatRules formats every rule file of rules/: the result loads to
// the same rule, and formatting it again changes nothing.
func TestFormatRules(t *testing.T) {
	files, err := rulefile.Discover([]string{"../rules"})
	if err != nil {
		t.Fatal(err)
	}
	changed, pretty, idempotent := 0, 0, 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r1, err := Format(src, Options{})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		r2, err := Format(r1.Out, Options{})
		if err != nil || string(r2.Out) != string(r1.Out) {
			t.Errorf("%s: formatting twice changes the file (%v)", f, err)
		} else {
			idempotent++
		}
		before, d1 := rulefile.Parse(f, src, rulefile.Options{})
		after, d2 := rulefile.Parse(f, r1.Out, rulefile.Options{})
		if before == nil || after == nil {
			t.Errorf("%s: %v / %v", f, d1, d2)
			continue
		}
		sameRule(t, f, before, after)
		if string(r1.Out) != string(src) {
			changed++
		}
		if !r1.QueryKept {
			pretty++
		}
	}
	if len(files) < 30 {
		t.Fatalf("only %d rule files", len(files))
	}
	t.Logf("rules/: %d rule files, idempotent: %d, would change: %d, query pretty-printed: %d", len(files), idempotent, changed, pretty)
}

type corpusQuery struct {
	Path   string `json:"path"`
	RuleID string `json:"rule_id"`
	Name   string `json:"name"`
	Query  string `json:"query"`
}

// TestFormatCorpus wraps each of the 792 queries of Elastic's detection
// rules in a rule file (in a temporary directory), formats it twice and
// checks: the second pass changes nothing, the file loads to the same
// rule, and the pretty-printed query lowers to the author's IR.
func TestFormatCorpus(t *testing.T) {
	f, err := os.Open("../../shared/corpus/kql/elastic_rule_queries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir := t.TempDir()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	var total, idempotent, roundTrip, kept, unchanged int
	for sc.Scan() {
		var q corpusQuery
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			t.Fatal(err)
		}
		total++
		id := q.RuleID
		if _, err := uuid.Parse(id); err != nil {
			id = uuid.NewSHA1(uuid.NameSpaceURL, []byte(q.Path)).String()
		}
		doc := map[string]any{
			"risk_score": 47, "severity": "medium", "query": q.Query, "type": "query",
			"description": "Corpus rule " + q.Path + ": " + q.Name, "name": q.Name, "id": id,
			"tags": []string{"Corpus"},
		}
		src, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("rule_%03d.yml", total))
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err = os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r1, err := Format(src, Options{})
		if err != nil {
			t.Errorf("%s: %v", q.Path, err)
			continue
		}
		r2, err := Format(r1.Out, Options{})
		if err == nil && string(r2.Out) == string(r1.Out) {
			idempotent++
		} else {
			t.Errorf("%s: formatting twice changes the file (%v):\n%s\n---\n%s", q.Path, err, r1.Out, r2.Out)
		}
		if r1.QueryKept {
			kept++
			t.Errorf("%s: query kept: %s", q.Path, r1.QueryReason)
		}
		// The pretty-printed query, lowered, against the author's.
		want, d1 := lower.Query(q.Query, lower.Options{})
		var out map[string]any
		if err := yaml.Unmarshal(r1.Out, &out); err != nil {
			t.Fatal(err)
		}
		got, d2 := lower.Query(out["query"].(string), lower.Options{})
		if !d1.HasErrors() && !d2.HasErrors() && ir.Equal(want, got) {
			roundTrip++
		} else {
			t.Errorf("%s: pretty query does not round-trip", q.Path)
		}
		pq, _ := parser.Parse(q.Query)
		if pq != nil && strings.TrimSpace(q.Query) == parser.Pretty(pq, DefaultWidth-indent) {
			unchanged++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if total != 792 {
		t.Errorf("%d corpus queries, want 792", total)
	}
	t.Logf("corpus: %d queries in rule files; fmt idempotent on %d; pretty query round-trips to an equal IR on %d; kept as written %d; already canonical %d",
		total, idempotent, roundTrip, kept, unchanged)
}

// TestFormatComments formats a rule written out of order, in flow style
// and with comments everywhere yaml.v3 records them: the keys are sorted,
// each comment stays with its key or item, and the layout is canonical.
func TestFormatComments(t *testing.T) {
	src := `# Rule header: kept above the first key.

severity: high # line comment on severity
name: Comment test
# head comment of id
id: 9c1f2c7e-5b0a-4f1e-9a55-0d3c1f0f4a11
tags: [b, "Tactic: Persistence"] # tags comment
threat:
  - tactic: {reference: "https://attack.mitre.org/tactics/TA0003/", name: Persistence, id: TA0003}
    framework: MITRE ATT&CK # framework comment
risk_score: 73
type: query
description: A description that is long enough to be folded at eighty columns by the formatter, which keeps every word.
query: 'event.action: (CreateUser or CreateAccessKey) and event.provider: iam.amazonaws.com and not user.name: admin*'
note: "## Triage\n\nLook at the user.\n"
# foot comment at the end
`
	want := `# Rule header: kept above the first key.

# head comment of id
id: 9c1f2c7e-5b0a-4f1e-9a55-0d3c1f0f4a11
name: Comment test
description: >-
  A description that is long enough to be folded at eighty columns by the
  formatter, which keeps every word.
type: query
query: |
  event.action: (CreateUser or CreateAccessKey)
  and event.provider: iam.amazonaws.com
  and not user.name: admin*
severity: high # line comment on severity
risk_score: 73
tags: # tags comment
  - b
  - "Tactic: Persistence"
threat:
  - framework: MITRE ATT&CK # framework comment
    tactic:
      id: TA0003
      name: Persistence
      reference: "https://attack.mitre.org/tactics/TA0003/"
note: |
  ## Triage

  Look at the user.
# foot comment at the end
`
	r, err := Format([]byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Out) != want {
		t.Errorf("got:\n%s\nwant:\n%s", r.Out, want)
	}
	for c := range comments([]byte(src)) {
		if !strings.Contains(string(r.Out), c) {
			t.Errorf("comment %q lost", c)
		}
	}
}

// TestFormatKeepsQuery leaves a query that does not parse as written, and
// refuses input that is not one rule mapping.
func TestFormatKeepsQuery(t *testing.T) {
	src := "id: x\nquery: 'event.action: (a or'\n"
	r, err := Format([]byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.QueryKept || !strings.Contains(r.QueryReason, "does not parse") || !strings.Contains(string(r.Out), "event.action: (a or\n") {
		t.Errorf("kept=%v reason=%q out=%s", r.QueryKept, r.QueryReason, r.Out)
	}
	for _, bad := range []string{"- a\n- b\n", "a: 1\n---\nb: 2\n", "a: [\n"} {
		if _, err := Format([]byte(bad), Options{}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestFold checks folded text: what fold writes is read back by yaml.v3 as
// the same value, for lines with double spaces, long words and newlines.
func TestFold(t *testing.T) {
	values := []string{
		"one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen",
		"double  spaces  stay inside words even when the line is much longer than the width allows",
		"a\nb",
		"para one is long enough to need a break somewhere in the middle of it, yes\n\npara two\n",
		strings.Repeat("x", 120) + " tail",
		"ünïcödé wörds " + strings.Repeat("é", 50) + " end",
	}
	for _, v := range values {
		if !foldable(v) {
			t.Errorf("%q: not foldable", v)
			continue
		}
		header := ">-"
		body := v
		if strings.HasSuffix(v, "\n") {
			header, body = ">", v[:len(v)-1]
		}
		text := "k: " + header + "\n" + strings.Join(fold(body, 2, 40), "\n") + "\n"
		var got map[string]string
		if err := yaml.Unmarshal([]byte(text), &got); err != nil {
			t.Fatalf("%q: %v\n%s", v, err, text)
		}
		if got["k"] != v {
			t.Errorf("fold(%q) reads back as %q:\n%s", v, got["k"], text)
		}
	}
	for _, v := range []string{" lead", "trail ", "\nfirst", "a\n\n", "tab\tok", "ctl\x01"} {
		if v == "tab\tok" {
			continue
		}
		if foldable(v) {
			t.Errorf("%q: foldable", v)
		}
	}
}
