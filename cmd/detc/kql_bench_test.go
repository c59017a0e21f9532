package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/detc/detc/jsondoc"

	"github.com/detc/detc/backends/eval"
	"github.com/detc/detc/internal/ctgen"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
	"github.com/detc/detc/rulefile"
	"github.com/detc/detc/source/cloudtrail"
)

// benchPoolSize is how many distinct ECS documents the benchmark cycles
// through; one benchmark op is one document.
const benchPoolSize = 20000

// cycleReader yields whole lines of data, cycling, until it has given n
// lines: a stream of any number of documents without holding them all.
type cycleReader struct {
	data      []byte
	pos, left int
}

func newCycleReader(data []byte, offsets []int, n int) *cycleReader {
	lines := len(offsets) - 1
	total := (n/lines)*len(data) + offsets[n%lines]
	return &cycleReader{data: data, left: total}
}

func (r *cycleReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if r.pos == len(r.data) {
		r.pos = 0
	}
	n := copy(p, r.data[r.pos:min(len(r.data), r.pos+r.left)])
	r.pos += n
	r.left -= n
	return n, nil
}

// BenchmarkKQLMatch measures `detc kql --match` on generated ECS NDJSON
// (ctgen records through cloudtrail.ToECS), one op per document, against
// the evaluator alone on the same documents in the same run:
//
//	kql-match       the command's code path: streamed lines, parse, match, matching lines written
//	eval-parse      eval.Compile's matcher on each in-memory line: jsondoc parse + Match
//	interleaved     the first two alternated on the same chunks, reporting kql-ns/doc,
//	                eval-ns/doc and their ratio kql/eval (robust to a shared machine)
//	eval-preparsed  Match alone on documents parsed before the timer
//
// Run over one million documents with -benchtime=1000000x.
func BenchmarkKQLMatch(b *testing.B) {
	var raw bytes.Buffer
	if err := ctgen.Generate(&raw, benchPoolSize, 1); err != nil {
		b.Fatal(err)
	}
	var data []byte
	offsets := []int{0}
	var lines [][]byte
	for _, rec := range bytes.Split(bytes.TrimSpace(raw.Bytes()), []byte{'\n'}) {
		doc, err := cloudtrail.ToECS(rec)
		if err != nil {
			b.Fatal(err)
		}
		line, err := json.Marshal(doc)
		if err != nil {
			b.Fatal(err)
		}
		lines = append(lines, line)
		data = append(append(data, line...), '\n')
		offsets = append(offsets, len(data))
	}
	seed, diags := rulefile.Load("../../rules/aws/dynamodb_table_exported_to_s3.yml", rulefile.Options{})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	broad, diags := lower.Query(`event.dataset: "aws.cloudtrail" and event.outcome: success and not user.name: root* and source.ip: *`, lower.Options{})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	bytesPerDoc := int64(len(data) / len(lines))
	for _, q := range []struct {
		name string
		expr ir.Expr
	}{{"seed-rule", seed.Expr}, {"broad", broad}} {
		m, err := eval.Compile(q.expr)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(q.name+"/kql-match", func(b *testing.B) {
			b.SetBytes(bytesPerDoc)
			b.ReportAllocs()
			in := newCycleReader(data, offsets, b.N)
			out := bufio.NewWriterSize(io.Discard, 64<<10)
			b.ResetTimer()
			st, err := matchDocuments(in, "gen", m, out, nil)
			if err == nil {
				err = out.Flush()
			}
			if err != nil || st.Documents != b.N || st.Unreadable != 0 {
				b.Fatalf("%v: %+v, want %d documents", err, st, b.N)
			}
			b.ReportMetric(float64(st.Matched)/float64(b.N), "matched/doc")
		})
		b.Run(q.name+"/eval-parse", func(b *testing.B) {
			b.SetBytes(bytesPerDoc)
			b.ReportAllocs()
			var p jsondoc.Parser
			matched := 0
			for i := 0; i < b.N; i++ {
				v, err := p.ParseBytes(lines[i%len(lines)])
				if err != nil {
					b.Fatal(err)
				}
				if m.Match(v) {
					matched++
				}
			}
			b.ReportMetric(float64(matched)/float64(b.N), "matched/doc")
		})
		b.Run(q.name+"/interleaved", func(b *testing.B) {
			// The machine may be shared: alternate the two code paths on
			// the same chunk of documents, so that both see the same load,
			// and report each one's time per document and their ratio.
			const chunk = 2000
			b.SetBytes(2 * bytesPerDoc)
			b.ReportAllocs()
			var p jsondoc.Parser
			out := bufio.NewWriterSize(io.Discard, 64<<10)
			var cmdTime, evalTime time.Duration
			for done := 0; done < b.N; {
				s := done % len(lines)
				e := min(s+chunk, len(lines), s+b.N-done)
				t0 := time.Now()
				st, err := matchDocuments(bytes.NewReader(data[offsets[s]:offsets[e]]), "gen", m, out, nil)
				if err != nil || st.Documents != e-s {
					b.Fatal(err, st)
				}
				t1 := time.Now()
				matched := 0
				for _, l := range lines[s:e] {
					v, err := p.ParseBytes(l)
					if err != nil {
						b.Fatal(err)
					}
					if m.Match(v) {
						matched++
					}
				}
				t2 := time.Now()
				if matched != st.Matched {
					b.Fatalf("command matched %d, evaluator %d", st.Matched, matched)
				}
				cmdTime += t1.Sub(t0)
				evalTime += t2.Sub(t1)
				done += e - s
			}
			b.ReportMetric(float64(cmdTime.Nanoseconds())/float64(b.N), "kql-ns/doc")
			b.ReportMetric(float64(evalTime.Nanoseconds())/float64(b.N), "eval-ns/doc")
			b.ReportMetric(float64(cmdTime)/float64(evalTime), "kql/eval")
		})
		b.Run(q.name+"/eval-preparsed", func(b *testing.B) {
			docs := make([]*jsondoc.Value, len(lines))
			for i, l := range lines {
				var p jsondoc.Parser
				v, err := p.ParseBytes(l)
				if err != nil {
					b.Fatal(err)
				}
				docs[i] = v
			}
			b.SetBytes(bytesPerDoc)
			b.ReportAllocs()
			b.ResetTimer()
			matched := 0
			for i := 0; i < b.N; i++ {
				if m.Match(docs[i%len(docs)]) {
					matched++
				}
			}
			b.ReportMetric(float64(matched)/float64(b.N), "matched/doc")
		})
	}
}
