package eval

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/detc/detc/catalog"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/jsondoc"
)

// resolver turns field names into accessors for one document form.
type resolver interface {
	// field returns the accessor of a field name (a full dotted name),
	// its estimated cost, and whether it is a constant of the source
	// (the accessor then ignores its document).
	field(name string) (acc accessor, cost int, konst bool, err error)
	// pattern returns the accessors of every field a wildcard field name
	// such as file.hash.* names.
	pattern(name string) (accessor, error)
	// nested returns the accessor of a nested path (yielding its array
	// elements one by one) and the resolver of field names inside it.
	nested(path string) (accessor, resolver, error)
	// freeText returns an accessor over every leaf of the document.
	freeText() (accessor, error)
	// dropEmpty reports whether empty strings count as missing values.
	dropEmpty() bool
}

func resolverFor(c config) resolver {
	if c.form == RawCloudTrail {
		return rawResolver{lk: c.lookups}
	}
	return ecsResolver{prefix: ""}
}

// ecsResolver resolves dotted names in an ECS document, or in one element
// of a nested array when prefix is the nested path plus a dot.
type ecsResolver struct{ prefix string }

func (r ecsResolver) rel(name string) (string, error) {
	if !strings.HasPrefix(name, r.prefix) || len(name) == len(r.prefix) {
		return "", fmt.Errorf("field %s is not inside the nested path %s", name, strings.TrimSuffix(r.prefix, "."))
	}
	return name[len(r.prefix):], nil
}

func (r ecsResolver) field(name string) (accessor, int, bool, error) {
	rel, err := r.rel(name)
	if err != nil {
		return nil, 0, false, err
	}
	p := newECSPath(rel)
	return p.access, 2 * len(p.segs), false, nil
}

func (r ecsResolver) pattern(name string) (accessor, error) {
	rel, err := r.rel(name)
	if err != nil {
		return nil, err
	}
	w := newWildcard(strings.Split(rel, "*"))
	return func(doc *jsondoc.Value, visit visitor) bool {
		var buf [128]byte
		return visitNamedLeaves(doc, buf[:0], false, func(n []byte, v *jsondoc.Value) bool {
			return w.match(n) && visit(v)
		})
	}, nil
}

func (r ecsResolver) nested(path string) (accessor, resolver, error) {
	acc, _, _, err := r.field(path)
	if err != nil {
		return nil, nil, err
	}
	return acc, ecsResolver{prefix: path + "."}, nil
}

func (r ecsResolver) freeText() (accessor, error) {
	return func(doc *jsondoc.Value, visit visitor) bool {
		return visitLeaves(doc, false, visit)
	}, nil
}

func (ecsResolver) dropEmpty() bool { return false }

// compiler turns an ir.Expr into predicates.
type compiler struct {
	cfg           config
	res           resolver
	timeDependent bool
	// relax compiles an upper bound of the expression: every literal
	// whose meaning depends on the run time (a date compared with now)
	// is taken as true. negated tracks the polarity of the node being
	// compiled, so that `not (d < now-1h)` is relaxed to true as well.
	relax   bool
	negated bool
}

// node is a compiled expression with what the planner knows of it: a
// constant result (on raw records, terms on constant fields such as
// event.dataset are decided at compile time) and an estimated cost, used
// to test cheap operands of and/or first.
type node struct {
	p     predicate
	konst int8 // 0: depends on the document; 1: always true; -1: always false
	cost  int
}

var (
	alwaysTrue  = node{p: func(*jsondoc.Value) bool { return true }, konst: 1}
	alwaysFalse = node{p: func(*jsondoc.Value) bool { return false }, konst: -1}
)

func (c *compiler) compile(e ir.Expr) (predicate, error) {
	n, err := c.node(e)
	if err != nil {
		return nil, err
	}
	return n.p, nil
}

// node compiles e; a sub-expression shared with other rules (see
// Lookups.Expect) answers from the record's memo after its first
// evaluation.
func (c *compiler) node(e ir.Expr) (node, error) {
	n, err := c.nodeOf(e)
	if err != nil || n.konst != 0 || c.cfg.lookups == nil || c.cfg.plain {
		return n, err
	}
	if raw, ok := c.res.(rawResolver); !ok || raw.inside != nil {
		return n, nil
	}
	if id, ok := c.cfg.lookups.shared(e); ok {
		n.p = c.cfg.lookups.memoize(id, n.p)
	}
	return n, nil
}

func (c *compiler) nodeOf(e ir.Expr) (node, error) {
	switch e := e.(type) {
	case *ir.MatchAll:
		return alwaysTrue, nil
	case *ir.And:
		return c.junction(e.X, true)
	case *ir.Or:
		return c.junction(e.X, false)
	case *ir.Not:
		c.negated = !c.negated
		x, err := c.node(e.X)
		c.negated = !c.negated
		if err != nil {
			return node{}, err
		}
		switch x.konst {
		case 1:
			return alwaysFalse, nil
		case -1:
			return alwaysTrue, nil
		}
		return node{p: func(d *jsondoc.Value) bool { return !x.p(d) }, cost: x.cost}, nil
	case *ir.Term:
		leaf, err := c.termLeaf(e.Field, e.Value)
		if err != nil {
			return node{}, at(e, err)
		}
		if c.relax && isRunTimeLiteral(e.Field, e.Value) {
			return c.relaxed(), nil
		}
		n, err := c.fieldNode(e, e.Field, c.onValues(e.Field, leaf), 1+boolToInt(e.Value.IsWildcard()))
		if err == nil && n.konst == 0 && !c.cfg.plain {
			n.p = c.fuseKeywordTerm(e, n.p)
		}
		return n, err
	case *ir.Range:
		leaf, err := c.rangeLeaf(e.Field, e.Op, e.Value)
		if err != nil {
			return node{}, at(e, err)
		}
		if c.relax && isRunTimeLiteral(e.Field, e.Value) {
			return c.relaxed(), nil
		}
		return c.fieldNode(e, e.Field, c.onValues(e.Field, leaf), 2)
	case *ir.Exists:
		drop := c.res.dropEmpty()
		// Under a flattened field Elasticsearch indexes each leaf with its
		// full key, and exists on a key matches only values stored at that
		// key: an object there (whose leaves have longer keys) does not
		// count. Elsewhere an object exists when one of its leaves does.
		_, keyed := catalog.FlattenedRoot(e.Field.Name)
		visit := func(v *jsondoc.Value) bool {
			if v.Type() == jsondoc.TypeObject {
				return !keyed && visitLeaves(v, drop, func(*jsondoc.Value) bool { return true })
			}
			return true
		}
		return c.fieldNode(e, e.Field, visit, 0)
	case *ir.Nested:
		acc, inner, err := c.res.nested(e.Path)
		if err != nil {
			return node{}, at(e, err)
		}
		sub := compiler{cfg: c.cfg, res: inner, relax: c.relax, negated: c.negated}
		x, err := sub.node(e.X)
		if err != nil {
			return node{}, err
		}
		c.timeDependent = c.timeDependent || sub.timeDependent
		visit := func(v *jsondoc.Value) bool { return v.Type() == jsondoc.TypeObject && x.p(v) }
		return node{p: func(d *jsondoc.Value) bool { return acc(d, visit) }, cost: 8 + x.cost}, nil
	case *ir.FreeText:
		acc, err := c.res.freeText()
		if err != nil {
			return node{}, at(e, err)
		}
		leaf := freeTextLeaf(e.Value)
		return node{p: func(d *jsondoc.Value) bool { return acc(d, leaf) }, cost: 50}, nil
	case nil:
		return node{}, fmt.Errorf("eval: nil expression")
	}
	return node{}, fmt.Errorf("eval: unsupported expression %T", e)
}

// isRunTimeLiteral reports whether a term or range compares a date field
// with date math relative to now, whose meaning changes with the run time.
func isRunTimeLiteral(f ir.Field, v ir.Value) bool {
	return f.Type == ir.Date && strings.HasPrefix(v.Text, "now")
}

// relaxed is the constant that makes a run-time literal true where it
// stands: true, or false under a not.
func (c *compiler) relaxed() node {
	if c.negated {
		return alwaysFalse
	}
	return alwaysTrue
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fieldNode compiles a test of one field's values. On a constant field
// the test is decided now.
func (c *compiler) fieldNode(e ir.Expr, f ir.Field, visit visitor, leafCost int) (node, error) {
	acc, cost, konst, err := c.accessor(f)
	if err != nil {
		return node{}, at(e, err)
	}
	if konst {
		if acc(nil, visit) {
			return alwaysTrue, nil
		}
		return alwaysFalse, nil
	}
	return node{p: func(d *jsondoc.Value) bool { return acc(d, visit) }, cost: cost + leafCost}, nil
}

// fuseKeywordTerm specialises the commonest test of a scan, a keyword
// term on a plain path of a raw record (event.action: X, errorCode: *Denied*),
// into one closure that walks the path and compares the string, falling
// back to the general predicate for anything else (arrays, numbers).
func (c *compiler) fuseKeywordTerm(e *ir.Term, general predicate) predicate {
	raw, ok := c.res.(rawResolver)
	if !ok || raw.inside != nil || e.Field.Wildcard || (e.Field.Type != ir.Keyword && e.Field.Type != ir.Unknown) {
		return general
	}
	segs, ok := simpleRawPath(e.Field.Name)
	if !ok {
		return general
	}
	return fusedPath(segs, keywordTest(e.Value), general, c.cfg.lookups)
}

// keywordTest compares a keyword's string with a term's value.
func keywordTest(v ir.Value) func([]byte) bool {
	if v.IsWildcard() {
		return newWildcard(v.Wildcard).match
	}
	want := v.Text
	return func(b []byte) bool { return b2s(b) == want }
}

// fusedPath walks a plain raw path and tests the non-empty string found
// there; anything but an object on the way or a string at the end goes to
// general, and a missing key is false.
// With lk, the path is read through it (see Lookups).
func fusedPath(segs []string, test func([]byte) bool, general predicate, lk *Lookups) predicate {
	var ids []int32
	if lk != nil {
		ids = lk.path(segs)
	}
	return func(d *jsondoc.Value) bool {
		v := d
		if lk != nil && d == lk.doc {
			var i int
			if v, i = lk.walk(ids); v == nil {
				return false
			}
			if i < len(segs) {
				return general(d)
			}
		} else {
			for _, s := range segs {
				if v.Type() != jsondoc.TypeObject {
					return general(d)
				}
				if v = v.GetObject().Get(s); v == nil {
					return false
				}
			}
		}
		if v.Type() != jsondoc.TypeString {
			return general(d)
		}
		b := v.GetStringBytes()
		return len(b) > 0 && test(b)
	}
}

// fuseAlternatives replaces the operands of an or that are terms on the
// same field (event.provider: (a or b or c)) by one test that reads the
// field once and tries every value on each value read: some value
// matches some term exactly when some term matches some value. Keyword
// terms on a plain raw path also get fuseKeywordTerm's direct walk. ns
// holds the compiled operands of es; the result holds the same
// alternatives, grouped.
func (c *compiler) fuseAlternatives(es []ir.Expr, ns []node) ([]node, error) {
	if len(es) < 2 {
		return ns, nil
	}
	type fieldKey struct {
		name string
		typ  ir.Type
	}
	var order []fieldKey
	groups := map[fieldKey][]int{}
	for i, x := range es {
		t, ok := x.(*ir.Term)
		if !ok || ns[i].konst != 0 || t.Field.Wildcard || (c.relax && isRunTimeLiteral(t.Field, t.Value)) {
			continue
		}
		key := fieldKey{t.Field.Name, t.Field.Type}
		if groups[key] == nil {
			order = append(order, key)
		}
		groups[key] = append(groups[key], i)
	}
	fused := make([]bool, len(ns))
	var out []node
	for _, key := range order {
		members := groups[key]
		if len(members) < 2 {
			continue
		}
		first := es[members[0]].(*ir.Term)
		var leaves []visitor
		cost := 0
		for _, i := range members {
			t := es[i].(*ir.Term)
			leaf, err := c.termLeaf(t.Field, t.Value)
			if err != nil {
				return nil, at(t, err)
			}
			leaves = append(leaves, leaf)
			fused[i] = true
			if cost == 0 || ns[i].cost < cost {
				cost = ns[i].cost
			}
		}
		anyLeaf := func(v *jsondoc.Value) bool {
			for _, l := range leaves {
				if l(v) {
					return true
				}
			}
			return false
		}
		n, err := c.fieldNode(first, first.Field, c.onValues(first.Field, anyLeaf), 0)
		if err != nil {
			return nil, err
		}
		n.cost = cost + len(members)/4
		if n.konst == 0 {
			n.p = c.fuseKeywordTerms(members, es, n.p)
		}
		out = append(out, n)
	}
	if out == nil {
		return ns, nil
	}
	for i, n := range ns {
		if !fused[i] {
			out = append(out, n)
		}
	}
	return out, nil
}

// fuseKeywordTerms is fuseKeywordTerm for an or of keyword terms on one
// field (the members of es).
func (c *compiler) fuseKeywordTerms(members []int, es []ir.Expr, general predicate) predicate {
	first := es[members[0]].(*ir.Term)
	raw, ok := c.res.(rawResolver)
	if !ok || raw.inside != nil || first.Field.Wildcard || (first.Field.Type != ir.Keyword && first.Field.Type != ir.Unknown) {
		return general
	}
	segs, ok := simpleRawPath(first.Field.Name)
	if !ok {
		return general
	}
	var exact []string
	var patterns []func([]byte) bool
	for _, i := range members {
		v := es[i].(*ir.Term).Value
		if v.IsWildcard() {
			patterns = append(patterns, newWildcard(v.Wildcard).match)
		} else {
			exact = append(exact, v.Text)
		}
	}
	return fusedPath(segs, anyOf(exact, patterns), general, c.cfg.lookups)
}

// anyOf tests a string against exact values and wildcard patterns.
func anyOf(exact []string, patterns []func([]byte) bool) func([]byte) bool {
	inExact := func(s string) bool { return slices.Contains(exact, s) }
	if len(exact) > 8 {
		set := make(map[string]struct{}, len(exact))
		for _, v := range exact {
			set[v] = struct{}{}
		}
		inExact = func(s string) bool { _, ok := set[s]; return ok }
	}
	return func(b []byte) bool {
		if inExact(b2s(b)) {
			return true
		}
		for _, p := range patterns {
			if p(b) {
				return true
			}
		}
		return false
	}
}

// junction compiles and (all) or or (!all): constant operands are folded
// and the others are tested cheapest first (and and or have no side
// effects, so the order does not change the result).
func (c *compiler) junction(es []ir.Expr, all bool) (node, error) {
	// Compile every operand before folding, so that an error in an
	// operand after a decisive constant is still reported.
	ns := make([]node, len(es))
	for i, x := range es {
		n, err := c.node(x)
		if err != nil {
			return node{}, err
		}
		ns[i] = n
	}
	if !all && !c.cfg.plain {
		var err error
		if ns, err = c.fuseAlternatives(es, ns); err != nil {
			return node{}, err
		}
	}
	var xs []node
	cost := 0
	for _, n := range ns {
		switch {
		case n.konst == 1 && all, n.konst == -1 && !all:
			continue // neutral operand
		case n.konst == -1 && all:
			return alwaysFalse, nil
		case n.konst == 1 && !all:
			return alwaysTrue, nil
		}
		xs = append(xs, n)
		cost += n.cost
	}
	switch len(xs) {
	case 0:
		if all {
			return alwaysTrue, nil
		}
		return alwaysFalse, nil
	case 1:
		return xs[0], nil
	}
	slices.SortStableFunc(xs, func(a, b node) int { return a.cost - b.cost })
	ps := make([]predicate, len(xs))
	for i, x := range xs {
		ps[i] = x.p
	}
	if len(ps) == 2 {
		a, b := ps[0], ps[1]
		if all {
			return node{p: func(d *jsondoc.Value) bool { return a(d) && b(d) }, cost: cost}, nil
		}
		return node{p: func(d *jsondoc.Value) bool { return a(d) || b(d) }, cost: cost}, nil
	}
	if all {
		return node{p: func(d *jsondoc.Value) bool {
			for _, x := range ps {
				if !x(d) {
					return false
				}
			}
			return true
		}, cost: cost}, nil
	}
	return node{p: func(d *jsondoc.Value) bool {
		for _, x := range ps {
			if x(d) {
				return true
			}
		}
		return false
	}, cost: cost}, nil
}

// at prefixes an error with the expression's position.
func at(e ir.Expr, err error) error {
	if p := e.Position(); p.IsValid() {
		return fmt.Errorf("%s: %w", p, err)
	}
	return err
}

// accessor resolves a field reference, with its estimated cost and
// whether it is a constant of the source (which ignores the document).
func (c *compiler) accessor(f ir.Field) (acc accessor, cost int, konst bool, err error) {
	if f.Wildcard {
		acc, err = c.res.pattern(f.Name)
		return acc, 10, false, err
	}
	return c.res.field(f.Name)
}

// onValues adapts a scalar test to the values an accessor yields: objects
// are skipped, except at the root of a flattened field, where every leaf
// is a value (as Elasticsearch indexes a flattened field).
func (c *compiler) onValues(f ir.Field, leaf visitor) visitor {
	drop := c.res.dropEmpty()
	if isFlattenedRoot(f) {
		return func(v *jsondoc.Value) bool {
			if v.Type() == jsondoc.TypeObject {
				return visitLeaves(v, drop, leaf)
			}
			return leaf(v)
		}
	}
	return func(v *jsondoc.Value) bool {
		t := v.Type()
		return t != jsondoc.TypeObject && t != jsondoc.TypeArray && leaf(v)
	}
}

func isFlattenedRoot(f ir.Field) bool {
	if f.ESType != "flattened" || f.Wildcard {
		return false
	}
	cf, ok := catalog.Lookup(f.Name)
	if !ok {
		return false
	}
	_, under := catalog.FlattenedRoot(f.Name)
	return cf.ESType == "flattened" && !under
}

// termLeaf compiles `field: value` for one scalar, by the field's type.
func (c *compiler) termLeaf(f ir.Field, v ir.Value) (visitor, error) {
	if v.IsWildcard() {
		if f.Type == ir.Text {
			return textWildcardLeaf(v.Wildcard), nil
		}
		return keywordWildcardLeaf(v.Wildcard), nil
	}
	switch f.Type {
	case ir.Text:
		return textLeaf(v), nil
	case ir.IP:
		prefix := v.Prefix
		if !prefix.IsValid() {
			p, err := parsePrefix(v.Text)
			if err != nil {
				return nil, fmt.Errorf("%s is an ip field and %q is neither an IP address nor a CIDR range", f.Name, v.Text)
			}
			prefix = p
		}
		prefix = prefix.Masked()
		return func(d *jsondoc.Value) bool {
			a, ok := ipOf(d)
			return ok && prefix.Contains(a)
		}, nil
	case ir.Boolean:
		want, err := strconv.ParseBool(v.Text)
		if err != nil || (v.Text != "true" && v.Text != "false") {
			return nil, fmt.Errorf("%s is a boolean field and %q is neither true nor false", f.Name, v.Text)
		}
		return func(d *jsondoc.Value) bool {
			b, ok := boolOf(d)
			return ok && b == want
		}, nil
	case ir.Number:
		want, err := strconv.ParseFloat(v.Text, 64)
		if err != nil {
			return nil, fmt.Errorf("%s is a numeric field and %q is not a number", f.Name, v.Text)
		}
		return func(d *jsondoc.Value) bool {
			n, ok := numberOf(d)
			return ok && n == want
		}, nil
	case ir.Date:
		lo, hi, err := c.dateSpan(v.Text)
		if err != nil {
			return nil, fmt.Errorf("%s is a date field: %w", f.Name, err)
		}
		return func(d *jsondoc.Value) bool {
			t, ok := timeOf(d)
			return ok && !t.Before(lo) && !t.After(hi)
		}, nil
	}
	want := v.Text
	return func(d *jsondoc.Value) bool {
		s, ok := canonicalText(d)
		return ok && b2s(s) == want
	}, nil
}

// dateSpan resolves a date term: an instant, or a whole day for a bare
// date (Elasticsearch matches a date term as the range it rounds to).
func (c *compiler) dateSpan(text string) (time.Time, time.Time, error) {
	if strings.HasPrefix(text, "now") {
		c.timeDependent = true
	}
	t, err := ir.DateMath(text, c.cfg.now)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if len(text) == len("2006-01-02") {
		return t, t.AddDate(0, 0, 1).Add(-time.Millisecond), nil
	}
	return t, t, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func keywordWildcardLeaf(pieces []string) visitor {
	w := newWildcard(pieces)
	return func(d *jsondoc.Value) bool {
		s, ok := canonicalText(d)
		return ok && w.match(s)
	}
}

// textLeaf matches an analysed text field: an unquoted value is a match
// query (any of its tokens), a quoted value a phrase (all tokens, in order,
// adjacent).
func textLeaf(v ir.Value) visitor {
	want := analyze(v.Text)
	if len(want) == 0 {
		return func(*jsondoc.Value) bool { return false }
	}
	if !v.Quoted || len(want) == 1 {
		set := map[string]bool{}
		for _, t := range want {
			set[t] = true
		}
		return func(d *jsondoc.Value) bool {
			if d.Type() != jsondoc.TypeString {
				s, ok := canonicalText(d)
				return ok && set[string(s)]
			}
			var buf [64]byte
			return tokens(b2s(d.GetStringBytes()), buf[:0], func(t []byte) bool { return set[string(t)] })
		}
	}
	return func(d *jsondoc.Value) bool {
		if d.Type() != jsondoc.TypeString {
			return false
		}
		got := analyze(b2s(d.GetStringBytes()))
		for i := 0; i+len(want) <= len(got); i++ {
			ok := true
			for j, t := range want {
				if got[i+j] != t {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
		return false
	}
}

// textWildcardLeaf matches a wildcard against each token of an analysed
// field; the pattern is lower-cased as Elasticsearch normalises it.
func textWildcardLeaf(pieces []string) visitor {
	lower := make([]string, len(pieces))
	for i, p := range pieces {
		lower[i] = strings.ToLower(p)
	}
	w := newWildcard(lower)
	return func(d *jsondoc.Value) bool {
		if d.Type() != jsondoc.TypeString {
			return false
		}
		var buf [64]byte
		return tokens(b2s(d.GetStringBytes()), buf[:0], w.match)
	}
}

// freeTextLeaf matches a field-less value against every leaf of the
// document, each compared as a keyword (see the package documentation of
// free text in doc.go).
func freeTextLeaf(v ir.Value) visitor {
	if v.IsWildcard() {
		return keywordWildcardLeaf(v.Wildcard)
	}
	want := v.Text
	return func(d *jsondoc.Value) bool {
		s, ok := canonicalText(d)
		return ok && b2s(s) == want
	}
}

// rangeLeaf compiles `field op value` by the field's type: numbers
// numerically, dates as instants (date math relative to the run time),
// IPs by address, booleans false < true, anything else lexicographically.
func (c *compiler) rangeLeaf(f ir.Field, op ir.Op, v ir.Value) (visitor, error) {
	cmpOK := func(c int) bool {
		switch op {
		case ir.Lt:
			return c < 0
		case ir.Lte:
			return c <= 0
		case ir.Gt:
			return c > 0
		case ir.Gte:
			return c >= 0
		}
		return false
	}
	switch f.Type {
	case ir.Number:
		want, err := strconv.ParseFloat(v.Text, 64)
		if err != nil || math.IsNaN(want) {
			return nil, fmt.Errorf("%s is a numeric field and %q is not a number", f.Name, v.Text)
		}
		return func(d *jsondoc.Value) bool {
			n, ok := numberOf(d)
			return ok && cmpOK(cmpFloat(n, want))
		}, nil
	case ir.Date:
		if strings.HasPrefix(v.Text, "now") {
			c.timeDependent = true
		}
		want, err := ir.DateMath(v.Text, c.cfg.now)
		if err != nil {
			return nil, fmt.Errorf("%s is a date field: %w", f.Name, err)
		}
		return func(d *jsondoc.Value) bool {
			t, ok := timeOf(d)
			return ok && cmpOK(t.Compare(want))
		}, nil
	case ir.IP:
		want, err := netip.ParseAddr(v.Text)
		if err != nil {
			return nil, fmt.Errorf("%s is an ip field and %q is not an IP address", f.Name, v.Text)
		}
		want = want.Unmap()
		return func(d *jsondoc.Value) bool {
			a, ok := ipOf(d)
			return ok && a.Is4() == want.Is4() && cmpOK(a.Compare(want))
		}, nil
	case ir.Boolean:
		want, err := strconv.ParseBool(v.Text)
		if err != nil {
			return nil, fmt.Errorf("%s is a boolean field and %q is neither true nor false", f.Name, v.Text)
		}
		return func(d *jsondoc.Value) bool {
			b, ok := boolOf(d)
			return ok && cmpOK(cmpBool(b, want))
		}, nil
	}
	want := v.Text
	return func(d *jsondoc.Value) bool {
		s, ok := canonicalText(d)
		return ok && cmpOK(strings.Compare(b2s(s), want))
	}, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
