package eval

import (
	"testing"

	"github.com/detc/detc/ir"
)

// termOn makes a term on f with a value from the samples: exact, or (on
// keyword fields) a prefix, suffix or contains wildcard.
func (g *exprGen) termOn(f ir.Field) ir.Expr {
	v := g.value(f)
	if f.Type == ir.Keyword && len(v) > 2 && g.rnd.IntN(3) == 0 {
		k := 1 + g.rnd.IntN(len(v)-1)
		switch g.rnd.IntN(3) {
		case 0:
			return &ir.Term{Field: f, Value: ir.Value{Text: v[:k] + "*", Wildcard: []string{v[:k], ""}}}
		case 1:
			return &ir.Term{Field: f, Value: ir.Value{Text: "*" + v[k:], Wildcard: []string{"", v[k:]}}}
		default:
			mid := v[k/2 : k]
			return &ir.Term{Field: f, Value: ir.Value{Text: "*" + mid + "*", Wildcard: []string{"", mid, ""}}}
		}
	}
	return &ir.Term{Field: f, Value: ir.Value{Text: v, Quoted: g.rnd.IntN(2) == 0}}
}

// sameFieldOr makes an or of 2 to 6 terms on one field, sometimes with an
// operand on another field among them, sometimes under a not or an and.
func (g *exprGen) sameFieldOr() ir.Expr {
	f := g.field()
	var xs []ir.Expr
	for range 2 + g.rnd.IntN(5) {
		xs = append(xs, g.termOn(f))
	}
	if g.rnd.IntN(3) == 0 {
		xs = append(xs, g.leaf())
	}
	g.rnd.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
	var e ir.Expr = &ir.Or{X: xs}
	switch g.rnd.IntN(4) {
	case 0:
		e = &ir.Not{X: e}
	case 1:
		e = &ir.And{X: []ir.Expr{g.expr(1), e}}
	}
	return e
}

// TestFusedPlanAgreesWithPlain: the planner's fusions (or-ed terms on one
// field read once, keyword terms walked directly) give the same answer as
// compiling every operand on its own, on raw records and ECS documents of
// the samples, for ors of terms on one field and for random expressions.
func TestFusedPlanAgreesWithPlain(t *testing.T) {
	records := sampleRecords(t)
	raw, ecs := eventsOf(t, records)
	g := newExprGen(t, records)
	const n = 3000
	compiled, matches, checks := 0, 0, 0
	for i := range n {
		var e ir.Expr
		if i%3 == 2 {
			e = g.expr(3)
		} else {
			e = g.sameFieldOr()
		}
		for _, form := range []Form{RawCloudTrail, ECS} {
			fused, err1 := Compile(e, WithForm(form))
			plain, err2 := Compile(e, WithForm(form), Plain())
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("%s (%s): fused compile error %v, plain %v", ir.String(e), form, err1, err2)
			}
			if err1 != nil {
				continue
			}
			compiled++
			docs := raw
			if form == ECS {
				docs = ecs
			}
			for j := range docs {
				a, b := fused.Match(docs[j].Doc), plain.Match(docs[j].Doc)
				checks++
				if b {
					matches++
				}
				if a != b {
					t.Errorf("%s (%s) on record %s: fused plan %v, plain %v", ir.String(e), form, docs[j].ID, a, b)
				}
			}
		}
	}
	if compiled < n {
		t.Errorf("only %d of %d generated expressions compiled in both forms", compiled, 2*n)
	}
	if matches < checks/20 || matches > checks*19/20 {
		t.Errorf("%d of %d evaluations matched: the generator is too lopsided to prove much", matches, checks)
	}
	t.Logf("%d compilations x %d records: %d evaluations, %d true, plans agree", compiled, len(records), checks, matches)
}
