package cloudwatch_test

import (
	"errors"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/detc/detc/backends/cloudwatch"
	"github.com/detc/detc/backends/cloudwatch/cwproof"
	"github.com/detc/detc/diag"
	"github.com/detc/detc/hardening"
	"github.com/detc/detc/insights"
	"github.com/detc/detc/ir"
)

// FuzzRenderValue: a rule comparing a field with any value renders to a
// Logs Insights query that the insights interpreter parses and that, run
// over events holding the value and near misses of it, matches exactly the
// events the term matches. A value that broke out of its string literal
// would fail to parse or select other events.
func FuzzRenderValue(f *testing.F) {
	for _, s := range []string{
		"ConsoleLogin", "", `a" or eventName = "b`, `x) or (y`, "a*b", `\`, `\"`, "%", `.*`, "/re/", "'single'",
		"new\nline\ttab", "日本🙂", "|filter", "#comment", "`tick`", "\u2028", "\x00", "\xff",
	} {
		for form := range uint8(3) {
			f.Add(s, uint8(len(s)), form, uint8(1))
		}
	}
	at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, value string, field, form, cut uint8) {
		c, ok := hardening.NewCase(hardening.Fields[int(field)%len(hardening.Fields)], value, hardening.Form(form), int(cut))
		if !ok {
			t.Skip("KQL trims white space at the ends of an unquoted value")
		}
		rule := &ir.Rule{ID: "fuzz", Name: "n", Type: ir.Query, From: "now-6m", Interval: "5m", Query: c.KQL, Expr: c.Expr}
		art, err := cloudwatch.Render(rule, cloudwatch.Options{At: at, LogGroups: []string{"trail"}})
		if !utf8.ValidString(value) {
			// JSON (StartQuery, the CloudTrail record) cannot carry the
			// bytes unchanged: the rule must be refused.
			if err == nil {
				t.Fatalf("%q rendered, but JSON cannot carry it:\n%s", value, art.StartQuery)
			}
			return
		}
		var list diag.List
		// Escaping writes at most 6 characters for a byte (\x{1F}), a term on
		// a flattened field is written once per array-index combination (at
		// most 32, plus the plain path), and the rest of the query is under
		// 500: only a value this long may take the query over the limit, and
		// it is then refused, named.
		if errors.As(err, &list) && len(list) == 1 && list[0].Code == "query-too-long" && 6*len(value)*33+500 > cloudwatch.MaxQueryLength {
			return
		}
		if err != nil {
			t.Fatalf("%q: %v", c.KQL, err)
		}
		if _, err := insights.Parse(art.Query); err != nil {
			t.Fatalf("%q: %v\n%s", c.KQL, err, art.Query)
		}
		var raw [][]byte
		var want []string
		for i, probe := range c.Probes() {
			id := string(rune('a' + i))
			raw = append(raw, hardening.Event(id, at.Add(-time.Duration(i+1)*time.Second), c.Field, probe))
			if c.MatchesRaw(probe) {
				want = append(want, id)
			}
		}
		alerts, err := cwproof.Alerts(rule, raw, at)
		if err != nil {
			t.Fatalf("%q: %v\n%s", c.KQL, err, art.Query)
		}
		var got []string
		for _, a := range alerts {
			got = append(got, a.EventID)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("%s on %q: matched %v, want %v\n%s", c.Field.Name, c.Probes(), got, want, art.Query)
		}
		ref, err := hardening.EvalIDs(rule, raw, at)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ref, want) {
			t.Fatalf("%s on %q: the evaluator matched %v, want %v", c.Field.Name, c.Probes(), ref, want)
		}
	})
}

// TestRenderInvalidUTF8 is the regression test for a FuzzRenderValue
// finding: a value that is not valid UTF-8 went into the .cwli query as
// is but into the StartQuery JSON as U+FFFD, a different query. JSON
// cannot carry it unchanged, so the rule is refused, named.
func TestRenderInvalidUTF8(t *testing.T) {
	c, _ := hardening.NewCase(hardening.Fields[0], "a\xffb", hardening.Quoted, 0)
	rule := &ir.Rule{ID: "r1", Name: "n", Type: ir.Query, From: "now-6m", Interval: "5m", Query: c.KQL, Expr: c.Expr}
	art, err := cloudwatch.Render(rule, cloudwatch.Options{At: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC), LogGroups: []string{"trail"}})
	if err == nil {
		t.Fatalf("rendered:\n%s\n%s", art.Query, art.StartQuery)
	}
	if want := "error[untranslatable]: cloudwatch: the query of rule r1 holds bytes that are not valid UTF-8, which JSON (StartQuery, PutQueryDefinition) cannot carry unchanged (rule r1, key query)"; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}

// TestRenderEmptyValue is the regression test for a FuzzRenderValue
// finding (with the evaluator as reference): `f: ""` matched records
// holding "", but the integration drops empty values, so no document
// holds "" and the evaluator and the other backends never match.
func TestRenderEmptyValue(t *testing.T) {
	at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	for _, f := range hardening.Fields {
		c, _ := hardening.NewCase(f, "", hardening.Quoted, 0)
		rule := &ir.Rule{ID: "r1", Type: ir.Query, From: "now-6m", Interval: "5m", Query: c.KQL, Expr: c.Expr}
		raw := [][]byte{hardening.Event("empty", at.Add(-time.Second), f, "")}
		alerts, err := cwproof.Alerts(rule, raw, at)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := hardening.EvalIDs(rule, raw, at)
		if err != nil {
			t.Fatal(err)
		}
		if len(alerts) != 0 || len(ref) != 0 {
			t.Errorf("%s: cloudwatch alerts %v, evaluator %v; want none", c.KQL, alerts, ref)
		}
	}
}
