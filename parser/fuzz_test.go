package parser

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics, reports every failure as a
// *SyntaxError positioned inside the query, and that whatever parses
// prints (Format and Pretty) to text that parses to the same tree. The
// seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add("")
	f.Add(`a:b and not (c:"d" or e >= 5) or f:{ g:h* }`)
	f.Fuzz(func(t *testing.T, query string) {
		q, err := Parse(query)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T %v, want *SyntaxError", query, err, err)
			}
			if se.Offset < 0 || se.Offset > len(query) || se.Line < 1 || se.Col < 1 || se.Msg == "" {
				t.Fatalf("Parse(%q): bad error %+v", query, se)
			}
			if want := posAt(query, se.Offset); want != se.Pos {
				t.Fatalf("Parse(%q): error at %+v, offset says %+v", query, se.Pos, want)
			}
			return
		}
		if depth := maxNesting(query); depth > MaxDepth {
			t.Fatalf("Parse(%q) accepted nesting %d", query, depth)
		}
		want := Dump(q.Expr)
		for _, text := range []string{Format(q), Pretty(q, 20)} {
			again, err := Parse(text)
			if err != nil {
				t.Fatalf("Parse(%q) ok, but its print %q fails: %v", query, text, err)
			}
			if got := Dump(again.Expr); got != want {
				t.Fatalf("Parse(%q) = %s\nprinted %q reads as %s", query, want, text, got)
			}
		}
		if utf8.ValidString(query) && q.Expr != nil && q.Expr.Position().Offset > len(query) {
			t.Fatalf("Parse(%q): position past the end", query)
		}
	})
}

// maxNesting counts the deepest unquoted, unescaped bracket nesting.
func maxNesting(s string) int {
	depth, max := 0, 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '(' || c == '{':
			depth++
			if depth > max {
				max = depth
			}
		case c == ')' || c == '}':
			depth--
		}
	}
	return max
}

// TestDeepNestingIsAnError checks the depth bound on inputs far past it,
// in both queries and value lists, and that such input is rejected quickly.
func TestDeepNestingIsAnError(t *testing.T) {
	for _, q := range []string{
		strings.Repeat("(", 100000),
		strings.Repeat("not (", 5000) + "a" + strings.Repeat(")", 5000),
		"f:" + strings.Repeat("(", 50000) + "a",
		strings.Repeat("a:{", 20000),
	} {
		_, err := Parse(q)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, "deeper than the limit of 100") {
			t.Errorf("Parse(%.20q...) = %v, want the depth error", q, err)
		}
	}
}
