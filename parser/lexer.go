package parser

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// Token types of the KQL lexer. Whitespace is never emitted: the lexer
// decides itself, as Kibana's grammar does, whether a run of whitespace
// introduces an `or`/`and` keyword or only separates tokens.
const (
	tokEOF                      = lexer.EOF
	tokOr       lexer.TokenType = iota + 1 // `or` with whitespace before and after
	tokAnd                                 // `and` with whitespace before and after
	tokNot                                 // `not` followed by whitespace
	tokLParen                              // (
	tokRParen                              // )
	tokLBrace                              // {
	tokRBrace                              // }
	tokColon                               // :
	tokRange                               // < <= > >=
	tokQuoted                              // "..." (raw, quotes included)
	tokUnquoted                            // an unquoted literal (raw, trailing whitespace trimmed)
	tokInvalid                             // input the lexer rejects; see lexState.invalid
)

// MaxQueryLength bounds a query's text in bytes (128 KiB, thirteen times
// the longest query of Elastic's detection rules); a longer query is a
// syntax error, so that no input makes parsing slow.
const MaxQueryLength = 128 << 10

// MaxDepth is how deeply parentheses and braces may nest. Deeper input is a
// syntax error, so that no input can exhaust the parser's stack.
const MaxDepth = 100

// tokenNames is built by a function: the grammar, a package variable, asks
// for it during package initialisation.
func tokenNames() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{
		"EOF":      tokEOF,
		"Or":       tokOr,
		"And":      tokAnd,
		"Not":      tokNot,
		"LParen":   tokLParen,
		"RParen":   tokRParen,
		"LBrace":   tokLBrace,
		"RBrace":   tokRBrace,
		"Colon":    tokColon,
		"Range":    tokRange,
		"Quoted":   tokQuoted,
		"Unquoted": tokUnquoted,
		"Invalid":  tokInvalid,
	}
}

// kqlLexer is the hand-written lexer.Definition for KQL.
type kqlLexer struct{}

// Symbols implements lexer.Definition.
func (kqlLexer) Symbols() map[string]lexer.TokenType { return tokenNames() }

// Lex implements lexer.Definition.
func (d kqlLexer) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexString(filename, string(b))
}

// LexString implements lexer.StringDefinition.
func (kqlLexer) LexString(filename string, input string) (lexer.Lexer, error) {
	s := &lexState{src: input, line: 1, col: 1, operand: true}
	s.filename = filename
	return s, nil
}

// lexState scans one query. It is also the lexer.Lexer handed to participle.
type lexState struct {
	src      string
	filename string
	// pos, line and col are the scanning cursor; line and col are 1-based,
	// col counts code points.
	pos, line, col int
	// operand is set when the next token starts an operand (after the
	// start, `(`, `{`, `:`, a range operator or a keyword). Kibana's
	// grammar consumes whitespace there, so a following `or`/`and` is text.
	operand bool
	depth   int
	done    bool
	// invalid holds, for each tokInvalid emitted, what is wrong with it.
	invalid []invalidToken
}

type invalidToken struct {
	offset int
	msg    string
	hint   string
}

// spaceLen reports whether s[i] starts a KQL whitespace character (space,
// tab, CR, LF, or U+00A0, encoded C2 A0): it returns the character's
// encoded length, or 0.
func spaceLen(s string, i int) int {
	switch s[i] {
	case ' ', '\t', '\r', '\n':
		return 1
	case 0xC2:
		if i+1 < len(s) && s[i+1] == 0xA0 {
			return 2
		}
	}
	return 0
}

// skipSpaces returns the offset after the run of whitespace at i.
func skipSpaces(s string, i int) int {
	for i < len(s) {
		n := spaceLen(s, i)
		if n == 0 {
			break
		}
		i += n
	}
	return i
}

// wordAt reports whether s[i:] starts with word (ASCII, any case).
func wordAt(s string, i int, word string) bool {
	if len(s)-i < len(word) {
		return false
	}
	for j := 0; j < len(word); j++ {
		c := s[i+j]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != word[j] {
			return false
		}
	}
	return true
}

// binaryKeywordAt checks for Kibana's `Or`/`And` at i, which must be a
// whitespace run: Space+ ('or'|'and') Space+. It returns the token type,
// the keyword's offset and its length, or a zero type when there is none.
func binaryKeywordAt(s string, i int) (lexer.TokenType, int, int) {
	j := skipSpaces(s, i)
	if j == i {
		return 0, 0, 0
	}
	switch {
	case wordAt(s, j, "or") && j+2 < len(s) && spaceLen(s, j+2) > 0:
		return tokOr, j, 2
	case wordAt(s, j, "and") && j+3 < len(s) && spaceLen(s, j+3) > 0:
		return tokAnd, j, 3
	}
	return 0, 0, 0
}

// notKeywordAt checks for Kibana's `Not` at i: 'not' Space+.
func notKeywordAt(s string, i int) bool {
	return wordAt(s, i, "not") && i+3 < len(s) && spaceLen(s, i+3) > 0
}

// isSpecial reports whether c is one of Kibana's special characters
// \ ( ) : < > " * { }.
func isSpecial(c byte) bool {
	switch c {
	case '\\', '(', ')', ':', '<', '>', '"', '*', '{', '}':
		return true
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// escapeLen returns the length of the valid unquoted-literal escape at i
// (s[i] is a backslash), or 0 if it is not one.
func escapeLen(s string, i int) int {
	if i+1 >= len(s) {
		return 0
	}
	c := s[i+1]
	switch {
	case c == 't' || c == 'r' || c == 'n' || isSpecial(c):
		return 2
	case c == 'u' && i+5 < len(s) && isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5]):
		return 6
	case wordAt(s, i+1, "or"):
		return 3
	case wordAt(s, i+1, "and"), wordAt(s, i+1, "not"):
		return 4
	}
	return 0
}

// advance moves the cursor to offset end, keeping line and col.
func (s *lexState) advance(end int) {
	for i := s.pos; i < end; i++ {
		c := s.src[i]
		if c == '\n' {
			s.line++
			s.col = 1
		} else if c < 0x80 || c >= 0xC0 {
			s.col++
		}
	}
	s.pos = end
}

func (s *lexState) position() lexer.Position {
	return lexer.Position{Filename: s.filename, Offset: s.pos, Line: s.line, Column: s.col}
}

// emit returns the token of type t spanning the cursor to end, and moves
// past it.
func (s *lexState) emit(t lexer.TokenType, end int) lexer.Token {
	tok := lexer.Token{Type: t, Value: s.src[s.pos:end], Pos: s.position()}
	s.advance(end)
	switch t {
	case tokQuoted, tokUnquoted, tokRParen, tokRBrace, tokInvalid:
		s.operand = false
	default:
		s.operand = true
	}
	return tok
}

func (s *lexState) emitInvalid(end int, msg, hint string) lexer.Token {
	s.invalid = append(s.invalid, invalidToken{offset: s.pos, msg: msg, hint: hint})
	return s.emit(tokInvalid, end)
}

// Next implements lexer.Lexer.
func (s *lexState) Next() (lexer.Token, error) {
	src := s.src
	if s.pos < len(src) && spaceLen(src, s.pos) > 0 {
		if !s.operand {
			if t, at, n := binaryKeywordAt(src, s.pos); t != 0 {
				s.advance(at)
				return s.emit(t, at+n), nil
			}
		}
		s.advance(skipSpaces(src, s.pos))
	}
	i := s.pos
	if i >= len(src) {
		return lexer.Token{Type: tokEOF, Pos: s.position()}, nil
	}
	switch c := src[i]; c {
	case '(', '{':
		s.depth++
		if s.depth > MaxDepth {
			// Everything after this point is one invalid token, so the
			// parser never recurses deeper.
			return s.emitInvalid(len(src), "parentheses and braces nest deeper than the limit of 100",
				"split the query or remove redundant parentheses"), nil
		}
		if c == '(' {
			return s.emit(tokLParen, i+1), nil
		}
		return s.emit(tokLBrace, i+1), nil
	case ')', '}':
		// An unmatched closer is a syntax error at that token, so the
		// count never needs to go below zero.
		if s.depth > 0 {
			s.depth--
		}
		if c == ')' {
			return s.emit(tokRParen, i+1), nil
		}
		return s.emit(tokRBrace, i+1), nil
	case ':':
		return s.emit(tokColon, i+1), nil
	case '<', '>':
		if i+1 < len(src) && src[i+1] == '=' {
			return s.emit(tokRange, i+2), nil
		}
		return s.emit(tokRange, i+1), nil
	case '"':
		return s.quoted(), nil
	case '\\':
		if escapeLen(src, i) == 0 {
			end := i + 1
			if end < len(src) {
				_, n := utf8.DecodeRuneInString(src[end:])
				end += n
			}
			return s.emitInvalid(end, "invalid escape "+quoteForMessage(src[i:end])+" in an unquoted value",
				`outside quotes a backslash escapes only \ ( ) : < > " * { }, the keywords or/and/not, \t \r \n and \uXXXX; write \\ for a backslash or quote the value`), nil
		}
	}
	if notKeywordAt(src, i) {
		return s.emit(tokNot, i+3), nil
	}
	return s.unquoted(), nil
}

// quoted scans a double-quoted string starting at the cursor.
func (s *lexState) quoted() lexer.Token {
	src := s.src
	for i := s.pos + 1; i < len(src); {
		switch src[i] {
		case '"':
			return s.emit(tokQuoted, i+1)
		case '\\':
			if i+1 < len(src) && (src[i+1] == '"' || src[i+1] == '\\') {
				i += 2
				continue
			}
		}
		i++
	}
	return s.emitInvalid(len(src), "unterminated quoted string", `close the string with "; write \" for a quote inside it`)
}

// unquoted scans an unquoted literal: Kibana's UnquotedCharacter+, which
// stops before a special character, an invalid escape or a keyword. Trailing
// whitespace is left out of the token.
func (s *lexState) unquoted() lexer.Token {
	src := s.src
	i := s.pos
	lastNonSpace := i
scan:
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\\':
			n := escapeLen(src, i)
			if n == 0 {
				break scan
			}
			i += n
			lastNonSpace = i
		case c == '*':
			i++
			lastNonSpace = i
		case isSpecial(c):
			break scan
		case spaceLen(src, i) > 0:
			if t, _, _ := binaryKeywordAt(src, i); t != 0 {
				break scan
			}
			// Every position in this run sees the same keyword test, so
			// the whole run can be taken at once.
			i = skipSpaces(src, i)
		case (c == 'n' || c == 'N') && i > s.pos && notKeywordAt(src, i):
			break scan
		case c < utf8.RuneSelf:
			i++
			lastNonSpace = i
		default:
			_, n := utf8.DecodeRuneInString(src[i:])
			i += n
			lastNonSpace = i
		}
	}
	return s.emit(tokUnquoted, lastNonSpace)
}

// quoteForMessage renders source text for an error message.
func quoteForMessage(text string) string {
	if strings.ContainsAny(text, "\"\n\r\t") || !utf8.ValidString(text) {
		var b strings.Builder
		b.WriteByte('"')
		for _, r := range text {
			switch r {
			case '"':
				b.WriteString(`\"`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
		return b.String()
	}
	return `"` + text + `"`
}
