package insights

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// Token types of the Logs Insights lexer.
const (
	tokEOF   lexer.TokenType = lexer.EOF
	tokIdent lexer.TokenType = -(iota + 10)
	tokQuotedIdent
	tokString
	tokRegex
	tokNumber
	tokPunct
)

// queryLexer is the hand-written lexer of Logs Insights QL. It is
// hand-written because `/` is ambiguous: after `like` or `=~` it opens a
// regex literal, elsewhere it divides.
type queryLexer struct{}

func (queryLexer) Symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{
		"EOF":    tokEOF,
		"Ident":  tokIdent,
		"QIdent": tokQuotedIdent,
		"String": tokString,
		"Regex":  tokRegex,
		"Number": tokNumber,
		"Punct":  tokPunct,
	}
}

func (d queryLexer) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexString(filename, string(b))
}

func (queryLexer) LexString(filename string, input string) (lexer.Lexer, error) {
	toks, err := tokenize(filename, input)
	if err != nil {
		return nil, err
	}
	return &tokenList{toks: toks}, nil
}

type tokenList struct {
	toks []lexer.Token
	i    int
}

func (l *tokenList) Next() (lexer.Token, error) {
	t := l.toks[l.i]
	if l.i < len(l.toks)-1 {
		l.i++
	}
	return t, nil
}

// twoCharOps are the multi-character operators.
var twoCharOps = []string{"=~", "!=", "<=", ">="}

const singleCharOps = "|,()[]=<>+-*/%^"

// tokenize splits a query into tokens. Whitespace and `#` comments are
// dropped.
func tokenize(filename, src string) ([]lexer.Token, error) {
	var toks []lexer.Token
	line, col := 1, 1
	i := 0
	pos := func() lexer.Position {
		return lexer.Position{Filename: filename, Offset: i, Line: line, Column: col}
	}
	advance := func(n int) {
		for _, r := range src[i : i+n] {
			if r == '\n' {
				line++
				col = 1
			} else {
				col++
			}
		}
		i += n
	}
	errorf := func(p lexer.Position, format string, args ...any) error {
		return &SyntaxError{Line: p.Line, Col: p.Column, Msg: fmt.Sprintf(format, args...)}
	}
	// regexAllowed reports whether a `/` here opens a regex literal: only
	// right after `like` or `=~`.
	regexAllowed := func() bool {
		if len(toks) == 0 {
			return false
		}
		last := toks[len(toks)-1]
		return (last.Type == tokIdent && strings.EqualFold(last.Value, "like")) ||
			(last.Type == tokPunct && last.Value == "=~")
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			advance(1)
		case c == '#':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src) - i
			}
			advance(j)
		case c == '"' || c == '\'':
			p := pos()
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(src) {
				if src[j] == c {
					closed = true
					break
				}
				if src[j] == '\\' && j+1 < len(src) {
					// Backslash escapes are not documented by AWS; the
					// community form `\"` is accepted: the next character
					// is taken literally.
					_, size := utf8.DecodeRuneInString(src[j+1:])
					b.WriteString(src[j+1 : j+1+size])
					j += 1 + size
					continue
				}
				b.WriteByte(src[j])
				j++
			}
			if !closed {
				return nil, errorf(p, "unterminated string starting with %c", c)
			}
			advance(j + 1 - i)
			toks = append(toks, lexer.Token{Type: tokString, Value: b.String(), Pos: p})
		case c == '/' && regexAllowed():
			p := pos()
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(src) {
				if src[j] == '/' {
					closed = true
					break
				}
				if src[j] == '\\' && j+1 < len(src) {
					if src[j+1] == '/' {
						b.WriteByte('/')
					} else {
						// Any other escape belongs to the regex itself.
						b.WriteByte('\\')
						b.WriteByte(src[j+1])
					}
					j += 2
					continue
				}
				b.WriteByte(src[j])
				j++
			}
			if !closed {
				return nil, errorf(p, "unterminated regex literal")
			}
			advance(j + 1 - i)
			toks = append(toks, lexer.Token{Type: tokRegex, Value: b.String(), Pos: p})
		case c >= '0' && c <= '9':
			p := pos()
			j := i
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			if j+1 < len(src) && src[j] == '.' && isDigit(src[j+1]) {
				j++
				for j < len(src) && isDigit(src[j]) {
					j++
				}
			}
			if j < len(src) && isIdentChar(src[j]) {
				return nil, errorf(p, "unexpected %q after number %s (time periods such as 5m are not supported)", src[j], src[i:j])
			}
			toks = append(toks, lexer.Token{Type: tokNumber, Value: src[i:j], Pos: p})
			advance(j - i)
		case isIdentStart(c) || c == '`':
			p := pos()
			var b strings.Builder
			quoted := false
			j := i
			for j < len(src) {
				if src[j] == '`' {
					k := strings.IndexByte(src[j+1:], '`')
					if k < 0 {
						return nil, errorf(p, "unterminated backtick-quoted name")
					}
					b.WriteString(src[j+1 : j+1+k])
					j += k + 2
					quoted = true
					continue
				}
				if !isIdentChar(src[j]) {
					break
				}
				b.WriteByte(src[j])
				j++
			}
			typ := tokIdent
			if quoted {
				typ = tokQuotedIdent
			}
			toks = append(toks, lexer.Token{Type: typ, Value: b.String(), Pos: p})
			advance(j - i)
		default:
			p := pos()
			op := ""
			for _, o := range twoCharOps {
				if strings.HasPrefix(src[i:], o) {
					op = o
					break
				}
			}
			if op == "" && strings.IndexByte(singleCharOps, c) >= 0 {
				op = string(c)
			}
			if op == "" {
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, errorf(p, "unexpected character %q", r)
			}
			toks = append(toks, lexer.Token{Type: tokPunct, Value: op, Pos: p})
			advance(len(src[i : i+len(op)]))
		}
	}
	toks = append(toks, lexer.EOFToken(pos()))
	return toks, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(c byte) bool {
	return c == '@' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '.' }

// SyntaxError is a query that does not parse, with its 1-based position.
type SyntaxError struct {
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("logs insights query %d:%d: %s", e.Line, e.Col, e.Msg)
}
