package duckproof

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/detc/detc/backends/athena"
	"github.com/detc/detc/ir"
)

// variant returns sample 01 with eventID id, eventTime at, and the given
// top-level or dotted keys replaced (a nil value deletes the key).
func variant(t testing.TB, base map[string]any, id string, at time.Time, set map[string]any) []byte {
	t.Helper()
	rec := deepCopy(base).(map[string]any)
	rec["eventID"] = id
	rec["eventTime"] = at.UTC().Format(time.RFC3339)
	for k, v := range set {
		parts := strings.Split(k, ".")
		m := rec
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		if v == nil {
			delete(m, parts[len(parts)-1])
		} else {
			m[parts[len(parts)-1]] = v
		}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = deepCopy(x)
		}
		return s
	}
	return v
}

func sample01(t testing.TB) map[string]any {
	t.Helper()
	data, err := os.ReadFile(shared + "01_dynamodb_ExportTableToPointInTime_SYNTHETIC.json")
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	delete(rec, "_comment")
	return rec
}

var agreeAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// agreementEvents are the published samples plus variants of sample 01
// that exercise empty and missing values, booleans as JSON and as text,
// IPv6 and non-IP source addresses, several resources and awkward text.
func agreementEvents(t testing.TB) [][]byte {
	raw := readNDJSON(t, shared+"all_events.ndjson")
	raw = append(raw, readNDJSON(t, shared+"newterms_scenario.ndjson")...)
	base := sample01(t)
	day := time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC)
	res := func(arns ...string) []any {
		var out []any
		for _, a := range arns {
			out = append(out, map[string]any{"ARN": a, "accountId": "111122223333", "type": "AWS::S3::Bucket"})
		}
		return out
	}
	vs := []struct {
		id  string
		set map[string]any
	}{
		{"v-dry-false", map[string]any{"requestParameters.dryRun": false}},
		{"v-dry-text", map[string]any{"requestParameters.dryRun": "false"}},
		{"v-dry-true", map[string]any{"requestParameters.dryRun": true, "readOnly": "true"}},
		{"v-empty-code", map[string]any{"errorCode": "", "errorMessage": ""}},
		{"v-err", map[string]any{"errorCode": "AccessDenied", "errorMessage": "User: x is not authorized"}},
		{"v-msg-only", map[string]any{"errorMessage": "boom"}},
		{"v-ipv6", map[string]any{"sourceIPAddress": "2001:db8::7"}},
		{"v-internal", map[string]any{"sourceIPAddress": "AWS Internal"}},
		{"v-host", map[string]any{"sourceIPAddress": "dynamodb.amazonaws.com"}},
		{"v-no-ip", map[string]any{"sourceIPAddress": nil}},
		{"v-res2", map[string]any{"resources": res("arn:aws:s3:::a_b%c", "arn:aws:s3:::logs")}},
		{"v-res-empty", map[string]any{"resources": []any{}}},
		{"v-ua", map[string]any{"userAgent": `it's 100% \"odd\" _x_ \ end`}},
		{"v-ua-empty", map[string]any{"userAgent": ""}},
		{"v-user", map[string]any{"userIdentity.userName": "eve", "userIdentity.type": "IAMUser"}},
		{"v-user-empty", map[string]any{"userIdentity.userName": ""}},
		{"v-tls12", map[string]any{"tlsDetails.tlsVersion": "TLSv1.2"}},
		{"v-tls-odd", map[string]any{"tlsDetails.tlsVersion": "weird"}},
		{"v-key-dash", map[string]any{"requestParameters.s3-prefix": "x-y", "requestParameters.a.b": "deep"}},
		{"v-num", map[string]any{"requestParameters.durationSeconds": 3600}},
		{"v-sg-open", map[string]any{"eventName": "AuthorizeSecurityGroupIngress", "requestParameters": map[string]any{
			"groupId": "sg-1", "ipPermissions": map[string]any{"items": []any{
				map[string]any{"ipProtocol": "tcp", "fromPort": 22, "ipRanges": map[string]any{"items": []any{
					map[string]any{"cidrIp": "10.0.0.0/8"}, map[string]any{"cidrIp": "0.0.0.0/0"}}}},
				map[string]any{"ipProtocol": "tcp", "fromPort": 443, "ipv6Ranges": map[string]any{"items": []any{map[string]any{"cidrIpv6": "::/0"}}}},
			}}}}},
		{"v-sg-closed", map[string]any{"eventName": "AuthorizeSecurityGroupIngress", "requestParameters": map[string]any{
			"groupId": "sg-2", "ipPermissions": map[string]any{"items": []any{
				map[string]any{"ipProtocol": "tcp", "fromPort": 22, "ipRanges": map[string]any{"items": []any{map[string]any{"cidrIp": "10.0.0.0/8"}}}},
			}}}}},
		{"v-sg-empty", map[string]any{"eventName": "AuthorizeSecurityGroupIngress", "requestParameters": map[string]any{
			"groupId": "sg-3", "ipPermissions": map[string]any{"items": []any{}}}}},
		{"v-groupset", map[string]any{"eventName": "ModifyInstanceAttribute", "requestParameters": map[string]any{
			"instanceId": "i-1", "groupSet": map[string]any{"items": []any{map[string]any{"groupId": "sg-9"}}}}}},
	}
	for i, v := range vs {
		raw = append(raw, variant(t, base, v.id, day.Add(time.Duration(i)*time.Minute), v.set))
	}
	return raw
}

type agreeCase struct {
	name string
	rule *ir.Rule
	// minAlerts guards against a case that proves nothing because
	// neither engine alerts.
	minAlerts int
}

func queryRule(e ir.Expr) *ir.Rule {
	return &ir.Rule{ID: "r", Type: ir.Query, From: "now-5000d", MaxSignals: 10000, Expr: e}
}

func agreementCases() []agreeCase {
	q := func(name string, min int, e ir.Expr) agreeCase { return agreeCase{name, queryRule(e), min} }
	return []agreeCase{
		q("seed dryRun false", 2, and(kw("event.dataset", "aws.cloudtrail"), kw("event.provider", "dynamodb.amazonaws.com"),
			kw("event.action", "ExportTableToPointInTime"), &ir.Term{Field: field("aws.cloudtrail.flattened.request_parameters.dryRun"), Value: ir.Value{Text: "false"}})),
		q("not dryRun false", 10, not(&ir.Term{Field: field("aws.cloudtrail.flattened.request_parameters.dryRun"), Value: ir.Value{Text: "false"}})),
		q("outcome success", 10, kw("event.outcome", "success")),
		q("outcome failure", 3, kw("event.outcome", "failure")),
		q("not outcome failure", 10, not(kw("event.outcome", "failure"))),
		q("error code exists", 2, exists("aws.cloudtrail.error_code")),
		q("not error code exists", 10, not(exists("aws.cloudtrail.error_code"))),
		q("error code not x", 10, not(kw("aws.cloudtrail.error_code", "AccessDenied"))),
		q("source.ip cidr", 1, kw("source.ip", "192.0.2.0/24")),
		q("source.ip v6", 1, kw("source.ip", "2001:db8::/32")),
		q("source.ip exists", 10, exists("source.ip")),
		q("not source.ip in 198.51.100.0/24", 5, not(kw("source.ip", "198.51.100.0/24"))),
		q("source.address", 1, kw("source.address", "AWS Internal")),
		q("resources arn", 1, kw("aws.cloudtrail.resources.arn", "arn:aws:s3:::logs")),
		q("resources arn like", 1, wc("aws.cloudtrail.resources.arn", "", "a_b%", "")),
		q("resources arn exists", 2, exists("aws.cloudtrail.resources.arn")),
		q("not resources type", 10, not(kw("aws.cloudtrail.resources.type", "AWS::S3::Bucket"))),
		q("user agent literal", 1, kw("user_agent.original", `it's 100% \"odd\" _x_ \ end`)),
		q("user agent wildcard", 1, wc("user_agent.original", "", `100% \"`, `_x_ \`, "")),
		q("user agent prefix", 5, wc("user_agent.original", "aws-cli/", "")),
		q("user agent exists", 10, exists("user_agent.original")),
		q("not user agent exists", 1, not(exists("user_agent.original"))),
		q("user.name", 1, kw("user.name", "eve")),
		q("user.name role", 5, kw("user.name", "AWSReservedSSO_DataAdmin_0123456789abcdef")),
		q("related.user", 1, kw("related.user", "eve")),
		q("read_only true", 1, kw("aws.cloudtrail.read_only", "true")),
		q("read_only false", 5, kw("aws.cloudtrail.read_only", "false")),
		q("tls protocol", 5, kw("tls.version_protocol", "tls")),
		q("tls version", 1, kw("tls.version", "1.2")),
		q("mfa_used false", 1, kw("aws.cloudtrail.console_login.additional_eventdata.mfa_used", "false")),
		q("login_to", 1, wc("aws.cloudtrail.console_login.additional_eventdata.login_to", "https://console.aws.amazon.com/", "")),
		q("dash key", 1, kw("aws.cloudtrail.flattened.request_parameters.s3-prefix", "x-y")),
		q("deep key", 1, kw("aws.cloudtrail.flattened.request_parameters.a.b", "deep")),
		q("number leaf", 1, kw("aws.cloudtrail.flattened.request_parameters.durationSeconds", "3600")),
		q("dataset constant", 10, kw("event.dataset", "aws.cloudtrail")),
		q("dataset wrong constant", 0, kw("event.dataset", "aws.guardduty")),
		q("or of and", 3, or(and(kw("event.action", "ConsoleLogin"), kw("event.outcome", "failure")), kw("source.ip", "192.0.2.0/24"), kw("user.name", "eve"))),
		q("not of and", 10, not(and(kw("event.action", "ExportTableToPointInTime"), kw("aws.cloudtrail.error_code", "AccessDenied")))),
		q("nested resources", 1, &ir.Nested{Path: "aws.cloudtrail.resources", X: and(wc("aws.cloudtrail.resources.arn", "", "logs"), kw("aws.cloudtrail.resources.type", "AWS::S3::Bucket"))}),
		q("match all", 10, &ir.MatchAll{}),
		q("@timestamp range", 5, &ir.Range{Field: field("@timestamp"), Op: ir.Gte, Value: ir.Value{Text: "2025-12-31T12:05:00Z"}}),
		q("@timestamp relative", 5, &ir.Range{Field: field("@timestamp"), Op: ir.Gt, Value: ir.Value{Text: "now-1d"}}),
		q("creation_date before", 5, &ir.Range{Field: field("aws.cloudtrail.user_identity.session_context.creation_date"), Op: ir.Lt, Value: ir.Value{Text: "2025-03-14"}}),
		q("keyword range", 3, &ir.Range{Field: field("event.action"), Op: ir.Lte, Value: ir.Value{Text: "D"}}),
		q("not keyword range", 10, not(&ir.Range{Field: field("aws.cloudtrail.error_code"), Op: ir.Gte, Value: ir.Value{Text: "B"}})),
		q("sg open to the world", 1, or(kw("aws.cloudtrail.flattened.request_parameters.ipPermissions.items.ipRanges.items.cidrIp", "0.0.0.0/0"),
			kw("aws.cloudtrail.flattened.request_parameters.ipPermissions.items.ipv6Ranges.items.cidrIpv6", "::/0"))),
		q("sg from port 22", 2, kw("aws.cloudtrail.flattened.request_parameters.ipPermissions.items.fromPort", "22")),
		q("sg cidr wildcard", 2, wc("aws.cloudtrail.flattened.request_parameters.ipPermissions.items.ipRanges.items.cidrIp", "10.", "")),
		q("not sg open", 2, and(kw("event.action", "AuthorizeSecurityGroupIngress"), not(kw("aws.cloudtrail.flattened.request_parameters.ipPermissions.items.ipRanges.items.cidrIp", "0.0.0.0/0")))),
		q("groupSet groupId exists", 1, exists("aws.cloudtrail.flattened.request_parameters.groupSet.items.groupId")),
		{"max_signals query", &ir.Rule{ID: "r", Type: ir.Query, From: "now-5000d", MaxSignals: 3, Expr: &ir.MatchAll{}}, 3},
		{"max_signals new_terms", &ir.Rule{ID: "r", Type: ir.NewTerms, From: "now-5000d", MaxSignals: 2, Expr: &ir.MatchAll{},
			NewTerms: &ir.NewTermsSpec{Fields: []string{"event.action"}, HistoryWindowStart: "now-6000d"}}, 2},
		{"new_terms user.name", &ir.Rule{ID: "r", Type: ir.NewTerms, From: "now-2d", Expr: &ir.MatchAll{},
			NewTerms: &ir.NewTermsSpec{Fields: []string{"user.name"}, HistoryWindowStart: "now-5000d"}}, 1},
		{"new_terms account+user", &ir.Rule{ID: "r", Type: ir.NewTerms, From: "now-2d", Expr: &ir.MatchAll{},
			NewTerms: &ir.NewTermsSpec{Fields: []string{"cloud.account.id", "user.name"}, HistoryWindowStart: "now-5000d"}}, 1},
		{"new_terms resources.arn", &ir.Rule{ID: "r", Type: ir.NewTerms, From: "now-2d", Expr: &ir.MatchAll{},
			NewTerms: &ir.NewTermsSpec{Fields: []string{"aws.cloudtrail.resources.arn"}, HistoryWindowStart: "now-5000d"}}, 2},
		{"new_terms source.ip", &ir.Rule{ID: "r", Type: ir.NewTerms, From: "now-2d", Expr: &ir.MatchAll{},
			NewTerms: &ir.NewTermsSpec{Fields: []string{"source.ip"}, HistoryWindowStart: "now-5000d"}}, 1},
		{"threshold account", &ir.Rule{ID: "r", Type: ir.Threshold, From: "now-2d", Expr: &ir.MatchAll{},
			Threshold: &ir.ThresholdSpec{Fields: []string{"cloud.account.id"}, Value: 3}}, 1},
		{"threshold outcome+ip cardinality", &ir.Rule{ID: "r", Type: ir.Threshold, From: "now-5000d", Expr: not(kw("event.action", "ConsoleLogin")),
			Threshold: &ir.ThresholdSpec{Fields: []string{"event.outcome"}, Value: 2, Cardinality: []ir.Cardinality{{Field: "source.address", Value: 2}}}}, 1},
		{"threshold no field", &ir.Rule{ID: "r", Type: ir.Threshold, From: "now-2d", Expr: kw("event.outcome", "failure"),
			Threshold: &ir.ThresholdSpec{Value: 2}}, 1},
	}
}

// TestAgreesWithEvaluator runs each rule's exact SQL in DuckDB and the
// reference evaluator on the ECS documents of the same raw records; the
// alerts must be equal.
func TestAgreesWithEvaluator(t *testing.T) {
	runAgreement(t, agreementEvents(t), agreementCases())
}

// TestAgreesOnFlattenedArrays is the agreement over request parameters
// that hold arrays outside CloudTrail's "items" wrappers (leaf lists,
// lists of policy statements, lists of lists, mixed scalars), as
// Elasticsearch's flattened field sees them: any element at any depth.
func TestAgreesOnFlattenedArrays(t *testing.T) {
	runAgreement(t, flattenedArrayEvents(t), flattenedArrayCases())
}

// flattenedArrayEvents are variants of sample 01 whose request
// parameters hold arrays, shaped like the golden events.
func flattenedArrayEvents(t testing.TB) [][]byte {
	base := sample01(t)
	day := time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC)
	vs := []struct {
		id  string
		set map[string]any
	}{
		{"v-plain", map[string]any{}},
		// Arrays outside CloudTrail's "items" wrappers, shaped like the
		// golden events: a leaf list, a list of statements, lists of lists.
		{"v-values-all", map[string]any{"requestParameters.valuesToAdd": []any{"444455556666", "all"}}},
		{"v-values-one", map[string]any{"requestParameters.valuesToAdd": []any{"444455556666"}}},
		{"v-values-dup", map[string]any{"requestParameters.valuesToAdd": []any{"dup", "dup", "other"}}},
		{"v-values-mixed", map[string]any{"requestParameters.valuesToAdd": []any{true, 3600, nil, "", map[string]any{"x": "y"}}}},
		{"v-values-empty", map[string]any{"requestParameters.valuesToAdd": []any{}}},
		{"v-acl", map[string]any{"requestParameters.x-amz-acl": []any{"public-read"}}},
		{"v-policy", map[string]any{"requestParameters.bucketPolicy": map[string]any{"Statement": []any{
			map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::444455556666:root"}, "Action": "s3:GetObject"},
			map[string]any{"Effect": "Deny", "Principal": "*", "Action": []any{"s3:GetObject", "s3:ListBucket"}},
		}}}},
		{"v-policy-one", map[string]any{"requestParameters.bucketPolicy": map[string]any{"Statement": map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"AWS": []any{"*"}}, "Action": "s3:*"}}}},
		{"v-lists-of-lists", map[string]any{"requestParameters.matrix": []any{
			[]any{map[string]any{"k": "deep-1"}}, []any{map[string]any{"k": []any{[]any{"deep-2"}}}},
		}}},
	}
	var raw [][]byte
	for i, v := range vs {
		raw = append(raw, variant(t, base, v.id, day.Add(time.Duration(i)*time.Minute), v.set))
	}
	return raw
}

func flattenedArrayCases() []agreeCase {
	const rp = "aws.cloudtrail.flattened.request_parameters."
	q := func(name string, min int, e ir.Expr) agreeCase { return agreeCase{name, queryRule(e), min} }
	return []agreeCase{
		q("leaf list element", 1, kw(rp+"valuesToAdd", "all")),
		q("not leaf list element", 9, not(kw(rp+"valuesToAdd", "all"))),
		q("leaf list wildcard", 2, wc(rp+"valuesToAdd", "4444", "")),
		q("leaf list exists", 4, exists(rp+"valuesToAdd")),
		q("not leaf list exists", 6, not(exists(rp+"valuesToAdd"))),
		q("leaf list boolean text", 1, kw(rp+"valuesToAdd", "true")),
		q("leaf list number text", 1, kw(rp+"valuesToAdd", "3600")),
		q("leaf list empty string", 0, kw(rp+"valuesToAdd", "")),
		q("leaf list object member", 1, kw(rp+"valuesToAdd.x", "y")),
		q("dash key list", 1, kw(rp+"x-amz-acl", "public-read")),
		q("statement principal", 1, kw(rp+"bucketPolicy.Statement.Principal", "*")),
		q("statement principal AWS", 1, kw(rp+"bucketPolicy.Statement.Principal.AWS", "*")),
		q("statement effect and principal", 1, and(kw(rp+"bucketPolicy.Statement.Effect", "Allow"), kw(rp+"bucketPolicy.Statement.Principal", "*"))),
		q("statement action wildcard", 1, wc(rp+"bucketPolicy.Statement.Action", "s3:List", "")),
		q("not statement effect deny", 9, not(kw(rp+"bucketPolicy.Statement.Effect", "Deny"))),
		q("statement principal exists", 1, exists(rp+"bucketPolicy.Statement.Principal.AWS")),
		q("list of lists", 1, kw(rp+"matrix.k", "deep-1")),
		q("list of lists at the leaf", 1, kw(rp+"matrix.k", "deep-2")),
		{"new_terms leaf list", &ir.Rule{ID: "r", Type: ir.NewTerms, From: "now-5000d", MaxSignals: 100, Expr: &ir.MatchAll{},
			NewTerms: &ir.NewTermsSpec{Fields: []string{rp + "valuesToAdd"}, HistoryWindowStart: "now-6000d"}}, 5},
		{"new_terms statement effect", &ir.Rule{ID: "r", Type: ir.NewTerms, From: "now-5000d", MaxSignals: 100, Expr: &ir.MatchAll{},
			NewTerms: &ir.NewTermsSpec{Fields: []string{"event.action", rp + "bucketPolicy.Statement.Effect"}, HistoryWindowStart: "now-6000d"}}, 2},
		{"threshold leaf list", &ir.Rule{ID: "r", Type: ir.Threshold, From: "now-5000d", MaxSignals: 100, Expr: &ir.MatchAll{},
			Threshold: &ir.ThresholdSpec{Fields: []string{rp + "valuesToAdd"}, Value: 1}}, 5},
	}
}

func runAgreement(t *testing.T, raw [][]byte, cases []agreeCase) {
	t.Helper()
	d, err := Open(athena.DefaultTable)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Load(raw); err != nil {
		t.Fatal(err)
	}
	agreed := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.rule.MaxSignals == 0 {
				c.rule.MaxSignals = 1000
			}
			query, err := athena.Render(c.rule, athena.Options{At: agreeAt})
			if err != nil {
				t.Fatal(err)
			}
			cols, rows, err := d.Query(query)
			if err != nil {
				t.Fatalf("duckdb: %v\n%s", err, query)
			}
			got, err := RowsToAlerts(c.rule, cols, rows)
			if err != nil {
				t.Fatal(err)
			}
			want := evalAlerts(t, c.rule, raw, agreeAt)
			if !sameAlerts(got, want) {
				t.Fatalf("DuckDB %v\nevaluator %v\n%s", ids(got), ids(want), query)
			}
			if len(got) < c.minAlerts {
				t.Fatalf("only %d alerts, want at least %d: the case proves too little", len(got), c.minAlerts)
			}
			agreed++
		})
	}
	t.Logf("%d of %d rules give the same alerts in DuckDB and in the evaluator over %d records", agreed, len(cases), len(raw))
	if agreed != len(cases) {
		t.Errorf("%d rules disagree", len(cases)-agreed)
	}
}
