package duckproof

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detc/detc/backends/athena"
	"github.com/detc/detc/ir"
)

// awkward holds the characters that could break out of a SQL literal, a
// LIKE pattern, a JSONPath or a regular expression, plus newlines and
// multi-byte text. NUL is left out: CloudTrail text never holds it.
var awkward = []string{
	"'", "''", `"`, `\`, `\\`, "%", "_", "*", "?", ".", "[", "]", "(", ")", "{", "}", "|", "^", "$", "+",
	"-", "--", "/*", "*/", ";", ":", "#", "&", "~", "\n", "\r\n", "\t", " ", "é", "日本", "🙂", "\u00a0",
	"a", "b", "Z", "0", "x_y", "%_", "\\%", "\\_",
}

func randomValue(rng *rand.Rand) string {
	var b strings.Builder
	for n := rng.IntN(6); n >= 0; n-- {
		b.WriteString(awkward[rng.IntN(len(awkward))])
	}
	return b.String()
}

// randomKey is a JSON key: anything but a dot (a path separator in the
// field name) and a star (a wildcard in a field name).
func randomKey(rng *rand.Rand) string {
	for {
		k := randomValue(rng)
		if k != "" && !strings.ContainsAny(k, `.*`) {
			return k
		}
	}
}

// wildcardMatches is KQL's keyword wildcard, written independently of the
// renderer: the pieces in order, anchored, `*` spanning anything.
func wildcardMatches(pieces []string, s string) bool {
	var re strings.Builder
	re.WriteString(`(?s)^`)
	for i, p := range pieces {
		if i > 0 {
			re.WriteString(`.*`)
		}
		re.WriteString(regexp.QuoteMeta(p))
	}
	re.WriteString(`$`)
	return regexp.MustCompile(re.String()).MatchString(s)
}

// TestPropertyLiterals puts random awkward strings in a column, in a
// JSON-text leaf under a random key, and in resources[].ARN, and queries
// each value exactly, by a wildcard cut out of it, and negated: every
// statement must parse with the Trino grammar, run in DuckDB, and match
// exactly the events that hold the value.
func TestPropertyLiterals(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 12))
	base := sample01(t)
	day := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	const n = 150
	type ev struct{ id, value, key string }
	var events []ev
	var raw [][]byte
	add := func(value, key string) {
		id := fmt.Sprintf("p-%03d", len(events))
		events = append(events, ev{id, value, key})
		raw = append(raw, variant(t, base, id, day.Add(time.Duration(len(events))*time.Second), map[string]any{
			"userAgent":         value,
			"requestParameters": map[string]any{key: value},
			"resources":         []any{map[string]any{"ARN": value, "accountId": "111122223333", "type": "T"}},
		}))
	}
	values := make([]string, n)
	keys := make([]string, n)
	for i := range values {
		values[i], keys[i] = randomValue(rng), randomKey(rng)
		add(values[i], keys[i])
		// Near misses: the value with a character before or after.
		add(values[i]+"x", keys[i])
		add("%"+values[i], keys[i])
	}
	d, err := Open(athena.DefaultTable)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Load(raw); err != nil {
		t.Fatal(err)
	}

	type probe struct {
		name string
		rule *ir.Rule
		want []string
	}
	var probes []probe
	for i, v := range values {
		exact := func(e ev) bool { return e.value == v && v != "" }
		pieces := cut(rng, v)
		like := func(e ev) bool { return e.value != "" && wildcardMatches(pieces, e.value) }
		jsonField := "aws.cloudtrail.flattened.request_parameters." + keys[i]
		cases := []struct {
			name  string
			expr  ir.Expr
			match func(ev) bool
		}{
			{"column", kw("user_agent.original", v), exact},
			{"column wildcard", wc("user_agent.original", pieces...), like},
			{"column negated", not(kw("user_agent.original", v)), func(e ev) bool { return !exact(e) }},
			{"json leaf", &ir.Term{Field: field(jsonField), Value: ir.Value{Text: v}}, func(e ev) bool { return exact(e) && e.key == keys[i] }},
			{"json wildcard", &ir.Term{Field: field(jsonField), Value: ir.Value{Text: strings.Join(pieces, "*"), Wildcard: pieces}}, func(e ev) bool { return like(e) && e.key == keys[i] }},
			{"array", kw("aws.cloudtrail.resources.arn", v), exact},
			{"array negated", not(kw("aws.cloudtrail.resources.arn", v)), func(e ev) bool { return !exact(e) }},
		}
		for _, c := range cases {
			var want []string
			for _, e := range events {
				if c.match(e) {
					want = append(want, e.id)
				}
			}
			probes = append(probes, probe{fmt.Sprintf("%s %q key %q pieces %q", c.name, v, keys[i], pieces), queryRule(c.expr), want})
		}
	}

	var texts []string
	failures := 0
	for _, p := range probes {
		sql, err := athena.Render(p.rule, athena.Options{At: agreeAt})
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		texts = append(texts, sql)
		cols, rows, err := d.Query(sql)
		if err != nil {
			t.Errorf("%s: DuckDB: %v\n%s", p.name, err, sql)
			failures++
			continue
		}
		alerts, err := RowsToAlerts(p.rule, cols, rows)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range alerts {
			got = append(got, a.EventID)
		}
		slices.Sort(got)
		if !slices.Equal(got, p.want) {
			t.Errorf("%s: matched %v, want %v\n%s", p.name, got, p.want, sql)
			failures++
		}
	}
	t.Logf("%d of %d statements over %d random values ran in DuckDB and matched exactly", len(probes)-failures, len(probes), n)

	if bundle, err := TrinoParseBundle("."); err == nil || isCI() {
		bundle = trinoBundle(t)
		results, err := CheckSQL(bundle, "trino", texts)
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for i, errs := range results {
			if len(errs) > 0 {
				t.Errorf("%s: Trino grammar: %+v\n%s", probes[i].name, errs, texts[i])
				bad++
			}
		}
		t.Logf("%d of %d statements parse with the Trino grammar", len(texts)-bad, len(texts))
	} else {
		t.Log("TRINO GRAMMAR CHECK OF THE PROPERTY TEST NOT RUN: " + err.Error())
	}
}

// cut splits v at one or two random places into wildcard pieces (a KQL
// value with `*` where the cuts are), keeping at least two pieces.
func cut(rng *rand.Rand, v string) []string {
	r := []rune(v)
	i := rng.IntN(len(r) + 1)
	j := i + rng.IntN(len(r)-i+1)
	return []string{string(r[:i]), string(r[i:j]), string(r[j:])}
}
