// Package evaltest parses and lowers KQL for the evaluator's and the
// scan's tests, with field types from a test schema or the catalog.
package evaltest

import (
	"fmt"
	"testing"

	"github.com/detc/detc/catalog"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
)

var esTypes = map[ir.Type]string{
	ir.Keyword: "keyword", ir.Text: "text", ir.IP: "ip", ir.Boolean: "boolean", ir.Number: "long", ir.Date: "date",
}

// Lower parses and lowers a query with lower.Query. Fields named in
// schema (test documents) have the given type; others come from the
// catalog. Warnings (unknown fields) are not errors.
func Lower(query string, schema map[string]ir.Type) (ir.Expr, error) {
	opts := lower.Options{}
	if schema != nil {
		opts.Lookup = func(name string) (catalog.Field, bool) {
			if t, ok := schema[name]; ok {
				return catalog.Field{Name: name, Type: t, ESType: esTypes[t]}, true
			}
			return catalog.Lookup(name)
		}
	}
	e, diags := lower.Query(query, opts)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%v", diags)
	}
	return e, nil
}

// MustLower is Lower for tests: it fails t on an error.
func MustLower(t testing.TB, query string, schema map[string]ir.Type) ir.Expr {
	t.Helper()
	e, err := Lower(query, schema)
	if err != nil {
		t.Fatalf("%q: %v", query, err)
	}
	return e
}
