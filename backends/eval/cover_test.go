package eval

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/detc/detc/ir"
)

// TestCoveredHitsNeverAlert checks the claim behind CoverSpan on random
// timelines: hits are added to a Coverage in input order (times jitter
// backwards, as in real files), then replayed; no alert may be raised on
// a hit the Coverage called covered, and marking them Covered (skipped as
// first events) gives the same alerts. Small windows, few terms and small
// max_signals make leftovers and overlapping windows common.
func TestCoveredHitsNeverAlert(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	base := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	covered, alerts, total := 0, 0, 0
	for round := range 300 {
		rule := &ir.Rule{ID: "nt", Type: ir.NewTerms, Expr: &ir.MatchAll{},
			From: fmt.Sprintf("now-%dm", 5+rng.IntN(20)), Interval: fmt.Sprintf("%dm", 1+rng.IntN(10)),
			MaxSignals: 1 + rng.IntN(4),
			NewTerms:   &ir.NewTermsSpec{Fields: []string{"user.name"}, HistoryWindowStart: fmt.Sprintf("now-%dm", 30+rng.IntN(90))}}
		p, err := NewProgram(rule)
		if err != nil {
			t.Fatal(err)
		}
		span, ok := p.CoverSpan()
		if !ok {
			t.Fatalf("round %d: no cover span for from %s, history %s", round, rule.From, rule.NewTerms.HistoryWindowStart)
		}
		cov := NewCoverage(span)
		n := 50 + rng.IntN(200)
		hits := make([]Hit, n)
		isCovered := map[int]bool{}
		for i := range hits {
			at := base.Add(time.Duration(i)*time.Duration(5+rng.IntN(90))*time.Second - time.Duration(rng.IntN(600))*time.Second)
			var terms [][]string
			for range 1 + rng.IntN(2) {
				terms = append(terms, []string{fmt.Sprintf("u%d", rng.IntN(6))})
			}
			hits[i] = Hit{Time: at, Seq: i, ID: fmt.Sprint(i), Terms: terms}
			if cov.Add(at, terms) {
				isCovered[i] = true
			}
		}
		SortHits(hits)
		first, last := hits[0].Time, hits[len(hits)-1].Time
		out, err := p.ReplayTimeline(slices.Clone(hits), first, last)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out {
			if isCovered[hits[a.Hit].Seq] {
				t.Fatalf("round %d (%s): run %s alerted on hit %d, which was covered", round, rule.From, a.At, hits[a.Hit].Seq)
			}
		}
		// The replay skips hits marked Covered as first events: the same
		// alerts.
		marked := slices.Clone(hits)
		for i := range marked {
			marked[i].Covered = isCovered[marked[i].Seq]
		}
		skipped, err := p.ReplayTimeline(marked, first, last)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(out, skipped, func(a, b RunAlert) bool {
			return a.At.Equal(b.At) && a.Hit == b.Hit && slices.Equal(a.Alert.Terms, b.Alert.Terms) && a.Alert.EventID == b.Alert.EventID
		}) {
			t.Fatalf("round %d: %d alerts with covered hits marked, %d without", round, len(skipped), len(out))
		}
		covered += len(isCovered)
		alerts += len(out)
		total += n
	}
	if covered < total/4 || alerts < 300 {
		t.Fatalf("only %d of %d hits covered, %d alerts: the test proves little", covered, total, alerts)
	}
	t.Logf("%d hits, %d covered, %d alerts, none on a covered hit", total, covered, alerts)
}

// TestCoverSpanOnlyFixedDurations: rounding and calendar units make the
// gap between the windows vary, so they get no span.
func TestCoverSpanOnlyFixedDurations(t *testing.T) {
	for _, c := range []struct {
		from, hist string
		want       time.Duration
	}{
		{"now-9m", "now-14d", 14*24*time.Hour - 9*time.Minute},
		{"", "now-7d", 7*24*time.Hour - 6*time.Minute},
		{"now-9m", "now-14d/d", 0},
		{"now-9m", "now-1M", 0},
		{"now-2d", "now-1d", 0},
	} {
		rule := &ir.Rule{ID: "nt", Type: ir.NewTerms, Expr: &ir.MatchAll{}, From: c.from,
			NewTerms: &ir.NewTermsSpec{Fields: []string{"user.name"}, HistoryWindowStart: c.hist}}
		p, err := NewProgram(rule)
		if err != nil {
			t.Fatal(err)
		}
		span, ok := p.CoverSpan()
		if span != c.want || ok != (c.want > 0) {
			t.Errorf("from %q, history %q: span %v %v, want %v", c.from, c.hist, span, ok, c.want)
		}
	}
}

// TestTermKeysDoNotCollide: tuples whose values join to the same text are
// different terms, for the replay and for Coverage.
func TestTermKeysDoNotCollide(t *testing.T) {
	a, b := []string{"a\x00b", "c"}, []string{"a", "b\x00c"}
	if termKey(a) == termKey(b) {
		t.Fatalf("%q and %q share a key", a, b)
	}
	c := NewCoverage(time.Hour)
	at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	c.Add(at, [][]string{a})
	if c.Add(at.Add(time.Minute), [][]string{b}) {
		t.Fatalf("%q was called covered by %q", b, a)
	}
}

// TestThresholdGroupsInTermOrder: with max_signals capping a run, the
// groups that alert are the first in term order ("aa" before "b"), not in
// the order of their keys.
func TestThresholdGroupsInTermOrder(t *testing.T) {
	rule := &ir.Rule{ID: "th", Type: ir.Threshold, Expr: &ir.MatchAll{}, From: "now-1h", MaxSignals: 1,
		Threshold: &ir.ThresholdSpec{Fields: []string{"user.name"}, Value: 1}}
	p, err := NewProgram(rule)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	hits := []Hit{
		{Time: at.Add(-2 * time.Minute), Seq: 0, ID: "e0", Terms: [][]string{{"b"}}},
		{Time: at.Add(-time.Minute), Seq: 1, ID: "e1", Terms: [][]string{{"aa"}}},
	}
	out, err := p.Replay(hits, []time.Time{at})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || !slices.Equal(out[0].Alert.Terms, []string{"aa"}) {
		t.Fatalf("alerts %+v, want one for aa", out)
	}
}
