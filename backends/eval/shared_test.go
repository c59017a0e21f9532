package eval

import (
	"testing"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/jsondoc"
)

// TestSharedSubexpressionsAgree: many expressions over few fields and
// values, all expected by one Lookups so that their common terms, value
// lists and negations are memoized, give on every record (and its tricky
// variants) the answers of their plain compilation, evaluated in one order
// and then in the reverse order (the memo is filled by whichever comes
// first).
func TestSharedSubexpressionsAgree(t *testing.T) {
	records := sampleRecords(t)
	variants := lookupVariants(records)
	g := newExprGen(t, records)
	var exprs []ir.Expr
	for i := range 400 {
		if i%3 == 0 {
			exprs = append(exprs, g.sameFieldOr())
		} else {
			exprs = append(exprs, g.expr(3))
		}
	}
	lk := NewLookups()
	for _, e := range exprs {
		lk.Expect(e)
	}
	var memo, plain []*Matcher
	for _, e := range exprs {
		m, err1 := Compile(e, WithForm(RawCloudTrail), WithLookups(lk))
		p, err2 := Compile(e, WithForm(RawCloudTrail), Plain())
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("%s: compile error %v with lookups, %v plain", ir.String(e), err1, err2)
		}
		if err1 == nil {
			memo, plain = append(memo, m), append(plain, p)
		}
	}
	if len(lk.memo) < 50 {
		t.Fatalf("only %d shared sub-expressions among %d expressions: the test proves little", len(lk.memo), len(memo))
	}
	var p jsondoc.Parser
	checks, matches := 0, 0
	for j, rec := range variants {
		doc, err := p.ParseBytes(rec)
		if err != nil {
			t.Fatalf("variant %d does not parse: %v", j, err)
		}
		want := make([]bool, len(plain))
		for i, m := range plain {
			want[i] = m.Match(doc)
			if want[i] {
				matches++
			}
		}
		for pass := range 2 {
			lk.Reset(doc)
			for k := range memo {
				i := k
				if pass == 1 {
					i = len(memo) - 1 - k
				}
				if got := memo[i].Match(doc); got != want[i] {
					t.Fatalf("%s on variant %d, pass %d: shared %v, plain %v", ir.String(exprs[i]), j, pass, got, want[i])
				}
				checks++
			}
		}
	}
	if matches < checks/40 {
		t.Errorf("%d of %d evaluations matched: the generator is too lopsided to prove much", matches, checks)
	}
	t.Logf("%d expressions, %d shared sub-expressions, %d records: %d evaluations agree (%d plain matches)", len(memo), len(lk.memo), len(variants), checks, matches)
}
