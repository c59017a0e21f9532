package importer

import (
	"slices"
	"strings"
	"testing"
)

func TestCleanQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a:b  \nand c:d \n", "a:b\nand c:d\n"},
		{"a:\"x  \ny\" \n", "a:\"x  \ny\"\n"},   // blanks inside a quoted string stay
		{"a:b\\ \n", "a:b\\ \n"},                // an escaped blank stays
		{"a:\"q\\\"  \" \n", "a:\"q\\\"  \"\n"}, // \" does not close the string
		{"a:b\r\n", "a:b\n"},
		{"trailing\\", "trailing\\"},
	}
	for _, tt := range tests {
		if got := cleanQuery(tt.in); got != tt.want {
			t.Errorf("cleanQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanParagraph(t *testing.T) {
	in := "    First line,  \n    second line.\n      indented more\n    "
	want := "First line,\nsecond line.\n  indented more"
	if got := cleanParagraph(in); got != want {
		t.Errorf("cleanParagraph = %q, want %q", got, want)
	}
}

func TestFilters(t *testing.T) {
	phrase := func(key, value string, negate, disabled bool) any {
		return map[string]any{"meta": map[string]any{
			"type": "phrase", "key": key, "negate": negate, "disabled": disabled,
			"params": map[string]any{"query": value},
		}}
	}
	rule := map[string]any{
		"rule_id": "0f0b4a4e-8a0e-4c1e-9a43-6e8e3c9d1a01", "name": "n", "description": "d",
		"type": "query", "language": "kuery", "severity": "low", "risk_score": 21.0,
		"query": "event.provider: iam.amazonaws.com or event.provider: sts.amazonaws.com",
		"filters": []any{
			phrase("event.outcome", `say "hi"\`, false, false),
			phrase("user.name", "svc", true, false),
			phrase("ignored", "x", false, true),
			map[string]any{"meta": map[string]any{"type": "exists", "key": "source.ip"}},
			map[string]any{"meta": map[string]any{"type": "phrases", "key": "cloud.region", "params": []any{"eu-west-1", "us-east-1"}}},
		},
	}
	r := FromKibana(rule, "x.json")
	if !r.OK() {
		t.Fatalf("skipped: %s %v", r.Skipped, r.Dropped)
	}
	want := "query: |\n" +
		"  (event.provider: iam.amazonaws.com or event.provider: sts.amazonaws.com)\n" +
		"  and event.outcome: \"say \\\"hi\\\"\\\\\"\n" +
		"  and not user.name: \"svc\"\n" +
		"  and source.ip: *\n" +
		"  and cloud.region: (\"eu-west-1\" or \"us-east-1\")\n"
	if !strings.Contains(string(r.YAML), want) {
		t.Errorf("folded query not found; YAML:\n%s", r.YAML)
	}

	rule["filters"] = []any{map[string]any{"meta": map[string]any{"type": "range", "key": "x"}}}
	if r := FromKibana(rule, "x.json"); r.Skipped != SkipFilters {
		t.Errorf("range filter: skipped = %q, want %q", r.Skipped, SkipFilters)
	}
}

func TestSkipReasons(t *testing.T) {
	base := func(kv ...any) map[string]any {
		m := map[string]any{"rule_id": "id", "name": "n", "description": "d", "severity": "low", "risk_score": 1.0, "query": "x:y"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		rule map[string]any
		want string
	}{
		{base("type", "eql", "language", "eql"), SkipLanguage},
		{base("type", "query", "language", "lucene"), SkipLanguage},
		{base("type", "machine_learning"), SkipType},
		{base("type", "threat_match", "language", "kuery"), SkipType},
		{base("type", "new_terms", "language", "kuery"), SkipMissing},
		{base("type", "threshold", "language", "kuery", "threshold", map[string]any{"field": []any{"a"}, "value": "many"}), SkipMalformed},
		{base("type", "query", "severity", 3.0), SkipMalformed},
		{base("type", "query"), ""},
	}
	for _, tt := range tests {
		if got := FromKibana(tt.rule, "t").Skipped; got != tt.want {
			t.Errorf("%v: skipped %q, want %q", tt.rule, got, tt.want)
		}
	}
	delete(tests[len(tests)-1].rule, "description")
	if got := FromKibana(tests[len(tests)-1].rule, "t").Skipped; got != SkipMissing {
		t.Errorf("rule without description: skipped %q, want %q", got, SkipMissing)
	}
}

func TestFileNames(t *testing.T) {
	rs := []Result{
		{FileName: "a.yml", RuleID: "11111111-2222-3333-4444-555555555555"},
		{FileName: "a.yml", RuleID: "abcdef01-2222-3333-4444-555555555555"},
		{Skipped: SkipLanguage},
		{FileName: "b.yml"},
	}
	got := FileNames(rs)
	want := []string{"a.yml", "a_abcdef01.yml", "", "b.yml"}
	if !slices.Equal(got, want) {
		t.Errorf("FileNames = %q, want %q", got, want)
	}
}

func TestSnakeCase(t *testing.T) {
	if got := snakeCase("AWS S3 Bucket: Public (ACL)!"); got != "aws_s3_bucket_public_acl" {
		t.Errorf("snakeCase = %q", got)
	}
}

func TestTOMLTransformReported(t *testing.T) {
	doc := map[string]any{
		"rule": map[string]any{
			"rule_id": "0f0b4a4e-8a0e-4c1e-9a43-6e8e3c9d1a01", "name": "n", "description": "d",
			"type": "query", "language": "kuery", "severity": "low", "risk_score": int64(21), "query": "x:y",
		},
		"transform": map[string]any{"osquery": []any{map[string]any{"label": "l", "query": "SELECT 1"}}},
	}
	r := FromTOMLData(doc, "rule.toml")
	if !r.OK() || !slices.Contains(r.Dropped, droppedWhy["transform"]) {
		t.Errorf("transform not reported: %+v", r.Dropped)
	}
	if r.FileName != "rule.yml" {
		t.Errorf("FileName = %q", r.FileName)
	}
}
