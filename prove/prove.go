// Package prove runs a rule's test cases through every execution engine
// and compares each engine's alerts with the expected ones. It is the
// mechanism behind the golden suite and `detc test`.
package prove

import (
	"fmt"
	"slices"
	"time"

	"github.com/detc/detc/backends/eval"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/rulefile"
	"github.com/detc/detc/source/cloudtrail"
)

// Engine is one independent execution of a rule: given the rule, raw
// CloudTrail records and a run time T, it reports the alerts one run at T
// raises.
type Engine struct {
	Name string
	// About says what the engine executes, for reports.
	About  string
	Alerts func(rule *ir.Rule, raw [][]byte, at time.Time) ([]ir.Alert, error)
}

// Outcome is one engine's result on one case.
type Outcome struct {
	Engine string
	Got    []ir.Alert
	Err    error
	// Pass is set when Err is nil and Got equals the expected alerts.
	Pass bool
}

// CaseResult gathers the outcomes of one case.
type CaseResult struct {
	Rule     *ir.Rule
	Case     *rulefile.Case
	Want     []ir.Alert
	Outcomes []Outcome
}

// Pass reports whether every engine passed.
func (r *CaseResult) Pass() bool {
	for _, o := range r.Outcomes {
		if !o.Pass {
			return false
		}
	}
	return true
}

// Run executes one case on each engine.
func Run(rule *ir.Rule, c *rulefile.Case, engines []Engine) *CaseResult {
	raw := make([][]byte, len(c.Events))
	for i, e := range c.Events {
		raw[i] = e.Raw
	}
	want := normalize(c.Expect, rule)
	res := &CaseResult{Rule: rule, Case: c, Want: want}
	for _, eng := range engines {
		got, err := eng.Alerts(rule, raw, c.At)
		o := Outcome{Engine: eng.Name, Err: err}
		if err == nil {
			o.Got = normalize(got, rule)
			o.Pass = Equal(o.Got, want)
		}
		res.Outcomes = append(res.Outcomes, o)
	}
	return res
}

// normalize gives alerts a canonical form for comparison: the rule id
// filled in, a query rule's empty terms dropped, sorted.
func normalize(as []ir.Alert, rule *ir.Rule) []ir.Alert {
	out := make([]ir.Alert, len(as))
	for i, a := range as {
		a.RuleID = rule.ID
		if len(a.Terms) == 0 {
			a.Terms = nil
		}
		if rule.Type != ir.Threshold {
			a.Count = 0
		}
		out[i] = a
	}
	ir.SortAlerts(out)
	return out
}

// Equal compares normalized alert lists.
func Equal(a, b []ir.Alert) bool {
	return slices.EqualFunc(a, b, func(x, y ir.Alert) bool {
		return x.RuleID == y.RuleID && x.EventID == y.EventID && x.Count == y.Count && slices.Equal(x.Terms, y.Terms)
	})
}

// Reference is the reference evaluator on the ECS documents that the
// source profile derives from the raw records, as Elastic's ingest
// pipeline would index them.
var Reference = Engine{
	Name:   "eval",
	About:  "reference evaluator on the ECS documents derived from the raw records",
	Alerts: evalAlerts,
}

func evalAlerts(rule *ir.Rule, raw [][]byte, at time.Time) ([]ir.Alert, error) {
	events, err := ECSEvents(raw)
	if err != nil {
		return nil, err
	}
	return eval.Alerts(rule, events, at)
}

// ECSEvents turns raw CloudTrail records into evaluator events over their
// ECS documents.
func ECSEvents(raw [][]byte) ([]eval.Event, error) {
	events := make([]eval.Event, 0, len(raw))
	for i, r := range raw {
		doc, err := eval.ECSDocument(r)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i+1, err)
		}
		t, err := cloudtrail.EventTime(r)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i+1, err)
		}
		events = append(events, eval.Event{Time: t, ID: cloudtrail.EventID(r), Doc: doc})
	}
	return events, nil
}
