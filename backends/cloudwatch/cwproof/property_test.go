package cwproof

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detc/detc/ir"
)

// propertyAlphabet mixes what breaks quoting and regexes: both quotes,
// backslash, slash, every regex metacharacter, comment and parameter
// characters, backtick, whitespace controls and non-ASCII text.
var propertyAlphabet = []rune("ab\"'\\/.*?+()[]{}|^$#`% _-:\n\t\r\u00e9\u4e2d\U0001F600\u2028\u00a0{}")

func randomValue(r *rand.Rand) string {
	n := 1 + r.IntN(10)
	var b strings.Builder
	for range n {
		b.WriteRune(propertyAlphabet[r.IntN(len(propertyAlphabet))])
	}
	return b.String()
}

// TestRandomValuesProperty renders terms whose values are random strings
// and runs them in the interpreter over events whose eventName holds each
// value (and near misses: with a character added, with a case change).
// The rendered query must match exactly the events holding the value
// (exact term), containing it (`*v*`), starting with it (`v*`); and the
// negation exactly the others.
func TestRandomValuesProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var values []string
	seen := map[string]bool{}
	for len(values) < 300 {
		v := randomValue(r)
		if !seen[v] {
			seen[v] = true
			values = append(values, v)
		}
	}
	// The events: every value, and for some values near misses.
	ts := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var names []string
	for i, v := range values {
		names = append(names, v)
		if i%3 == 0 {
			names = append(names, v+"x", "x"+v, strings.ToUpper(v))
		}
	}
	var raw [][]byte
	for i, n := range names {
		b, err := json.Marshal(map[string]any{
			"eventID": fmt.Sprintf("e%04d", i), "eventTime": ts.Format(time.RFC3339), "eventName": n,
		})
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b)
	}
	at := ts.Add(time.Minute)
	ds, err := Dataset(raw)
	if err != nil {
		t.Fatal(err)
	}
	field := ir.Field{Name: "event.action", Type: ir.Keyword, ESType: "keyword"}
	expect := func(match func(string) bool) []string {
		var ids []string
		for i, n := range names {
			if match(n) {
				ids = append(ids, fmt.Sprintf("e%04d", i))
			}
		}
		return ids
	}
	failures := 0
	check := func(v string, e ir.Expr, want []string) {
		rule := &ir.Rule{ID: "p", Type: ir.Query, From: "now-5m", MaxSignals: 1000, Expr: e}
		got, err := DatasetAlerts(rule, ds, at)
		if err != nil {
			t.Errorf("value %q: %v", v, err)
			failures++
			return
		}
		var ids []string
		for _, a := range got {
			ids = append(ids, a.EventID)
		}
		slices.Sort(ids)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			failures++
			t.Errorf("value %q, %s: matched %v, want %v", v, ir.String(e), ids, want)
		}
	}
	for _, v := range values {
		if failures > 10 {
			t.Fatal("too many failures")
		}
		exact := &ir.Term{Field: field, Value: ir.Value{Text: v, Quoted: true}}
		check(v, exact, expect(func(n string) bool { return n == v }))
		check(v, &ir.Not{X: exact}, expect(func(n string) bool { return n != v }))
		contains := &ir.Term{Field: field, Value: ir.Value{Text: "*" + v + "*", Wildcard: []string{"", v, ""}}}
		check(v, contains, expect(func(n string) bool { return strings.Contains(n, v) }))
		prefix := &ir.Term{Field: field, Value: ir.Value{Text: v + "*", Wildcard: []string{v, ""}}}
		check(v, prefix, expect(func(n string) bool { return strings.HasPrefix(n, v) }))
		check(v, &ir.Not{X: prefix}, expect(func(n string) bool { return !strings.HasPrefix(n, v) }))
	}
	if !t.Failed() {
		t.Logf("%d random values x 5 forms over %d events: all matched exactly", len(values), len(names))
	}
}
