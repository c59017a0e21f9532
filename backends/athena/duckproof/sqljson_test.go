package duckproof

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detc/detc/backends/athena"
)

// TestRewriteScope checks that duckSQL changes nothing but the
// json_query(<column>, '<path>' WITH ARRAY WRAPPER) construct: over every
// statement the agreement tests emit, undoing the replacement gives back
// the Trino text byte for byte, and no json_query or WITH ARRAY WRAPPER
// is left for DuckDB.
func TestRewriteScope(t *testing.T) {
	undo := regexp.MustCompile(wrappedFunction + `\(([a-z_][a-z0-9_]*), ('(?:[^']|'')*')\)`)
	rewritten := 0
	for _, c := range append(agreementCases(), flattenedArrayCases()...) {
		trino, err := athena.Render(c.rule, athena.Options{At: agreeAt})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(trino, wrappedFunction) {
			t.Fatalf("%s: the renderer emits the DuckDB-only name %s", c.name, wrappedFunction)
		}
		duck, n := duckSQL(trino)
		rewritten += n
		if strings.Contains(duck, "json_query") || strings.Contains(duck, "WITH ARRAY WRAPPER") {
			t.Errorf("%s: construct left after the rewrite:\n%s", c.name, duck)
		}
		back := undo.ReplaceAllString(duck, "json_query($1, $2 WITH ARRAY WRAPPER)")
		if back != trino {
			t.Errorf("%s: the rewrite changed more than the construct:\n%s\nvs\n%s", c.name, duck, trino)
		}
		if n != strings.Count(trino, "WITH ARRAY WRAPPER") {
			t.Errorf("%s: %d of %d constructs rewritten", c.name, n, strings.Count(trino, "WITH ARRAY WRAPPER"))
		}
	}
	if rewritten == 0 {
		t.Fatal("no statement held the construct: the test proves nothing")
	}
	t.Logf("%d constructs rewritten, nothing else changed", rewritten)
}

// TestLaxQuery pins the emulated SQL/JSON lax semantics on small inputs:
// member access unwraps one array level, [*] unwraps arrays and keeps
// other items, a missing member yields nothing.
func TestLaxQuery(t *testing.T) {
	cases := []struct{ doc, path, want string }{
		{`{"a":["x","y"]}`, `lax $."a"[*][*]`, `["x","y"]`},
		{`{"a":"x"}`, `lax $."a"[*][*]`, `["x"]`},
		{`{"a":[{"b":1},{"b":[2,3]},{"c":4}]}`, `lax $."a"[*]."b"[*][*]`, `[1,2,3]`},
		{`{"a":[[{"b":"deep"}]]}`, `lax $."a"[*]."b"[*][*]`, `["deep"]`},
		{`{"a":{"b":"x"}}`, `lax $."a"[*][*]`, `[{"b":"x"}]`},
		{`{"a":1.50}`, `lax $."a"[*][*]`, `[1.50]`},
		{`{"a\"b\\c":"q"}`, `lax $."a""b\c"[*][*]`, `["q"]`},
		{`{"z":1}`, `lax $."a"[*][*]`, ``},
	}
	for _, c := range cases {
		steps, err := parseLaxPath(c.path)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		dec := json.NewDecoder(strings.NewReader(c.doc))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		items := laxQuery(doc, steps)
		got := ""
		if len(items) > 0 {
			b, _ := json.Marshal(items)
			got = string(b)
		}
		if got != c.want {
			t.Errorf("%s on %s: %s, want %s", c.path, c.doc, got, c.want)
		}
	}
	for _, bad := range []string{`strict $."a"`, `lax $.a`, `lax $."a"[0]`, `lax $."a`, `lax $."a" ? (@ == "x")`} {
		if _, err := parseLaxPath(bad); err == nil {
			t.Errorf("%s: accepted, want an error (outside the emulated subset)", bad)
		}
	}
}

// TestFlattenedExistsOnObject pins where the SQL departs from the
// reference evaluator on purpose: `f:*` where f holds an object (no
// scalar at exactly that key). Elasticsearch's keyed flattened field
// answers exists with a prefix query on "key\0" (FlattenedFieldMapper,
// KeyedFlattenedFieldType.existsQuery), which only the leaves stored at
// exactly that key match, so the object does not count; the SQL agrees.
// The evaluator counts an object with a non-empty leaf as present.
func TestFlattenedExistsOnObject(t *testing.T) {
	base := sample01(t)
	raw := [][]byte{
		variant(t, base, "object", agreeAt.Add(-time.Hour), map[string]any{"requestParameters.policy": map[string]any{"Version": "2012-10-17"}}),
		variant(t, base, "list-of-objects", agreeAt.Add(-time.Hour), map[string]any{"requestParameters.policy": []any{map[string]any{"Sid": "x"}}}),
		variant(t, base, "scalar", agreeAt.Add(-time.Hour), map[string]any{"requestParameters.policy": "text"}),
		variant(t, base, "scalar-in-list", agreeAt.Add(-time.Hour), map[string]any{"requestParameters.policy": []any{"", "text"}}),
		variant(t, base, "empty", agreeAt.Add(-time.Hour), map[string]any{"requestParameters.policy": ""}),
	}
	rule := queryRule(exists("aws.cloudtrail.flattened.request_parameters.policy"))
	got, err := Alerts(rule, raw, agreeAt)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"{event=scalar}", "{event=scalar-in-list}"}; !slices.Equal(ids(got), want) {
		t.Errorf("exists matched %v, want %v", ids(got), want)
	}
	ref := evalAlerts(t, rule, raw, agreeAt)
	t.Logf("the evaluator alerts on %v (objects with a non-empty leaf count as present)", ids(ref))
}
