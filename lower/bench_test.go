package lower

import (
	"testing"

	"github.com/detc/detc/parser"
)

// BenchmarkLowerCorpus lowers the 792 parsed corpus queries per iteration
// (parsing is outside the timing; see parser.BenchmarkParseCorpus).
func BenchmarkLowerCorpus(b *testing.B) {
	corpus := loadCorpus(b)
	queries := make([]*parser.Query, len(corpus))
	size := 0
	for i, c := range corpus {
		q, err := parser.Parse(c.Query)
		if err != nil {
			b.Fatal(err)
		}
		queries[i] = q
		size += len(c.Query)
	}
	// Warm the suggestion cache so that the figure is the steady state.
	for _, q := range queries {
		Lower(q, Options{})
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, q := range queries {
			if _, diags := Lower(q, Options{}); diags.HasErrors() {
				b.Fatal(diags)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(queries))/b.Elapsed().Seconds(), "queries/s")
}
