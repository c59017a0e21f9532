package cwproof

import (
	"bufio"
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detc/detc/backends/eval"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
	"github.com/detc/detc/source/cloudtrail"
)

const shared = "../../../../shared/aws/samples/"

func readNDJSON(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			out = append(out, append([]byte(nil), line...))
		}
	}
	return out
}

// evalAlerts runs the reference evaluator on the ECS documents the source
// profile derives from the raw records.
func evalAlerts(t testing.TB, rule *ir.Rule, raw [][]byte, at time.Time) []ir.Alert {
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

// mustLower parses and lowers KQL with detc's lowering (types from the
// field catalog).
func mustLower(t testing.TB, query string, _ any) ir.Expr {
	t.Helper()
	e, diags := lower.Query(query, lower.Options{})
	if diags.HasErrors() {
		t.Fatalf("%q: %v", query, diags)
	}
	return e
}

func sameAlerts(a, b []ir.Alert) bool {
	return slices.EqualFunc(a, b, func(x, y ir.Alert) bool {
		return x.EventID == y.EventID && x.Count == y.Count && slices.Equal(x.Terms, y.Terms)
	})
}

var (
	samplesAt  = time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	scenarioAt = time.Date(2025, 3, 13, 18, 35, 0, 0, time.UTC)
)

// agreeQueries are query rules run on the five samples over a window that
// holds them all; the interpreter must give the evaluator's alerts.
var agreeQueries = []string{
	`event.action: "ExportTableToPointInTime"`,
	`event.dataset: aws.cloudtrail and event.provider: dynamodb.amazonaws.com`,
	`event.dataset: "aws.other"`,
	`not event.dataset: "aws.other"`,
	`event.dataset: aws.*`,
	`event.outcome: success`,
	`event.outcome: failure`,
	`not event.outcome: failure`,
	`event.outcome: fail*`,
	`event.outcome: *`,
	`aws.cloudtrail.error_code: *`,
	`not aws.cloudtrail.error_code: *`,
	`not aws.cloudtrail.error_code: "ConditionalCheckFailedException"`,
	`user.name: JaneDoe`,
	`user.name: bob or user.name: JohnDoe`,
	`user.name: *Doe`,
	`not user.name: *Doe`,
	`user.name: *`,
	`source.ip: 192.0.2.0/24`,
	`source.ip: "81.2.69.144"`,
	`not source.ip: 10.0.0.0/8`,
	`source.ip: *`,
	`aws.cloudtrail.resources.arn: *Music`,
	`not aws.cloudtrail.resources.arn: *Music`,
	`aws.cloudtrail.resources.type: "AWS::DynamoDB::Table"`,
	`aws.cloudtrail.read_only: false`,
	`aws.cloudtrail.read_only: true`,
	`not aws.cloudtrail.read_only: false`,
	`aws.cloudtrail.management_event: true`,
	`aws.cloudtrail.management_event: false`,
	`aws.cloudtrail.flattened.request_parameters.durationSeconds: 3600`,
	`aws.cloudtrail.flattened.request_parameters.roleArn: arn*JohnRole2`,
	`aws.cloudtrail.flattened.request_parameters.roleArn: *role/John*`,
	`event.action: (AssumeRole or ConsoleLogin) and not cloud.region: us-west-2`,
	`aws.cloudtrail.console_login.additional_eventdata.mfa_used: false`,
	`aws.cloudtrail.console_login.additional_eventdata.mfa_used: true`,
	`not aws.cloudtrail.console_login.additional_eventdata.mfa_used: false`,
	`tls.version: "1.3"`,
	`tls.version_protocol: tls`,
	`not tls.version_protocol: tls`,
	`user_agent.original: *aws-cli*`,
	`related.user: JaneDoe`,
	`not related.user: JaneDoe`,
	`event.action: *Item`,
	`event.action: Start*s`,
	`aws.cloudtrail.user_identity.session_context.mfa_authenticated: false`,
	`aws.cloudtrail.user_identity.session_context.mfa_authenticated: true`,
	`aws.cloudtrail.user_identity.type: (AssumedRole or IAMUser) and not event.provider: (sts.amazonaws.com or signin.amazonaws.com)`,
	`event.action: consolelogin`,
	`cloud.account.id: "111122223333" and not aws.cloudtrail.user_identity.access_key_id: *`,
}

func TestQueryRulesAgree(t *testing.T) {
	raw := readNDJSON(t, shared+"all_events.ndjson")
	for _, q := range agreeQueries {
		rule := &ir.Rule{ID: "r", Type: ir.Query, From: "now-15y", Expr: mustLower(t, q, nil)}
		want := evalAlerts(t, rule, raw, samplesAt)
		got, err := Alerts(rule, raw, samplesAt)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if !sameAlerts(got, want) {
			t.Errorf("%s\n interpreter %v\n evaluator   %v", q, got, want)
		}
	}
}

func dynamoExport(t testing.TB) ir.Expr {
	return mustLower(t, `event.dataset: "aws.cloudtrail" and event.provider: "dynamodb.amazonaws.com" and event.action: "ExportTableToPointInTime" and event.outcome: "success"`, nil)
}

// TestNewTermsScenario: over newterms_scenario.ndjson at 18:35, alice (seen
// 20 days earlier, outside the 14-day history) and dave are new terms; bob
// was seen in the history; carol's export failed.
func TestNewTermsScenario(t *testing.T) {
	raw := readNDJSON(t, shared+"newterms_scenario.ndjson")
	for _, spec := range []ir.NewTermsSpec{
		{Fields: []string{"aws.cloudtrail.user_identity.arn"}, HistoryWindowStart: "now-14d"},
		{Fields: []string{"aws.cloudtrail.user_identity.arn"}, HistoryWindowStart: "now-30d"},
		{Fields: []string{"cloud.account.id", "user.name"}, HistoryWindowStart: "now-14d"},
		{Fields: []string{"source.ip"}, HistoryWindowStart: "now-10d"},
	} {
		spec := spec
		rule := &ir.Rule{ID: "nt", Type: ir.NewTerms, From: "now-6m", Expr: dynamoExport(t), NewTerms: &spec}
		want := evalAlerts(t, rule, raw, scenarioAt)
		got, err := Alerts(rule, raw, scenarioAt)
		if err != nil {
			t.Fatalf("%v: %v", spec, err)
		}
		if !sameAlerts(got, want) {
			t.Errorf("%v\n interpreter %v\n evaluator   %v", spec, got, want)
		}
		if spec.HistoryWindowStart == "now-14d" && len(spec.Fields) == 1 {
			var ids []string
			for _, a := range got {
				ids = append(ids, a.EventID)
			}
			if !slices.Equal(ids, []string{"nt-a-now", "nt-d-1"}) {
				t.Errorf("new terms %v, want [nt-a-now nt-d-1] (REFERENCE.md §2.4)", ids)
			}
		}
	}
}

func TestThresholdAgree(t *testing.T) {
	raw := readNDJSON(t, shared+"newterms_scenario.ndjson")
	for _, spec := range []ir.ThresholdSpec{
		{Fields: []string{"aws.cloudtrail.user_identity.arn"}, Value: 2},
		{Fields: []string{"cloud.account.id", "user.name"}, Value: 1},
		{Value: 3},
		{Fields: []string{"cloud.account.id"}, Value: 1, Cardinality: []ir.Cardinality{{Field: "aws.cloudtrail.user_identity.arn", Value: 3}}},
		{Fields: []string{"cloud.account.id"}, Value: 1, Cardinality: []ir.Cardinality{{Field: "aws.cloudtrail.user_identity.arn", Value: 4}}},
	} {
		spec := spec
		rule := &ir.Rule{ID: "th", Type: ir.Threshold, From: "now-30d", Expr: mustLower(t, `event.action: ExportTableToPointInTime`, nil), Threshold: &spec}
		want := evalAlerts(t, rule, raw, scenarioAt)
		got, err := Alerts(rule, raw, scenarioAt)
		if err != nil {
			t.Fatalf("%v: %v", spec, err)
		}
		if !sameAlerts(got, want) {
			t.Errorf("%+v\n interpreter %v\n evaluator   %v", spec, got, want)
		}
		if len(want) == 0 && spec.Value < 4 && len(spec.Cardinality) == 0 {
			t.Errorf("%+v: no alerts at all; the case proves nothing", spec)
		}
	}
}

// TestFlattenedItemsArrays checks the items-index strategy on EC2-style
// request parameters against the evaluator, which crosses arrays at any
// depth.
func TestFlattenedItemsArrays(t *testing.T) {
	mk := func(id, cidrs string) []byte {
		return []byte(`{"eventID":"` + id + `","eventTime":"2025-03-13T18:30:00Z","eventName":"AuthorizeSecurityGroupIngress",` +
			`"requestParameters":{"groupId":"sg-1","ipPermissions":{"items":[{"fromPort":22,"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}},` +
			`{"fromPort":443,"ipRanges":{"items":[` + cidrs + `]}}]}}}`)
	}
	raw := [][]byte{
		mk("open", `{"cidrIp":"192.168.0.0/16"},{"cidrIp":"0.0.0.0/0"}`),
		mk("closed", `{"cidrIp":"192.168.0.0/16"}`),
		[]byte(`{"eventID":"other","eventTime":"2025-03-13T18:30:00Z","eventName":"DescribeInstances"}`),
	}
	for _, q := range []string{
		`aws.cloudtrail.flattened.request_parameters.ipPermissions.items.ipRanges.items.cidrIp: "0.0.0.0/0"`,
		`not aws.cloudtrail.flattened.request_parameters.ipPermissions.items.ipRanges.items.cidrIp: "0.0.0.0/0"`,
		`aws.cloudtrail.flattened.request_parameters.ipPermissions.items.fromPort: 443`,
		`aws.cloudtrail.flattened.request_parameters.ipPermissions.items.fromPort: 22 and not aws.cloudtrail.flattened.request_parameters.ipPermissions.items.ipRanges.items.cidrIp: 0.0.0.0*`,
	} {
		rule := &ir.Rule{ID: "sg", Type: ir.Query, From: "now-6m", Expr: mustLower(t, q, nil)}
		want := evalAlerts(t, rule, raw, scenarioAt)
		if len(want) == 0 || len(want) == len(raw) {
			t.Errorf("%s: the evaluator gives %v; the case does not separate the events", q, want)
		}
		got, err := Alerts(rule, raw, scenarioAt)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if !sameAlerts(got, want) {
			t.Errorf("%s\n interpreter %v\n evaluator   %v", q, got, want)
		}
	}
}

// TestArrayTermsAgree: new_terms and threshold on a field of an array of
// objects (resources[].ARN), where each element is a candidate term; the
// query unnests jsonParse(@message).resources.
func TestArrayTermsAgree(t *testing.T) {
	mk := func(id, at string, arns ...string) []byte {
		var res []string
		for _, a := range arns {
			res = append(res, `{"ARN":"`+a+`","type":"AWS::S3::Bucket","accountId":"111122223333"}`)
		}
		return []byte(`{"eventID":"` + id + `","eventTime":"` + at + `","eventName":"PutBucketPolicy","userIdentity":{"accountId":"1"},` +
			`"resources":[` + strings.Join(res, ",") + `]}`)
	}
	raw := [][]byte{
		mk("old", "2025-03-10T00:00:00Z", "arn:b1"),
		mk("now1", "2025-03-13T18:31:00Z", "arn:b1", "arn:b2"),
		mk("now2", "2025-03-13T18:32:00Z", "arn:b3", "arn:b2"),
		mk("none", "2025-03-13T18:33:00Z"),
		[]byte(`{"eventID":"nores","eventTime":"2025-03-13T18:33:30Z","eventName":"PutBucketPolicy"}`),
	}
	expr := mustLower(t, `event.action: PutBucketPolicy`, nil)
	rules := []*ir.Rule{
		{ID: "nt", Type: ir.NewTerms, From: "now-6m", Expr: expr,
			NewTerms: &ir.NewTermsSpec{Fields: []string{"aws.cloudtrail.resources.arn"}, HistoryWindowStart: "now-14d"}},
		{ID: "nt2", Type: ir.NewTerms, From: "now-6m", Expr: expr,
			NewTerms: &ir.NewTermsSpec{Fields: []string{"cloud.account.id", "aws.cloudtrail.resources.arn"}, HistoryWindowStart: "now-14d"}},
		{ID: "th", Type: ir.Threshold, From: "now-6m", Expr: expr,
			Threshold: &ir.ThresholdSpec{Fields: []string{"aws.cloudtrail.resources.arn"}, Value: 2}},
	}
	for _, rule := range rules {
		want := evalAlerts(t, rule, raw, scenarioAt)
		got, err := Alerts(rule, raw, scenarioAt)
		if err != nil {
			t.Fatalf("%s: %v", rule.ID, err)
		}
		if !sameAlerts(got, want) {
			t.Errorf("%s\n interpreter %v\n evaluator   %v", rule.ID, got, want)
		}
		if len(want) == 0 {
			t.Errorf("%s: no alerts; the case proves nothing", rule.ID)
		}
	}
}

// TestDateRangesAgree: ranges on a CloudTrail date, with relative date
// math, rounding and an absolute bound, through parseDate.
func TestDateRangesAgree(t *testing.T) {
	mk := func(id, created string) []byte {
		return []byte(`{"eventID":"` + id + `","eventTime":"2025-03-13T18:30:00Z","eventName":"GetObject",` +
			`"userIdentity":{"type":"FederatedUser","sessionContext":{"attributes":{"creationDate":"` + created + `"}}}}`)
	}
	raw := [][]byte{mk("h30", "2025-03-12T12:35:00Z"), mk("h11", "2025-03-13T07:35:00Z"), mk("h12", "2025-03-13T06:35:00Z"),
		[]byte(`{"eventID":"none","eventTime":"2025-03-13T18:30:00Z","eventName":"GetObject"}`)}
	for _, q := range []string{
		`aws.cloudtrail.user_identity.session_context.creation_date < now-12h`,
		`aws.cloudtrail.user_identity.session_context.creation_date <= now-12h`,
		`not aws.cloudtrail.user_identity.session_context.creation_date < now-12h`,
		`aws.cloudtrail.user_identity.session_context.creation_date >= now/d`,
		`aws.cloudtrail.user_identity.session_context.creation_date > "2025-03-13T00:00:00Z"`,
	} {
		rule := &ir.Rule{ID: "d", Type: ir.Query, From: "now-6m", Expr: mustLower(t, q, nil)}
		want := evalAlerts(t, rule, raw, scenarioAt)
		got, err := Alerts(rule, raw, scenarioAt)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if !sameAlerts(got, want) {
			t.Errorf("%s\n interpreter %v\n evaluator   %v", q, got, want)
		}
		if len(want) == 0 || len(want) == len(raw) {
			t.Errorf("%s: the evaluator gives %v; the case does not separate the events", q, want)
		}
	}
}

// TestMaxSignalsAgree: a run raises at most max_signals alerts, the same
// ones as the evaluator (oldest events, first terms, first groups).
func TestMaxSignalsAgree(t *testing.T) {
	samples := readNDJSON(t, shared+"all_events.ndjson")
	scenario := readNDJSON(t, shared+"newterms_scenario.ndjson")
	rules := []struct {
		rule *ir.Rule
		raw  [][]byte
		at   time.Time
	}{
		{&ir.Rule{ID: "q", Type: ir.Query, From: "now-15y", MaxSignals: 2, Expr: mustLower(t, `event.dataset: aws.cloudtrail`, nil)}, samples, samplesAt},
		{&ir.Rule{ID: "nt", Type: ir.NewTerms, From: "now-6m", MaxSignals: 1, Expr: dynamoExport(t),
			NewTerms: &ir.NewTermsSpec{Fields: []string{"aws.cloudtrail.user_identity.arn"}, HistoryWindowStart: "now-14d"}}, scenario, scenarioAt},
		{&ir.Rule{ID: "th", Type: ir.Threshold, From: "now-30d", MaxSignals: 2, Expr: mustLower(t, `event.action: ExportTableToPointInTime`, nil),
			Threshold: &ir.ThresholdSpec{Fields: []string{"aws.cloudtrail.user_identity.arn"}, Value: 1}}, scenario, scenarioAt},
	}
	for _, c := range rules {
		want := evalAlerts(t, c.rule, c.raw, c.at)
		got, err := Alerts(c.rule, c.raw, c.at)
		if err != nil {
			t.Fatalf("%s: %v", c.rule.ID, err)
		}
		if !sameAlerts(got, want) || len(want) != c.rule.MaxSignals {
			t.Errorf("%s (max_signals %d)\n interpreter %v\n evaluator   %v", c.rule.ID, c.rule.MaxSignals, got, want)
		}
	}
}
