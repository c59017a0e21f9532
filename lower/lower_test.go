package lower

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/detc/detc/catalog"
	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/parser"
)

// testFields is a small catalog for table tests, so that they do not
// depend on the generated one.
var testFields = map[string]catalog.Field{
	"event.action":        {ESType: "keyword", Type: ir.Keyword},
	"event.dataset":       {ESType: "keyword", Type: ir.Keyword},
	"message":             {ESType: "match_only_text", Type: ir.Text},
	"destination.port":    {ESType: "long", Type: ir.Number},
	"source.ip":           {ESType: "ip", Type: ir.IP},
	"@timestamp":          {ESType: "date", Type: ir.Date},
	"dryRun":              {ESType: "boolean", Type: ir.Boolean},
	"file.hash.md5":       {ESType: "keyword", Type: ir.Keyword},
	"file.hash.sha256":    {ESType: "keyword", Type: ir.Keyword},
	"mixed.a":             {ESType: "keyword", Type: ir.Keyword},
	"mixed.b":             {ESType: "long", Type: ir.Number},
	"deltas":              {ESType: "nested", Type: ir.Unknown},
	"deltas.action":       {ESType: "keyword", Type: ir.Keyword},
	"deltas.inner":        {ESType: "nested", Type: ir.Unknown},
	"deltas.inner.member": {ESType: "keyword", Type: ir.Keyword},
}

var testOptions = Options{
	Lookup: func(name string) (catalog.Field, bool) {
		f, ok := testFields[name]
		f.Name = name
		return f, ok
	},
	Match: func(pattern string) []catalog.Field {
		prefix := strings.TrimSuffix(pattern, "*")
		var out []catalog.Field
		for name, f := range testFields {
			if strings.HasPrefix(name, prefix) {
				f.Name = name
				out = append(out, f)
			}
		}
		return out
	},
	Suggest: func(name string) string {
		if name == "event.actoin" {
			return "event.action"
		}
		return ""
	},
}

func TestLower(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "all"},
		{"*", "all"},
		{"*:*", "all"},
		{"event.action:Foo", `event.action:"Foo"`},
		{`event.action:"Foo*"`, `event.action:"Foo*"`},
		// ir.String escapes a literal star inside a wildcard piece.
		{`event.action:Foo*\*`, `event.action:Foo*\*`},
		{"event.action:*", "event.action:*"},
		{"not event.action:*", "not(event.action:*)"},
		// Value lists spread over the field; and/or flatten.
		{"event.action:(a or b)", `or(event.action:"a", event.action:"b")`},
		{"event.action:(a and not b)", `and(event.action:"a", not(event.action:"b"))`},
		{"event.action:(a or (b or c))", `or(event.action:"a", event.action:"b", event.action:"c")`},
		{"event.dataset:x and (event.action:a and event.action:(b and c))",
			`and(event.dataset:"x", event.action:"a", event.action:"b", event.action:"c")`},
		{"(a or b) or (c and d)", `or(text("a"), text("b"), and(text("c"), text("d")))`},
		{"not (event.action:(a or b))", `not(or(event.action:"a", event.action:"b"))`},
		// Types.
		{"destination.port:443", `destination.port<number>:"443"`},
		{"destination.port >= 1024", `destination.port<number>>="1024"`},
		{"source.ip:10.0.0.0/8", `source.ip<ip>:"10.0.0.0/8"`},
		{`source.ip:"::1"`, `source.ip<ip>:"::1"`},
		{"dryRun:false", `dryRun<boolean>:"false"`},
		{`dryRun:"true"`, `dryRun<boolean>:"true"`},
		{"@timestamp >= now-7d", `@timestamp<date>>="now-7d"`},
		{"@timestamp:2024-05-01", `@timestamp<date>:"2024-05-01"`},
		{`message:"a phrase"`, `message<text>:"a phrase"`},
		// Free text, `*:v`, nested, wildcard fields.
		{`"free text"`, `text("free text")`},
		{"*:foo*", `text(foo*)`},
		{"deltas:{ action:add and inner:{ member:x } }",
			`deltas:{and(deltas.action:"add", deltas.inner:{deltas.inner.member:"x"})}`},
		{"file.hash.*:*", "file.hash.*:*"},
		{"file.hash.*:abc", `file.hash.*:"abc"`},
	}
	for _, tc := range tests {
		q, err := parser.Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		e, diags := Lower(q, testOptions)
		if len(diags) > 0 {
			t.Errorf("Lower(%q): %v", tc.in, diags)
			continue
		}
		if got := ir.String(e); got != tc.want {
			t.Errorf("Lower(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

// TestLowerTypedValues checks the typed forms that ir.String does not show.
func TestLowerTypedValues(t *testing.T) {
	e, diags := Query(`destination.port:(443 or -1.5e3) and dryRun:false and source.ip:(10.1.2.3/8 or "::1" or 192.168.0.1) and @timestamp < "2024-01-01"`, testOptions)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	var got []string
	ir.Walk(e, func(x ir.Expr) bool {
		if term, ok := x.(*ir.Term); ok {
			v := term.Value
			switch term.Field.Type {
			case ir.Number:
				got = append(got, fmt.Sprint(v.Number))
			case ir.Boolean:
				got = append(got, fmt.Sprint(v.Bool))
			case ir.IP:
				got = append(got, v.Prefix.String())
			}
		}
		return true
	})
	want := "443 -1500 false 10.0.0.0/8 ::1/128 192.168.0.1/32"
	if strings.Join(got, " ") != want {
		t.Errorf("typed values %v, want %s", got, want)
	}
	e, _ = Query(`event.action:Foo*\*`, testOptions)
	if w := e.(*ir.Term).Value.Wildcard; len(w) != 2 || w[0] != "Foo" || w[1] != "*" {
		t.Errorf("wildcard pieces %q, want [Foo *]", w)
	}
}

// TestLowerDiagnostics pins errors and warnings with their positions.
func TestLowerDiagnostics(t *testing.T) {
	tests := []struct {
		in     string
		strict bool
		want   string // diagnostics, one per line, with hints
	}{
		{"event.actoin:x and event.actoin:y", false,
			"1:1: warning[unknown-field]: unknown field event.actoin (key event.actoin) hint: did you mean event.action?"},
		{"nope:x", true,
			"1:1: error[unknown-field]: unknown field nope (key nope) hint: unknown fields are matched as keyword; check the spelling against ECS and the aws.cloudtrail fields"},
		{"zz.*:x", false,
			"1:1: warning[unknown-field]: field pattern zz.* matches no known field (key zz.*) hint: unknown fields are matched as keyword; check the spelling against ECS and the aws.cloudtrail fields"},
		{"destination.port:http", false,
			"1:18: error[bad-value]: destination.port is a long field and http is not a number (key destination.port) hint: write a decimal number such as 443 or 0.5"},
		{"destination.port:44*", false,
			"1:18: error[bad-value]: destination.port is a long field; wildcards apply only to text values (key destination.port) hint: compare numbers with a value or a range: f >= 1000 and f < 2000"},
		{"destination.port:(0x10 or 1_000 or inf or 1e or .5)", false,
			"1:19: error[bad-value]: destination.port is a long field and 0x10 is not a number (key destination.port) hint: write a decimal number such as 443 or 0.5\n" +
				"1:27: error[bad-value]: destination.port is a long field and 1_000 is not a number (key destination.port) hint: write a decimal number such as 443 or 0.5\n" +
				"1:36: error[bad-value]: destination.port is a long field and inf is not a number (key destination.port) hint: write a decimal number such as 443 or 0.5\n" +
				"1:43: error[bad-value]: destination.port is a long field and 1e is not a number (key destination.port) hint: write a decimal number such as 443 or 0.5"},
		{"dryRun:yes", false,
			"1:8: error[bad-value]: dryRun is a boolean field and yes is neither true nor false (key dryRun) hint: write true or false"},
		{"a:b and\n  source.ip:(10.0.0.0/8 or 300.1.1.1)", false,
			"1:1: warning[unknown-field]: unknown field a (key a) hint: unknown fields are matched as keyword; check the spelling against ECS and the aws.cloudtrail fields\n" +
				`2:28: error[bad-value]: source.ip is an ip field and 300.1.1.1 is not an IP address (key source.ip) hint: write an IPv4 or IPv6 address, or a CIDR range such as 10.0.0.0/8 (quote IPv6 values: "::1")`},
		{"source.ip > 10.0.0.0/8", false,
			`1:13: error[bad-value]: source.ip is an ip field and 10.0.0.0/8 is a CIDR range, which cannot be compared with <, <=, > or >= (key source.ip) hint: write an IPv4 or IPv6 address, or a CIDR range such as 10.0.0.0/8 (quote IPv6 values: "::1")`},
		{"@timestamp >= yesterday", false,
			`1:15: error[bad-value]: @timestamp is a date field and yesterday is not a date: ` + dateErr("yesterday") + ` (key @timestamp) hint: write an ISO 8601 date such as 2024-05-01T00:00:00Z, or date math such as now-7d`},
		{"event.action > a*", false,
			`1:16: error[bad-value]: a range cannot compare event.action with the wildcard a* (key event.action) hint: quote the value to compare with a literal "*", or escape it as \*`},
		{"event.action:{ x:y }", false,
			"1:1: warning[bad-value]: event.action is a keyword field, not a nested one (key event.action) hint: path:{...} applies to fields of type nested; write path.child:value instead\n" +
				"1:16: warning[unknown-field]: unknown field event.action.x (key event.action.x) hint: unknown fields are matched as keyword; check the spelling against ECS and the aws.cloudtrail fields"},
		{"mixed.*:* and mixed.*:1 and mixed.*:2", false,
			"1:23: warning[mixed-types]: field pattern mixed.* names fields of several types (keyword, long); the value is compared as keyword (key mixed.*) hint: name the field exactly, or narrow the pattern to fields of one type"},
		{"a:(", false, `1:4: error[kql-syntax]: expected a value, "(" or "not" after "(" but found end of query`},
	}
	for _, tc := range tests {
		opts := testOptions
		opts.Strict = tc.strict
		e, diags := Query(tc.in, opts)
		var lines []string
		for _, d := range diags {
			line := d.Error()
			if d.Hint != "" {
				line += " hint: " + d.Hint
			}
			lines = append(lines, line)
		}
		if got := strings.Join(lines, "\n"); got != tc.want {
			t.Errorf("Lower(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
		if diags.HasErrors() != (e == nil) {
			t.Errorf("Lower(%q): expression %v with errors=%v", tc.in, e, diags.HasErrors())
		}
	}
}

func dateErr(s string) string {
	_, err := ir.DateMath(s, time.Unix(0, 0).UTC())
	return err.Error()
}

// TestLowerPositions checks positions inside the query and through
// Options.Pos, and the caret line of a diagnostic.
func TestLowerPositions(t *testing.T) {
	query := "event.action:x and\n  not destination.port:(1 or 2)"
	q, err := parser.Parse(query)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := Lower(q, testOptions)
	and := e.(*ir.And)
	not := and.X[1].(*ir.Not)
	second := not.X.(*ir.Or).X[1]
	got := []diag.Pos{and.Pos, and.X[0].Position(), not.Pos, second.Position()}
	want := []diag.Pos{{Line: 1, Col: 1}, {Line: 1, Col: 14}, {Line: 2, Col: 3}, {Line: 2, Col: 30}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("node %d at %v, want %v", i, got[i], want[i])
		}
	}
	// A rule file puts the query at line 10, column 8.
	opts := testOptions
	opts.Pos = func(offset int) diag.Pos {
		line, col := 10, 8
		for i := 0; i < offset; i++ {
			if query[i] == '\n' {
				line++
				col = 5
			} else {
				col++
			}
		}
		return diag.Pos{File: "rule.yml", Line: line, Col: col}
	}
	_, diags := Query("event.action:x and\n  bogus:1", opts)
	if len(diags) != 1 || diags[0].Pos != (diag.Pos{File: "rule.yml", Line: 11, Col: 7}) {
		t.Errorf("diagnostics %v, want one at rule.yml:11:7", diags)
	}
	_, diags = Query("event.action:x and\n  bogus:1", testOptions)
	if len(diags) != 1 || diags[0].Line != "  bogus:1" {
		t.Errorf("caret line %q, want %q", diags[0].Line, "  bogus:1")
	}
}

type corpusQuery struct {
	Path  string `json:"path"`
	Query string `json:"query"`
}

func loadCorpus(t testing.TB) []corpusQuery {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "shared", "corpus", "kql", "elastic_rule_queries.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusQuery
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		var q corpusQuery
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			t.Fatal(err)
		}
		out = append(out, q)
	}
	return out
}

// TestLowerCorpus lowers the 792 Elastic rule queries against detc's
// catalog: none may fail; unknown fields are counted.
func TestLowerCorpus(t *testing.T) {
	corpus := loadCorpus(t)
	ok, warnings := 0, 0
	unknown := map[string]int{}
	for _, c := range corpus {
		e, diags := Query(c.Query, Options{})
		if diags.HasErrors() {
			t.Errorf("%s: %v", c.Path, diags.Errors())
			continue
		}
		if e == nil {
			t.Errorf("%s: no expression", c.Path)
			continue
		}
		for _, d := range diags {
			if d.Code != CodeUnknownField {
				t.Errorf("%s: unexpected warning %v", c.Path, d)
			}
			warnings++
			unknown[d.Key]++
		}
		ok++
	}
	summary := fmt.Sprintf("lowered %d/%d corpus queries; %d unknown-field warnings over %d distinct fields", ok, len(corpus), warnings, len(unknown))
	t.Log(summary)
	fmt.Println(summary)
	names := make([]string, 0, len(unknown))
	for n := range unknown {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		return unknown[names[i]] > unknown[names[j]] || unknown[names[i]] == unknown[names[j]] && names[i] < names[j]
	})
	if len(names) > 10 {
		names = names[:10]
	}
	for _, n := range names {
		t.Logf("  unknown %-50s %d", n, unknown[n])
	}
}

// TestLowerStable checks that printing a query does not change its
// meaning: Format → Parse → Lower gives an equal IR, over the corpus.
func TestLowerStable(t *testing.T) {
	n := 0
	for _, c := range loadCorpus(t) {
		q, err := parser.Parse(c.Query)
		if err != nil {
			t.Fatal(err)
		}
		before, _ := Lower(q, Options{})
		for _, text := range []string{parser.Format(q), parser.Pretty(q, 60)} {
			again, err := parser.Parse(text)
			if err != nil {
				t.Fatalf("%s: %v", c.Path, err)
			}
			after, _ := Lower(again, Options{})
			if !ir.Equal(before, after) {
				t.Errorf("%s: lowering changed after printing\n%s\n%s", c.Path, ir.String(before), ir.String(after))
			}
		}
		n++
	}
	t.Logf("%d queries lower the same after Format and Pretty", n)
}
