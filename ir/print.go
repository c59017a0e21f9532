package ir

import (
	"encoding/json"
	"strconv"
	"strings"
)

// String prints an expression compactly and without positions, for tests
// and for `detc kql`: and(...), or(...), not(...), f:"v", f:*, f>=v,
// f:{...}, text("v"), all. Wildcard values print unquoted with their stars;
// literal values print quoted, with the field's type when it is not keyword.
func String(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

func writeExpr(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case nil:
		b.WriteString("<nil>")
	case *And:
		writeList(b, "and", e.X)
	case *Or:
		writeList(b, "or", e.X)
	case *Not:
		b.WriteString("not(")
		writeExpr(b, e.X)
		b.WriteByte(')')
	case *MatchAll:
		b.WriteString("all")
	case *Term:
		writeField(b, e.Field)
		b.WriteByte(':')
		writeValue(b, e.Value)
	case *Range:
		writeField(b, e.Field)
		b.WriteString(e.Op.String())
		writeValue(b, e.Value)
	case *Exists:
		writeField(b, e.Field)
		b.WriteString(":*")
	case *Nested:
		b.WriteString(e.Path)
		b.WriteString(":{")
		writeExpr(b, e.X)
		b.WriteByte('}')
	case *FreeText:
		b.WriteString("text(")
		writeValue(b, e.Value)
		b.WriteByte(')')
	}
}

func writeList(b *strings.Builder, op string, xs []Expr) {
	b.WriteString(op)
	b.WriteByte('(')
	for i, x := range xs {
		if i > 0 {
			b.WriteString(", ")
		}
		writeExpr(b, x)
	}
	b.WriteByte(')')
}

func writeField(b *strings.Builder, f Field) {
	b.WriteString(f.Name)
	if f.Type != Keyword && f.Type != Unknown {
		b.WriteByte('<')
		b.WriteString(f.Type.String())
		b.WriteByte('>')
	}
}

func writeValue(b *strings.Builder, v Value) {
	if v.IsWildcard() {
		for i, piece := range v.Wildcard {
			if i > 0 {
				b.WriteByte('*')
			}
			q := strconv.Quote(piece)
			// A literal star inside a piece is escaped, so that Foo*\* and
			// Foo** (two wildcards) print differently.
			b.WriteString(strings.ReplaceAll(q[1:len(q)-1], "*", `\*`))
		}
		return
	}
	b.WriteString(strconv.Quote(v.Text))
}

// Equal reports whether two expressions have the same meaning-bearing
// structure, ignoring positions and how values were spelled.
func Equal(a, b Expr) bool { return String(a) == String(b) }

// MarshalExpr renders an expression as JSON: one object per node with a
// "kind" key (and, or, not, all, term, range, exists, nested, text). This is
// the documented form behind `detc kql --json` and `--target ir`.
func MarshalExpr(e Expr) ([]byte, error) { return json.Marshal(exprJSON(e)) }

type jsonNode struct {
	Kind  string     `json:"kind"`
	Line  int        `json:"line,omitempty"`
	Col   int        `json:"col,omitempty"`
	Field *Field     `json:"field,omitempty"`
	Type  string     `json:"type,omitempty"`
	Op    string     `json:"op,omitempty"`
	Value *Value     `json:"value,omitempty"`
	Path  string     `json:"path,omitempty"`
	X     []jsonNode `json:"operands,omitempty"`
}

func exprJSON(e Expr) jsonNode {
	p := e.Position()
	n := jsonNode{Line: p.Line, Col: p.Col}
	setField := func(f Field) {
		f2 := f
		n.Field = &f2
		n.Type = f.Type.String()
	}
	switch e := e.(type) {
	case *And:
		n.Kind = "and"
		for _, x := range e.X {
			n.X = append(n.X, exprJSON(x))
		}
	case *Or:
		n.Kind = "or"
		for _, x := range e.X {
			n.X = append(n.X, exprJSON(x))
		}
	case *Not:
		n.Kind = "not"
		n.X = []jsonNode{exprJSON(e.X)}
	case *MatchAll:
		n.Kind = "all"
	case *Term:
		n.Kind = "term"
		setField(e.Field)
		v := e.Value
		n.Value = &v
	case *Range:
		n.Kind = "range"
		setField(e.Field)
		n.Op = e.Op.String()
		v := e.Value
		n.Value = &v
	case *Exists:
		n.Kind = "exists"
		setField(e.Field)
	case *Nested:
		n.Kind = "nested"
		n.Path = e.Path
		n.X = []jsonNode{exprJSON(e.X)}
	case *FreeText:
		n.Kind = "text"
		v := e.Value
		n.Value = &v
	}
	return n
}

// MarshalJSON writes the rule with its expression in the MarshalExpr form.
func (r *Rule) MarshalJSON() ([]byte, error) {
	type plain Rule
	expr, err := MarshalExpr(r.Expr)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		*plain
		Expr json.RawMessage `json:"expr"`
	}{(*plain)(r), expr})
}
