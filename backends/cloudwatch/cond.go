package cloudwatch

import (
	"strings"
)

// cond is a boolean condition being built for a filter command. Negation
// is never rendered as `not (...)` around a compound: it is pushed down to
// the atoms, each of which knows a negative form that is true on a record
// where the field is missing (`not ispresent(f) or f != v`), since Logs
// Insights makes both `f = v` and `f != v` false there.
type cond interface{ isCond() }

type condConst bool

type condAnd []cond

type condOr []cond

// atom is a leaf condition with its two renderings.
type atom struct {
	pos, neg string
	// eq is set for whole-value equality tests, which merge into
	// `in [...]` lists: left is the tested expression, guard the field
	// whose presence the negative form checks.
	eq *eqTest
}

type eqTest struct {
	left, guard string
	lits        []string
	negated     bool
}

func (condConst) isCond() {}
func (condAnd) isCond()   {}
func (condOr) isCond()    {}
func (*atom) isCond()     {}

var (
	condTrue  = condConst(true)
	condFalse = condConst(false)
)

// newAtom builds a test on left, guarded by the presence of guard: the
// negative form holds when guard is missing.
func newAtom(guard, positive string) *atom {
	return &atom{
		pos: positive,
		neg: "(not ispresent(" + guard + ") or not (" + positive + "))",
	}
}

// newEq builds `left = lit` (or `left in [lits]`).
func newEq(left, guard string, lits ...string) *atom {
	return &atom{eq: &eqTest{left: left, guard: guard, lits: lits}}
}

// presentAtom holds when the field holds a value other than "" (the
// integration drops empty strings, so "" counts as missing).
func presentAtom(f string) *atom {
	return &atom{
		pos: "(ispresent(" + f + ") and " + f + ` != "")`,
		neg: "(not ispresent(" + f + ") or " + f + ` = "")`,
	}
}

func (a *atom) render(negated bool) string {
	if a.eq != nil {
		e := a.eq
		neg := e.negated != negated
		if len(e.lits) == 1 {
			if neg {
				return "(not ispresent(" + e.guard + ") or " + e.left + " != " + e.lits[0] + ")"
			}
			return e.left + " = " + e.lits[0]
		}
		list := "[" + strings.Join(e.lits, ", ") + "]"
		if neg {
			return "(not ispresent(" + e.guard + ") or " + e.left + " not in " + list + ")"
		}
		return e.left + " in " + list
	}
	if negated {
		return a.neg
	}
	return a.pos
}

func (a *atom) negate() *atom {
	if a.eq != nil {
		e := *a.eq
		e.negated = !e.negated
		return &atom{eq: &e}
	}
	return &atom{pos: a.neg, neg: a.pos}
}

// and builds a conjunction, folding constants.
func and(xs ...cond) cond {
	var out condAnd
	for _, x := range xs {
		switch x := x.(type) {
		case condConst:
			if !x {
				return condFalse
			}
		case condAnd:
			out = append(out, x...)
		default:
			out = append(out, x)
		}
	}
	switch len(out) {
	case 0:
		return condTrue
	case 1:
		return out[0]
	}
	return mergeEq(out, true)
}

// or builds a disjunction, folding constants.
func or(xs ...cond) cond {
	var out condOr
	for _, x := range xs {
		switch x := x.(type) {
		case condConst:
			if x {
				return condTrue
			}
		case condOr:
			out = append(out, x...)
		default:
			out = append(out, x)
		}
	}
	switch len(out) {
	case 0:
		return condFalse
	case 1:
		return out[0]
	}
	return mergeEq(out, false)
}

// mergeEq joins equality tests on the same expression: in a disjunction
// the positive ones (`f in [a, b]`), in a conjunction the negative ones
// (`f not in [a, b]`).
func mergeEq[T condAnd | condOr](xs T, conj bool) cond {
	var out T
	index := map[string]int{}
	for _, x := range xs {
		a, ok := x.(*atom)
		if !ok || a.eq == nil || a.eq.negated != conj {
			out = append(out, x)
			continue
		}
		key := a.eq.left + "\x00" + a.eq.guard
		if i, seen := index[key]; seen {
			prev := out[i].(*atom)
			merged := *prev.eq
			merged.lits = appendNew(append([]string(nil), merged.lits...), a.eq.lits...)
			out[i] = &atom{eq: &merged}
			continue
		}
		index[key] = len(out)
		out = append(out, x)
	}
	if len(out) == 1 {
		return out[0]
	}
	if conj {
		return condAnd(out)
	}
	return condOr(out)
}

func appendNew(list []string, xs ...string) []string {
	for _, x := range xs {
		found := false
		for _, y := range list {
			if y == x {
				found = true
				break
			}
		}
		if !found {
			list = append(list, x)
		}
	}
	return list
}

// not negates a condition by De Morgan down to the atoms.
func not(c cond) cond {
	switch c := c.(type) {
	case condConst:
		return !c
	case condAnd:
		var xs []cond
		for _, x := range c {
			xs = append(xs, not(x))
		}
		return or(xs...)
	case condOr:
		var xs []cond
		for _, x := range c {
			xs = append(xs, not(x))
		}
		return and(xs...)
	case *atom:
		return c.negate()
	}
	panic("cloudwatch: unknown condition")
}

// render writes a condition; constants become `1 = 1` and `1 = 0`.
// The conjuncts of a top-level and go on lines of their own, so that a
// reader (and a diff) sees one condition per line.
func render(c cond) string {
	var b strings.Builder
	if conj, ok := c.(condAnd); ok {
		for i, x := range conj {
			if i > 0 {
				b.WriteString("\n  and ")
			}
			writeCond(&b, x, true)
		}
		return b.String()
	}
	writeCond(&b, c, false)
	return b.String()
}

func writeCond(b *strings.Builder, c cond, nested bool) {
	switch c := c.(type) {
	case condConst:
		if c {
			b.WriteString("1 = 1")
		} else {
			b.WriteString("1 = 0")
		}
	case *atom:
		b.WriteString(c.render(false))
	case condAnd:
		for i, x := range c {
			if i > 0 {
				b.WriteString(" and ")
			}
			writeCond(b, x, true)
		}
	case condOr:
		if nested {
			b.WriteByte('(')
		}
		for i, x := range c {
			if i > 0 {
				b.WriteString(" or ")
			}
			writeCond(b, x, true)
		}
		if nested {
			b.WriteByte(')')
		}
	}
}
