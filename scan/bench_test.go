package scan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/detc/detc/backends/eval"
	"github.com/detc/detc/backends/eval/evaltest"
	"github.com/detc/detc/internal/ctgen"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/rulefile"
)

// benchRecords is how many generated records the benchmarks scan
// (about 1.5 KB each: over 50 MB).
const benchRecords = 40_000

var benchData = sync.OnceValues(func() ([]byte, error) {
	var buf bytes.Buffer
	err := ctgen.Generate(&buf, benchRecords, 1)
	return buf.Bytes(), err
})

// benchFile writes the generated records to a file once per benchmark.
func benchFile(b *testing.B) (string, int64) {
	data, err := benchData()
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "cloudtrail.ndjson")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return path, int64(len(data))
}

// benchRules returns every rule of rules/ (loaded by rulefile) and the
// AWS rules of Elastic's corpus (kuery; query, new_terms and threshold)
// that compile for raw CloudTrail, and how many corpus rules were left out
// (they use fields raw CloudTrail cannot produce).
func benchRules(tb testing.TB) (rules []*ir.Rule, skipped int) {
	rules, diags := rulefile.LoadAll([]string{"../rules"}, rulefile.Options{})
	if diags.HasErrors() {
		tb.Fatalf("rules/ does not load: %v", diags)
	}
	if len(rules) == 0 {
		tb.Fatal("no rule under ../rules")
	}
	for _, r := range rules {
		if _, err := eval.NewProgram(r, eval.WithForm(eval.RawCloudTrail)); err != nil {
			tb.Fatalf("%s does not compile for raw CloudTrail: %v", r.File, err)
		}
	}

	f, err := os.Open("../../shared/corpus/rules/elastic_aws_rules.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var entry struct {
			Rule struct {
				RuleID     string `json:"rule_id"`
				Name       string `json:"name"`
				Type       string `json:"type"`
				Language   string `json:"language"`
				Query      string `json:"query"`
				Severity   string `json:"severity"`
				From       string `json:"from"`
				Interval   string `json:"interval"`
				MaxSignals int    `json:"max_signals"`
				NewTerms   *struct {
					Value   []string `json:"value"`
					History []struct {
						Value string `json:"value"`
					} `json:"history_window_start"`
				} `json:"new_terms"`
				Threshold *ir.ThresholdSpec `json:"threshold"`
			} `json:"rule"`
		}
		if err := json.Unmarshal(sc.Bytes(), &entry); err != nil {
			tb.Fatal(err)
		}
		cr := entry.Rule
		if cr.Language != "kuery" || (cr.Type != "query" && cr.Type != "new_terms" && cr.Type != "threshold") {
			continue
		}
		r := &ir.Rule{ID: cr.RuleID, Name: cr.Name, Type: ir.RuleType(cr.Type), Query: cr.Query, Severity: cr.Severity,
			From: cr.From, Interval: cr.Interval, MaxSignals: cr.MaxSignals, Threshold: cr.Threshold}
		if cr.NewTerms != nil && len(cr.NewTerms.History) > 0 {
			r.NewTerms = &ir.NewTermsSpec{Fields: cr.NewTerms.Value, HistoryWindowStart: cr.NewTerms.History[0].Value}
		}
		expr, err := evaltest.Lower(cr.Query, nil)
		if err != nil {
			skipped++
			continue
		}
		r.Expr = expr
		if _, err := eval.NewProgram(r, eval.WithForm(eval.RawCloudTrail)); err != nil {
			skipped++
			continue
		}
		rules = append(rules, r)
	}
	return rules, skipped
}

// BenchmarkScan scans the generated CloudTrail with every rule of rules/
// and every compilable AWS rule of Elastic's corpus, with 1 and 2 workers.
// MB/s and events/s with workers=1 are per core.
func BenchmarkScan(b *testing.B) {
	rules, skipped := benchRules(b)
	path, size := benchFile(b)
	for _, workers := range []int{1, 2} {
		b.Run("workers="+string(rune('0'+workers)), func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			var res *Result
			for b.Loop() {
				var err error
				res, err = Run(rules, []string{path}, Options{Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
			}
			if res.Events != benchRecords || res.Unreadable != 0 || len(res.Skipped) != 0 {
				b.Fatalf("scan read %d events (%d unreadable, %d rules skipped), want %d", res.Events, res.Unreadable, len(res.Skipped), benchRecords)
			}
			b.ReportMetric(float64(res.Events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(len(rules)), "rules")
			b.ReportMetric(float64(skipped), "corpus-rules-skipped")
			b.ReportMetric(float64(len(res.Alerts)), "alerts")
		})
	}
}

// BenchmarkBaselineJSONMap is the baseline: encoding/json decoding each
// record of the same data into map[string]any, nothing else.
func BenchmarkBaselineJSONMap(b *testing.B) {
	data, err := benchData()
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			var m map[string]any
			if err := json.Unmarshal(l, &m); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(lines))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
