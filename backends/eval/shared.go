package eval

import (
	"strconv"
	"strings"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/jsondoc"
)

// Sub-expressions shared by several rules (event.outcome: success, a
// source.ip range list, user_identity.access_key_id: AKIA*) are evaluated
// once per record: Expect counts the sub-expressions of every rule a
// Lookups will serve, and the compiler memoizes, in the Lookups, the
// result of each one that occurs more than once. Like the key paths, a
// result is only answered from the memo for the document l was last reset
// to.
//
// Only sub-expressions whose meaning is a function of the record alone are
// shared: none under a nested query (they read an element), none that
// mentions a date field (date math depends on the run time, and a relaxed
// matcher replaces run-time literals by constants).

// memoSlot is one shared sub-expression's result in the current record,
// valid when gen is the Lookups' generation.
type memoSlot struct {
	gen uint32
	v   bool
}

// Expect counts the shareable sub-expressions of e, before the Programs
// that l serves are compiled. Sub-expressions seen more than once, across
// all the expressions expected, are then memoized.
func (l *Lookups) Expect(e ir.Expr) {
	if l.seen == nil {
		l.seen, l.keys = map[string]int{}, map[ir.Expr]string{}
	}
	ir.Walk(e, func(x ir.Expr) bool {
		if _, nested := x.(*ir.Nested); nested {
			return false
		}
		if k, ok := shareKey(x); ok {
			l.seen[k]++
			l.keys[x] = k
		}
		return true
	})
}

// shared returns the memo slot of e, if e is a sub-expression seen more
// than once by Expect.
func (l *Lookups) shared(e ir.Expr) (int32, bool) {
	k, ok := l.keys[e]
	if !ok || l.seen[k] < 2 {
		return 0, false
	}
	if id, ok := l.slots[k]; ok {
		return id, true
	}
	if l.slots == nil {
		l.slots = map[string]int32{}
	}
	id := int32(len(l.memo))
	l.memo = append(l.memo, memoSlot{})
	l.slots[k] = id
	return id, true
}

// memoize wraps p, the compiled form of a shared sub-expression, to
// answer from slot id for the current record.
func (l *Lookups) memoize(id int32, p predicate) predicate {
	return func(d *jsondoc.Value) bool {
		if d != l.doc {
			return p(d)
		}
		s := &l.memo[id]
		if s.gen != l.gen {
			s.v, s.gen = p(d), l.gen
		}
		return s.v
	}
}

// shareKey identifies a shareable expression by everything its compiled
// form depends on: its printed form (field names, types, values), and
// what the printed form leaves out (a field's Elasticsearch type, whether
// a value was quoted). ok is false for expressions that must not be
// shared (see above), and for and-ed conjunctions and other large
// expressions, which rules seldom share whole: only a term, range or
// exists, an or of those (a value list), and their negations are shared.
func shareKey(e ir.Expr) (string, bool) {
	if !shareable(e, true) {
		return "", false
	}
	var b strings.Builder
	b.WriteString(ir.String(e))
	ir.Walk(e, func(x ir.Expr) bool {
		var f ir.Field
		var v *ir.Value
		switch x := x.(type) {
		case *ir.Term:
			f, v = x.Field, &x.Value
		case *ir.Range:
			f, v = x.Field, &x.Value
		case *ir.Exists:
			f = x.Field
		default:
			return true
		}
		b.WriteString("\x00")
		b.WriteString(f.ESType)
		if f.Wildcard {
			b.WriteString("\x00*")
		}
		if v != nil {
			b.WriteString("\x00")
			b.WriteString(strconv.FormatBool(v.Quoted))
		}
		return true
	})
	return b.String(), true
}

// shareable reports whether e is a term, range or exists on a field that
// is not a date, or (when top) an or or not of such.
func shareable(e ir.Expr, top bool) bool {
	switch e := e.(type) {
	case *ir.Term:
		return e.Field.Type != ir.Date
	case *ir.Range:
		return e.Field.Type != ir.Date
	case *ir.Exists:
		return e.Field.Type != ir.Date
	case *ir.Not:
		return top && shareable(e.X, true)
	case *ir.Or:
		if !top {
			return false
		}
		for _, x := range e.X {
			if !shareable(x, false) {
				return false
			}
		}
		return true
	}
	return false
}
