package parser

import (
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a:b", "a: b"},
		{"a : b and (c:d or e:f)", "a: b and (c: d or e: f)"},
		{"(a and b) and c", "(a and b) and c"},
		{"a OR (b or c)", "a or (b or c)"},
		{"NOT (a and b)", "not (a and b)"},
		{"not a:(x or y and not z)", "not a: (x or y and not z)"},
		{"f:(not (a or b))", "f: (not (a or b))"},
		{`f:"a \"q\" \\ \( x"`, `f: "a \"q\" \\ \\( x"`},
		{`f:*a\*b* and g:\(x\)`, `f: *a\*b* and g: \(x\)`},
		{`f:a\ or b`, ``}, // invalid escape: see below
		{`f:x \or y \and z`, `f: x \or y \and z`},
		// "not" at the end of a value is escaped: an operator may follow it,
		// and "cannot and x" would read "not " as the keyword.
		{"f:cannot", `f: can\u006eot`},
		{"f:(CANNOT)", `f: CAN\NOT`},
		{"f:\"cannot stop\"", `f: "cannot stop"`},
		{"f >= 10 and g<\"x\"", `f >= 10 and g < "x"`},
		{"p:{ a:b and c:{ d:e } }", "p: { a: b and c: { d: e } }"},
		{"\"free text\" or word", `"free text" or word`},
		{`\u00e9\{\}`, `é\{\}`},
		{`a\tb`, `a\tb`},
		// Fuzz finding: a vertical tab is not KQL whitespace, so it is a
		// literal, which JavaScript's trim empties; \t reads back the same.
		{"\v", `\t`},
	}
	for _, tc := range tests {
		q, err := Parse(tc.in)
		if tc.want == "" && tc.in != "" {
			if err == nil {
				t.Errorf("Parse(%q) should fail", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		got := Format(q)
		if got != tc.want {
			t.Errorf("Format(%q) = %q, want %q", tc.in, got, tc.want)
		}
		assertRoundTrip(t, q, got)
	}
}

// assertRoundTrip checks that text parses to the same tree as q.
func assertRoundTrip(t *testing.T, q *Query, text string) {
	t.Helper()
	again, err := Parse(text)
	if err != nil {
		t.Errorf("printed %q does not parse: %v (from %q)", text, err, q.Text)
		return
	}
	if a, b := Dump(q.Expr), Dump(again.Expr); a != b {
		t.Errorf("printed %q reads as\n%s\nwant\n%s", text, b, a)
	}
}

func TestPretty(t *testing.T) {
	q, err := Parse(`event.dataset: "aws.cloudtrail" and event.provider: "dynamodb.amazonaws.com" and event.action: ("ExportTableToPointInTime" or "ExportTableToS3") and not (user.name: admin or user.name: root and source.ip: 10.0.0.0/8)`)
	if err != nil {
		t.Fatal(err)
	}
	want := `event.dataset: "aws.cloudtrail"
and event.provider: "dynamodb.amazonaws.com"
and event.action: (
  "ExportTableToPointInTime"
  or "ExportTableToS3"
)
and not (
  user.name: admin
  or user.name: root and source.ip: 10.0.0.0/8
)`
	got := Pretty(q, 48)
	if got != want {
		t.Errorf("Pretty:\n%s\nwant:\n%s", got, want)
	}
	assertRoundTrip(t, q, got)
	if flat := Pretty(q, 1000); flat != Format(q) {
		t.Errorf("Pretty with room = %q, want Format's %q", flat, Format(q))
	}
}

// TestFormatRoundTripCorpus prints every corpus query with Format and with
// Pretty at several widths and parses it back.
func TestFormatRoundTripCorpus(t *testing.T) {
	for _, c := range loadCorpus(t) {
		q, err := Parse(c.Query)
		if err != nil {
			t.Fatalf("%s: %v", c.Path, err)
		}
		assertRoundTrip(t, q, Format(q))
		for _, width := range []int{0, 40, 80} {
			assertRoundTrip(t, q, Pretty(q, width))
		}
	}
}
