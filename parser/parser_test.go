package parser

import (
	"errors"
	"strings"
	"testing"
)

// TestParse pins the tree of each KQL construct (Dump form).
func TestParse(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// The empty query, whitespace, NBSP.
		{"", "<empty>"},
		{"  \t\n ", "<empty>"},
		{"\u00a0foo\u00a0", `"foo"`},
		{"foo and\u00a0bar", `and("foo", "bar")`},
		// Keywords: any case, whitespace required, precedence not > and > or.
		{"a or b and c", `or("a", and("b", "c"))`},
		{"a OR b AnD c", `or("a", and("b", "c"))`},
		{"(a or b) and c", `and(or("a", "b"), "c")`},
		{"not a and b", `and(not("a"), "b")`},
		{"NOT (a or b)", `not(or("a", "b"))`},
		{"a and (b and c)", `and("a", and("b", "c"))`},
		{"a or b or c", `or("a", "b", "c")`},
		{"a\nor\tb", `or("a", "b")`},
		// A keyword without whitespace on both sides is text.
		{"a or", `"a or"`},
		{"or and", `"or and"`},
		{"android", `"android"`},
		{"f:or b", `"f":"or b"`},
		{"f: or b", `"f":"or b"`},
		{"not", `"not"`},
		// Field values.
		{"foo:bar", `"foo":"bar"`},
		{"foo : bar baz ", `"foo":"bar baz"`},
		{`foo:"bar baz"`, `"foo":q"bar baz"`},
		{`"extension": "jpg"`, `q"extension":q"jpg"`},
		{"foo:*", `"foo":w"*"`},
		{"*:*", `w"*":w"*"`},
		{"*", `w"*"`},
		{"foo:ba*r*", `"foo":w"ba*r*"`},
		{`foo:ba\*r*`, `"foo":w"ba\*r*"`},
		{`foo:"ba*"`, `"foo":q"ba*"`},
		{"file.hash.*:*", `w"file.hash.*":w"*"`},
		{"f:*S3 Browser*", `"f":w"*S3 Browser*"`},
		{"event.outcome:success and dryRun: false", `and("event.outcome":"success", "dryRun":"false")`},
		// Value lists.
		{"f:(a or b)", `"f":or("a", "b")`},
		{"f:(a or b and not c)", `"f":or("a", and("b", not("c")))`},
		{"f:((a or b) and not c)", `"f":and(or("a", "b"), not("c"))`},
		{"f:(not (a or b))", `"f":not(or("a", "b"))`},
		{`f:("a b" or c*)`, `"f":or(q"a b", w"c*")`},
		// Ranges, quoted or not.
		{"bytes > 1000 and bytes <= 8000", `and("bytes">"1000", "bytes"<="8000")`},
		{`@timestamp >= "2024-01-01"`, `"@timestamp">=q"2024-01-01"`},
		{"n<1", `"n"<"1"`},
		// Nested.
		{"a:{ b:c and d:{ e:f } }", `"a":{and("b":"c", "d":{"e":"f"})}`},
		// Escapes in unquoted literals.
		{`\\\(\)\:\<\>\"\*\{\}`, `"\\():<>\"*{}"`},
		{`foo \or bar \AND baz \Not x`, `"foo or bar AND baz Not x"`},
		// Kibana tries \t \r \n before the escaped keywords, so a lower-case
		// \not is a newline followed by "ot" (EscapeValue writes \u006eot).
		{`a \not b`, "\"a \\not b\""},
		{`a \u006eot b`, `"a not b"`},
		{`a\tb\nc\rd`, `"a\tb\nc\rd"`},
		{`\u0041\u00e9`, `"Aé"`},
		{`\ud83d\ude00`, `"😀"`},
		{`\\u00A0`, `"\\u00A0"`},
		{`\tfoo`, `"foo"`}, // Kibana trims after unescaping
		// Escapes in quoted strings.
		{`"a\tb\"c\\d\u0041"`, `q"a\tb\"c\\dA"`},
		{`"\(\q"`, `q"\\(\\q"`},
		{"\"line\nbreak\"", `q"line\nbreak"`},
		// Numbers stay text.
		{"port:070", `"port":"070"`},
		// Kibana's grammar cuts an unquoted value at `not ` inside a word.
		{`f:"cannot" or g`, `or("f":q"cannot", "g")`},
	}
	for _, tc := range tests {
		q, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := Dump(q.Expr); got != tc.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

// TestParsePositions checks the byte offset, line and column (in code
// points) of nodes.
func TestParsePositions(t *testing.T) {
	q, err := Parse("é:x and\n  not (a:\"b\" or c >= 5)")
	if err != nil {
		t.Fatal(err)
	}
	and := q.Expr.(*And)
	m := and.X[0].(*Match)
	not := and.X[1].(*Not)
	or := not.X.(*Or)
	rng := or.X[1].(*Range)
	got := []Pos{and.Pos, m.Pos, m.Value.Position(), not.Pos, or.Pos, or.X[0].(*Match).Value.Position(), rng.Pos, rng.Value.Pos}
	want := []Pos{
		{0, 1, 1}, {0, 1, 1}, {3, 1, 3}, // é is two bytes, one column
		{11, 2, 3}, {16, 2, 8}, {18, 2, 10}, {25, 2, 17}, {30, 2, 22},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("node %d at %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestSyntaxErrors pins message and position of each kind of syntax error.
func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string // line:col: message
	}{
		{"response:", `1:10: expected a value, "(" or "{" after "response:" but found end of query`},
		{"f: not x", `1:4: expected a value, "(" or "{" after "f:" but found "not"`},
		{"a or", ``},
		{"a or ", `1:6: expected a field name, a value, "(" or "not" after "or" but found end of query`},
		{"f:(a or )", `1:9: expected a value, "(" or "not" after "or" but found ")"`},
		{"not not a", `1:5: expected a field name, a value or "(" after "not" but found "not"`},
		{"(a", `1:3: expected ":", a range operator, "and", "or" or ")" but found end of query`},
		{"(a:b", `1:5: expected "and", "or" or ")" but found end of query`},
		{"a:{b", `1:5: expected ":", a range operator, "and", "or" or "}" but found end of query`},
		{"a)", `1:2: expected ":", a range operator, "and", "or" or end of query but found ")"`},
		{`"a"or "b"`, `1:4: expected "and", "or" or end of query but found "or"`},
		{"f:a:b", `1:4: expected "and", "or" or end of query but found ":"`},
		{"f > ", `1:5: expected a value after ">" but found end of query`},
		{"f >= (a)", `1:6: expected a value after ">=" but found "("`},
		{"< 1", `1:1: expected a field name, a value, "(" or "not" at the start of the query but found "<"`},
		{"a:\n  \"open", `2:3: unterminated quoted string`},
		{`f:a\qb`, `1:4: invalid escape "\q" in an unquoted value`},
		{`f:a\`, `1:4: invalid escape "\" in an unquoted value`},
		{"f:x and (", `1:10: expected a field name, a value, "(" or "not" after "(" but found end of query`},
		{"é:(", `1:4: expected a value, "(" or "not" after "(" but found end of query`},
		{strings.Repeat("(", 101) + "a" + strings.Repeat(")", 101),
			`1:101: parentheses and braces nest deeper than the limit of 100`},
		{"f:" + strings.Repeat("(", 101) + "a" + strings.Repeat(")", 101),
			`1:103: parentheses and braces nest deeper than the limit of 100`},
	}
	for _, tc := range tests {
		_, err := Parse(tc.in)
		if tc.want == "" {
			if err != nil {
				t.Errorf("Parse(%q): unexpected error %v", tc.in, err)
			}
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", tc.in, err)
			continue
		}
		if got := se.Error(); got != tc.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	// 100 levels are allowed.
	if _, err := Parse(strings.Repeat("(", 100) + "a" + strings.Repeat(")", 100)); err != nil {
		t.Errorf("100 nested parentheses: %v", err)
	}
}

// TestSyntaxErrorHints pins the hints for the common mistakes.
func TestSyntaxErrorHints(t *testing.T) {
	tests := []struct{ in, hint string }{
		{"f: not x", `to negate a value write f: (not ...), or not f: ...`},
		{"f:", `give the field a value, or write f:* to test that it exists`},
		{"a and ", `remove the dangling keyword, or quote it or escape it as \and to search for the word itself`},
		{"not not a", `a double negation needs parentheses: not (not a)`},
		{"msg:cannot find", `an unquoted value stops before "not " (even inside a word such as "cannot x"); quote the value`},
		{"url:http://x", `quote a value that holds special characters (\ ( ) : < > " * { }), or escape them with \`},
		{`"a"or "b"`, "and/or need whitespace on both sides"},
		{`"open`, `close the string with "; write \" for a quote inside it`},
	}
	for _, tc := range tests {
		_, err := Parse(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a syntax error", tc.in, err)
			continue
		}
		if se.Hint != tc.hint {
			t.Errorf("Parse(%q) hint\n got %s\nwant %s", tc.in, se.Hint, tc.hint)
		}
	}
}
