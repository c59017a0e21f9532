package eval

import (
	"testing"

	"github.com/detc/detc/backends/eval/evaltest"
	"github.com/detc/detc/ir"
)

// kql parses and lowers a query for the tests (evaltest stands in for the
// lower package until it lands).
func kql(t testing.TB, query string, schema map[string]ir.Type) ir.Expr {
	t.Helper()
	return evaltest.MustLower(t, query, schema)
}
