package lower

import (
	"testing"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/parser"
)

// FuzzLower checks that lowering any query that parses neither panics nor
// returns an expression together with errors, and that printing the query
// first (parser.Format) does not change the IR.
func FuzzLower(f *testing.F) {
	for _, seed := range []string{
		"", "*", "*:*", "event.action:(a or b and not c*)", "destination.port >= 1024",
		"source.ip:(10.0.0.0/8 or \"::1\")", "dryRun:false", "@timestamp < now-1d",
		"file.hash.*:*", "a:{ b:c and d:{ e:f } }", "*:x", "\"free text\"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := parser.Parse(query)
		if err != nil {
			return
		}
		e, diags := Lower(q, Options{})
		if diags.HasErrors() != (e == nil) {
			t.Fatalf("Lower(%q): expression %v with diagnostics %v", query, e, diags)
		}
		again, err := parser.Parse(parser.Format(q))
		if err != nil {
			t.Fatalf("Format(%q) does not parse: %v", query, err)
		}
		e2, _ := Lower(again, Options{})
		if !ir.Equal(e, e2) {
			t.Fatalf("Lower(%q) = %s, after Format %s", query, ir.String(e), ir.String(e2))
		}
	})
}
