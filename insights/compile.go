package insights

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// row is what a command sees: a log event with its discovered fields, plus
// the columns computed by earlier `fields` and `stats` commands. After
// `stats`, rows have no event.
type row struct {
	rec  *record
	cols map[string]value
	now  int64 // now(): epoch seconds
}

// get resolves a field name: computed columns first, then the system
// fields, then the event's discovered fields, then a path into a
// jsonParse result (`e.resources.0.ARN` when e holds a map).
func (r *row) get(name string) value {
	if v, ok := r.cols[name]; ok {
		return v
	}
	if r.rec != nil {
		switch name {
		case "@timestamp":
			return value{k: kTime, t: r.rec.ts}
		case "@message":
			return strVal(string(r.rec.msg))
		}
		if v, ok := r.rec.fields[name]; ok {
			return v
		}
	}
	for i := strings.LastIndexByte(name, '.'); i > 0; i = strings.LastIndexByte(name[:i], '.') {
		base, ok := r.cols[name[:i]]
		if !ok || (base.k != kObject && base.k != kList) {
			continue
		}
		v := base
		for _, key := range strings.Split(name[i+1:], ".") {
			v = v.child(key)
		}
		return v
	}
	return null
}

// evalFn is a compiled expression.
type evalFn func(r *row) value

// compileError is a semantic error at a query position.
func compileError(p lexer.Position, format string, args ...any) error {
	return &SyntaxError{Line: p.Line, Col: p.Column, Msg: fmt.Sprintf(format, args...)}
}

func compileOr(x *orAST) (evalFn, error) {
	if len(x.X) == 1 {
		return compileAnd(x.X[0])
	}
	var fs []evalFn
	for _, a := range x.X {
		f, err := compileAnd(a)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return func(r *row) value {
		for _, f := range fs {
			if f(r).truth() {
				return boolVal(true)
			}
		}
		return boolVal(false)
	}, nil
}

func compileAnd(x *andAST) (evalFn, error) {
	if len(x.X) == 1 {
		return compileNot(x.X[0])
	}
	var fs []evalFn
	for _, a := range x.X {
		f, err := compileNot(a)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return func(r *row) value {
		for _, f := range fs {
			if !f(r).truth() {
				return boolVal(false)
			}
		}
		return boolVal(true)
	}, nil
}

func compileNot(x *notAST) (evalFn, error) {
	if x.Not != nil {
		f, err := compileNot(x.Not)
		if err != nil {
			return nil, err
		}
		return func(r *row) value { return boolVal(!f(r).truth()) }, nil
	}
	return compileComparison(x.Cmp)
}

func compileComparison(c *comparisonAST) (evalFn, error) {
	left, err := compileArith(c.Left)
	if err != nil {
		return nil, err
	}
	op := strings.ToLower(c.Op)
	if op == "" {
		return left, nil
	}
	if c.Not && op != "like" && op != "in" {
		return nil, compileError(c.Pos, "`not` before %q: only `not like` and `not in` exist", c.Op)
	}
	switch op {
	case "like", "=~":
		lit := literalOf(c.Right)
		if lit == nil || (lit.Regex == nil && lit.String == nil) {
			return nil, compileError(c.Pos, "%s needs a quoted string or a /regex/ literal", c.Op)
		}
		var match func(string) bool
		switch {
		case lit.Regex != nil:
			re, err := regexp.Compile(*lit.Regex)
			if err != nil {
				return nil, compileError(lit.Pos, "bad regex /%s/: %v", *lit.Regex, err)
			}
			match = re.MatchString
		case op == "=~":
			return nil, compileError(c.Pos, "=~ needs a /regex/ literal")
		default:
			sub := *lit.String
			match = func(s string) bool { return strings.Contains(s, sub) }
		}
		negate := c.Not
		return func(r *row) value {
			s, ok := left(r).text()
			if !ok {
				return boolVal(false)
			}
			return boolVal(match(s) != negate)
		}, nil
	case "in":
		lit := literalOf(c.Right)
		if lit == nil || lit.List == nil {
			return nil, compileError(c.Pos, "in needs a list such as [\"a\", \"b\"]")
		}
		var elems []evalFn
		for _, e := range lit.List.X {
			f, err := compileArith(e)
			if err != nil {
				return nil, err
			}
			elems = append(elems, f)
		}
		negate := c.Not
		return func(r *row) value {
			v := left(r)
			if !comparable(v) {
				return boolVal(false)
			}
			for _, e := range elems {
				if eq, ok := equal(v, e(r)); ok && eq {
					return boolVal(!negate)
				}
			}
			return boolVal(negate)
		}, nil
	}
	right, err := compileArith(c.Right)
	if err != nil {
		return nil, err
	}
	switch op {
	case "=":
		return func(r *row) value {
			eq, ok := equal(left(r), right(r))
			return boolVal(ok && eq)
		}, nil
	case "!=":
		return func(r *row) value {
			eq, ok := equal(left(r), right(r))
			return boolVal(ok && !eq)
		}, nil
	}
	test := map[string]func(int) bool{
		"<":  func(c int) bool { return c < 0 },
		"<=": func(c int) bool { return c <= 0 },
		">":  func(c int) bool { return c > 0 },
		">=": func(c int) bool { return c >= 0 },
	}[op]
	return func(r *row) value {
		c, ok := order(left(r), right(r))
		return boolVal(ok && test(c))
	}, nil
}

// literalOf returns the primary of an arithmetic expression that is a
// single primary, else nil.
func literalOf(a *arithAST) *primaryAST {
	if a == nil || len(a.Ops) > 0 || len(a.Left.Ops) > 0 {
		return nil
	}
	u := a.Left.Left
	if u.Neg || u.Pow != nil {
		return nil
	}
	return u.X
}

func compileArith(a *arithAST) (evalFn, error) {
	f, err := compileTerm(a.Left)
	if err != nil {
		return nil, err
	}
	for _, op := range a.Ops {
		g, err := compileTerm(op.Right)
		if err != nil {
			return nil, err
		}
		f = arith(f, g, op.Op)
	}
	return f, nil
}

func compileTerm(t *termAST) (evalFn, error) {
	f, err := compileUnary(t.Left)
	if err != nil {
		return nil, err
	}
	for _, op := range t.Ops {
		g, err := compileUnary(op.Right)
		if err != nil {
			return nil, err
		}
		f = arith(f, g, op.Op)
	}
	return f, nil
}

func compileUnary(u *unaryAST) (evalFn, error) {
	f, err := compilePrimary(u.X)
	if err != nil {
		return nil, err
	}
	if u.Pow != nil {
		g, err := compileUnary(u.Pow)
		if err != nil {
			return nil, err
		}
		f = arith(f, g, "^")
	}
	if u.Neg {
		inner := f
		f = func(r *row) value {
			n, ok := inner(r).number()
			if !ok {
				return null
			}
			return numVal(-n)
		}
	}
	return f, nil
}

// arith combines two numeric operands; a non-numeric operand gives null.
func arith(f, g evalFn, op string) evalFn {
	return func(r *row) value {
		x, ok1 := f(r).number()
		y, ok2 := g(r).number()
		if !ok1 || !ok2 {
			return null
		}
		switch op {
		case "+":
			return numVal(x + y)
		case "-":
			return numVal(x - y)
		case "*":
			return numVal(x * y)
		case "/":
			if y == 0 {
				return null
			}
			return numVal(x / y)
		case "%":
			if y == 0 {
				return null
			}
			return numVal(math.Mod(x, y))
		case "^":
			return numVal(math.Pow(x, y))
		}
		return null
	}
}

func compilePrimary(p *primaryAST) (evalFn, error) {
	switch {
	case p.Call != nil:
		return compileCall(p)
	case p.Field != nil:
		name := *p.Field
		return func(r *row) value { return r.get(name) }, nil
	case p.Number != nil:
		n, err := strconv.ParseFloat(*p.Number, 64)
		if err != nil {
			return nil, compileError(p.Pos, "bad number %s", *p.Number)
		}
		v := value{k: kNumber, n: n, s: *p.Number}
		return func(*row) value { return v }, nil
	case p.String != nil:
		v := strVal(*p.String)
		return func(*row) value { return v }, nil
	case p.Regex != nil:
		return nil, compileError(p.Pos, "a /regex/ literal is only allowed after like or =~")
	case p.List != nil:
		return nil, compileError(p.Pos, "a [list] is only allowed after in")
	case p.Sub != nil:
		return compileOr(p.Sub)
	}
	return nil, compileError(p.Pos, "empty expression")
}

// bareField returns the field name when an expression is just a field.
func bareField(x *orAST) (string, bool) {
	p := primaryOf(x)
	if p == nil || p.Field == nil {
		return "", false
	}
	return *p.Field, true
}

// primaryOf returns the primary when x is a single primary.
func primaryOf(x *orAST) *primaryAST {
	if len(x.X) != 1 || len(x.X[0].X) != 1 {
		return nil
	}
	n := x.X[0].X[0]
	if n.Not != nil || n.Cmp.Op != "" {
		return nil
	}
	return literalOf(n.Cmp.Left)
}
