package readback

import (
	"testing"
	"unicode/utf8"

	"github.com/detc/detc/backends/elastic"
	"github.com/detc/detc/ir"
)

// FuzzRoundTrip: any query that lowers renders to a body that reads back
// with the same text and an equal expression, and to DSL without error.
func FuzzRoundTrip(f *testing.F) {
	for _, q := range []string{
		`event.dataset: "aws.cloudtrail" and event.action: "ExportTableToPointInTime"`,
		`user_agent.original: (*S3 Browser* or *Cyberduck*)`,
		`not source.ip: 10.0.0.0/8 and http.response.status_code >= 400`,
		`a:{ b: c or d: "e\"f" }`,
		`"free text" and \*literal\*`,
		`file.hash.*: *`,
		``,
		"message: \u00a0x\ty\n",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		expr, err := Query(q)
		if err != nil {
			return
		}
		rule := &ir.Rule{ID: "f", Name: "n", Description: "d", Type: ir.Query, Query: q, Severity: "low", Expr: expr}
		body, err := elastic.Render(rule)
		if err != nil {
			if !utf8.ValidString(q) {
				return // refused: JSON cannot carry it unchanged
			}
			t.Fatalf("%q: %v", q, err)
		}
		back, err := Rule(body)
		if err != nil {
			t.Fatalf("%q: %v\n%s", q, err, body)
		}
		if back.Query != q {
			t.Fatalf("query text changed: %q -> %q", q, back.Query)
		}
		if !ir.Equal(back.Expr, expr) {
			t.Fatalf("%q: %s != %s", q, ir.String(back.Expr), ir.String(expr))
		}
		if _, err := elastic.RenderDSL(expr); err != nil {
			t.Fatalf("%q: DSL: %v", q, err)
		}
	})
}
