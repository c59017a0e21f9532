package lint

import "github.com/detc/detc/ir"

// Fields the lint reads; their CloudTrail sources are eventSource and
// eventName.
const (
	providerField = "event.provider"
	actionField   = "event.action"
)

// call is one way a clause can be reached: the eventSource and eventName
// that must hold there. An empty string leaves that part open.
type call struct {
	provider, action string
}

// calls is the set of ways a clause can be reached: a document on which the
// clause decides the rule's outcome matches at least one of them.
// anything (one open call) means nothing is known; an empty set means the
// context contradicts itself (event.provider: a and event.provider: b).
type calls []call

// maxCalls caps the cross products of nested and/or; past it the lint
// forgets the constraint, which only makes it quieter.
const maxCalls = 512

func anything() calls { return calls{{}} }

// and is the conjunction of two sets: every pair that agrees.
func (a calls) and(b calls) calls {
	out := calls{}
	for _, x := range a {
		for _, y := range b {
			m, ok := x.merge(y)
			if !ok {
				continue
			}
			out = append(out, m)
			if len(out) > maxCalls {
				return anything()
			}
		}
	}
	return out
}

func (x call) merge(y call) (call, bool) {
	m := x
	if y.provider != "" {
		if m.provider != "" && m.provider != y.provider {
			return call{}, false
		}
		m.provider = y.provider
	}
	if y.action != "" {
		if m.action != "" && m.action != y.action {
			return call{}, false
		}
		m.action = y.action
	}
	return m, true
}

// implied is what must hold for e to be true, as far as event.provider and
// event.action go. It over-approximates: whatever it cannot see through
// (not, wildcards, nested) leaves the call open, so the lint stays quiet.
func implied(e ir.Expr) calls {
	switch e := e.(type) {
	case *ir.Term:
		if e.Field.Wildcard || e.Value.IsWildcard() {
			return anything()
		}
		switch e.Field.Name {
		case providerField:
			return calls{{provider: e.Value.Text}}
		case actionField:
			return calls{{action: e.Value.Text}}
		}
	case *ir.And:
		acc := anything()
		for _, x := range e.X {
			acc = acc.and(implied(x))
		}
		return acc
	case *ir.Or:
		var acc calls
		for _, x := range e.X {
			acc = append(acc, implied(x)...)
			if len(acc) > maxCalls {
				return anything()
			}
		}
		if acc == nil {
			return calls{}
		}
		return acc
	}
	return anything()
}

// clause is a leaf of the expression with what the lint needs to judge it.
type clause struct {
	expr ir.Expr
	// context is what the rest of the query forces on the documents where
	// this clause decides the outcome: the conjunction of the implied calls
	// of its siblings in every enclosing and.
	context calls
	// positive is set when the clause sits under an even number of nots, so
	// that it must itself be true for its branch to hold.
	positive bool
}

// clauses lists the leaves of e (terms, ranges, exists tests) with their
// context and polarity.
func clauses(e ir.Expr) []clause {
	var out []clause
	var walk func(e ir.Expr, ctx calls, positive bool)
	walk = func(e ir.Expr, ctx calls, positive bool) {
		switch e := e.(type) {
		case *ir.And:
			parts := make([]calls, len(e.X))
			for i, x := range e.X {
				parts[i] = implied(x)
			}
			for i, x := range e.X {
				c := ctx
				for j := range e.X {
					if j != i {
						c = c.and(parts[j])
					}
				}
				walk(x, c, positive)
			}
		case *ir.Or:
			for _, x := range e.X {
				walk(x, ctx, positive)
			}
		case *ir.Not:
			walk(e.X, ctx, !positive)
		case *ir.Nested:
			walk(e.X, ctx, positive)
		case *ir.Term, *ir.Range, *ir.Exists:
			out = append(out, clause{expr: e, context: ctx, positive: positive})
		}
	}
	walk(e, anything(), true)
	return out
}
