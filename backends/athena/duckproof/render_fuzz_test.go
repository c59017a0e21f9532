package duckproof

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/detc/detc/backends/athena"
	"github.com/detc/detc/diag"
	"github.com/detc/detc/hardening"
	"github.com/detc/detc/ir"
)

// FuzzRenderValue: a rule comparing a field (plain columns, a struct
// member, a key of the requestParameters JSON text) with any value, quoted
// or as a wildcard, renders to SQL that DuckDB runs and that selects
// exactly the events whose field the term matches, among the value and
// near misses of it. A value that broke out of its string literal, LIKE
// pattern or JSON path would fail to run or select other rows. One DuckDB
// database serves every input of a fuzzing process (opening one is slow).
func FuzzRenderValue(f *testing.F) {
	for _, s := range []string{
		"GetObject", "it's", `'; DROP TABLE x; --`, `back\slash`, "100%_done", "a*b", `$.x`, `"quoted"`,
		"new\nline", "日本🙂", `\%\_`, "[x]", "\x00", "\xff",
	} {
		for form := range uint8(3) {
			f.Add(s, uint8(len(s)), form, uint8(1))
		}
	}
	at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	var db *DB
	f.Cleanup(func() {
		if db != nil {
			db.Close()
		}
	})
	f.Fuzz(func(t *testing.T, value string, field, form, cut uint8) {
		c, ok := hardening.NewCase(hardening.Fields[int(field)%len(hardening.Fields)], value, hardening.Form(form), int(cut))
		if !ok {
			t.Skip("KQL trims white space at the ends of an unquoted value")
		}
		rule := &ir.Rule{ID: "fuzz", Type: ir.Query, From: "now-6m", Interval: "5m", MaxSignals: 100, Query: c.KQL, Expr: c.Expr}
		sql, err := athena.Render(rule, athena.Options{At: at})
		if !utf8.ValidString(value) {
			if err == nil {
				t.Fatalf("%q rendered, but Athena's JSON API and the CloudFormation template cannot carry it:\n%s", value, sql)
			}
			return
		}
		if strings.ContainsRune(value, 0) {
			t.Skip("DuckDB and Trino strings hold no NUL; CloudTrail text has none")
		}
		// Quoting at most doubles a byte (' and LIKE's escapes) and the rest
		// of the SQL is under 2,000 bytes: only a value this long may take it
		// over Athena's limit, and it is then refused, named.
		var list diag.List
		if errors.As(err, &list) && len(list) == 1 && list[0].Code == "query-too-long" && 2*len(value)+2000 > athena.MaxQueryBytes {
			return
		}
		if err != nil {
			t.Fatalf("%q: %v", c.KQL, err)
		}
		if db == nil {
			if db, err = Open(athena.DefaultTable); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := db.Query("DELETE FROM " + athena.DefaultTable); err != nil {
			t.Fatal(err)
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
		if err := db.Load(raw); err != nil {
			t.Fatal(err)
		}
		cols, rows, err := db.Query(sql)
		if err != nil {
			t.Fatalf("DuckDB: %v\n%s", err, sql)
		}
		alerts, err := RowsToAlerts(rule, cols, rows)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range alerts {
			got = append(got, a.EventID)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("%s on %q: matched %v, want %v\n%s", c.Field.Name, c.Probes(), got, want, sql)
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
// finding: a value that is not valid UTF-8 went into the SQL as U+FFFD
// (or as raw bytes that JSON would change), a different query. The rule
// is refused, named.
func TestRenderInvalidUTF8(t *testing.T) {
	c, _ := hardening.NewCase(hardening.Fields[0], "a\xffb", hardening.Quoted, 0)
	rule := &ir.Rule{ID: "r1", Type: ir.Query, Query: c.KQL, Expr: c.Expr}
	sql, err := athena.Render(rule, athena.Options{})
	if err == nil {
		t.Fatalf("rendered:\n%s", sql)
	}
	if want := "error[untranslatable]: athena: the query holds bytes that are not valid UTF-8, which Athena's JSON API and the CloudFormation template cannot carry unchanged (rule r1, key query)"; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}
