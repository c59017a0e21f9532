package duckproof

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// The one rewrite of the emitted SQL. The Athena backend reads a
// flattened field with Trino's
//
//	json_query(<column>, '<lax SQL/JSON path>' WITH ARRAY WRAPPER)
//
// whose WITH ARRAY WRAPPER clause DuckDB's parser rejects. Before a
// statement runs, exactly that construct (a bare column name, one string
// literal, the clause) is replaced by a call of the Go function
// detc_sqljson_wrapped(<column>, '<path>'), which implements the part
// of SQL/JSON lax mode the backend emits. Nothing else in the text
// changes; TestRewriteScope checks it.
var jsonQueryWrapped = regexp.MustCompile(`json_query\(([a-z_][a-z0-9_]*), ('(?:[^']|'')*') WITH ARRAY WRAPPER\)`)

// wrappedFunction is the DuckDB function the rewrite calls.
const wrappedFunction = "detc_sqljson_wrapped"

// duckSQL applies the rewrite to a Trino statement and reports how many
// constructs it replaced.
func duckSQL(trino string) (string, int) {
	n := 0
	out := jsonQueryWrapped.ReplaceAllStringFunc(trino, func(m string) string {
		n++
		g := jsonQueryWrapped.FindStringSubmatch(m)
		return wrappedFunction + "(" + g[1] + ", " + g[2] + ")"
	})
	return out, n
}

// laxStep is one accessor of a lax SQL/JSON path: a member (."key") or
// the wildcard array accessor ([*]).
type laxStep struct {
	key      string
	wildcard bool
}

// parseLaxPath reads the paths the backend emits: `lax $` followed by
// ."key" and [*] accessors. Inside a quoted key "" stands for one " and
// nothing else is an escape, as in Trino's path parser. Anything else is
// an error, so a path outside this subset fails the test that runs it
// instead of being read differently from Trino.
func parseLaxPath(p string) ([]laxStep, error) {
	rest, ok := strings.CutPrefix(p, "lax $")
	if !ok {
		return nil, fmt.Errorf("SQL/JSON path %q: want lax mode and $", p)
	}
	var steps []laxStep
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "[*]"):
			steps = append(steps, laxStep{wildcard: true})
			rest = rest[3:]
		case strings.HasPrefix(rest, `."`):
			var key strings.Builder
			i := 2
			for {
				j := strings.IndexByte(rest[i:], '"')
				if j < 0 {
					return nil, fmt.Errorf("SQL/JSON path %q: unterminated key", p)
				}
				key.WriteString(rest[i : i+j])
				i += j + 1
				if !strings.HasPrefix(rest[i:], `"`) {
					break
				}
				key.WriteByte('"')
				i++
			}
			steps = append(steps, laxStep{key: key.String()})
			rest = rest[i:]
		default:
			return nil, fmt.Errorf("SQL/JSON path %q: %q is outside the emulated subset", p, rest)
		}
	}
	return steps, nil
}

// laxQuery evaluates steps over v as SQL/JSON lax mode does: a member
// accessor yields the member of an object, is applied to each element of
// an array (one level, lax unwrapping), and yields nothing for a missing
// member or a scalar; [*] yields the elements of an array and wraps any
// other item, yielding it unchanged.
func laxQuery(v any, steps []laxStep) []any {
	items := []any{v}
	for _, s := range steps {
		var next []any
		for _, it := range items {
			if s.wildcard {
				if arr, ok := it.([]any); ok {
					next = append(next, arr...)
				} else {
					next = append(next, it)
				}
				continue
			}
			objects := []any{it}
			if arr, ok := it.([]any); ok {
				objects = arr
			}
			for _, o := range objects {
				if obj, ok := o.(map[string]any); ok {
					if m, ok := obj[s.key]; ok {
						next = append(next, m)
					}
				}
			}
		}
		items = next
	}
	return items
}

// jsonQueryWrappedUDF is detc_sqljson_wrapped(json VARCHAR, path
// VARCHAR) VARCHAR: the items the path selects, as a JSON array; NULL for
// a NULL or malformed input and for an empty result (json_query's
// default NULL ON ERROR and NULL ON EMPTY). Numbers keep their text.
type jsonQueryWrappedUDF struct{}

func (jsonQueryWrappedUDF) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	return duckdb.ScalarFuncConfig{
		InputTypeInfos: []duckdb.TypeInfo{varchar, varchar},
		ResultTypeInfo: varchar,
	}
}

func (jsonQueryWrappedUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		text, _ := values[0].(string)
		path, _ := values[1].(string)
		steps, err := parseLaxPath(path)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			return nil, nil
		}
		items := laxQuery(doc, steps)
		if len(items) == 0 {
			return nil, nil
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(items); err != nil {
			return nil, err
		}
		return strings.TrimSuffix(buf.String(), "\n"), nil
	}}
}
