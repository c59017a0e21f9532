package eval

import (
	"strings"

	"github.com/detc/detc/jsondoc"
)

// visitor receives the values of a field one by one and returns true to
// stop (the value matched).
type visitor func(v *jsondoc.Value) bool

// accessor calls visit with every non-null value of one field of doc
// (array elements one by one, at any depth) and reports whether a call
// returned true. Values may be objects: a flattened field's leaves or a
// nested query's elements.
type accessor func(doc *jsondoc.Value, visit visitor) bool

// ecsPath reads a dotted field name from an ECS document. At each object it
// accepts a key that spells the next segment or several segments joined
// by dots, as Elasticsearch does when it indexes {"a.b": 1} and
// {"a": {"b": 1}} as the same field a.b. Arrays are walked at every level.
type ecsPath struct {
	segs []string
	// joined[i][j-i-1] is segs[i:j] joined by dots: the keys that can
	// continue the path at segment i.
	joined [][]string
	// dropEmpty skips empty strings (raw records: the integration drops
	// them).
	dropEmpty bool
}

func newECSPath(name string) *ecsPath {
	p := &ecsPath{segs: strings.Split(name, ".")}
	p.joined = make([][]string, len(p.segs))
	for i := range p.segs {
		for j := i + 1; j <= len(p.segs); j++ {
			p.joined[i] = append(p.joined[i], strings.Join(p.segs[i:j], "."))
		}
	}
	return p
}

func (p *ecsPath) access(doc *jsondoc.Value, visit visitor) bool {
	return p.walk(doc, 0, visit)
}

func (p *ecsPath) walk(v *jsondoc.Value, i int, visit visitor) bool {
	switch v.Type() {
	case jsondoc.TypeNull:
		return false
	case jsondoc.TypeArray:
		for _, el := range v.GetArray() {
			if p.walk(el, i, visit) {
				return true
			}
		}
		return false
	case jsondoc.TypeObject:
		if i == len(p.segs) {
			return visit(v)
		}
		o := v.GetObject()
		for k, key := range p.joined[i] {
			if child := o.Get(key); child != nil && p.walk(child, i+k+1, visit) {
				return true
			}
		}
		return false
	default:
		if i != len(p.segs) {
			return false
		}
		if p.dropEmpty && v.Type() == jsondoc.TypeString && len(v.GetStringBytes()) == 0 {
			return false
		}
		return visit(v)
	}
}

// rawPath reads an exact key path from a raw CloudTrail record, walking
// arrays at every level. Like Elastic's ingest pipeline, which drops null
// and empty-string values, it yields neither.
type rawPath struct {
	segs []string
	// lk, when set, memoizes the path's lookups (ids) in the record being
	// matched.
	lk  *Lookups
	ids []int32
}

// newRawPath returns the accessor of segs, read through lk if it is set.
func newRawPath(segs []string, lk *Lookups) rawPath {
	p := rawPath{segs: segs, lk: lk}
	if lk != nil {
		p.ids = lk.path(segs)
	}
	return p
}

func (p rawPath) access(doc *jsondoc.Value, visit visitor) bool {
	if p.lk != nil && doc == p.lk.doc {
		v, i := p.lk.walk(p.ids)
		if v == nil {
			return false
		}
		return walkRaw(v, p.segs[i:], visit)
	}
	return walkRaw(doc, p.segs, visit)
}

func walkRaw(v *jsondoc.Value, segs []string, visit visitor) bool {
	for i := 0; i < len(segs); i++ {
		switch v.Type() {
		case jsondoc.TypeObject:
			v = v.GetObject().Get(segs[i])
			if v == nil {
				return false
			}
		case jsondoc.TypeArray:
			for _, el := range v.GetArray() {
				if walkRaw(el, segs[i:], visit) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return visitPresent(v, visit)
}

// visitPresent calls visit with v, or with each element of an array v, and
// skips null and empty-string values.
func visitPresent(v *jsondoc.Value, visit visitor) bool {
	switch v.Type() {
	case jsondoc.TypeNull:
		return false
	case jsondoc.TypeArray:
		for _, el := range v.GetArray() {
			if visitPresent(el, visit) {
				return true
			}
		}
		return false
	case jsondoc.TypeString:
		if len(v.GetStringBytes()) == 0 {
			return false
		}
	}
	return visit(v)
}

// visitLeaves calls visit with every scalar under v (objects and arrays
// are walked), as a flattened field indexes every leaf. With dropEmpty,
// empty strings are skipped (raw records, see rawPath).
func visitLeaves(v *jsondoc.Value, dropEmpty bool, visit visitor) bool {
	switch v.Type() {
	case jsondoc.TypeNull:
		return false
	case jsondoc.TypeArray:
		for _, el := range v.GetArray() {
			if visitLeaves(el, dropEmpty, visit) {
				return true
			}
		}
		return false
	case jsondoc.TypeObject:
		found := false
		v.GetObject().Visit(func(_ []byte, child *jsondoc.Value) {
			if !found {
				found = visitLeaves(child, dropEmpty, visit)
			}
		})
		return found
	case jsondoc.TypeString:
		if dropEmpty && len(v.GetStringBytes()) == 0 {
			return false
		}
	}
	return visit(v)
}

// visitNamedLeaves calls visit with every scalar of doc and its dotted
// name, for wildcard field names (file.hash.*). name is the dotted name
// being built.
func visitNamedLeaves(v *jsondoc.Value, name []byte, dropEmpty bool, visit func(name []byte, v *jsondoc.Value) bool) bool {
	switch v.Type() {
	case jsondoc.TypeNull:
		return false
	case jsondoc.TypeArray:
		for _, el := range v.GetArray() {
			if visitNamedLeaves(el, name, dropEmpty, visit) {
				return true
			}
		}
		return false
	case jsondoc.TypeObject:
		found := false
		v.GetObject().Visit(func(key []byte, child *jsondoc.Value) {
			if found {
				return
			}
			n := name
			if len(n) > 0 {
				n = append(n, '.')
			}
			n = append(n, key...)
			found = visitNamedLeaves(child, n, dropEmpty, visit)
		})
		return found
	case jsondoc.TypeString:
		if dropEmpty && len(v.GetStringBytes()) == 0 {
			return false
		}
	}
	return visit(name, v)
}
