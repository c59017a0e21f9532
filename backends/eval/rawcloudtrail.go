package eval

import (
	"fmt"
	"strings"

	"github.com/detc/detc/catalog"
	"github.com/detc/detc/jsondoc"
	"github.com/detc/detc/source/cloudtrail"
)

// rawResolver reads ECS fields from raw CloudTrail records through the
// aws.cloudtrail source profile (cloudtrail.Resolve): each field becomes an
// accessor on the raw JSON, following the semantics the profile documents
// for its Direct, Constant and Derived mappings (null and "" are absent).
type rawResolver struct {
	// inside, when set, resolves fields relative to one element of a
	// nested array.
	inside *rawNested
	// lk, when set, memoizes key paths read from the record (not from
	// the elements a nested query reads).
	lk *Lookups
}

// rawNested is the context of a nested query on raw records: the ECS path,
// and how fields under it are read from one element.
type rawNested struct {
	path string
	// array is the raw path of the array of objects (resources), or nil
	// for a nested path inside a flattened field.
	array []string
	// flatBase is the raw path of a nested path inside a flattened field.
	flatBase []string
}

func (rawResolver) dropEmpty() bool { return true }

func (r rawResolver) field(name string) (accessor, int, bool, error) {
	if r.inside != nil {
		acc, err := r.inside.field(name)
		return acc, 3, false, err
	}
	m, err := cloudtrail.Resolve(name)
	if err != nil {
		return nil, 0, false, err
	}
	acc, err := mappingAccessor(m, r.lk)
	return acc, mappingCost(m), m.Kind == cloudtrail.Constant, err
}

// simpleRawPath returns the raw path of a field read directly from one
// place of the record (no array of objects, not flattened, no eventName
// condition).
func simpleRawPath(name string) ([]string, bool) {
	m, err := cloudtrail.Resolve(name)
	if err != nil || m.Kind != cloudtrail.Direct || len(m.Array) > 0 || m.Flattened || m.EventName != "" {
		return nil, false
	}
	return m.Path, true
}

// mappingCost estimates how much reading a mapping costs, relative to one
// key lookup.
func mappingCost(m cloudtrail.Mapping) int {
	switch m.Kind {
	case cloudtrail.Constant:
		return 0
	case cloudtrail.Derived:
		n := 0
		for _, s := range m.Sources {
			n += len(s)
		}
		if m.Derived == cloudtrail.IPOnly || m.Derived == cloudtrail.TLSProtocol || m.Derived == cloudtrail.TLSVersion {
			// Each value is parsed (an address, a version), which costs
			// several key lookups.
			n += 4
		}
		return 2 * n
	}
	n := len(m.Path) + len(m.Array)
	if m.Flattened || len(m.Array) > 0 {
		n *= 2
	}
	return n
}

func (r rawResolver) pattern(name string) (accessor, error) {
	if r.inside != nil {
		return nil, fmt.Errorf("wildcard field name %s inside a nested query is not supported on raw CloudTrail records", name)
	}
	var accs []accessor
	for _, f := range catalog.Match(name) {
		m, err := cloudtrail.Resolve(f.Name)
		if err != nil {
			continue // fields the source cannot produce never hold a value
		}
		acc, err := mappingAccessor(m, r.lk)
		if err != nil {
			return nil, err
		}
		accs = append(accs, acc)
	}
	return func(doc *jsondoc.Value, visit visitor) bool {
		for _, a := range accs {
			if a(doc, visit) {
				return true
			}
		}
		return false
	}, nil
}

func (r rawResolver) nested(path string) (accessor, resolver, error) {
	if r.inside != nil {
		return nil, nil, fmt.Errorf("nested query %s inside another nested query is not supported on raw CloudTrail records", path)
	}
	if m, err := cloudtrail.Resolve(path); err == nil && m.Kind == cloudtrail.Direct && m.Flattened && len(m.Array) == 0 {
		acc, err := mappingAccessor(m, r.lk)
		if err != nil {
			return nil, nil, err
		}
		return acc, rawResolver{inside: &rawNested{path: path, flatBase: m.Path}}, nil
	}
	// An array of objects: find it through any field under the path.
	for _, f := range catalog.All() {
		if !strings.HasPrefix(f.Name, path+".") {
			continue
		}
		m, err := cloudtrail.Resolve(f.Name)
		if err != nil || len(m.Array) == 0 {
			continue
		}
		arr := newRawPath(m.Array, r.lk)
		return arr.access, rawResolver{inside: &rawNested{path: path, array: m.Array}}, nil
	}
	return nil, nil, fmt.Errorf("nested path %s is not an array of objects of raw CloudTrail", path)
}

func (rawResolver) freeText() (accessor, error) {
	return nil, fmt.Errorf("free text (a value without a field) searches every ECS field and cannot be evaluated on raw CloudTrail records; evaluate ECS documents instead")
}

// field resolves a full ECS name inside a nested query, relative to one
// element.
func (n *rawNested) field(name string) (accessor, error) {
	rel, ok := strings.CutPrefix(name, n.path+".")
	if !ok {
		return nil, fmt.Errorf("field %s is not inside the nested path %s", name, n.path)
	}
	if n.flatBase != nil {
		p := newECSPath(rel)
		p.dropEmpty = true
		return p.access, nil
	}
	m, err := cloudtrail.Resolve(name)
	if err != nil {
		return nil, err
	}
	if len(m.Array) == 0 || strings.Join(m.Array, ".") != strings.Join(n.array, ".") {
		return nil, fmt.Errorf("field %s is not read from the elements of %s in raw CloudTrail", name, n.path)
	}
	return rawPath{segs: m.Path}.access, nil
}

var (
	successValue = constString("success")
	failureValue = constString("failure")
	trueValue    = jsondoc.NewBool(true)
	falseValue   = jsondoc.NewBool(false)
)

// mappingAccessor compiles one mapping of the source profile, reading the
// record's key paths through lk if it is set.
func mappingAccessor(m cloudtrail.Mapping, lk *Lookups) (accessor, error) {
	acc, err := mappingAccessorAny(m, lk)
	if err != nil || m.EventName == "" {
		return acc, err
	}
	want := m.EventName
	if lk != nil {
		ids := lk.path([]string{"eventName"})
		return func(doc *jsondoc.Value, visit visitor) bool {
			var name []byte
			if doc == lk.doc {
				if v, i := lk.walk(ids); i == 1 && v != nil {
					name = v.GetStringBytes()
				}
			} else {
				name = doc.GetStringBytes("eventName")
			}
			return b2s(name) == want && acc(doc, visit)
		}, nil
	}
	return func(doc *jsondoc.Value, visit visitor) bool {
		return b2s(doc.GetStringBytes("eventName")) == want && acc(doc, visit)
	}, nil
}

func mappingAccessorAny(m cloudtrail.Mapping, lk *Lookups) (accessor, error) {
	switch m.Kind {
	case cloudtrail.Constant:
		v := constString(m.Constant)
		return func(_ *jsondoc.Value, visit visitor) bool { return visit(v) }, nil
	case cloudtrail.Direct:
		var inner accessor
		if m.Flattened {
			p := newECSPath(strings.Join(m.Path, "."))
			p.dropEmpty = true
			inner = p.access
		} else if len(m.Array) == 0 {
			inner = newRawPath(m.Path, lk).access
		} else {
			inner = rawPath{segs: m.Path}.access // read from elements
		}
		if len(m.Array) == 0 {
			return inner, nil
		}
		arr := newRawPath(m.Array, lk)
		return func(doc *jsondoc.Value, visit visitor) bool {
			return arr.access(doc, func(el *jsondoc.Value) bool {
				return el.Type() == jsondoc.TypeObject && inner(el, visit)
			})
		}, nil
	case cloudtrail.Derived:
		return derivedAccessor(m, lk)
	}
	return nil, fmt.Errorf("field %s cannot be produced from raw CloudTrail: %s", m.Field, m.Reason)
}

// scalars calls visit with the scalar values at path (objects skipped) and
// reports whether there was any, and whether visit returned true.
func scalars(doc *jsondoc.Value, path rawPath, visit visitor) (any, stop bool) {
	stop = path.access(doc, func(v *jsondoc.Value) bool {
		if t := v.Type(); t == jsondoc.TypeObject || t == jsondoc.TypeArray {
			return false
		}
		any = true
		return visit(v)
	})
	return any, stop
}

// present reports whether path holds a non-empty scalar somewhere under it.
func present(doc *jsondoc.Value, path rawPath) bool {
	return path.access(doc, func(v *jsondoc.Value) bool {
		if v.Type() == jsondoc.TypeObject {
			return visitLeaves(v, true, func(*jsondoc.Value) bool { return true })
		}
		return true
	})
}

func derivedAccessor(m cloudtrail.Mapping, lk *Lookups) (accessor, error) {
	src := make([]rawPath, len(m.Sources))
	for i, s := range m.Sources {
		src[i] = newRawPath(s, lk)
	}
	switch m.Derived {
	case cloudtrail.Outcome:
		return func(doc *jsondoc.Value, visit visitor) bool {
			var login *jsondoc.Value
			src[2].access(doc, func(v *jsondoc.Value) bool {
				if v.Type() == jsondoc.TypeString {
					login = v
					return true
				}
				return false
			})
			if login != nil {
				s := login.GetStringBytes()
				switch {
				case strings.EqualFold(b2s(s), "success"):
					return visit(successValue)
				case strings.EqualFold(b2s(s), "failure"):
					return visit(failureValue)
				}
				return visit(constString(strings.ToLower(string(s))))
			}
			if present(doc, src[0]) || present(doc, src[1]) {
				return visit(failureValue)
			}
			return visit(successValue)
		}, nil
	case cloudtrail.Coalesce:
		return func(doc *jsondoc.Value, visit visitor) bool {
			for _, s := range src {
				if any, stop := scalars(doc, s, visit); any {
					return stop
				}
			}
			return false
		}, nil
	case cloudtrail.IPOnly:
		return func(doc *jsondoc.Value, visit visitor) bool {
			_, stop := scalars(doc, src[0], func(v *jsondoc.Value) bool {
				if v.Type() != jsondoc.TypeString || !cloudtrail.IsIP(b2s(v.GetStringBytes())) {
					return false
				}
				return visit(v)
			})
			return stop
		}, nil
	case cloudtrail.YesNo:
		return func(doc *jsondoc.Value, visit visitor) bool {
			_, stop := scalars(doc, src[0], func(v *jsondoc.Value) bool {
				if v.Type() == jsondoc.TypeString && b2s(v.GetStringBytes()) == "No" {
					return visit(falseValue)
				}
				return visit(trueValue)
			})
			return stop
		}, nil
	case cloudtrail.TLSProtocol, cloudtrail.TLSVersion:
		protocol := m.Derived == cloudtrail.TLSProtocol
		return func(doc *jsondoc.Value, visit visitor) bool {
			_, stop := scalars(doc, src[0], func(v *jsondoc.Value) bool {
				if v.Type() != jsondoc.TypeString {
					return false
				}
				p, ver, ok := cloudtrail.SplitTLSVersion(string(v.GetStringBytes()))
				if !ok {
					return false
				}
				if protocol {
					return visit(constString(p))
				}
				return visit(constString(ver))
			})
			return stop
		}, nil
	case cloudtrail.Union:
		return func(doc *jsondoc.Value, visit visitor) bool {
			for _, s := range src {
				if _, stop := scalars(doc, s, visit); stop {
					return true
				}
			}
			return false
		}, nil
	}
	return nil, fmt.Errorf("field %s: derivation %s is not supported by the evaluator", m.Field, m.Derived)
}
