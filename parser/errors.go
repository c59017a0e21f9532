package parser

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// SyntaxError is a query that KQL's grammar rejects. Its position is within
// the query; Msg says what was expected and what was found.
type SyntaxError struct {
	Pos
	Msg string
	// Hint says how to fix the query, when there is a likely fix.
	Hint string
}

// Error renders the error as line:col: message.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
}

// newSyntaxError turns participle's error into a SyntaxError. The grammar
// is LL(1), so participle stops at the first token that cannot continue the
// query; what was expected there follows from the tokens before it, which
// are lexed again here (errors are rare, so this costs nothing on the
// success path).
func newSyntaxError(query string, lx *lexState, err error) error {
	var perr participle.Error
	if !errors.As(err, &perr) {
		return err
	}
	at := perr.Position().Offset
	for _, inv := range lx.invalid {
		if inv.offset == at {
			return &SyntaxError{Pos: posAt(query, at), Msg: inv.msg, Hint: inv.hint}
		}
	}
	// Re-lex up to the failing token, tracking open brackets.
	relex := &lexState{src: query, line: 1, col: 1, operand: true}
	var (
		prev, prev2 lexer.Token
		found       lexer.Token
		stack       []bracket
	)
	for {
		t, _ := relex.Next()
		if t.Pos.Offset >= at || t.Type == tokEOF {
			found = t
			break
		}
		switch t.Type {
		case tokLParen:
			kind := bracketGroup
			if prev.Type == tokColon || len(stack) > 0 && stack[len(stack)-1] == bracketList {
				kind = bracketList
			}
			stack = append(stack, kind)
		case tokLBrace:
			stack = append(stack, bracketNested)
		case tokRParen, tokRBrace:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
		prev2, prev = prev, t
	}
	inList := len(stack) > 0 && stack[len(stack)-1] == bracketList
	msg, hint := expectation(prev, prev2, found, inList, stack)
	return &SyntaxError{
		Pos:  posAt(query, at),
		Msg:  fmt.Sprintf("%s but found %s", msg, describe(found)),
		Hint: hint,
	}
}

type bracket uint8

const (
	bracketGroup  bracket = iota // ( query )
	bracketList                  // field:( values )
	bracketNested                // field:{ query }
)

// expectation says what the grammar accepts after prev (and prev2 before
// it), inside the given brackets.
func expectation(prev, prev2, found lexer.Token, inList bool, stack []bracket) (msg, hint string) {
	operand := "a field name, a value, \"(\" or \"not\""
	if inList {
		operand = "a value, \"(\" or \"not\""
	}
	switch prev.Type {
	case 0:
		return "expected " + operand + " at the start of the query", ""
	case tokColon:
		field := "field"
		if prev2.Type == tokQuoted || prev2.Type == tokUnquoted {
			field = prev2.Value
		}
		msg = fmt.Sprintf("expected a value, \"(\" or \"{\" after %s", quoteForMessage(field+":"))
		switch found.Type {
		case tokNot:
			return msg, fmt.Sprintf("to negate a value write %s (not ...), or not %s ...", field+":", field+":")
		case tokEOF:
			return msg, fmt.Sprintf(`give the field a value, or write %s* to test that it exists`, field+":")
		}
		return msg, `quote a value that starts with a special character: field: "<value>"`
	case tokRange:
		return fmt.Sprintf("expected a value after %s", quoteForMessage(prev.Value)),
			"a range compares with one value: field >= 10"
	case tokOr, tokAnd:
		msg = fmt.Sprintf("expected %s after %s", operand, quoteForMessage(prev.Value))
		if found.Type == tokEOF || found.Type == tokRParen || found.Type == tokRBrace {
			return msg, `remove the dangling keyword, or quote it or escape it as \` + prev.Value + ` to search for the word itself`
		}
		return msg, ""
	case tokNot:
		after := "a field name, a value or \"(\""
		if inList {
			after = "a value or \"(\""
		}
		msg = fmt.Sprintf("expected %s after %s", after, quoteForMessage(prev.Value))
		if found.Type == tokNot {
			return msg, "a double negation needs parentheses: not (not a)"
		}
		return msg, ""
	case tokLParen:
		return "expected " + operand + " after \"(\"", ""
	case tokLBrace:
		return "expected a field name, a value, \"(\" or \"not\" after \"{\"", ""
	}
	// prev ended an operand: only a keyword or a closing bracket may follow.
	closer := "end of query"
	if len(stack) > 0 {
		switch stack[len(stack)-1] {
		case bracketNested:
			closer = `"}"`
		default:
			closer = `")"`
		}
	}
	if prev.Type == tokUnquoted && !inList && prev2.Type != tokColon && prev2.Type != tokRange {
		msg = fmt.Sprintf(`expected ":", a range operator, "and", "or" or %s`, closer)
	} else {
		msg = fmt.Sprintf(`expected "and", "or" or %s`, closer)
	}
	switch found.Type {
	case tokNot:
		return msg, `an unquoted value stops before "not " (even inside a word such as "cannot x"); quote the value`
	case tokColon, tokRange, tokQuoted, tokLParen, tokLBrace:
		return msg, `quote a value that holds special characters (\ ( ) : < > " * { }), or escape them with \`
	case tokUnquoted:
		return msg, "and/or need whitespace on both sides"
	}
	return msg, ""
}

// describe names a token for an error message.
func describe(t lexer.Token) string {
	if t.Type == tokEOF {
		return "end of query"
	}
	v := t.Value
	if utf8.RuneCountInString(v) > 24 {
		n := 0
		for i := range v {
			if n == 20 {
				v = v[:i] + "…"
				break
			}
			n++
		}
	}
	return quoteForMessage(v)
}

// posAt computes the position of byte offset off in query.
func posAt(query string, off int) Pos {
	p := Pos{Offset: off, Line: 1, Col: 1}
	for i := 0; i < off && i < len(query); i++ {
		c := query[i]
		if c == '\n' {
			p.Line++
			p.Col = 1
		} else if c < 0x80 || c >= 0xC0 {
			p.Col++
		}
	}
	return p
}
