package hardening

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/detc/detc/backends/athena"
	"github.com/detc/detc/backends/cloudwatch"
	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
	"github.com/detc/detc/parser"
	"github.com/detc/detc/rulefile"
)

// ruleYAML is a valid rule file around a query (a block scalar).
func ruleYAML(query string) string {
	return "id: 6a0b1f0e-2f43-4c1e-9d55-0b7a9d1c7e11\nname: Limit\ndescription: a rule at a limit\ntype: query\n" +
		"language: kuery\nquery: |\n  " + query + "\nseverity: low\nrisk_score: 21\n"
}

func writeRule(t *testing.T, text string) string {
	path := filepath.Join(t.TempDir(), "limit.yml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// valueList is `event.action: (v0 or v1 or ...)` with n values.
func valueList(n int) string {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprintf("Action%05d", i)
	}
	return "event.action: (" + strings.Join(vals, " or ") + ")"
}

// TestQueryLengthLimit: a KQL query over parser.MaxQueryLength is a syntax
// error saying so, from the parser and at the query key of a rule file;
// a query just under it parses.
func TestQueryLengthLimit(t *testing.T) {
	long := valueList(11000) // 165,012 bytes
	if len(long) <= parser.MaxQueryLength {
		t.Fatalf("test query is only %d bytes", len(long))
	}
	_, err := parser.Parse(long)
	var se *parser.SyntaxError
	if !errors.As(err, &se) || se.Line != 1 || se.Col != 1 || se.Msg != fmt.Sprintf("the query is %d bytes, over the limit of 131072", len(long)) {
		t.Fatalf("Parse: %v", err)
	}
	if _, err := parser.Parse(valueList(8000)); err != nil { // 120,012 bytes
		t.Fatalf("a query under the limit: %v", err)
	}
	path := writeRule(t, ruleYAML(long))
	_, diags := rulefile.Load(path, rulefile.Options{})
	want := fmt.Sprintf("%s:7:3: error[kql-syntax]: the query is %d bytes, over the limit of 131072 (rule 6a0b1f0e-2f43-4c1e-9d55-0b7a9d1c7e11, key query)", path, len(long)+1)
	if len(diags) != 1 || diags[0].Error() != want {
		t.Fatalf("Load: %v\nwant %s", diags, want)
	}
}

// TestNestingLimit: parentheses nested deeper than parser.MaxDepth are a
// syntax error at the first one too many.
func TestNestingLimit(t *testing.T) {
	q := strings.Repeat("(", parser.MaxDepth+1) + "a:b" + strings.Repeat(")", parser.MaxDepth+1)
	_, err := parser.Parse(q)
	var se *parser.SyntaxError
	if !errors.As(err, &se) || se.Msg != "parentheses and braces nest deeper than the limit of 100" || se.Col != parser.MaxDepth+1 {
		t.Fatalf("Parse: %v (at column %d)", err, se.Col)
	}
	q = strings.Repeat("(", parser.MaxDepth) + "a:b" + strings.Repeat(")", parser.MaxDepth)
	if _, err := parser.Parse(q); err != nil {
		t.Fatalf("nesting at the limit: %v", err)
	}
}

// TestRuleFileSizeLimit: a rule file over rulefile.MaxFileSize is refused
// before it is read, naming its size and the limit.
func TestRuleFileSizeLimit(t *testing.T) {
	text := ruleYAML("event.action: x") + "note: |\n  " + strings.Repeat("n", rulefile.MaxFileSize) + "\n"
	path := writeRule(t, text)
	_, diags := rulefile.Load(path, rulefile.Options{})
	want := fmt.Sprintf("%s: error[read]: file is %d bytes, over the 4194304-byte limit for a rule file", path, len(text))
	if len(diags) != 1 || diags[0].Error() != want {
		t.Fatalf("Load: %v\nwant %s", diags, want)
	}
}

func lowered(t *testing.T, q string) ir.Expr {
	e, diags := lower.Query(q, lower.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return e
}

// TestCloudWatchQueryLimit: a value list that makes the Logs Insights
// query longer than 10,000 characters is a query-too-long error naming
// the rule (the backend does not split a rule); a shorter list renders.
func TestCloudWatchQueryLimit(t *testing.T) {
	rule := &ir.Rule{ID: "r-long", Name: "n", Type: ir.Query, From: "now-6m", Query: valueList(700), Expr: lowered(t, valueList(700)), File: "long.yml",
		Keys: map[string]diag.Pos{"query": {File: "long.yml", Line: 6, Col: 1}}}
	_, err := cloudwatch.Render(rule, cloudwatch.Options{})
	var list diag.List
	if !errors.As(err, &list) || len(list) != 1 {
		t.Fatalf("Render: %v", err)
	}
	if got := list[0].Error(); !strings.HasPrefix(got, "long.yml:6:1: error[query-too-long]: cloudwatch: the Logs Insights query of rule r-long is ") ||
		!strings.HasSuffix(got, " characters; the limit is 10000 (rule r-long, key query)") {
		t.Fatalf("Render: %s", got)
	}
	rule.Expr = lowered(t, valueList(300))
	art, err := cloudwatch.Render(rule, cloudwatch.Options{})
	if err != nil || len(art.Query) > cloudwatch.MaxQueryLength {
		t.Fatalf("300 values: %v", err)
	}
}

// wildcardList is `event.action: (*A00000* or *A00001* or ...)`.
func wildcardList(n int) string {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprintf("*A%05d*", i)
	}
	return "event.action: (" + strings.Join(vals, " or ") + ")"
}

// TestAthenaQueryLimit: SQL over Athena's 262,144-byte query string limit
// (here from 8,000 wildcards, a KQL query under the parser's limit) is a
// query-too-long error naming the rule.
func TestAthenaQueryLimit(t *testing.T) {
	q := wildcardList(8000)
	rule := &ir.Rule{ID: "r-long", Type: ir.Query, Query: q, Expr: lowered(t, q), File: "long.yml",
		Keys: map[string]diag.Pos{"query": {File: "long.yml", Line: 6, Col: 1}}}
	_, err := athena.Render(rule, athena.Options{})
	var list diag.List
	if !errors.As(err, &list) || len(list) != 1 {
		t.Fatalf("Render: %v", err)
	}
	if got := list[0].Error(); !strings.HasPrefix(got, "long.yml:6:1: error[query-too-long]: athena: the SQL of rule r-long is ") ||
		!strings.HasSuffix(got, " bytes; Athena's limit is 262144 (rule r-long, key query)") {
		t.Fatalf("Render: %s", got)
	}
	rule.Expr = lowered(t, valueList(1000))
	if sql, err := athena.Render(rule, athena.Options{}); err != nil || len(sql) > athena.MaxQueryBytes {
		t.Fatalf("1000 values: %v", err)
	}
}
