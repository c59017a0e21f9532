package elastic

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
)

// The seed rule's values, as issue 2 gives them. They are written here as
// literals, independently of the ir.Rule that the tests render.
const (
	seedID          = "e8ea6f58-0040-11f0-a243-f661ea17fbcd"
	seedName        = "AWS DynamoDB Table Exported to S3"
	seedDescription = "Identifies when an AWS DynamoDB table is exported to S3. Adversaries may use the ExportTableToPointInTime operation to collect sensitive information or exfiltrate data from DynamoDB tables. This rule detects unusual user activity by monitoring for the ExportTableToPointInTime action in CloudTrail logs. This is a New Terms rule that only flags when this behavior is observed by the aws.cloudtrail.user_identity.arn for the first time in the last 14 days."
	seedQuery       = `event.dataset: "aws.cloudtrail" and event.provider: "dynamodb.amazonaws.com" and event.action: "ExportTableToPointInTime" and aws.cloudtrail.flattened.request_parameters.dryRun: false`
)

var seedTags = []string{
	"Domain: Cloud",
	"Data Source: AWS",
	"Data Source: Amazon Web Services",
	"Data Source: AWS DynamoDB",
	"Resources: Investigation Guide",
	"Use Case: Threat Detection",
	"Tactic: Exfiltration",
}

// seedRuleByHand builds the seed rule as the rule loader would, from the
// values of issue 2. The note here is a stand-in for the investigation
// guide of the rule file; TestSeedRuleFile checks the real one.
func seedRuleByHand() *ir.Rule {
	return &ir.Rule{
		ID:          seedID,
		Name:        seedName,
		Description: seedDescription,
		Type:        ir.NewTerms,
		Index:       []string{"filebeat-*", "logs-aws.cloudtrail-*"},
		Language:    "kuery",
		Query:       seedQuery,
		Severity:    "low",
		RiskScore:   21,
		Interval:    "5m",
		From:        "now-9m",
		MaxSignals:  100,
		Tags:        append([]string(nil), seedTags...),
		Author:      []string{"Elastic"},
		License:     "Elastic License v2",
		Version:     3,
		Note:        "## Triage and analysis\n\n- Identify the actor through `aws.cloudtrail.user_identity.arn`.\n",
		Setup:       "DynamoDB data events must be enabled in CloudTrail to capture ExportTableToPointInTime.",
		Threat: []ir.Threat{{
			Framework: "MITRE ATT&CK",
			Tactic:    ir.ThreatRef{ID: "TA0010", Name: "Exfiltration", Reference: "https://attack.mitre.org/tactics/TA0010/"},
			Techniques: []ir.Technique{{
				ThreatRef: ir.ThreatRef{ID: "T1567", Name: "Exfiltration Over Web Service", Reference: "https://attack.mitre.org/techniques/T1567/"},
				Subtechniques: []ir.ThreatRef{
					{ID: "T1567.002", Name: "Exfiltration to Cloud Storage", Reference: "https://attack.mitre.org/techniques/T1567/002/"},
				},
			}},
		}},
		NewTerms: &ir.NewTermsSpec{
			Fields:             []string{"aws.cloudtrail.user_identity.arn"},
			HistoryWindowStart: "now-14d",
		},
		Expr: &ir.MatchAll{},
	}
}

// seedExpected is every field of the seed document, as JSON values.
func seedExpected() map[string]any {
	tags := make([]any, len(seedTags))
	for i, t := range seedTags {
		tags[i] = t
	}
	return map[string]any{
		"rule_id":              seedID,
		"name":                 seedName,
		"description":          seedDescription,
		"type":                 "new_terms",
		"language":             "kuery",
		"index":                []any{"filebeat-*", "logs-aws.cloudtrail-*"},
		"query":                seedQuery,
		"severity":             "low",
		"risk_score":           float64(21),
		"interval":             "5m",
		"from":                 "now-9m",
		"max_signals":          float64(100),
		"tags":                 tags,
		"version":              float64(3),
		"author":               []any{"Elastic"},
		"license":              "Elastic License v2",
		"new_terms_fields":     []any{"aws.cloudtrail.user_identity.arn"},
		"history_window_start": "now-14d",
		"threat": []any{map[string]any{
			"framework": "MITRE ATT&CK",
			"tactic": map[string]any{
				"id": "TA0010", "name": "Exfiltration", "reference": "https://attack.mitre.org/tactics/TA0010/",
			},
			"technique": []any{map[string]any{
				"id": "T1567", "name": "Exfiltration Over Web Service", "reference": "https://attack.mitre.org/techniques/T1567/",
				"subtechnique": []any{map[string]any{
					"id": "T1567.002", "name": "Exfiltration to Cloud Storage", "reference": "https://attack.mitre.org/techniques/T1567/002/",
				}},
			}},
		}},
	}
}

// checkSeedFields compares the emitted body with the seed document field
// by field, and checks that note and setup carry the rule's text.
func checkSeedFields(t *testing.T, out []byte, rule *ir.Rule) {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	for key, want := range seedExpected() {
		if !reflect.DeepEqual(got[key], want) {
			t.Errorf("%s = %#v, want %#v", key, got[key], want)
		}
	}
	if got["note"] != rule.Note || rule.Note == "" {
		t.Errorf("note = %q, want the rule's note %q", got["note"], rule.Note)
	}
	if got["setup"] != rule.Setup || !strings.Contains(rule.Setup, "ExportTableToPointInTime") {
		t.Errorf("setup = %q, want the rule's setup %q", got["setup"], rule.Setup)
	}
}

func TestRenderSeedFields(t *testing.T) {
	rule := seedRuleByHand()
	out, err := Render(rule)
	if err != nil {
		t.Fatal(err)
	}
	checkSeedFields(t, out, rule)
}

func TestRenderKeyOrderAndFormat(t *testing.T) {
	out, err := Render(seedRuleByHand())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(out, []byte("}\n")) || bytes.HasSuffix(out, []byte("\n\n")) {
		t.Errorf("output does not end in exactly one newline: %q", out[len(out)-5:])
	}
	if !bytes.HasPrefix(out, []byte("{\n  \"rule_id\": ")) {
		t.Errorf("output is not pretty-printed with rule_id first:\n%s", out[:40])
	}
	keys := topLevelKeys(t, out)
	want := []string{
		"rule_id", "name", "description", "type", "language", "index", "query",
		"new_terms_fields", "history_window_start",
		"severity", "risk_score", "interval", "from", "to", "max_signals",
		"version", "tags", "author", "license", "references", "false_positives",
		"threat", "note", "setup",
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys in order:\n got %q\nwant %q", keys, want)
	}
	again, _ := Render(seedRuleByHand())
	if !bytes.Equal(out, again) {
		t.Error("two renders of the same rule differ")
	}
}

// topLevelKeys reads the keys of a JSON object in the order they appear.
func topLevelKeys(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %v %v", tok, err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestRenderWritesDefaults(t *testing.T) {
	r := &ir.Rule{
		ID: "00000000-0000-4000-8000-000000000001", Name: "n", Description: "d",
		Type: ir.Query, Query: "event.action: x", Severity: "medium", RiskScore: 47,
	}
	out, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"language": "kuery", "interval": "5m", "from": "now-6m", "to": "now",
		"max_signals": float64(100), "version": float64(1),
		"tags": []any{}, "author": []any{}, "references": []any{}, "false_positives": []any{}, "threat": []any{},
	}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, want the Kibana default %#v", k, got[k], v)
		}
	}
	for _, k := range []string{"index", "license", "note", "setup", "timestamp_override", "new_terms_fields", "history_window_start", "threshold"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s is present although the rule does not set it and Kibana has no default", k)
		}
	}
}

func TestRenderQueryTextExact(t *testing.T) {
	// Odd spacing, escapes, a trailing newline and markup characters must
	// all survive byte for byte.
	q := "event.action :  \"a<b>&c\"   or\tnot  user.name: \\(x\\) \n"
	r := thresholdRule()
	r.Query = q
	for _, render := range []func(*ir.Rule) ([]byte, error){Render, RenderImportLine} {
		out, err := render(r)
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Query string }
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if got.Query != q {
			t.Errorf("query = %q, want %q", got.Query, q)
		}
		if bytes.Contains(out, []byte(`\u003c`)) {
			t.Errorf("markup is HTML-escaped: %s", out)
		}
	}
}

func thresholdRule() *ir.Rule {
	return &ir.Rule{
		ID: "5b3e1c1e-7f4a-4e5b-9c2d-3a1b2c3d4e5f", Name: "Many console login failures",
		Description: "Counts failed console logins per user.", Type: ir.Threshold,
		Index: []string{"logs-aws.cloudtrail-*"}, Language: "kuery",
		Query:    `event.provider: signin.amazonaws.com and event.action: ConsoleLogin and event.outcome: failure`,
		Severity: "medium", RiskScore: 47, Interval: "10m", From: "now-60m", To: "now", MaxSignals: 50,
		TimestampOverride: "event.ingested", Version: 2,
		References: []string{"https://example.org/ref"}, FalsePositives: []string{"Users who forgot their password."},
		Threshold: &ir.ThresholdSpec{
			Fields: []string{"user.name", "source.ip"}, Value: 10,
			Cardinality: []ir.Cardinality{{Field: "user_agent.original", Value: 2}},
		},
		Expr: &ir.MatchAll{},
	}
}

func TestRenderThreshold(t *testing.T) {
	out, err := Render(thresholdRule())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"field": []any{"user.name", "source.ip"}, "value": float64(10),
		"cardinality": []any{map[string]any{"field": "user_agent.original", "value": float64(2)}},
	}
	if !reflect.DeepEqual(got["threshold"], want) {
		t.Errorf("threshold = %#v, want %#v", got["threshold"], want)
	}
	for k, v := range map[string]any{
		"type": "threshold", "timestamp_override": "event.ingested", "version": float64(2), "max_signals": float64(50),
		"references": []any{"https://example.org/ref"}, "false_positives": []any{"Users who forgot their password."},
	} {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	// A threshold without group-by fields writes field: [].
	r := thresholdRule()
	r.Threshold.Fields, r.Threshold.Cardinality = nil, nil
	out, err = Render(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(`"field": []`)) || bytes.Contains(out, []byte("cardinality")) {
		t.Errorf("threshold without fields:\n%s", out)
	}
}

func TestImportLine(t *testing.T) {
	rule := seedRuleByHand()
	line, err := RenderImportLine(rule)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("import line is not one line ending in a newline: %q", line)
	}
	body, _ := Render(rule)
	var a, b any
	if err := json.Unmarshal(line, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("the import line does not hold the create body")
	}
	if !reflect.DeepEqual(topLevelKeys(t, line), topLevelKeys(t, body)) {
		t.Error("the import line's keys are not in the create body's order")
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*ir.Rule)
		key    string
		msg    string
	}{
		{"no id", func(r *ir.Rule) { r.ID = "" }, "id", "target elastic: the rule has no rule_id"},
		{"lucene", func(r *ir.Rule) { r.Language = "lucene" }, "language", `target elastic: language "lucene" is not supported; detc renders KQL (kuery) only`},
		{"eql type", func(r *ir.Rule) { r.Type = "eql" }, "type", `target elastic: rule type "eql" is not supported`},
		{"no new_terms", func(r *ir.Rule) { r.NewTerms = nil }, "new_terms", "target elastic: a new_terms rule needs new_terms.fields"},
		{"four new_terms fields", func(r *ir.Rule) { r.NewTerms.Fields = []string{"a", "b", "c", "d"} }, "new_terms.fields", "target elastic: Kibana accepts 1 to 3 new_terms_fields, the rule has 4"},
		{"no history window", func(r *ir.Rule) { r.NewTerms.HistoryWindowStart = "" }, "new_terms.history_window_start", "target elastic: a new_terms rule needs history_window_start"},
		{"no threshold", func(r *ir.Rule) { r.Type = ir.Threshold }, "threshold", "target elastic: a threshold rule needs a threshold"},
		{"invalid UTF-8", func(r *ir.Rule) { r.Query = "event.action: \xff" }, "query", "target elastic: query is not valid UTF-8, so JSON cannot carry it unchanged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := seedRuleByHand()
			r.File = "rules/aws/seed.yml"
			r.Keys = map[string]diag.Pos{tt.key: {File: r.File, Line: 7, Col: 3}}
			tt.mutate(r)
			_, err := Render(r)
			var l diag.List
			if !errors.As(err, &l) || len(l) != 1 {
				t.Fatalf("error = %v, want one diagnostic", err)
			}
			d := l[0]
			if d.Key != tt.key || d.Msg != tt.msg || d.Code != "untranslatable" || d.Pos.Line != 7 || d.Hint == "" {
				t.Errorf("diagnostic = %+v\nwant key %q, message %q at line 7 with a hint", d, tt.key, tt.msg)
			}
			if d.RuleID == "" {
				t.Error("the diagnostic does not name the rule")
			}
		})
	}
}
