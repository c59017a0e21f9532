package eval

import (
	"regexp"
	"strings"
	"time"

	"github.com/detc/detc/ir"
)

// A new_terms hit is covered when each of its terms was carried by an
// earlier hit (earlier in replay order: by time, then Seq) at most the
// cover span before it. A covered hit is never the alerting event of a
// replay, so a scan need not keep its record: only its time and terms,
// which the replay's history still reads.
//
// Why: take a covered hit j, one of its terms X, and the earlier hit i
// with X, Time(j)-Time(i) <= span. A run T whose window [Start, T] holds
// j raises X with the window's first event of X, or not at all. If i is
// in the window, that first event is i or an earlier one, not j. If not,
// i is before Start and, as Start <= Time(j), within span of Start: the
// span is the gap between the history start and the window start, so i
// is in the history [HistoryStart, Start) and X is not new at T. Nothing
// else about the run (max_signals, runs that came before) changes this.

// nowMinus matches date math that is a fixed duration before now (no
// rounding, no months or years, whose length varies).
var nowMinus = regexp.MustCompile(`^now-[0-9]+[smhdw]$`)

// CoverSpan returns the span of covered hits (see above) for a new_terms
// rule whose query does not depend on the run time and whose from and
// history_window_start are fixed durations before now; ok is false for
// any other rule.
func (p *Program) CoverSpan() (span time.Duration, ok bool) {
	r := p.Rule
	if r.Type != ir.NewTerms || r.NewTerms == nil || p.relaxed != nil {
		return 0, false
	}
	from := r.From
	if from == "" {
		from = "now-6m"
	}
	hist := strings.TrimSpace(r.NewTerms.HistoryWindowStart)
	if !nowMinus.MatchString(from) || !nowMinus.MatchString(hist) {
		return 0, false
	}
	t := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	w, err := r.WindowAt(t)
	if err != nil {
		return 0, false
	}
	if span = w.Start.Sub(w.HistoryStart); span <= 0 {
		return 0, false
	}
	return span, true
}

// Coverage tracks, for one new_terms rule, the times at which each term
// was seen, to tell covered hits (see CoverSpan). Hits must be added in
// replay order as far as covering goes: a hit added before another must
// not come after it in (time, Seq) order when their times are equal;
// times may go backwards (the earlier-added hit then cannot cover).
type Coverage struct {
	span time.Duration
	seen map[string]*coverTimes
	key  []byte
}

// coverTimes are the earliest and latest times a term was seen: a hit at
// t is covered by one of them when it is at or before t, within the span.
type coverTimes struct{ min, max time.Time }

// NewCoverage returns an empty tracker for hits of a rule with the given
// cover span.
func NewCoverage(span time.Duration) *Coverage {
	return &Coverage{span: span, seen: map[string]*coverTimes{}}
}

// Add records a hit at t with terms and reports whether it is covered
// (false for a hit without terms).
func (c *Coverage) Add(t time.Time, terms [][]string) bool {
	covered := len(terms) > 0
	for _, tuple := range terms {
		c.key = appendTermKey(c.key[:0], tuple)
		ts := c.seen[string(c.key)]
		switch {
		case ts == nil:
			covered = false
			c.seen[string(c.key)] = &coverTimes{t, t}
			continue
		case !ts.max.After(t) && t.Sub(ts.max) <= c.span:
		case !ts.min.After(t) && t.Sub(ts.min) <= c.span:
		default:
			covered = false
		}
		if t.Before(ts.min) {
			ts.min = t
		}
		if t.After(ts.max) {
			ts.max = t
		}
	}
	return covered
}
