package eval

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/detc/detc/catalog"
	"github.com/detc/detc/ir"
	"github.com/valyala/fastjson"
)

// resolver turns field names into accessors for one document form.
type resolver interface {
	// field returns the accessor of a field name (a full dotted name).
	field(name string) (accessor, error)
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

func resolverFor(f Form) resolver {
	if f == RawCloudTrail {
		return rawResolver{}
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

func (r ecsResolver) field(name string) (accessor, error) {
	rel, err := r.rel(name)
	if err != nil {
		return nil, err
	}
	return newECSPath(rel).access, nil
}

func (r ecsResolver) pattern(name string) (accessor, error) {
	rel, err := r.rel(name)
	if err != nil {
		return nil, err
	}
	w := newWildcard(strings.Split(rel, "*"))
	return func(doc *fastjson.Value, visit visitor) bool {
		var buf [128]byte
		return visitNamedLeaves(doc, buf[:0], false, func(n []byte, v *fastjson.Value) bool {
			return w.match(n) && visit(v)
		})
	}, nil
}

func (r ecsResolver) nested(path string) (accessor, resolver, error) {
	acc, err := r.field(path)
	if err != nil {
		return nil, nil, err
	}
	return acc, ecsResolver{prefix: path + "."}, nil
}

func (r ecsResolver) freeText() (accessor, error) {
	return func(doc *fastjson.Value, visit visitor) bool {
		return visitLeaves(doc, false, visit)
	}, nil
}

func (ecsResolver) dropEmpty() bool { return false }

// compiler turns an ir.Expr into predicates.
type compiler struct {
	cfg           config
	res           resolver
	timeDependent bool
}

func (c *compiler) compile(e ir.Expr) (predicate, error) {
	switch e := e.(type) {
	case *ir.MatchAll:
		return func(*fastjson.Value) bool { return true }, nil
	case *ir.And:
		xs, err := c.compileAll(e.X)
		if err != nil {
			return nil, err
		}
		if len(xs) == 2 {
			a, b := xs[0], xs[1]
			return func(d *fastjson.Value) bool { return a(d) && b(d) }, nil
		}
		return func(d *fastjson.Value) bool {
			for _, x := range xs {
				if !x(d) {
					return false
				}
			}
			return true
		}, nil
	case *ir.Or:
		xs, err := c.compileAll(e.X)
		if err != nil {
			return nil, err
		}
		if len(xs) == 2 {
			a, b := xs[0], xs[1]
			return func(d *fastjson.Value) bool { return a(d) || b(d) }, nil
		}
		return func(d *fastjson.Value) bool {
			for _, x := range xs {
				if x(d) {
					return true
				}
			}
			return false
		}, nil
	case *ir.Not:
		x, err := c.compile(e.X)
		if err != nil {
			return nil, err
		}
		return func(d *fastjson.Value) bool { return !x(d) }, nil
	case *ir.Term:
		acc, err := c.accessor(e.Field)
		if err != nil {
			return nil, at(e, err)
		}
		leaf, err := c.termLeaf(e.Field, e.Value)
		if err != nil {
			return nil, at(e, err)
		}
		visit := c.onValues(e.Field, leaf)
		return func(d *fastjson.Value) bool { return acc(d, visit) }, nil
	case *ir.Range:
		acc, err := c.accessor(e.Field)
		if err != nil {
			return nil, at(e, err)
		}
		leaf, err := c.rangeLeaf(e.Field, e.Op, e.Value)
		if err != nil {
			return nil, at(e, err)
		}
		visit := c.onValues(e.Field, leaf)
		return func(d *fastjson.Value) bool { return acc(d, visit) }, nil
	case *ir.Exists:
		acc, err := c.accessor(e.Field)
		if err != nil {
			return nil, at(e, err)
		}
		drop := c.res.dropEmpty()
		visit := func(v *fastjson.Value) bool {
			if v.Type() == fastjson.TypeObject {
				return visitLeaves(v, drop, func(*fastjson.Value) bool { return true })
			}
			return true
		}
		return func(d *fastjson.Value) bool { return acc(d, visit) }, nil
	case *ir.Nested:
		acc, inner, err := c.res.nested(e.Path)
		if err != nil {
			return nil, at(e, err)
		}
		sub := compiler{cfg: c.cfg, res: inner}
		x, err := sub.compile(e.X)
		if err != nil {
			return nil, err
		}
		c.timeDependent = c.timeDependent || sub.timeDependent
		visit := func(v *fastjson.Value) bool { return v.Type() == fastjson.TypeObject && x(v) }
		return func(d *fastjson.Value) bool { return acc(d, visit) }, nil
	case *ir.FreeText:
		acc, err := c.res.freeText()
		if err != nil {
			return nil, at(e, err)
		}
		leaf := freeTextLeaf(e.Value)
		return func(d *fastjson.Value) bool { return acc(d, leaf) }, nil
	case nil:
		return nil, fmt.Errorf("eval: nil expression")
	}
	return nil, fmt.Errorf("eval: unsupported expression %T", e)
}

func (c *compiler) compileAll(es []ir.Expr) ([]predicate, error) {
	out := make([]predicate, len(es))
	for i, x := range es {
		p, err := c.compile(x)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// at prefixes an error with the expression's position.
func at(e ir.Expr, err error) error {
	if p := e.Position(); p.IsValid() {
		return fmt.Errorf("%s: %w", p, err)
	}
	return err
}

func (c *compiler) accessor(f ir.Field) (accessor, error) {
	if f.Wildcard {
		return c.res.pattern(f.Name)
	}
	return c.res.field(f.Name)
}

// onValues adapts a scalar test to the values an accessor yields: objects
// are skipped, except at the root of a flattened field, where every leaf
// is a value (as Elasticsearch indexes a flattened field).
func (c *compiler) onValues(f ir.Field, leaf visitor) visitor {
	drop := c.res.dropEmpty()
	if isFlattenedRoot(f) {
		return func(v *fastjson.Value) bool {
			if v.Type() == fastjson.TypeObject {
				return visitLeaves(v, drop, leaf)
			}
			return leaf(v)
		}
	}
	return func(v *fastjson.Value) bool {
		t := v.Type()
		return t != fastjson.TypeObject && t != fastjson.TypeArray && leaf(v)
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
		return func(d *fastjson.Value) bool {
			a, ok := ipOf(d)
			return ok && prefix.Contains(a)
		}, nil
	case ir.Boolean:
		want, err := strconv.ParseBool(v.Text)
		if err != nil || (v.Text != "true" && v.Text != "false") {
			return nil, fmt.Errorf("%s is a boolean field and %q is neither true nor false", f.Name, v.Text)
		}
		return func(d *fastjson.Value) bool {
			b, ok := boolOf(d)
			return ok && b == want
		}, nil
	case ir.Number:
		want, err := strconv.ParseFloat(v.Text, 64)
		if err != nil {
			return nil, fmt.Errorf("%s is a numeric field and %q is not a number", f.Name, v.Text)
		}
		return func(d *fastjson.Value) bool {
			n, ok := numberOf(d)
			return ok && n == want
		}, nil
	case ir.Date:
		lo, hi, err := c.dateSpan(v.Text)
		if err != nil {
			return nil, fmt.Errorf("%s is a date field: %w", f.Name, err)
		}
		return func(d *fastjson.Value) bool {
			t, ok := timeOf(d)
			return ok && !t.Before(lo) && !t.After(hi)
		}, nil
	}
	want := v.Text
	return func(d *fastjson.Value) bool {
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
	return func(d *fastjson.Value) bool {
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
		return func(*fastjson.Value) bool { return false }
	}
	if !v.Quoted || len(want) == 1 {
		set := map[string]bool{}
		for _, t := range want {
			set[t] = true
		}
		return func(d *fastjson.Value) bool {
			if d.Type() != fastjson.TypeString {
				s, ok := canonicalText(d)
				return ok && set[string(s)]
			}
			var buf [64]byte
			return tokens(b2s(d.GetStringBytes()), buf[:0], func(t []byte) bool { return set[string(t)] })
		}
	}
	return func(d *fastjson.Value) bool {
		if d.Type() != fastjson.TypeString {
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
	return func(d *fastjson.Value) bool {
		if d.Type() != fastjson.TypeString {
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
	return func(d *fastjson.Value) bool {
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
		return func(d *fastjson.Value) bool {
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
		return func(d *fastjson.Value) bool {
			t, ok := timeOf(d)
			return ok && cmpOK(t.Compare(want))
		}, nil
	case ir.IP:
		want, err := netip.ParseAddr(v.Text)
		if err != nil {
			return nil, fmt.Errorf("%s is an ip field and %q is not an IP address", f.Name, v.Text)
		}
		want = want.Unmap()
		return func(d *fastjson.Value) bool {
			a, ok := ipOf(d)
			return ok && a.Is4() == want.Is4() && cmpOK(a.Compare(want))
		}, nil
	case ir.Boolean:
		want, err := strconv.ParseBool(v.Text)
		if err != nil {
			return nil, fmt.Errorf("%s is a boolean field and %q is neither true nor false", f.Name, v.Text)
		}
		return func(d *fastjson.Value) bool {
			b, ok := boolOf(d)
			return ok && cmpOK(cmpBool(b, want))
		}, nil
	}
	want := v.Text
	return func(d *fastjson.Value) bool {
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
