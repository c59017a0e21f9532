package duckproof

import (
	"slices"
	"testing"
	"time"

	"github.com/detc/detc/backends/eval"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/source/cloudtrail"
)

// evalAlerts runs the reference evaluator on the ECS documents the source
// profile derives from the raw records.
func evalAlerts(t *testing.T, rule *ir.Rule, raw [][]byte, at time.Time) []ir.Alert {
	t.Helper()
	var events []eval.Event
	for _, r := range raw {
		tm, err := cloudtrail.EventTime(r)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := eval.ECSDocument(r)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, eval.Event{Time: tm, ID: cloudtrail.EventID(r), Doc: doc})
	}
	got, err := eval.Alerts(rule, events, at)
	if err != nil {
		t.Fatal(err)
	}
	ir.SortAlerts(got)
	return got
}

func sameAlerts(a, b []ir.Alert) bool {
	return slices.EqualFunc(a, b, func(x, y ir.Alert) bool {
		return x.EventID == y.EventID && x.Count == y.Count && slices.Equal(x.Terms, y.Terms)
	})
}

var scenarioAt = time.Date(2025, 3, 13, 18, 35, 0, 0, time.UTC)

func dynamoExport() ir.Expr {
	return and(kw("event.dataset", "aws.cloudtrail"), kw("event.provider", "dynamodb.amazonaws.com"),
		kw("event.action", "ExportTableToPointInTime"), kw("event.outcome", "success"))
}

// TestNewTermsScenario reproduces aws/REFERENCE.md §2.4 through the
// rendered SQL: alice (history 20 days old) and dave (first document
// nt-d-1) are new, bob (seen 5 days earlier) is not, carol's failed export
// does not match.
func TestNewTermsScenario(t *testing.T) {
	raw := readNDJSON(t, shared+"newterms_scenario.ndjson")
	rule := &ir.Rule{
		ID: "nt", Type: ir.NewTerms, From: "now-6m", Expr: dynamoExport(),
		NewTerms: &ir.NewTermsSpec{Fields: []string{"aws.cloudtrail.user_identity.arn"}, HistoryWindowStart: "now-14d"},
	}
	got, err := Alerts(rule, raw, scenarioAt)
	if err != nil {
		t.Fatal(err)
	}
	want := []ir.Alert{
		{RuleID: "nt", EventID: "nt-a-now", Terms: []string{"arn:aws:sts::111122223333:assumed-role/DataAdmin/alice"}},
		{RuleID: "nt", EventID: "nt-d-1", Terms: []string{"arn:aws:iam::111122223333:user/dave"}},
	}
	if !sameAlerts(got, want) {
		t.Errorf("DuckDB alerts %v, want %v", ids(got), ids(want))
	}
	if ev := evalAlerts(t, rule, raw, scenarioAt); !sameAlerts(got, ev) {
		t.Errorf("DuckDB alerts %v, evaluator %v", ids(got), ids(ev))
	}

	// A 30-day history holds alice's old export: only dave is new.
	rule.NewTerms.HistoryWindowStart = "now-30d"
	got, err = Alerts(rule, raw, scenarioAt)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].EventID != "nt-d-1" {
		t.Errorf("now-30d: alerts %v, want only nt-d-1", ids(got))
	}

	// Without the outcome clause carol's failed export is new too.
	rule.NewTerms.HistoryWindowStart = "now-14d"
	rule.Expr = kw("event.action", "ExportTableToPointInTime")
	got, err = Alerts(rule, raw, scenarioAt)
	if err != nil {
		t.Fatal(err)
	}
	var evs []string
	for _, a := range got {
		evs = append(evs, a.EventID)
	}
	if !slices.Equal(evs, []string{"nt-a-now", "nt-c-fail", "nt-d-1"}) {
		t.Errorf("without event.outcome: alerts on %v, want nt-a-now nt-c-fail nt-d-1", evs)
	}
}
