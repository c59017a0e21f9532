package ir

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Alert is what one execution of a rule at run time T raises. Every engine
// (the evaluator, Elastic re-evaluation, DuckDB over the Athena SQL, the
// Logs Insights interpreter) reports its result in this form, so that the
// golden suite can compare them.
//
//   - query: one alert per matching event in [T-from, T]; EventID is the
//     event's id and Terms is empty.
//   - new_terms: one alert per new term; EventID is the first event that
//     carries it and Terms holds the term's values, in new_terms field order.
//   - threshold: one alert per group that reaches the threshold; Terms holds
//     the group's values in threshold field order, Count the group's size,
//     and EventID is empty.
type Alert struct {
	RuleID  string   `json:"rule_id" yaml:"-"`
	EventID string   `json:"event_id,omitempty" yaml:"event,omitempty"`
	Terms   []string `json:"terms,omitempty" yaml:"terms,omitempty"`
	Count   int      `json:"count,omitempty" yaml:"count,omitempty"`
}

// String prints an alert compactly for test failures.
func (a Alert) String() string {
	var parts []string
	if a.EventID != "" {
		parts = append(parts, "event="+a.EventID)
	}
	if len(a.Terms) > 0 {
		parts = append(parts, fmt.Sprintf("terms=%q", a.Terms))
	}
	if a.Count > 0 {
		parts = append(parts, fmt.Sprintf("count=%d", a.Count))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// SortAlerts puts alerts in a canonical order (event id, then terms), so
// that results from different engines compare equal.
func SortAlerts(as []Alert) {
	slices.SortFunc(as, func(a, b Alert) int {
		if c := strings.Compare(a.EventID, b.EventID); c != 0 {
			return c
		}
		return slices.Compare(a.Terms, b.Terms)
	})
}

// Window is the time range one execution of a rule looks at.
type Window struct {
	// Start and End bound the execution window [T-from, T].
	Start, End time.Time
	// HistoryStart is where a new_terms history window starts; the history
	// is [HistoryStart, Start). Zero for other rule types.
	HistoryStart time.Time
}

// WindowAt computes the windows of one execution of r at run time at.
func (r *Rule) WindowAt(at time.Time) (Window, error) {
	from := r.From
	if from == "" {
		from = "now-6m"
	}
	start, err := DateMath(from, at)
	if err != nil {
		return Window{}, fmt.Errorf("from: %w", err)
	}
	w := Window{Start: start, End: at}
	if r.NewTerms != nil {
		h, err := DateMath(r.NewTerms.HistoryWindowStart, at)
		if err != nil {
			return Window{}, fmt.Errorf("new_terms.history_window_start: %w", err)
		}
		w.HistoryStart = h
	}
	return w, nil
}
