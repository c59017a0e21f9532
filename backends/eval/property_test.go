package eval

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/detc/detc/catalog"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/source/cloudtrail"
)

// sampleRecords reads the CloudTrail samples of ../shared/aws/samples
// that hold one record per line or a Records array.
func sampleRecords(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	for _, f := range []string{"all_events.ndjson", "newterms_scenario.ndjson", "s3_logfile_Records_wrapper_example.json.gz"} {
		st, err := cloudtrail.ReadFile("../../../shared/aws/samples/"+f, func(rec []byte, _ int) error {
			out = append(out, append([]byte(nil), rec...))
			return nil
		})
		if err != nil || st.Unreadable > 0 {
			t.Fatalf("%s: %v %v", f, err, st.Bad)
		}
	}
	return out
}

// exprGen makes random expressions over the fields of the source profile
// (and flattened request parameters seen in the samples), with values
// taken from the samples so that many expressions match something.
type exprGen struct {
	rnd    *rand.Rand
	fields []string
	values map[string][]string
	all    []string
}

func newExprGen(t testing.TB, records [][]byte) *exprGen {
	g := &exprGen{rnd: rand.New(rand.NewPCG(1, 2)), values: map[string][]string{}}
	names := map[string]bool{}
	for _, m := range cloudtrail.Fields() {
		names[m.Field] = true
	}
	for _, r := range records {
		rec, err := cloudtrail.DecodeRaw(r)
		if err != nil {
			t.Fatal(err)
		}
		if rp, ok := rec["requestParameters"].(map[string]any); ok {
			for k := range rp {
				names["aws.cloudtrail.flattened.request_parameters."+k] = true
			}
		}
	}
	for n := range names {
		g.fields = append(g.fields, n)
	}
	sort.Strings(g.fields)
	for _, r := range records {
		rec, _ := cloudtrail.DecodeRaw(r)
		for _, f := range g.fields {
			m, err := cloudtrail.Resolve(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range cloudtrail.RawValues(rec, m) {
				s := fmt.Sprint(v)
				g.values[f] = append(g.values[f], s)
				g.all = append(g.all, s)
			}
		}
	}
	return g
}

func (g *exprGen) field() ir.Field {
	name := g.fields[g.rnd.IntN(len(g.fields))]
	f := ir.Field{Name: name}
	if cf, ok := catalog.Lookup(name); ok {
		f.Type, f.ESType = cf.Type, cf.ESType
	}
	return f
}

func (g *exprGen) value(f ir.Field) string {
	if vs := g.values[f.Name]; len(vs) > 0 && g.rnd.IntN(5) > 0 {
		return vs[g.rnd.IntN(len(vs))]
	}
	return g.all[g.rnd.IntN(len(g.all))]
}

func (g *exprGen) leaf() ir.Expr {
	f := g.field()
	v := g.value(f)
	switch g.rnd.IntN(8) {
	case 0:
		return &ir.Exists{Field: f}
	case 1, 2:
		if f.Type == ir.Keyword && len(v) > 2 {
			k := 1 + g.rnd.IntN(len(v)-1)
			switch g.rnd.IntN(3) {
			case 0:
				return &ir.Term{Field: f, Value: ir.Value{Text: v[:k] + "*", Wildcard: []string{v[:k], ""}}}
			case 1:
				return &ir.Term{Field: f, Value: ir.Value{Text: "*" + v[k:], Wildcard: []string{"", v[k:]}}}
			default:
				mid := v[k/2 : k]
				return &ir.Term{Field: f, Value: ir.Value{Text: "*" + mid + "*", Wildcard: []string{"", mid, ""}}}
			}
		}
	case 3:
		if f.Type == ir.Keyword {
			return &ir.Range{Field: f, Op: ir.Op(1 + g.rnd.IntN(4)), Value: ir.Value{Text: v}}
		}
	}
	return &ir.Term{Field: f, Value: ir.Value{Text: v, Quoted: true}}
}

func (g *exprGen) expr(depth int) ir.Expr {
	if depth == 0 || g.rnd.IntN(3) == 0 {
		return g.leaf()
	}
	switch g.rnd.IntN(3) {
	case 0:
		return &ir.Not{X: g.expr(depth - 1)}
	case 1:
		return &ir.And{X: []ir.Expr{g.expr(depth - 1), g.expr(depth - 1)}}
	}
	return &ir.Or{X: []ir.Expr{g.expr(depth - 1), g.expr(depth - 1), g.expr(depth - 1)}}
}

// TestRawAndECSAgree is the property behind `detc scan`: evaluating an
// expression on a raw CloudTrail record through the source profile gives
// the same answer as evaluating it on the ECS document the profile
// derives from that record.
func TestRawAndECSAgree(t *testing.T) {
	records := sampleRecords(t)
	raw, ecs := eventsOf(t, records)
	g := newExprGen(t, records)
	const n = 3000
	compiled, matches, checks := 0, 0, 0
	for i := 0; i < n; i++ {
		e := g.expr(3)
		me, err1 := Compile(e)
		mr, err2 := Compile(e, WithForm(RawCloudTrail))
		if err1 != nil || err2 != nil {
			if (err1 == nil) != (err2 == nil) && !strings.Contains(fmt.Sprint(err2), "cannot be produced") {
				t.Errorf("%s: ECS compile error %v, raw compile error %v", ir.String(e), err1, err2)
			}
			continue
		}
		compiled++
		for j := range records {
			a, b := me.Match(ecs[j].Doc), mr.Match(raw[j].Doc)
			checks++
			if a {
				matches++
			}
			if a != b {
				t.Errorf("%s on record %s: ECS document %v, raw record %v", ir.String(e), raw[j].ID, a, b)
			}
		}
	}
	if compiled < n*8/10 {
		t.Errorf("only %d of %d generated expressions compiled", compiled, n)
	}
	if matches < checks/10 || matches > checks*9/10 {
		t.Errorf("%d of %d evaluations matched: the generator is too lopsided to prove much", matches, checks)
	}
	t.Logf("%d expressions x %d records: %d evaluations, %d true, forms agree", compiled, len(records), checks, matches)
}

// TestNestedRawAndECSAgree: nested queries over resources (an array of
// objects) and inside a flattened field give the same answers on raw
// records and on their ECS documents, and hold within one element only.
func TestNestedRawAndECSAgree(t *testing.T) {
	records := sampleRecords(t)
	extra := `{"eventTime":"2025-01-01T00:00:00Z","eventID":"two","resources":[{"ARN":"arn:a","type":"T1"},{"ARN":"arn:b","type":"T2"}],"requestParameters":{"items":[{"k":"x","v":"1"},{"k":"y","v":"2"}]}}`
	records = append(records, []byte(extra))
	raw, ecs := eventsOf(t, records)
	for _, c := range []struct {
		query string
		want  int // records matching
	}{
		{`aws.cloudtrail.resources:{ arn: "arn:aws:iam::111122223333:role/JohnRole2" and type: "AWS::IAM::Role" }`, 2}, // all_events and the S3 file
		{`aws.cloudtrail.resources:{ arn: "arn:a" and type: T1 }`, 1},
		{`aws.cloudtrail.resources:{ arn: "arn:a" and type: T2 }`, 0},
		{`aws.cloudtrail.resources.arn: "arn:a" and aws.cloudtrail.resources.type: T2`, 1},
		{`aws.cloudtrail.resources:{ arn: arn* and not type: T1 }`, 5}, // 2 x 2 samples + arn:b
		{`aws.cloudtrail.flattened.request_parameters.items:{ k: x and v: 1 }`, 1},
		{`aws.cloudtrail.flattened.request_parameters.items:{ k: x and v: 2 }`, 0},
	} {
		e := kql(t, c.query, nil)
		me, err := Compile(e)
		if err != nil {
			t.Fatal(err)
		}
		mr, err := Compile(e, WithForm(RawCloudTrail))
		if err != nil {
			t.Fatalf("%q on raw records: %v", c.query, err)
		}
		n := 0
		for i := range records {
			a, b := me.Match(ecs[i].Doc), mr.Match(raw[i].Doc)
			if a != b {
				t.Errorf("%q on %s: ECS %v, raw %v", c.query, raw[i].ID, a, b)
			}
			if a {
				n++
			}
		}
		if n != c.want {
			t.Errorf("%q matched %d records, want %d", c.query, n, c.want)
		}
	}
}
