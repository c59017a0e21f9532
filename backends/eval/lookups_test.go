package eval

import (
	"bytes"
	"testing"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/jsondoc"
)

// variants returns the records and, for each, copies whose keys a memo
// could get wrong: an escaped key (keys are compared unescaped), a duplicate key before the real one (the first wins),
// objects on the way turned into arrays of objects and into scalars.
func lookupVariants(records [][]byte) [][]byte {
	edits := [][2]string{
		{`"eventName":`, `"event\u004eame":`},
		{`"userIdentity":{`, `"userIdentity":{"type":"Root","type":"x",`},
		{`{"eventVersion"`, `{"eventSource":"iam.amazonaws.com","errorCode":"AccessDenied","eventVersion"`},
		{`"sessionIssuer":{`, `"session\u0049ssuer":{`},
	}
	var out [][]byte
	for _, r := range records {
		out = append(out, r)
		for _, e := range edits {
			if bytes.Contains(r, []byte(e[0])) {
				out = append(out, bytes.Replace(r, []byte(e[0]), []byte(e[1]), 1))
			}
		}
		// userIdentity as an array of itself, then as a string.
		if i := bytes.Index(r, []byte(`"userIdentity":`)); i >= 0 {
			v, err := jsondoc.ParseBytes(r)
			if err != nil {
				continue
			}
			if ui := v.Get("userIdentity"); ui != nil {
				out = append(out, replaceMember(v, "userIdentity", "["+ui.String()+"]"))
				out = append(out, replaceMember(v, "userIdentity", `"x"`))
			}
		}
	}
	return out
}

// replaceMember writes the object doc with the value of key replaced by
// the JSON text with.
func replaceMember(doc *jsondoc.Value, key, with string) []byte {
	out := []byte{'{'}
	doc.GetObject().Visit(func(k []byte, v *jsondoc.Value) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = jsondoc.NewString(string(k)).MarshalTo(out)
		out = append(out, ':')
		if string(k) == key {
			out = append(out, with...)
		} else {
			out = v.MarshalTo(out)
		}
	})
	return append(out, '}')
}

// TestLookupsAgreeWithDirectReads: expressions compiled WithLookups give
// the answers of the plain compilation on every record and its tricky
// variants, parsed one after the other by one parser (the scan's case:
// the root value's memory is reused), and also when matched on a document
// other than the one the memo was reset to (read directly).
func TestLookupsAgreeWithDirectReads(t *testing.T) {
	records := sampleRecords(t)
	variants := lookupVariants(records)
	if len(variants) < 3*len(records) {
		t.Fatalf("only %d variants of %d records", len(variants), len(records))
	}
	g := newExprGen(t, records)
	other, err := jsondoc.ParseBytes(records[0])
	if err != nil {
		t.Fatal(err)
	}
	lk := NewLookups()
	var p jsondoc.Parser
	const n = 1500
	compiled, checks, matches, memoChecks := 0, 0, 0, 0
	for i := range n {
		var e ir.Expr
		if i%2 == 0 {
			e = g.expr(3)
		} else {
			e = g.sameFieldOr()
		}
		memo, err1 := Compile(e, WithForm(RawCloudTrail), WithLookups(lk))
		plain, err2 := Compile(e, WithForm(RawCloudTrail), Plain())
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("%s: compile error %v with lookups, %v plain", ir.String(e), err1, err2)
		}
		if err1 != nil {
			continue
		}
		compiled++
		for j, rec := range variants {
			doc, err := p.ParseBytes(rec)
			if err != nil {
				t.Fatalf("variant %d does not parse: %v", j, err)
			}
			want := plain.Match(doc)
			if j%5 == 4 {
				lk.Reset(other) // the memo must not answer for doc
			} else {
				lk.Reset(doc)
				memoChecks++
			}
			got := memo.Match(doc)
			// A second match on the same record answers from the memo.
			again := memo.Match(doc)
			checks++
			if want {
				matches++
			}
			if got != want || again != want {
				t.Fatalf("%s on variant %d (%s): with lookups %v then %v, plain %v", ir.String(e), j, rec, got, again, want)
			}
		}
	}
	if compiled < n*9/10 {
		t.Errorf("only %d of %d generated expressions compiled", compiled, n)
	}
	if matches < checks/20 || matches > checks*19/20 {
		t.Errorf("%d of %d evaluations matched: the generator is too lopsided to prove much", matches, checks)
	}
	t.Logf("%d expressions x %d records: %d evaluations (%d through the memo), %d true, all agree", compiled, len(variants), checks, memoChecks, matches)
}
