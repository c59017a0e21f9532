package jsondoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/detc/detc/internal/ctgen"
)

// tokens lists a document as encoding/json's Decoder.Token does: strings
// decoded, numbers as written, delimiters, keys in order (duplicates
// kept).
func tokens(v *Value, out []string) []string {
	switch v.Type() {
	case TypeObject:
		out = append(out, "{")
		(*Object)(v).Visit(func(k []byte, x *Value) {
			out = append(out, "s:"+string(k))
			out = tokens(x, out)
		})
		return append(out, "}")
	case TypeArray:
		out = append(out, "[")
		for _, x := range v.GetArray() {
			out = tokens(x, out)
		}
		return append(out, "]")
	case TypeString:
		return append(out, "s:"+string(v.GetStringBytes()))
	case TypeNumber:
		return append(out, "n:"+v.Text())
	case TypeTrue:
		return append(out, "true")
	case TypeFalse:
		return append(out, "false")
	}
	return append(out, "null")
}

// stdTokens is tokens by encoding/json, or an error if it rejects doc.
func stdTokens(doc []byte) ([]string, error) {
	if !json.Valid(doc) {
		return nil, errors.New("invalid")
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var out []string
	for {
		t, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case json.Delim:
			out = append(out, t.String())
		case string:
			out = append(out, "s:"+t)
		case json.Number:
			out = append(out, "n:"+t.String())
		case bool:
			out = append(out, fmt.Sprint(t))
		case nil:
			out = append(out, "null")
		}
	}
}

// agree checks that p and encoding/json accept the same documents and,
// for valid UTF-8, read the same tokens. Documents nested deeper than
// MaxDepth are errors here only.
func agree(t *testing.T, p *Parser, doc []byte) bool {
	t.Helper()
	v, err := p.ParseBytes(doc)
	want, stdErr := stdTokens(doc)
	if err != nil {
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("%q: error %v is not a *SyntaxError", doc, err)
		}
		if stdErr == nil && !strings.Contains(se.Msg, "nested deeper") {
			t.Fatalf("%q: rejected (%v), encoding/json accepts it", doc, err)
		}
		return false
	}
	if stdErr != nil {
		t.Fatalf("%q: accepted, encoding/json rejects it (%v)", doc, stdErr)
	}
	if !utf8.Valid(doc) {
		return true // encoding/json replaces invalid bytes; we keep them
	}
	if got := tokens(v, nil); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%q:\n got %q\nwant %q", doc, got, want)
	}
	return true
}

var edgeCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+3`, `-12.0E-2`, `true`, `false`, `null`, ` {"a" : [ 1 , 2 ] } `,
	`{"a":1,"a":2}`, `{"a\u0062":1,"ab":2}`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00x"`, `"\ud83d\u0041"`,
	`"a\/b\\c\"d\b\f\n\r\t"`, `"\u00e9\u4e2d"`, `"été"`, "\"\xff\xfe\"", `[[[[[]]]]]`, `{"a":{"b":{"c":[{"d":null}]}}}`,
	// invalid
	``, ` `, `{`, `}`, `[1,]`, `{"a":1,}`, `{,}`, `[,1]`, `01`, `1.`, `.5`, `1e`, `+1`, `-`, `--1`, `1-2`, `inf`, `NaN`,
	`tru`, `nul`, `falsey`, `{"a" 1}`, `{a:1}`, `{'a':1}`, `"abc`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"a\tb\"", "\"a\nb\"",
	`{"a":1}}`, `[1] [2]`, `{"a":1}{"b":2}`, "\x00", `"\`, `{"a":"\`, `[1 2]`, `{"a":1 "b":2}`,
}

func TestAgreesWithEncodingJSON(t *testing.T) {
	var p Parser
	valid := 0
	for _, c := range edgeCases {
		if agree(t, &p, []byte(c)) {
			valid++
		}
	}
	var buf bytes.Buffer
	if err := ctgen.Generate(&buf, 3000, 5); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if !agree(t, &p, line) {
			t.Fatalf("generated record rejected: %s", line)
		}
		n++
	}
	t.Logf("%d edge cases (%d valid) and %d generated records agree with encoding/json", len(edgeCases), valid, n)
}

func TestDepthLimit(t *testing.T) {
	var p Parser
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := p.Parse(ok); err != nil {
		t.Fatalf("depth %d: %v", MaxDepth, err)
	}
	deep := strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1)
	_, err := p.Parse(deep)
	if err == nil || !strings.Contains(err.Error(), "nested deeper than 300") {
		t.Fatalf("depth %d: %v", MaxDepth+1, err)
	}
}

func TestSyntaxErrorOffset(t *testing.T) {
	var p Parser
	for _, c := range []struct {
		doc    string
		offset int
		msg    string
	}{
		{`{"a":1,}`, 7, `unexpected '}' where a key should start`},
		{`{"a":01}`, 6, `unexpected '1' in an object`},
		{`[1 2]`, 3, `unexpected '2' in an array`},
		{`{"a":"b`, 7, `unexpected end in a string (no closing quote)`},
		{`{"a":1} x`, 8, `unexpected 'x' after the document`},
	} {
		_, err := p.Parse(c.doc)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset != c.offset || !strings.Contains(se.Error(), c.msg) {
			t.Errorf("%s: %v, want offset %d, %q", c.doc, err, c.offset, c.msg)
		}
	}
}

// TestReuse: a Parser's second document does not disturb values that
// belong to no parser, and values of the second read back right after a
// first document that needed more memory.
func TestReuse(t *testing.T) {
	var p Parser
	big := `{"a":[` + strings.Repeat(`{"k":"v\u00e9","n":1},`, 500) + `{}]}`
	if _, err := p.Parse(big); err != nil {
		t.Fatal(err)
	}
	v, err := p.Parse(`{"x":{"y":"z\"q"},"w":[1,2]}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(v.GetStringBytes("x", "y")); got != `z"q` {
		t.Fatalf("x.y = %q", got)
	}
	if got := v.Get("w", "1").Text(); got != "2" {
		t.Fatalf("w[1] = %q", got)
	}
	if got := v.String(); got != `{"x":{"y":"z\"q"},"w":[1,2]}` {
		t.Fatalf("MarshalTo = %s", got)
	}
	if o := v.GetObject(); o.Len() != 2 || o.Get("nope") != nil {
		t.Fatalf("object: len %d", o.Len())
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range edgeCases {
		f.Add([]byte(c))
	}
	var buf bytes.Buffer
	if err := ctgen.Generate(&buf, 20, 9); err != nil {
		f.Fatal(err)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var p Parser
		agree(t, &p, doc)
		// Parsing again with the same parser gives the same reading.
		if v, err := p.ParseBytes(doc); err == nil {
			first := fmt.Sprint(tokens(v, nil))
			if v, err = p.ParseBytes(doc); err != nil || fmt.Sprint(tokens(v, nil)) != first {
				t.Fatalf("%q: second parse differs (%v)", doc, err)
			}
		}
	})
}
