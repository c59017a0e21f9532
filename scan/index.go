package scan

import (
	"github.com/detc/detc/jsondoc"

	"github.com/detc/detc/backends/eval"

	"github.com/detc/detc/ir"
)

// indexKeys are the fields a rule can be indexed by, most selective
// first, with their raw CloudTrail paths (all plain strings of the record).
var indexKeys = []struct {
	field string
	path  []string
}{
	{"event.action", []string{"eventName"}},
	{"event.provider", []string{"eventSource"}},
	{"aws.cloudtrail.error_code", []string{"errorCode"}},
	{"aws.cloudtrail.user_identity.type", []string{"userIdentity", "type"}},
}

// ruleIndex routes an event to the rules that can match it, by the
// constants their queries require: a rule whose query cannot hold without
// `event.action: X` (or one of a list of actions) is only run on events
// named X; failing that, the same for event.provider, the error code and
// the identity type. Rules with none of these run on every event.
type ruleIndex struct {
	byKey  []map[string][]int // per index key: value -> rules
	allOf  [][]int            // per index key: every rule indexed by it
	always []int
}

// indexDisabled runs every rule on every event (tests compare it with the
// index).
var indexDisabled = false

// plainScan, with indexDisabled, is the reference the optimised scan is
// tested against: every rule compiled plainly (eval.Plain) and run on
// every event.
var plainScan = false

func newRuleIndex(exprs []ir.Expr) *ruleIndex {
	ix := &ruleIndex{byKey: make([]map[string][]int, len(indexKeys)), allOf: make([][]int, len(indexKeys))}
	for k := range indexKeys {
		ix.byKey[k] = map[string][]int{}
	}
rules:
	for i, e := range exprs {
		if indexDisabled {
			ix.always = append(ix.always, i)
			continue
		}
		for k, key := range indexKeys {
			if vals, ok := required(e, key.field); ok {
				for _, v := range vals {
					ix.byKey[k][v] = append(ix.byKey[k][v], i)
				}
				ix.allOf[k] = append(ix.allOf[k], i)
				continue rules
			}
		}
		ix.always = append(ix.always, i)
	}
	return ix
}

// candidates appends to dst the rules that may match doc, in rule order.
func (ix *ruleIndex) candidates(dst []int, doc *jsondoc.Value) []int {
	var top topLevel
	top.read(doc)
	return ix.candidatesOf(dst, &top)
}

// candidatesOf is candidates with doc's top-level keys already read.
func (ix *ruleIndex) candidatesOf(dst []int, top *topLevel) []int {
	dst = append(dst[:0], ix.always...)
	for k := range indexKeys {
		if len(ix.allOf[k]) == 0 {
			continue
		}
		v := top.indexValue(k)
		switch {
		case v == nil:
		case v.Type() == jsondoc.TypeString:
			dst = append(dst, ix.byKey[k][string(v.GetStringBytes())]...)
		default:
			// Not a plain string (an array?): let the rules decide.
			dst = append(dst, ix.allOf[k]...)
		}
	}
	if len(dst) > 1 {
		insertionSort(dst)
	}
	return dst
}

// topLevel holds the values of the top-level keys of a record that the
// scan itself reads (time, id, index keys), found in one pass over the
// record's keys instead of one linear lookup per key.
type topLevel struct {
	time, id, name, source, errorCode, identity *jsondoc.Value
	// identityType is userIdentity.type when haveType is set.
	identityType *jsondoc.Value
	haveType     bool
}

// topPaths are the key paths topLevel reads, registered in a worker's
// eval.Lookups so that the rules share its lookups.
type topPaths struct {
	time, id, name, source, errorCode, identityType eval.LookupPath
}

func newTopPaths(lk *eval.Lookups) *topPaths {
	return &topPaths{
		time: lk.Path("eventTime"), id: lk.Path("eventID"), name: lk.Path("eventName"),
		source: lk.Path("eventSource"), errorCode: lk.Path("errorCode"), identityType: lk.Path("userIdentity", "type"),
	}
}

// readLookups fills t through lk, reset to the record, but for the id
// (see eventID).
func (t *topLevel) readLookups(lk *eval.Lookups, p *topPaths) {
	*t = topLevel{
		time: lk.Value(p.time), name: lk.Value(p.name),
		source: lk.Value(p.source), errorCode: lk.Value(p.errorCode), identityType: lk.Value(p.identityType),
		haveType: true,
	}
}

// read fills t from doc, a JSON object. Keys are compared unescaped
// (Object.Visit unescapes them, as Object.Get does) and the first of
// duplicate keys wins, as with Object.Get.
func (t *topLevel) read(doc *jsondoc.Value) {
	*t = topLevel{}
	doc.GetObject().Visit(t.visit)
}

func (t *topLevel) visit(k []byte, v *jsondoc.Value) {
	var slot **jsondoc.Value
	switch string(k) {
	case "eventTime":
		slot = &t.time
	case "eventID":
		slot = &t.id
	case "eventName":
		slot = &t.name
	case "eventSource":
		slot = &t.source
	case "errorCode":
		slot = &t.errorCode
	case "userIdentity":
		slot = &t.identity
	default:
		return
	}
	if *slot == nil {
		*slot = v
	}
}

// indexValue returns the value of indexKeys[k] (nil when absent), as
// doc.Get(indexKeys[k].path...) would.
func (t *topLevel) indexValue(k int) *jsondoc.Value {
	switch k {
	case 0:
		return t.name
	case 1:
		return t.source
	case 2:
		return t.errorCode
	case 3:
		if t.haveType {
			return t.identityType
		}
		if t.identity == nil || t.identity.Type() != jsondoc.TypeObject {
			return nil
		}
		return t.identity.GetObject().Get("type")
	}
	panic("scan: no such index key")
}

func insertionSort(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// required reports the values field must hold (exactly, as a keyword)
// for e to be true: ok is false when e can hold whatever the field is.
func required(e ir.Expr, field string) (vals []string, ok bool) {
	switch e := e.(type) {
	case *ir.Term:
		if e.Field.Name == field && !e.Field.Wildcard && !e.Value.IsWildcard() &&
			(e.Field.Type == ir.Keyword || e.Field.Type == ir.Unknown) {
			return []string{e.Value.Text}, true
		}
	case *ir.And:
		for _, x := range e.X {
			if v, ok := required(x, field); ok {
				return v, true
			}
		}
	case *ir.Or:
		var all []string
		for _, x := range e.X {
			v, ok := required(x, field)
			if !ok {
				return nil, false
			}
			all = append(all, v...)
		}
		return dedupe(all), true
	}
	return nil, false
}

func dedupe(vs []string) []string {
	seen := map[string]bool{}
	out := vs[:0]
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
