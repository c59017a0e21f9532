package eval

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/source/cloudtrail"
)

// readRecords reads NDJSON raw CloudTrail records from ../shared.
func readRecords(t testing.TB, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, []byte(line))
		}
	}
	return out
}

// eventsOf builds the events of raw records in both forms.
func eventsOf(t testing.TB, records [][]byte) (raw, ecs []Event) {
	t.Helper()
	for _, r := range records {
		tm, err := cloudtrail.EventTime(r)
		if err != nil {
			t.Fatal(err)
		}
		id := cloudtrail.EventID(r)
		rd, err := RawDocument(r)
		if err != nil {
			t.Fatal(err)
		}
		ed, err := ECSDocument(r)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, Event{Time: tm, ID: id, Doc: rd})
		ecs = append(ecs, Event{Time: tm, ID: id, Doc: ed})
	}
	return raw, ecs
}

const scenario = "../../../shared/aws/samples/newterms_scenario.ndjson"

// runBoth runs a rule on both document forms and checks they agree.
func runBoth(t *testing.T, rule *ir.Rule, raw, ecs []Event, at time.Time) []ir.Alert {
	t.Helper()
	a1, err := Alerts(rule, ecs, at)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := Alerts(rule, raw, at, WithForm(RawCloudTrail))
	if err != nil {
		t.Fatal(err)
	}
	ir.SortAlerts(a1)
	ir.SortAlerts(a2)
	if !slices.EqualFunc(a1, a2, alertEqual) {
		t.Errorf("ECS documents give %v, raw records give %v", a1, a2)
	}
	return a1
}

func alertEqual(a, b ir.Alert) bool {
	return a.RuleID == b.RuleID && a.EventID == b.EventID && a.Count == b.Count && slices.Equal(a.Terms, b.Terms)
}

func alertsString(as []ir.Alert) string {
	var parts []string
	for _, a := range as {
		parts = append(parts, a.String())
	}
	return strings.Join(parts, " ")
}

// TestNewTermsScenario checks aws/REFERENCE.md §2.4 on the seven events
// built for it: alice (history 20 days old, outside now-14d) and dave
// (first document nt-d-1) are new, bob (seen 5 days earlier) is not, and
// carol's failed export does not match the query.
func TestNewTermsScenario(t *testing.T) {
	raw, ecs := eventsOf(t, readRecords(t, scenario))
	at := time.Date(2025, 3, 13, 18, 35, 0, 0, time.UTC)
	rule := &ir.Rule{
		ID: "nt", Type: ir.NewTerms, From: "now-6m", Interval: "5m",
		Expr:     kql(t, `event.dataset: "aws.cloudtrail" and event.provider: "dynamodb.amazonaws.com" and event.action: "ExportTableToPointInTime" and event.outcome: "success"`, nil),
		NewTerms: &ir.NewTermsSpec{Fields: []string{"aws.cloudtrail.user_identity.arn"}, HistoryWindowStart: "now-14d"},
	}
	got := runBoth(t, rule, raw, ecs, at)
	want := []ir.Alert{
		{RuleID: "nt", EventID: "nt-a-now", Terms: []string{"arn:aws:sts::111122223333:assumed-role/DataAdmin/alice"}},
		{RuleID: "nt", EventID: "nt-d-1", Terms: []string{"arn:aws:iam::111122223333:user/dave"}},
	}
	if !slices.EqualFunc(got, want, alertEqual) {
		t.Errorf("alerts %s, want %s", alertsString(got), alertsString(want))
	}

	// With a history window long enough to hold alice's old export, only
	// dave is new.
	rule.NewTerms.HistoryWindowStart = "now-30d"
	got = runBoth(t, rule, raw, ecs, at)
	if len(got) != 1 || got[0].EventID != "nt-d-1" {
		t.Errorf("with now-30d: alerts %s, want only nt-d-1", alertsString(got))
	}

	// Without the outcome clause carol's failed export is a new term too.
	rule.NewTerms.HistoryWindowStart = "now-14d"
	rule.Expr = kql(t, `event.action: "ExportTableToPointInTime"`, nil)
	got = runBoth(t, rule, raw, ecs, at)
	var ids []string
	for _, a := range got {
		ids = append(ids, a.EventID)
	}
	if !slices.Equal(ids, []string{"nt-a-now", "nt-c-fail", "nt-d-1"}) {
		t.Errorf("without event.outcome: alerts on %v, want nt-a-now nt-c-fail nt-d-1", ids)
	}
}

// seedQuery is the original (2025-03) query of Elastic's DynamoDB export
// rule, the project's seed rule.
const seedQuery = `event.dataset: "aws.cloudtrail" and event.provider: "dynamodb.amazonaws.com" and event.action: "ExportTableToPointInTime" and aws.cloudtrail.flattened.request_parameters.dryRun: false`

// TestSeedRuleOnScenario checks that the seed rule does what its query
// says on the scenario: no export carries requestParameters.dryRun, so
// nothing alerts; the same events with dryRun false (JSON false or the
// string "false") do alert, and dryRun true does not.
func TestSeedRuleOnScenario(t *testing.T) {
	records := readRecords(t, scenario)
	at := time.Date(2025, 3, 13, 18, 35, 0, 0, time.UTC)
	rule := &ir.Rule{
		ID: "e8ea6f58-0040-11f0-a243-f661ea17fbcd", Type: ir.NewTerms, From: "now-9m", Interval: "5m",
		Expr:     kql(t, seedQuery, nil),
		NewTerms: &ir.NewTermsSpec{Fields: []string{"aws.cloudtrail.user_identity.arn"}, HistoryWindowStart: "now-14d"},
	}
	raw, ecs := eventsOf(t, records)
	if got := runBoth(t, rule, raw, ecs, at); len(got) != 0 {
		t.Errorf("seed rule on the scenario: alerts %s, want none (no dryRun parameter)", alertsString(got))
	}
	for _, c := range []struct {
		insert string
		want   []string
	}{
		// carol's failure matches too: the seed query has no outcome clause.
		{`"dryRun":false,`, []string{"nt-a-now", "nt-c-fail", "nt-d-1"}},
		{`"dryRun":"false",`, []string{"nt-a-now", "nt-c-fail", "nt-d-1"}},
		{`"dryRun":true,`, nil},
	} {
		var withDry [][]byte
		for _, r := range records {
			withDry = append(withDry, []byte(strings.Replace(string(r), `"requestParameters":{`, `"requestParameters":{`+c.insert, 1)))
		}
		raw, ecs := eventsOf(t, withDry)
		var ids []string
		for _, a := range runBoth(t, rule, raw, ecs, at) {
			ids = append(ids, a.EventID)
		}
		if !slices.Equal(ids, c.want) {
			t.Errorf("with %s: alerts on %v, want %v", c.insert, ids, c.want)
		}
	}
}
