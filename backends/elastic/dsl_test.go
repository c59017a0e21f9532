package elastic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/detc/detc/ir"
)

// kibanaCase is one `is.toElasticsearchQuery` expectation transcribed from
// Kibana's functions/is.test.ts.
type kibanaCase struct {
	Node      []any          `json:"node_buildNode"`
	Config    map[string]any `json:"config"`
	WithStub  bool           `json:"with_index_pattern_stub"`
	Expected  any            `json:"expected"`
	rawConfig json.RawMessage
}

// kibanaStub is the part of Kibana's stubbed index pattern that the cases
// touch: field names and how Kibana types them (machine.os.keyword is the
// only keyword field; extension is text; @timestamp is a date; the doubly
// nested child lies in the nested object nestedField.nestedChild).
var kibanaStub = []DSLField{
	{Name: "@timestamp", Type: ir.Date},
	{Name: "extension", Type: ir.Text},
	{Name: "machine.os", Type: ir.Text},
	{Name: "machine.os.keyword", Type: ir.Keyword},
	{Name: "nestedField.nestedChild.doublyNestedChild", Type: ir.Text, NestedPath: "nestedField.nestedChild"},
}

func stubFields(pattern string) []DSLField {
	pieces := strings.Split(pattern, "*")
	var out []DSLField
	for _, f := range kibanaStub {
		if wildcardMatch(f.Name, pieces) {
			out = append(out, f)
		}
	}
	return out
}

func wildcardMatch(s string, pieces []string) bool {
	if !strings.HasPrefix(s, pieces[0]) {
		return false
	}
	s = s[len(pieces[0]):]
	for i, p := range pieces[1:] {
		if i == len(pieces)-2 {
			return strings.HasSuffix(s, p)
		}
		j := strings.Index(s, p)
		if j < 0 {
			return false
		}
		s = s[j+len(p):]
	}
	return s == ""
}

func stubType(name string) ir.Type {
	for _, f := range kibanaStub {
		if f.Name == name {
			return f.Type
		}
	}
	return ir.Unknown
}

// kqlValue reads a buildNode argument as Kibana's fromLiteralExpression
// does: a double-quoted string is a quoted literal, an unquoted string
// with an unescaped `*` is a wildcard, backslash escapes the next
// character; a JSON number is a literal too.
func kqlValue(arg any) ir.Value {
	switch a := arg.(type) {
	case float64:
		return ir.Value{Text: fmt.Sprint(a)}
	case string:
		if len(a) >= 2 && a[0] == '"' && a[len(a)-1] == '"' {
			return ir.Value{Text: strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(a[1 : len(a)-1]), Quoted: true}
		}
		var pieces []string
		var cur strings.Builder
		wild := false
		for i := 0; i < len(a); i++ {
			switch {
			case a[i] == '\\' && i+1 < len(a):
				i++
				cur.WriteByte(a[i])
			case a[i] == '*':
				wild = true
				pieces = append(pieces, cur.String())
				cur.Reset()
			default:
				cur.WriteByte(a[i])
			}
		}
		pieces = append(pieces, cur.String())
		v := ir.Value{Text: strings.Join(pieces, "*")}
		if wild {
			v.Wildcard = pieces
		}
		return v
	}
	panic(fmt.Sprintf("unexpected argument %#v", arg))
}

// caseExpr turns ['is', field, value] into the expression lowering makes.
func caseExpr(node []any, stub bool) ir.Expr {
	fieldArg, valueArg := node[1], node[2]
	value := kqlValue(valueArg)
	lone := value.IsWildcard() && value.Text == "*"
	if fieldArg == nil {
		return &ir.FreeText{Value: value}
	}
	name := fieldArg.(string)
	if name == "*" && lone {
		return &ir.MatchAll{}
	}
	field := ir.Field{Name: name, Wildcard: strings.Contains(name, "*")}
	if stub && !field.Wildcard {
		field.Type = stubType(name)
	}
	if lone {
		return &ir.Exists{Field: field}
	}
	return &ir.Term{Field: field, Value: value}
}

func TestKibanaToElasticsearchQuery(t *testing.T) {
	data, err := os.ReadFile("../../../shared/corpus/kql/kibana_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []kibanaCase `json:"is_toElasticsearchQuery"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	pass, skipped := 0, 0
	for i, c := range file.Cases {
		name := fmt.Sprintf("%02d %v %v", i, c.Node[1:], c.Config)
		t.Run(name, func(t *testing.T) {
			if desc, ok := c.Expected.(string); ok && strings.Contains(desc, "script") {
				skipped++
				t.Skip("deviation: scripted fields (Painless) are not part of detc's field model")
			}
			opts := DSLOptions{Fields: func(string) []DSLField { return nil }}
			if c.WithStub {
				opts.Fields = stubFields
			}
			if v, ok := c.Config["caseInsensitive"].(bool); ok {
				opts.CaseInsensitive = &v
			}
			if v, ok := c.Config["dateFormatTZ"].(string); ok {
				opts.TimeZone = v
			}
			if v, ok := c.Config["nestedIgnoreUnmapped"].(bool); ok {
				opts.NestedIgnoreUnmapped = &v
			}
			expr := caseExpr(c.Node, c.WithStub)
			if ctx, ok := c.Config["_context"].(map[string]any); ok {
				// Kibana evaluates the `is` node inside a nested query on
				// path: the field name is prefixed and no nested query is
				// added. That is the operand of our Nested node.
				path := ctx["nested"].(map[string]any)["path"].(string)
				term := expr.(*ir.Term)
				term.Field.Name = path + "." + term.Field.Name
				out, err := dslExpr(term, withDefaults(opts), true)
				if err != nil {
					t.Fatal(err)
				}
				compareDSL(t, marshal(t, out), c.Expected)
				pass++
				return
			}
			out, err := RenderDSLWith(expr, opts)
			if err != nil {
				t.Fatal(err)
			}
			if desc, ok := c.Expected.(string); ok {
				// "bool.should has one sub-query per index-pattern field"
				var got struct{ Bool struct{ Should []any } }
				if err := json.Unmarshal(out, &got); err != nil {
					t.Fatal(err)
				}
				if len(got.Bool.Should) != len(kibanaStub) {
					t.Fatalf("%s: got %d sub-queries for %d fields:\n%s", desc, len(got.Bool.Should), len(kibanaStub), out)
				}
				pass++
				return
			}
			want := c.Expected
			if n, ok := c.Node[2].(float64); ok {
				// Deviation: the case hands buildNode a JS number; parsed KQL
				// keeps numbers as strings (Kibana and detc alike), so our
				// query is the string "200".
				want = replaceNumber(want, n)
			}
			compareDSL(t, out, want)
			pass++
		})
	}
	t.Logf("is_toElasticsearchQuery: %d/%d cases pass, %d skipped (scripted field)", pass, len(file.Cases), skipped)
	if pass+skipped != len(file.Cases) {
		t.Errorf("%d cases fail", len(file.Cases)-pass-skipped)
	}
}

func withDefaults(o DSLOptions) DSLOptions {
	if o.Fields == nil {
		o.Fields = catalogFields
	}
	return o
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func compareDSL(t *testing.T, out []byte, want any) {
	t.Helper()
	var got any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(got, want) {
		w, _ := json.Marshal(want)
		t.Errorf("DSL:\n got %s\nwant %s", compact(out), w)
	}
}

func compact(b []byte) string {
	var v any
	_ = json.Unmarshal(b, &v)
	c, _ := json.Marshal(v)
	return string(c)
}

// replaceNumber replaces the JSON number n by its decimal text in v.
func replaceNumber(v any, n float64) any {
	switch x := v.(type) {
	case float64:
		if x == n {
			return fmt.Sprint(n)
		}
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = replaceNumber(e, n)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = replaceNumber(e, n)
		}
		return out
	}
	return v
}

func kw(name string) ir.Field { return ir.Field{Name: name, Type: ir.Keyword, ESType: "keyword"} }

// TestDSLStructure checks the boolean structure and each leaf form on
// expressions typed as lowering types them.
func TestDSLStructure(t *testing.T) {
	tr := func(f ir.Field, v string) *ir.Term { return &ir.Term{Field: f, Value: ir.Value{Text: v}} }
	tests := []struct {
		name string
		expr ir.Expr
		want string
	}{
		{"and", &ir.And{X: []ir.Expr{tr(kw("a"), "1"), &ir.Exists{Field: kw("b")}}},
			`{"bool":{"filter":[{"bool":{"should":[{"term":{"a":{"value":"1"}}}],"minimum_should_match":1}},{"bool":{"should":[{"exists":{"field":"b"}}],"minimum_should_match":1}}]}}`},
		{"or of not", &ir.Or{X: []ir.Expr{&ir.Not{X: tr(kw("a"), "x")}, &ir.MatchAll{}}},
			`{"bool":{"should":[{"bool":{"must_not":{"bool":{"should":[{"term":{"a":{"value":"x"}}}],"minimum_should_match":1}}}},{"match_all":{}}],"minimum_should_match":1}}`},
		{"boolean literal on keyword", tr(kw("aws.cloudtrail.flattened.request_parameters.dryRun"), "false"),
			`{"bool":{"should":[{"term":{"aws.cloudtrail.flattened.request_parameters.dryRun":{"value":false}}}],"minimum_should_match":1}}`},
		{"quoted false stays a string", &ir.Term{Field: kw("a"), Value: ir.Value{Text: "false", Quoted: true}},
			`{"bool":{"should":[{"term":{"a":{"value":"false"}}}],"minimum_should_match":1}}`},
		{"keyword wildcard escapes", &ir.Term{Field: kw("user_agent.original"), Value: ir.Value{Text: "*S3 Browser*", Wildcard: []string{"", "S3 Browser", ""}}},
			`{"bool":{"should":[{"wildcard":{"user_agent.original":{"value":"*S\\3 Browser*"}}}],"minimum_should_match":1}}`},
		{"text phrase", &ir.Term{Field: ir.Field{Name: "message", Type: ir.Text}, Value: ir.Value{Text: "access denied", Quoted: true}},
			`{"bool":{"should":[{"match_phrase":{"message":"access denied"}}],"minimum_should_match":1}}`},
		{"number range", &ir.Range{Field: ir.Field{Name: "http.response.status_code", Type: ir.Number}, Op: ir.Gte, Value: ir.Value{Text: "400", Number: 400}},
			`{"bool":{"should":[{"range":{"http.response.status_code":{"gte":"400"}}}],"minimum_should_match":1}}`},
		{"ip cidr", tr(ir.Field{Name: "source.ip", Type: ir.IP}, "10.0.0.0/8"),
			`{"bool":{"should":[{"match":{"source.ip":"10.0.0.0/8"}}],"minimum_should_match":1}}`},
		{"nested", &ir.Nested{Path: "p", X: tr(kw("p.a"), "x")},
			`{"nested":{"path":"p","query":{"bool":{"should":[{"term":{"p.a":{"value":"x"}}}],"minimum_should_match":1}},"score_mode":"none"}}`},
		{"free text phrase", &ir.FreeText{Value: ir.Value{Text: "Accepted password", Quoted: true}},
			`{"multi_match":{"type":"phrase","query":"Accepted password","lenient":true}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := RenderDSL(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := compactOrdered(t, out); got != tt.want {
				t.Errorf("DSL:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// compactOrdered removes the indentation but keeps the key order.
func compactOrdered(t *testing.T, out []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, out); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestDSLWildcardFieldFromCatalog expands a wildcard field name against the
// field catalog, as Kibana expands it against the index pattern.
func TestDSLWildcardFieldFromCatalog(t *testing.T) {
	out, err := RenderDSL(&ir.Exists{Field: ir.Field{Name: "file.hash.*", Wildcard: true}})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Bool struct {
			Should []map[string]struct{ Field string }
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, q := range got.Bool.Should {
		fields = append(fields, q["exists"].Field)
	}
	for _, want := range []string{"file.hash.md5", "file.hash.sha1", "file.hash.sha256"} {
		found := false
		for _, f := range fields {
			found = found || f == want
		}
		if !found {
			t.Errorf("expansion of file.hash.* lacks %s: %q", want, fields)
		}
	}
	// A pattern that names no field is sent through as it is.
	out, err = RenderDSL(&ir.Term{Field: ir.Field{Name: "no.such.*", Wildcard: true}, Value: ir.Value{Text: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := compactOrdered(t, out); got != `{"bool":{"should":[{"match":{"no.such.*":"x"}}],"minimum_should_match":1}}` {
		t.Errorf("unmatched pattern: %s", got)
	}
}
