// Package parser reads Kibana Query Language (KQL) into a syntax tree with
// source positions, reports syntax errors precisely, and prints KQL back.
package parser

// Pos is a position within the query text: Offset is a byte offset from 0,
// Line and Col are 1-based and Col counts code points.
type Pos struct {
	Offset int
	Line   int
	Col    int
}

// Query is a parsed KQL query.
type Query struct {
	// Text is the query as given to Parse.
	Text string
	// Expr is the query's expression; nil for the empty query, which
	// matches every document.
	Expr Expr
}

// Expr is a node of the syntax tree. The same node types form both queries
// and the value lists of a Match: in query position a *Literal is free text
// (a value without a field); in a Match's value it is one value.
type Expr interface {
	Position() Pos
	exprNode()
}

// Or holds when any operand holds: `a or b or c`. It has at least two
// operands; an operand is itself an *Or only when the author wrote
// parentheses around it (as in Kibana's tree).
type Or struct {
	Pos Pos
	X   []Expr
}

// And holds when every operand holds: `a and b`. Like Or, it has at least
// two operands and nests only through parentheses.
type And struct {
	Pos Pos
	X   []Expr
}

// Not negates its operand: `not a`, `not (a or b)`, and inside value lists
// `f:(not a)`.
type Not struct {
	Pos Pos
	X   Expr
}

// Match compares a field with a value or a value list: `f:v`,
// `f:(a or b and not c)`, `f:*`. Value is a *Literal, or an *Or, *And or
// *Not whose leaves are *Literal.
type Match struct {
	Pos   Pos
	Field *Literal
	Value Expr
}

// Range compares a field with one value: `f < v`, `f <= v`, `f > v`,
// `f >= v`.
type Range struct {
	Pos   Pos
	Field *Literal
	Op    string // "<", "<=", ">" or ">="
	Value *Literal
}

// Nested matches its expression within one element of an array of objects:
// `path:{ child:v }`. Field names inside are relative to Path.
type Nested struct {
	Pos  Pos
	Path *Literal
	X    Expr
}

// Literal is a field name or a value, quoted or not.
type Literal struct {
	Pos Pos
	// Raw is the text as written in the query (quotes included; for an
	// unquoted literal, without surrounding whitespace).
	Raw string
	// Value is the unescaped text. An unquoted value is trimmed, as
	// Kibana trims it; each unescaped `*` is written as `*`.
	Value string
	// Quoted is set for a double-quoted literal: `*` is then literal.
	Quoted bool
	// Pieces is non-nil when an unquoted literal holds an unescaped `*`:
	// the unescaped text between the stars, so `*foo\*bar*` is
	// ["", "foo*bar", ""]. It has at least two elements.
	Pieces []string
}

// IsWildcard reports whether the literal holds an unescaped `*`.
func (l *Literal) IsWildcard() bool { return l.Pieces != nil }

// IsStar reports whether the literal is exactly one unescaped `*`: as a
// value it means "the field exists", as a field name "any field".
func (l *Literal) IsStar() bool {
	return len(l.Pieces) == 2 && l.Pieces[0] == "" && l.Pieces[1] == ""
}

// Position returns where the Or starts in the query.
func (e *Or) Position() Pos { return e.Pos }

// Position returns where the And starts in the query.
func (e *And) Position() Pos { return e.Pos }

// Position returns where the Not starts in the query.
func (e *Not) Position() Pos { return e.Pos }

// Position returns where the Match starts in the query.
func (e *Match) Position() Pos { return e.Pos }

// Position returns where the Range starts in the query.
func (e *Range) Position() Pos { return e.Pos }

// Position returns where the Nested starts in the query.
func (e *Nested) Position() Pos { return e.Pos }

// Position returns where the Literal starts in the query.
func (e *Literal) Position() Pos { return e.Pos }

func (*Or) exprNode()      {}
func (*And) exprNode()     {}
func (*Not) exprNode()     {}
func (*Match) exprNode()   {}
func (*Range) exprNode()   {}
func (*Nested) exprNode()  {}
func (*Literal) exprNode() {}
