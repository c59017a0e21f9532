package parser

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format prints q as canonical KQL: lower-case keywords, `field: value`,
// value lists kept as written, the parentheses the tree needs and no
// others, values re-escaped. Parsing the result gives the same tree
// (positions aside). The empty query prints as "".
func Format(q *Query) string {
	if q == nil || q.Expr == nil {
		return ""
	}
	var b strings.Builder
	formatExpr(&b, q.Expr, false)
	return b.String()
}

// FormatExpr prints one expression as Format does.
func FormatExpr(e Expr) string {
	var b strings.Builder
	formatExpr(&b, e, false)
	return b.String()
}

// needsParens reports whether operand x of a parent of kind parent ("or",
// "and", "not") must be parenthesised to parse back to the same tree.
func needsParens(parent string, x Expr) bool {
	switch x.(type) {
	case *Or:
		return true // or binds loosest; a nested Or only comes from parentheses
	case *And:
		return parent != "or"
	case *Not:
		return parent == "not" // `not not x` is not KQL
	}
	return false
}

func formatOperand(b *strings.Builder, parent string, x Expr, inList bool) {
	if needsParens(parent, x) {
		b.WriteByte('(')
		formatExpr(b, x, inList)
		b.WriteByte(')')
		return
	}
	formatExpr(b, x, inList)
}

func formatExpr(b *strings.Builder, e Expr, inList bool) {
	switch e := e.(type) {
	case *Or:
		for i, x := range e.X {
			if i > 0 {
				b.WriteString(" or ")
			}
			formatOperand(b, "or", x, inList)
		}
	case *And:
		for i, x := range e.X {
			if i > 0 {
				b.WriteString(" and ")
			}
			formatOperand(b, "and", x, inList)
		}
	case *Not:
		b.WriteString("not ")
		formatOperand(b, "not", e.X, inList)
	case *Match:
		writeLiteral(b, e.Field)
		b.WriteString(": ")
		formatValue(b, e.Value)
	case *Range:
		writeLiteral(b, e.Field)
		b.WriteByte(' ')
		b.WriteString(e.Op)
		b.WriteByte(' ')
		writeLiteral(b, e.Value)
	case *Nested:
		writeLiteral(b, e.Path)
		b.WriteString(": { ")
		formatExpr(b, e.X, false)
		b.WriteString(" }")
	case *Literal:
		writeLiteral(b, e)
	}
}

// formatValue prints the value side of a Match: a literal, or a value
// list in parentheses.
func formatValue(b *strings.Builder, v Expr) {
	if l, ok := v.(*Literal); ok {
		writeLiteral(b, l)
		return
	}
	b.WriteByte('(')
	formatExpr(b, v, true)
	b.WriteByte(')')
}

// writeLiteral prints a literal so that it reads back with the same value,
// quoting and wildcards.
func writeLiteral(b *strings.Builder, l *Literal) {
	switch {
	case l.Quoted:
		b.WriteString(QuoteString(l.Value))
	case l.Pieces != nil:
		for i, p := range l.Pieces {
			if i > 0 {
				b.WriteByte('*')
			}
			b.WriteString(EscapeValue(p))
		}
	case l.Value == "":
		// An unquoted literal of only JavaScript whitespace (such as a
		// vertical tab) is trimmed to nothing; \t reads back the same way.
		b.WriteString(`\t`)
	default:
		b.WriteString(EscapeValue(l.Value))
	}
}

// QuoteString returns s as a KQL quoted string: backslash and double quote
// are escaped, and so are tab, CR and LF for readability.
func QuoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// EscapeValue escapes s for use as an unquoted KQL value, as Kibana's
// escapeKuery does: the special characters \ ( ) : < > " * { } get a
// backslash, tab, CR and LF become \t \r \n, and a keyword that would be
// read as an operator (`or`/`and` between spaces, `not` before a space) is
// written \or, \and, \Not; a lower-case not becomes \u006eot, because
// Kibana's grammar reads \not as a newline followed by "ot". The end of s counts as a space, since an
// operator may follow the value. Every `*` in s is escaped: build wildcard
// values from escaped pieces joined by `*`.
func EscapeValue(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 4)
	afterSpace := false // the previous character was a KQL space
	for i := 0; i < len(s); {
		c := s[i]
		if afterSpace {
			if n := keywordLen(s, i, "or", "and"); n > 0 {
				b.WriteByte('\\')
				b.WriteString(s[i : i+n])
				i += n
				afterSpace = false
				continue
			}
		}
		if n := keywordLen(s, i, "not"); n > 0 {
			if s[i] == 'n' {
				// Kibana reads \n as a newline before it tries the escaped
				// keywords, so a lower-case n is written as \u006e.
				b.WriteString(`\u006e`)
			} else {
				b.WriteByte('\\')
				b.WriteByte(s[i])
			}
			b.WriteString(s[i+1 : i+n])
			i += n
			afterSpace = false
			continue
		}
		switch {
		case c < utf8.RuneSelf && isSpecial(c):
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
		afterSpace = spaceLen(s, i) > 0
		i++
		if c == 0xC2 && afterSpace { // the second byte of U+00A0
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

// keywordLen returns the length of one of words at s[i:] (any case) when it
// is followed by a space or by the end of s, else 0.
func keywordLen(s string, i int, words ...string) int {
	for _, w := range words {
		if wordAt(s, i, w) {
			j := i + len(w)
			if j == len(s) || spaceLen(s, j) > 0 {
				return len(w)
			}
		}
	}
	return 0
}

// Pretty prints q like Format, but breaks an and/or that does not fit in
// width columns: one operand per line, the keyword leading, parenthesised
// groups indented by two spaces. The result parses back to the same tree.
func Pretty(q *Query, width int) string {
	if q == nil || q.Expr == nil {
		return ""
	}
	p := prettyPrinter{width: width}
	p.expr(q.Expr, 0, 0, false)
	return p.b.String()
}

type prettyPrinter struct {
	b     strings.Builder
	width int
}

func flatText(e Expr, inList bool) string {
	var flat strings.Builder
	formatExpr(&flat, e, inList)
	return flat.String()
}

func (p *prettyPrinter) fits(col int, text string) bool {
	return col+utf8.RuneCountInString(text) <= p.width
}

func (p *prettyPrinter) newline(indent int) {
	p.b.WriteByte('\n')
	p.b.WriteString(strings.Repeat(" ", indent))
}

// expr prints e starting at column col of a line indented by indent.
func (p *prettyPrinter) expr(e Expr, indent, col int, inList bool) {
	flat := flatText(e, inList)
	if p.fits(col, flat) {
		p.b.WriteString(flat)
		return
	}
	var (
		op string
		xs []Expr
	)
	switch e := e.(type) {
	case *Or:
		op, xs = "or", e.X
	case *And:
		op, xs = "and", e.X
	case *Not:
		p.b.WriteString("not ")
		p.operand("not", e.X, indent, col+4, inList)
		return
	case *Match:
		if _, isList := e.Value.(*Literal); isList {
			p.b.WriteString(flat)
			return
		}
		var field strings.Builder
		writeLiteral(&field, e.Field)
		field.WriteString(": ")
		p.b.WriteString(field.String())
		p.group(e.Value, indent, col+utf8.RuneCountInString(field.String()), true)
		return
	case *Nested:
		writeLiteral(&p.b, e.Path)
		p.b.WriteString(": {")
		p.newline(indent + 2)
		p.expr(e.X, indent+2, indent+2, false)
		p.newline(indent)
		p.b.WriteByte('}')
		return
	default:
		p.b.WriteString(flat)
		return
	}
	for i, x := range xs {
		if i > 0 {
			p.newline(indent)
			p.b.WriteString(op)
			p.b.WriteByte(' ')
			col = indent + len(op) + 1
		}
		p.operand(op, x, indent, col, inList)
	}
}

// operand prints x under parent (or, and, not), in parentheses if the tree
// needs them.
func (p *prettyPrinter) operand(parent string, x Expr, indent, col int, inList bool) {
	if needsParens(parent, x) {
		p.group(x, indent, col, inList)
		return
	}
	p.expr(x, indent, col, inList)
}

// group prints x in parentheses, on one line if it fits, else with its
// operands on their own lines indented by two more spaces.
func (p *prettyPrinter) group(x Expr, indent, col int, inList bool) {
	flat := flatText(x, inList)
	if p.fits(col, flat) && p.fits(col+2, flat) {
		p.b.WriteByte('(')
		p.b.WriteString(flat)
		p.b.WriteByte(')')
		return
	}
	p.b.WriteByte('(')
	p.newline(indent + 2)
	p.expr(x, indent+2, indent+2, inList)
	p.newline(indent)
	p.b.WriteByte(')')
}

// Dump prints an expression as a compact tree for tests and for `detc kql`:
// or(...), and(...), not(...), field:value, field>=value, path:{...}. An
// unquoted literal prints as a Go string ("v"), a quoted one with a q
// prefix (q"v"), a wildcard with a w prefix and its unescaped stars
// (w"foo*", a literal star inside it shows as \*). Free text is a bare
// literal.
func Dump(e Expr) string {
	var b strings.Builder
	dump(&b, e)
	return b.String()
}

func dump(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case nil:
		b.WriteString("<empty>")
	case *Or:
		dumpList(b, "or", e.X)
	case *And:
		dumpList(b, "and", e.X)
	case *Not:
		b.WriteString("not(")
		dump(b, e.X)
		b.WriteByte(')')
	case *Match:
		dumpLiteral(b, e.Field)
		b.WriteByte(':')
		dump(b, e.Value)
	case *Range:
		dumpLiteral(b, e.Field)
		b.WriteString(e.Op)
		dumpLiteral(b, e.Value)
	case *Nested:
		dumpLiteral(b, e.Path)
		b.WriteString(":{")
		dump(b, e.X)
		b.WriteByte('}')
	case *Literal:
		dumpLiteral(b, e)
	}
}

func dumpList(b *strings.Builder, op string, xs []Expr) {
	b.WriteString(op)
	b.WriteByte('(')
	for i, x := range xs {
		if i > 0 {
			b.WriteString(", ")
		}
		dump(b, x)
	}
	b.WriteByte(')')
}

func dumpLiteral(b *strings.Builder, l *Literal) {
	switch {
	case l.Quoted:
		b.WriteByte('q')
		b.WriteString(strconv.Quote(l.Value))
	case l.Pieces != nil:
		parts := make([]string, len(l.Pieces))
		for i, p := range l.Pieces {
			q := strconv.Quote(p)
			parts[i] = strings.ReplaceAll(q[1:len(q)-1], "*", `\*`)
		}
		b.WriteString(`w"`)
		b.WriteString(strings.Join(parts, "*"))
		b.WriteByte('"')
	default:
		b.WriteString(strconv.Quote(l.Value))
	}
}
