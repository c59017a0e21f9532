package duckproof

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/detc/detc/backends/athena"
	"github.com/detc/detc/ir"
)

// FuzzLiteral checks that no value breaks out of its literal: a value
// stored in userAgent and in resources[].ARN is found by an exact term and
// by a wildcard cut at a given place, and its near misses are not.
func FuzzLiteral(f *testing.F) {
	for _, s := range []string{"plain", "it's", `back\slash`, "100%_done", "a*b", "new\nline", "日本🙂", `'; DROP TABLE x; --`, `\%\_`} {
		f.Add(s, uint8(2))
	}
	base := sample01(f)
	f.Fuzz(func(t *testing.T, value string, at uint8) {
		if value == "" || !utf8.ValidString(value) || strings.ContainsRune(value, 0) {
			t.Skip("CloudTrail text is valid, non-empty UTF-8 without NUL")
		}
		day := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
		var raw [][]byte
		for i, v := range []string{value, value + "x", "%" + value} {
			raw = append(raw, variant(t, base, []string{"hit", "after", "before"}[i], day.Add(time.Duration(i)*time.Second), map[string]any{
				"userAgent": v,
				"resources": []any{map[string]any{"ARN": v}},
			}))
		}
		d, err := Open(athena.DefaultTable)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if err := d.Load(raw); err != nil {
			t.Fatal(err)
		}
		runes := []rune(value)
		cut := int(at) % (len(runes) + 1)
		pieces := []string{string(runes[:cut]), string(runes[cut:])}
		for _, e := range []ir.Expr{
			kw("user_agent.original", value),
			kw("aws.cloudtrail.resources.arn", value),
			wc("user_agent.original", pieces...),
		} {
			rule := queryRule(e)
			sql, err := athena.Render(rule, athena.Options{At: agreeAt})
			if err != nil {
				t.Fatal(err)
			}
			cols, rows, err := d.Query(sql)
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
			var want []string
			for i, v := range []string{value, value + "x", "%" + value} {
				id := []string{"hit", "after", "before"}[i]
				if term, ok := e.(*ir.Term); ok && term.Value.IsWildcard() {
					if wildcardMatches(pieces, v) {
						want = append(want, id)
					}
				} else if v == value {
					want = append(want, id)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("matched %v, want %v\n%s", got, want, sql)
			}
		}
	})
}
