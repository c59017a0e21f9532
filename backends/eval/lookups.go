package eval

import (
	"github.com/detc/detc/ir"
	"github.com/detc/detc/jsondoc"
)

// Lookups memoizes, for the one raw record being matched, where the plain
// key paths of the raw CloudTrail mappings lead: every rule that reads
// eventSource or userIdentity.type of a record then shares one lookup (a
// linear scan of the object's keys) instead of repeating it.
//
// A Lookups belongs to one goroutine: Programs compiled WithLookups(l)
// must only be run by the goroutine that calls l.Reset, and only answer
// from the memo for the document last passed to Reset (any other document,
// such as an element of a nested query, is read directly). Reset must be
// called again whenever that document's memory is reused (a
// jsondoc.Parser's next parse).
type Lookups struct {
	doc   *jsondoc.Value
	gen   uint32
	ids   map[lookupKey]int32
	nodes []lookupNode
	// seen counts shareable sub-expressions (Expect); slots and memo
	// hold the results of those seen more than once (see shared.go).
	seen  map[string]int
	keys  map[ir.Expr]string // the expected expressions' keys
	slots map[string]int32
	memo  []memoSlot
}

type lookupKey struct {
	parent int32 // -1: the document itself
	key    string
}

// lookupNode is one key path: the value its last key holds in the object
// its parent path leads to, valid when gen is the current generation.
type lookupNode struct {
	parent int32
	key    string
	gen    uint32
	v      *jsondoc.Value
}

// NewLookups returns an empty memo, to pass to WithLookups.
func NewLookups() *Lookups { return &Lookups{ids: map[lookupKey]int32{}, gen: 1} }

// WithLookups makes raw CloudTrail accessors read plain key paths through
// l (see Lookups).
func WithLookups(l *Lookups) Option { return func(c *config) { c.lookups = l } }

// Reset forgets every memoized lookup and makes doc the record l answers
// for.
func (l *Lookups) Reset(doc *jsondoc.Value) {
	l.doc = doc
	l.gen++
	if l.gen == 0 { // wrapped: no node may look current by accident
		for i := range l.nodes {
			l.nodes[i].gen = 0
		}
		for i := range l.memo {
			l.memo[i].gen = 0
		}
		l.gen = 1
	}
}

// path registers the key path segs (at compile time) and returns its
// node ids, one per segment.
func (l *Lookups) path(segs []string) []int32 {
	ids := make([]int32, len(segs))
	parent := int32(-1)
	for i, s := range segs {
		k := lookupKey{parent, s}
		id, ok := l.ids[k]
		if !ok {
			id = int32(len(l.nodes))
			l.nodes = append(l.nodes, lookupNode{parent: parent, key: s})
			l.ids[k] = id
		}
		ids[i] = id
		parent = id
	}
	return ids
}

// walk follows the key path ids from the current document while the
// values on the way are objects. It returns the value reached and how many
// keys were followed: nil when a key is missing, or a value that is not an
// object before the end of the path (an array to walk, a scalar).
func (l *Lookups) walk(ids []int32) (*jsondoc.Value, int) {
	v := l.doc
	for i, id := range ids {
		if v.Type() != jsondoc.TypeObject {
			return v, i
		}
		n := &l.nodes[id]
		if n.gen != l.gen {
			n.v = v.GetObject().Get(n.key)
			n.gen = l.gen
		}
		if v = n.v; v == nil {
			return nil, i + 1
		}
	}
	return v, len(ids)
}

// LookupPath is a key path registered in a Lookups.
type LookupPath []int32

// Path registers the key path segs, before the Lookups is used.
func (l *Lookups) Path(segs ...string) LookupPath { return l.path(segs) }

// Value returns the value at p in the document l was last reset to, as
// doc.Get(segs...) would for keys that are not array indexes: nil when a
// key is missing or a value on the way is not an object.
func (l *Lookups) Value(p LookupPath) *jsondoc.Value {
	if v, i := l.walk(p); i == len(p) {
		return v
	}
	return nil
}
