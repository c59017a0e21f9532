package jsondoc

import (
	"fmt"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Parser parses documents, reusing its memory from one document to the
// next. A Parser is not safe for concurrent use.
type Parser struct {
	// Values are handed out from blocks that never move, so that
	// pointers to them stay valid while more are added.
	blocks   [][]Value
	block, i int
	members  []member
	// text holds the decoded strings and keys that had escapes.
	text []byte
}

// valueBlock is how many Values a block holds.
const valueBlock = 256

// SyntaxError is a document that is not valid JSON.
type SyntaxError struct {
	Offset int // byte offset of the error in the document
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// ParseBytes parses one JSON document (surrounding whitespace allowed).
// The Value refers to b and to p's memory: see the package comment.
func (p *Parser) ParseBytes(b []byte) (*Value, error) {
	return p.Parse(unsafe.String(unsafe.SliceData(b), len(b)))
}

// Parse is ParseBytes for a string.
func (p *Parser) Parse(s string) (*Value, error) {
	p.block, p.i = 0, 0
	p.members = p.members[:0]
	p.text = p.text[:0]
	v := p.value()
	i, err := p.parse(s, skipSpace(s, 0), v, 0)
	if err != nil {
		return nil, err
	}
	if i = skipSpace(s, i); i != len(s) {
		return nil, syntaxError(s, i, "after the document")
	}
	return v, nil
}

// ParseBytes parses b with a new Parser.
func ParseBytes(b []byte) (*Value, error) {
	var p Parser
	return p.ParseBytes(b)
}

// value returns a fresh Value from p's blocks.
func (p *Parser) value() *Value {
	if p.block == len(p.blocks) {
		p.blocks = append(p.blocks, make([]Value, valueBlock))
	}
	v := &p.blocks[p.block][p.i]
	if p.i++; p.i == valueBlock {
		p.block, p.i = p.block+1, 0
	}
	a := v.a[:0]
	*v = Value{a: a}
	return v
}

func syntaxError(s string, i int, what string) error {
	if i >= len(s) {
		return &SyntaxError{Offset: len(s), Msg: "unexpected end " + what}
	}
	return &SyntaxError{Offset: i, Msg: fmt.Sprintf("unexpected %q %s", s[i], what)}
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t') {
		i++
	}
	return i
}

// parse reads the value starting at s[i] into v and returns the offset
// after it.
func (p *Parser) parse(s string, i int, v *Value, depth int) (int, error) {
	if i >= len(s) {
		return i, syntaxError(s, i, "where a value should start")
	}
	switch c := s[i]; c {
	case '{':
		if depth >= MaxDepth {
			return i, &SyntaxError{Offset: i, Msg: fmt.Sprintf("nested deeper than %d", MaxDepth)}
		}
		return p.object(s, i+1, v, depth+1)
	case '[':
		if depth >= MaxDepth {
			return i, &SyntaxError{Offset: i, Msg: fmt.Sprintf("nested deeper than %d", MaxDepth)}
		}
		return p.array(s, i+1, v, depth+1)
	case '"':
		text, end, err := p.str(s, i+1)
		v.t, v.s = TypeString, text
		return end, err
	case 't':
		return literal(s, i, "true", v, TypeTrue)
	case 'f':
		return literal(s, i, "false", v, TypeFalse)
	case 'n':
		return literal(s, i, "null", v, TypeNull)
	default:
		if c == '-' || c >= '0' && c <= '9' {
			end, err := number(s, i)
			v.t, v.s = TypeNumber, s[i:end]
			return end, err
		}
	}
	return i, syntaxError(s, i, "where a value should start")
}

func literal(s string, i int, word string, v *Value, t Type) (int, error) {
	if len(s)-i < len(word) || s[i:i+len(word)] != word {
		return i, syntaxError(s, i, "in a literal (true, false or null)")
	}
	v.t = t
	return i + len(word), nil
}

// object reads an object's members from s[i] (after the brace).
func (p *Parser) object(s string, i int, v *Value, depth int) (int, error) {
	v.t, v.first, v.members = TypeObject, -1, &p.members
	last := int32(-1)
	i = skipSpace(s, i)
	if i < len(s) && s[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(s) || s[i] != '"' {
			return i, syntaxError(s, i, "where a key should start")
		}
		key, end, err := p.str(s, i+1)
		if err != nil {
			return end, err
		}
		i = end
		if i < len(s) && s[i] != ':' {
			i = skipSpace(s, i)
		}
		if i >= len(s) || s[i] != ':' {
			return i, syntaxError(s, i, "after a key (a colon should follow)")
		}
		i = skipSpace(s, i+1)
		x := p.value()
		if i, err = p.parse(s, i, x, depth); err != nil {
			return i, err
		}
		at := int32(len(p.members))
		p.members = append(p.members, member{key: key, v: x, next: -1})
		if last < 0 {
			v.first = at
		} else {
			p.members[last].next = at
		}
		last = at
		v.n++
		if i < len(s) && s[i] != ',' && s[i] != '}' {
			i = skipSpace(s, i)
		}
		if i < len(s) && s[i] == ',' {
			i = skipSpace(s, i+1)
			continue
		}
		if i < len(s) && s[i] == '}' {
			return i + 1, nil
		}
		return i, syntaxError(s, i, "in an object (a comma or a closing brace should follow)")
	}
}

// array reads an array's elements from s[i] (after the bracket).
func (p *Parser) array(s string, i int, v *Value, depth int) (int, error) {
	v.t = TypeArray
	i = skipSpace(s, i)
	if i < len(s) && s[i] == ']' {
		return i + 1, nil
	}
	for {
		x := p.value()
		var err error
		if i, err = p.parse(s, i, x, depth); err != nil {
			return i, err
		}
		v.a = append(v.a, x)
		if i < len(s) && s[i] != ',' && s[i] != ']' {
			i = skipSpace(s, i)
		}
		if i < len(s) && s[i] == ',' {
			i = skipSpace(s, i+1)
			continue
		}
		if i < len(s) && s[i] == ']' {
			return i + 1, nil
		}
		return i, syntaxError(s, i, "in an array (a comma or a closing bracket should follow)")
	}
}

// number checks the number starting at s[i] and returns its end.
func number(s string, i int) (int, error) {
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(s, i+1)
	default:
		return i, syntaxError(s, i, "in a number")
	}
	if i < len(s) && s[i] == '.' {
		d := digits(s, i+1)
		if d == i+1 {
			return d, syntaxError(s, d, "in a number (a digit should follow the point)")
		}
		i = d
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := digits(s, i)
		if d == i {
			return d, syntaxError(s, d, "in a number's exponent")
		}
		i = d
	}
	return i, nil
}

func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// str reads a string from s[i] (after its opening quote): its decoded
// text and the offset after its closing quote. Text without escapes is s
// itself; decoded text lives in p.text.
func (p *Parser) str(s string, i int) (string, int, error) {
	start := i
	// Eight bytes at a time: stop at a quote, a backslash or a control
	// character (each byte b of w is tested with the classic "has a zero
	// byte" trick on b^'"', b^'\\' and b-0x20; the lowest flagged byte is
	// exact).
	for i+8 <= len(s) {
		w := *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i))
		q := w ^ (lsb * '"')
		b := w ^ (lsb * '\\')
		m := ((q - lsb) &^ q) | ((b - lsb) &^ b) | ((w - lsb*0x20) &^ w)
		if m &= msb; m != 0 {
			i += bits.TrailingZeros64(m) >> 3
			break
		}
		i += 8
	}
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[start:i], i + 1, nil
		case c == '\\':
			return p.unescape(s, start, i)
		case c < 0x20:
			return "", i, syntaxError(s, i, "in a string (control characters must be escaped)")
		}
	}
	return "", i, syntaxError(s, i, "in a string (no closing quote)")
}

// unescape decodes the string that starts at s[start] and has its first
// backslash at s[i].
func (p *Parser) unescape(s string, start, i int) (string, int, error) {
	from := len(p.text)
	p.text = append(p.text, s[start:i]...)
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			t := p.text[from:]
			return unsafe.String(unsafe.SliceData(t), len(t)), i + 1, nil
		case c < 0x20:
			return "", i, syntaxError(s, i, "in a string (control characters must be escaped)")
		case c != '\\':
			p.text = append(p.text, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", len(s), syntaxError(s, len(s), "in a string's escape")
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			p.text = append(p.text, e)
		case 'b':
			p.text = append(p.text, '\b')
		case 'f':
			p.text = append(p.text, '\f')
		case 'n':
			p.text = append(p.text, '\n')
		case 'r':
			p.text = append(p.text, '\r')
		case 't':
			p.text = append(p.text, '\t')
		case 'u':
			r, ok := hex4(s, i+2)
			if !ok {
				return "", i, syntaxError(s, i+1, "in a string's \\u escape (four hex digits should follow)")
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2, ok = hex4(s, i+2)
				}
				if pair := utf16.DecodeRune(r, r2); ok && pair != utf8.RuneError {
					r = pair
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			p.text = utf8.AppendRune(p.text, r)
			continue
		default:
			return "", i, syntaxError(s, i+1, "in a string's escape")
		}
		i += 2
	}
	return "", i, syntaxError(s, i, "in a string (no closing quote)")
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
