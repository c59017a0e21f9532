package elastic_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/detc/detc/backends/elastic"
	"github.com/detc/detc/backends/elastic/readback"
	"github.com/detc/detc/hardening"
	"github.com/detc/detc/ir"
)

// FuzzRenderValue: a rule comparing a field with any value renders to a
// valid create body whose query reads back as exactly that one term, and
// to Query DSL that, executed, selects the document holding the value and
// not documents holding near misses. No value can add, remove or change
// a clause of the emitted query.
func FuzzRenderValue(f *testing.F) {
	for _, s := range []string{
		"ExportTableToPointInTime", `a" or event.action: "b`, `x) or (y`, `\*`, "a*b", "or", "not x", "and",
		`{"k":"v"}`, "new\nline\ttab", "日本🙂", "", " lead", "trail ", `\\"`, "a:b", "<=5", "\u00a0nbsp", "\x00", "\xff",
	} {
		for form := range uint8(3) {
			f.Add(s, uint8(len(s)), form, uint8(1))
		}
	}
	f.Fuzz(func(t *testing.T, value string, field, form, cut uint8) {
		c, ok := hardening.NewCase(hardening.Fields[int(field)%len(hardening.Fields)], value, hardening.Form(form), int(cut))
		if !ok {
			t.Skip("KQL trims white space at the ends of an unquoted value")
		}
		got, err := readback.Query(c.KQL)
		if err != nil {
			t.Fatalf("%q: the query built for %q does not lower: %v", c.KQL, value, err)
		}
		if !ir.Equal(got, c.Expr) {
			t.Fatalf("%q means %s, want %s", c.KQL, ir.String(got), ir.String(c.Expr))
		}
		rule := &ir.Rule{ID: "fuzz", Name: "n", Description: "d", Type: ir.Query, Query: c.KQL, Severity: "low", Expr: got}
		body, err := elastic.Render(rule)
		if !utf8.ValidString(c.KQL) {
			if err == nil {
				t.Fatalf("%q: invalid UTF-8 rendered (JSON would change it)", c.KQL)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q: %v", c.KQL, err)
		}
		if !json.Valid(body) {
			t.Fatalf("invalid JSON:\n%s", body)
		}
		back, err := readback.Rule(body)
		if err != nil {
			t.Fatalf("%q: %v\n%s", c.KQL, err, body)
		}
		if back.Query != c.KQL || !ir.Equal(back.Expr, c.Expr) {
			t.Fatalf("read back %q = %s, want %q = %s", back.Query, ir.String(back.Expr), c.KQL, ir.String(c.Expr))
		}

		dsl, err := elastic.RenderDSL(c.Expr)
		if !utf8.ValidString(value) {
			if err == nil {
				t.Fatalf("%q: DSL rendered for invalid UTF-8 (JSON would change it):\n%s", value, dsl)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q: DSL: %v", c.KQL, err)
		}
		dec := json.NewDecoder(bytes.NewReader(dsl))
		dec.UseNumber()
		var q any
		if err := dec.Decode(&q); err != nil {
			t.Fatalf("DSL is not JSON: %v\n%s", err, dsl)
		}
		for _, probe := range c.Probes() {
			doc := map[string]any{}
			setPath(doc, c.Field.Name, probe)
			matched, err := esMatch(q, doc)
			if err != nil {
				t.Fatalf("DSL: %v\n%s", err, dsl)
			}
			if want := c.Matches(probe); matched != want {
				t.Fatalf("DSL %s on %s=%q: matched %v, want %v", dsl, c.Field.Name, probe, matched, want)
			}
		}
	})
}

// TestRenderDSLRefusesInvalidUTF8 is the regression test for a
// FuzzRenderValue finding: RenderDSL wrote a value holding the byte 0xff
// as U+FFFD, so the DSL matched values the rule does not.
func TestRenderDSLRefusesInvalidUTF8(t *testing.T) {
	c, _ := hardening.NewCase(hardening.Fields[1], "\xff", hardening.Wildcard, 1)
	_, err := elastic.RenderDSL(c.Expr)
	if err == nil || err.Error() != `"\xff*" is not valid UTF-8, so the Query DSL (JSON) cannot carry it unchanged` {
		t.Fatalf("RenderDSL: %v", err)
	}
}
