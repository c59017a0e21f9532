// Package ir is detc's intermediate representation: a rule's metadata plus a
// typed boolean expression that every backend renders and the evaluator runs.
package ir

import (
	"net/netip"
	"unicode/utf8"

	"github.com/detc/detc/diag"
)

// Type is how a field is matched, from the field catalog.
type Type uint8

const (
	// Unknown is a field that the catalog does not know; it is matched as a
	// keyword and lowering warns about it.
	Unknown Type = iota
	// Keyword is exact and case-sensitive; `*` is the only wildcard
	// (keyword, constant_keyword, wildcard, and the leaves of flattened).
	Keyword
	// Text is analysed: lower-cased tokens, a quoted value is a phrase
	// (text, match_only_text).
	Text
	// IP holds an address; a value may be an address or a CIDR range.
	IP
	// Boolean holds true or false.
	Boolean
	// Number compares numerically (long, integer, short, byte, double,
	// float, half_float, scaled_float, unsigned_long).
	Number
	// Date holds a point in time; values are ISO 8601 or date math.
	Date
)

var typeNames = [...]string{"unknown", "keyword", "text", "ip", "boolean", "number", "date"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "invalid"
}

// Field is a field reference in a query.
type Field struct {
	// Name is the full dotted name. Inside a Nested expression it is still
	// the full name (path prefix included).
	Name string `json:"name"`
	Type Type   `json:"-"`
	// ESType is the Elasticsearch mapping type from the catalog ("keyword",
	// "flattened", "match_only_text", ...); empty when unknown.
	ESType string `json:"es_type,omitempty"`
	// Wildcard is set when the name holds `*` (file.hash.*): the expression
	// applies to every field the pattern names, and matches if any does.
	Wildcard bool `json:"wildcard,omitempty"`
	// Pos is where the field name is written in the rule file (a term's
	// own Pos is its value's, since a value list spreads one field over
	// several terms).
	Pos diag.Pos `json:"-"`
}

// Value is a KQL literal, unescaped and typed for the field it is compared
// with.
type Value struct {
	// Text is the unescaped value. For a wildcard it is the unescaped text
	// with each wildcard written as `*` (so it is ambiguous with a literal
	// star: use Wildcard to tell them apart).
	Text string `json:"text"`
	// Quoted is set when the author wrote the value in double quotes: `*`
	// is then literal, and on a text field the value is a phrase.
	Quoted bool `json:"quoted,omitempty"`
	// Wildcard, when non-nil, holds the literal pieces between unescaped
	// `*`s: `*foo*bar` is ["", "foo", "bar"]. It has at least two pieces.
	Wildcard []string `json:"wildcard,omitempty"`

	// The typed forms below are set by lowering for the field's type.

	// Number is set on Number fields (and ranges on them).
	Number float64 `json:"number,omitempty"`
	// Bool is set on Boolean fields.
	Bool bool `json:"bool,omitempty"`
	// Prefix is set on IP fields: an address is a /32 or /128 prefix.
	Prefix netip.Prefix `json:"prefix,omitzero"`
}

// IsWildcard reports whether the value holds an unescaped `*`.
func (v Value) IsWildcard() bool { return v.Wildcard != nil }

// Op is the comparison of a Range.
type Op uint8

const (
	Lt Op = iota + 1
	Lte
	Gt
	Gte
)

var opNames = [...]string{"", "<", "<=", ">", ">="}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "?"
}

// Expr is a node of a rule's boolean expression.
type Expr interface {
	// Position is where the construct starts in the rule file.
	Position() diag.Pos
	exprNode()
}

// And holds when every operand holds. It has at least two operands and none
// of them is an And (lowering flattens).
type And struct {
	Pos diag.Pos
	X   []Expr
}

// Or holds when any operand holds. It has at least two operands and none of
// them is an Or.
type Or struct {
	Pos diag.Pos
	X   []Expr
}

// Not holds when X does not. A missing field makes a Term false, so
// `not f:v` holds on a document without f.
type Not struct {
	Pos diag.Pos
	X   Expr
}

// MatchAll holds on every document: the empty query, `*`, `*:*`.
type MatchAll struct {
	Pos diag.Pos
}

// Term holds when any value of Field equals Value (by the field's type), or
// matches it when Value is a wildcard.
type Term struct {
	Pos   diag.Pos
	Field Field
	Value Value
}

// Range holds when any value of Field compares to Value with Op.
type Range struct {
	Pos   diag.Pos
	Field Field
	Op    Op
	Value Value
}

// Exists holds when Field holds a non-null value (`f:*`).
type Exists struct {
	Pos   diag.Pos
	Field Field
}

// Nested holds when X holds within a single element of the array of
// objects at Path (`path:{ ... }`). Field names inside X are full names.
type Nested struct {
	Pos  diag.Pos
	Path string
	X    Expr
}

// FreeText holds when any field of the document matches Value (a bare
// value without a field).
type FreeText struct {
	Pos   diag.Pos
	Value Value
}

func (e *And) Position() diag.Pos      { return e.Pos }
func (e *Or) Position() diag.Pos       { return e.Pos }
func (e *Not) Position() diag.Pos      { return e.Pos }
func (e *MatchAll) Position() diag.Pos { return e.Pos }
func (e *Term) Position() diag.Pos     { return e.Pos }
func (e *Range) Position() diag.Pos    { return e.Pos }
func (e *Exists) Position() diag.Pos   { return e.Pos }
func (e *Nested) Position() diag.Pos   { return e.Pos }
func (e *FreeText) Position() diag.Pos { return e.Pos }

func (*And) exprNode()      {}
func (*Or) exprNode()       {}
func (*Not) exprNode()      {}
func (*MatchAll) exprNode() {}
func (*Term) exprNode()     {}
func (*Range) exprNode()    {}
func (*Exists) exprNode()   {}
func (*Nested) exprNode()   {}
func (*FreeText) exprNode() {}

// Walk calls fn for e and, while fn returns true, for its operands, depth
// first.
func Walk(e Expr, fn func(Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	switch e := e.(type) {
	case *And:
		for _, x := range e.X {
			Walk(x, fn)
		}
	case *Or:
		for _, x := range e.X {
			Walk(x, fn)
		}
	case *Not:
		Walk(e.X, fn)
	case *Nested:
		Walk(e.X, fn)
	}
}

// Fields returns the names of the fields e refers to, in order of first
// appearance.
func Fields(e Expr) []string {
	seen := map[string]bool{}
	var out []string
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	Walk(e, func(x Expr) bool {
		switch x := x.(type) {
		case *Term:
			add(x.Field.Name)
		case *Range:
			add(x.Field.Name)
		case *Exists:
			add(x.Field.Name)
		}
		return true
	})
	return out
}

// InvalidUTF8 returns the first field name, path or value of e that is not
// valid UTF-8. Backends refuse such rules: JSON and SQL text would replace
// the bytes and so change what the query matches.
func InvalidUTF8(e Expr) (string, bool) {
	var bad string
	found := false
	check := func(s string) {
		if !found && !utf8.ValidString(s) {
			bad, found = s, true
		}
	}
	Walk(e, func(x Expr) bool {
		switch x := x.(type) {
		case *Term:
			check(x.Field.Name)
			check(x.Value.Text)
		case *Range:
			check(x.Field.Name)
			check(x.Value.Text)
		case *Exists:
			check(x.Field.Name)
		case *Nested:
			check(x.Path)
		case *FreeText:
			check(x.Value.Text)
		}
		return !found
	})
	return bad, found
}
