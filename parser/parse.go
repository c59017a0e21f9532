package parser

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// Parse reads a KQL query. The empty query (or only whitespace) gives a
// Query whose Expr is nil. A syntax error, or a query longer than
// MaxQueryLength, is returned as a *SyntaxError.
func Parse(query string) (*Query, error) {
	if len(query) > MaxQueryLength {
		return nil, &SyntaxError{Pos: Pos{Offset: 0, Line: 1, Col: 1},
			Msg:  fmt.Sprintf("the query is %d bytes, over the limit of %d", len(query), MaxQueryLength),
			Hint: "split the rule into several rules"}
	}
	lx := &lexState{src: query, line: 1, col: 1, operand: true}
	tokens, err := lexer.Upgrade(lx)
	if err != nil {
		return nil, err // the KQL lexer never fails; kept for the interface
	}
	g, err := grammar.ParseFromLexer(tokens)
	if err != nil {
		return nil, newSyntaxError(query, lx, err)
	}
	q := &Query{Text: query}
	if g.Or != nil {
		q.Expr = g.Or.expr()
	}
	return q, nil
}

func toPos(p lexer.Position) Pos { return Pos{Offset: p.Offset, Line: p.Line, Col: p.Column} }

// join builds the tree of an and/or level of the grammar: a single operand
// stands for itself, several become one node made by mk.
func join[T interface{ expr() Expr }](operands []T, mk func([]Expr) Expr) Expr {
	if len(operands) == 1 {
		return operands[0].expr()
	}
	xs := make([]Expr, len(operands))
	for i, x := range operands {
		xs[i] = x.expr()
	}
	return mk(xs)
}

func (g *gOr) expr() Expr {
	return join(g.X, func(xs []Expr) Expr { return &Or{Pos: xs[0].Position(), X: xs} })
}

func (g *gAnd) expr() Expr {
	return join(g.X, func(xs []Expr) Expr { return &And{Pos: xs[0].Position(), X: xs} })
}

func (g *gNot) expr() Expr {
	var x Expr
	if g.Group != nil {
		x = g.Group.expr()
	} else {
		x = g.Expr.expr()
	}
	return negate(g.Not, x)
}

// negate wraps x in a Not when the optional `not` keyword was present.
func negate(not *gKeyword, x Expr) Expr {
	if not == nil {
		return x
	}
	return &Not{Pos: toPos(not.tok.Pos), X: x}
}

func (g *gExpr) expr() Expr {
	left := g.Left.literal()
	pos := left.Pos
	switch {
	case g.Nested != nil:
		return &Nested{Pos: pos, Path: left, X: g.Nested.expr()}
	case g.ListGroup != nil:
		return &Match{Pos: pos, Field: left, Value: g.ListGroup.expr()}
	case g.Value != nil:
		return &Match{Pos: pos, Field: left, Value: g.Value.literal()}
	case g.RangeOp != "":
		return &Range{Pos: pos, Field: left, Op: g.RangeOp, Value: g.RangeVal.literal()}
	}
	return left
}

func (g *gOrValues) expr() Expr {
	return join(g.X, func(xs []Expr) Expr { return &Or{Pos: xs[0].Position(), X: xs} })
}

func (g *gAndValues) expr() Expr {
	return join(g.X, func(xs []Expr) Expr { return &And{Pos: xs[0].Position(), X: xs} })
}

func (g *gNotValues) expr() Expr {
	var x Expr
	if g.Group != nil {
		x = g.Group.expr()
	} else {
		x = g.Value.literal()
	}
	return negate(g.Not, x)
}

func (g *gLiteral) literal() *Literal {
	l := &Literal{Pos: toPos(g.tok.Pos), Raw: g.tok.Value}
	if g.tok.Type == tokQuoted {
		l.Quoted = true
		l.Value = unquote(l.Raw)
		return l
	}
	l.Value, l.Pieces = unescapeUnquoted(l.Raw)
	return l
}

// decodeUnicode decodes the four hex digits of a \uXXXX escape at s[i:i+4].
// A UTF-16 surrogate pair written as two escapes becomes one character; n
// is the number of bytes consumed from i.
func decodeUnicode(s string, i int) (r rune, n int) {
	u := rune(hexValue(s[i : i+4]))
	if utf16.IsSurrogate(u) {
		if i+10 <= len(s) && s[i+4] == '\\' && s[i+5] == 'u' && allHex(s[i+6:i+10]) {
			if pair := utf16.DecodeRune(u, rune(hexValue(s[i+6:i+10]))); pair != utf8.RuneError {
				return pair, 10
			}
		}
		return utf8.RuneError, 4
	}
	return u, 4
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func hexValue(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v*16 + int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v*16 + int(c-'a'+10)
		default:
			v = v*16 + int(c-'A'+10)
		}
	}
	return v
}

// unquote decodes a quoted literal (quotes included). Kibana's escapes are
// \t \r \n \uXXXX \\ and \"; any other backslash is kept as written.
func unquote(raw string) string {
	body := raw[1 : len(raw)-1]
	if strings.IndexByte(body, '\\') < 0 {
		return body
	}
	var b strings.Builder
	b.Grow(len(body))
	for i := 0; i < len(body); {
		c := body[i]
		if c != '\\' || i+1 >= len(body) {
			b.WriteByte(c)
			i++
			continue
		}
		switch next := body[i+1]; {
		case next == 't':
			b.WriteByte('\t')
			i += 2
		case next == 'r':
			b.WriteByte('\r')
			i += 2
		case next == 'n':
			b.WriteByte('\n')
			i += 2
		case next == '\\' || next == '"':
			b.WriteByte(next)
			i += 2
		case next == 'u' && i+6 <= len(body) && allHex(body[i+2:i+6]):
			r, n := decodeUnicode(body, i+2)
			b.WriteRune(r)
			i += 2 + n
		default:
			b.WriteByte('\\')
			i++
		}
	}
	return b.String()
}

// unescapeUnquoted decodes an unquoted literal as the lexer delimited it
// (only valid escapes). It returns the trimmed value and, when the literal
// holds an unescaped `*`, the pieces between the stars.
func unescapeUnquoted(raw string) (string, []string) {
	if strings.IndexByte(raw, '\\') < 0 && strings.IndexByte(raw, '*') < 0 {
		return trimJS(raw), nil
	}
	var (
		b      strings.Builder
		pieces []string
		start  int // where the current piece starts in b
	)
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '*':
			pieces = append(pieces, b.String()[start:])
			b.WriteByte('*')
			start = b.Len()
			i++
		case c == '\\' && i+1 < len(raw):
			switch next := raw[i+1]; {
			case next == 't':
				b.WriteByte('\t')
				i += 2
			case next == 'r':
				b.WriteByte('\r')
				i += 2
			case next == 'n':
				b.WriteByte('\n')
				i += 2
			case next == 'u' && i+6 <= len(raw) && allHex(raw[i+2:i+6]):
				r, n := decodeUnicode(raw, i+2)
				b.WriteRune(r)
				i += 2 + n
			case isSpecial(next):
				b.WriteByte(next)
				i += 2
			default: // an escaped keyword: or, and, not (any case)
				n := 2
				if !wordAt(raw, i+1, "or") {
					n = 3
				}
				b.WriteString(raw[i+1 : i+1+n])
				i += 1 + n
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
	value := b.String()
	if pieces == nil {
		return trimJS(value), nil
	}
	pieces = append(pieces, value[start:])
	// Kibana trims the whole sequence, stars included, so only the outer
	// ends of the first and last pieces can lose whitespace.
	pieces[0] = strings.TrimLeftFunc(pieces[0], isJSSpace)
	last := len(pieces) - 1
	pieces[last] = strings.TrimRightFunc(pieces[last], isJSSpace)
	return strings.Join(pieces, "*"), pieces
}

// trimJS trims s as JavaScript's String.prototype.trim does.
func trimJS(s string) string { return strings.TrimFunc(s, isJSSpace) }

// isJSSpace reports whether r is whitespace or a line terminator for
// JavaScript (ECMAScript WhiteSpace and LineTerminator).
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}
