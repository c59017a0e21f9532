package cloudtrail

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

const samplesDir = "../../../shared/aws/samples"

// sampleRecords returns every raw record of the samples: the five single
// records (without their _comment key) and the new_terms scenario.
func sampleRecords(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	singles, err := filepath.Glob(filepath.Join(samplesDir, "0*.json"))
	if err != nil || len(singles) != 5 {
		t.Fatalf("want 5 sample records, got %d (%v)", len(singles), err)
	}
	for _, path := range singles {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatal(err)
		}
		delete(rec, "_comment")
		raw, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(path)] = raw
	}
	f, err := os.Open(filepath.Join(samplesDir, "newterms_scenario.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		out[fmt.Sprintf("newterms_scenario.ndjson:%d", line)] = append([]byte(nil), sc.Bytes()...)
	}
	return out
}

// ecsValues reads a field of an ECS document at its dotted name, crossing
// arrays; under a flattened root it returns every leaf when the name is
// the root itself. It is written against the document, independently of
// the Mapping.
func ecsValues(doc map[string]any, name string, flattenedRoot bool) []any {
	var out []any
	var leaves func(v any)
	leaves = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				leaves(e)
			}
		case []any:
			for _, e := range x {
				leaves(e)
			}
		default:
			out = append(out, x)
		}
	}
	var visit func(v any, keys []string)
	visit = func(v any, keys []string) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				visit(e, keys)
			}
		case map[string]any:
			if len(keys) == 0 {
				if flattenedRoot {
					leaves(x)
				}
				return
			}
			if next, ok := x[keys[0]]; ok {
				visit(next, keys[1:])
			}
		default:
			if len(keys) == 0 {
				out = append(out, x)
			}
		}
	}
	visit(doc, strings.Split(name, "."))
	return out
}

func canonical(vs []any) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, fmt.Sprintf("%T:%v", v, v))
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// leafNames lists the dotted names of every leaf under a flattened root
// of doc, so that each flattened leaf of the samples is checked too.
func leafNames(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			leafNames(prefix+"."+k, e, out)
		}
	case []any:
		for _, e := range x {
			leafNames(prefix, e, out)
		}
	default:
		out[prefix] = true
	}
}

// TestToECSAgreesWithResolve reads every produced field of every sample
// record twice: through the Mapping on the raw record (RawValues) and at
// the field's name in the ToECS document. The two must give the same
// values, or the evaluator's raw path and the backends would disagree
// with the ECS documents.
func TestToECSAgreesWithResolve(t *testing.T) {
	records := sampleRecords(t)
	checked, nonEmpty := 0, 0
	for name, raw := range records {
		doc, err := ToECS(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rec, err := DecodeRaw(raw)
		if err != nil {
			t.Fatal(err)
		}
		fields := map[string]bool{}
		for _, m := range Fields() {
			fields[m.Field] = true
		}
		for root := range flattenedRoots {
			if v := lookupDoc(doc, root); v != nil {
				leafNames(root, v, fields)
			}
		}
		for field := range fields {
			m, err := Resolve(field)
			if err != nil {
				t.Fatalf("%s: %v", field, err)
			}
			_, isRoot := flattenedRoots[field]
			want := canonical(ecsValues(doc, field, isRoot))
			got := canonical(RawValues(rec, m))
			checked++
			if len(want) > 0 {
				nonEmpty++
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: %s: raw via mapping %q, ECS document %q", name, field, got, want)
			}
		}
	}
	t.Logf("%d records, %d field readings agree (%d non-empty)", len(records), checked, nonEmpty)
	if nonEmpty < 400 {
		t.Errorf("only %d non-empty readings: the samples are not exercised", nonEmpty)
	}
}

func lookupDoc(doc map[string]any, dotted string) any {
	var cur any = doc
	for _, k := range strings.Split(dotted, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// TestToECSDocument pins the ECS document of two samples field by field
// (values taken from the records and the integration's documented rules).
func TestToECSDocument(t *testing.T) {
	records := sampleRecords(t)
	tests := []struct {
		sample string
		want   map[string]string // field -> canonical values joined by "|"; "" = absent
	}{
		{"04_signin_ConsoleLogin_failure_elastic_testdata.json", map[string]string{
			"event.dataset":    "string:aws.cloudtrail",
			"event.module":     "string:aws",
			"event.kind":       "string:event",
			"event.action":     "string:ConsoleLogin",
			"event.outcome":    "string:failure",
			"@timestamp":       "string:2014-07-08T17:35:27Z",
			"user.name":        "string:JaneDoe",
			"cloud.account.id": "string:111122223333",
			"source.ip":        "string:89.160.20.156",
			"source.address":   "string:89.160.20.156",
			"aws.cloudtrail.console_login.additional_eventdata.mfa_used":       "bool:false",
			"aws.cloudtrail.console_login.additional_eventdata.mobile_version": "bool:false",
			"aws.cloudtrail.console_login.additional_eventdata.login_to":       "string:https://console.aws.amazon.com/sns",
			"aws.cloudtrail.error_message":                                     "string:Failed authentication",
			"aws.cloudtrail.flattened.request_parameters":                      "", // null is dropped
			"aws.cloudtrail.flattened.response_elements.ConsoleLogin":          "string:Failure",
			"aws.cloudtrail.request_parameters":                                "", // toString form not produced
		}},
		{"05_sts_AssumeRole_tags_elastic_testdata.json", map[string]string{
			"event.outcome":                       "string:success",
			"user.name":                           "string:JohnDoe", // the role's name, from sessionIssuer
			"user.id":                             "string:AROAIN5ATK5U7KEXAMPLE:JohnRole1",
			"aws.cloudtrail.resources.arn":        "string:arn:aws:iam::111122223333:role/JohnRole2",
			"aws.cloudtrail.resources.type":       "string:AWS::IAM::Role",
			"aws.cloudtrail.resources.account_id": "string:111111111111",
			"aws.cloudtrail.flattened.request_parameters.durationSeconds":    "json.Number:3600",
			"aws.cloudtrail.flattened.request_parameters.tags.key":           "string:CostCenter|string:Email",
			"aws.cloudtrail.flattened.request_parameters.transitiveTagKeys":  "string:CostCenter|string:Email",
			"aws.cloudtrail.user_identity.session_context.mfa_authenticated": "string:false",
			"aws.cloudtrail.console_login.additional_eventdata.mfa_used":     "",
		}},
	}
	for _, tt := range tests {
		doc, err := ToECS(records[tt.sample])
		if err != nil {
			t.Fatal(err)
		}
		for field, want := range tt.want {
			got := strings.Join(canonical(ecsValues(doc, field, false)), "|")
			if got != want {
				t.Errorf("%s: %s = %q, want %q", tt.sample, field, got, want)
			}
		}
	}
}

func TestToECSDropsEmptyAndNull(t *testing.T) {
	raw := `{"eventName":"X","eventTime":"2024-01-01T00:00:00Z","userIdentity":{"accessKeyId":"","type":"Root"},
		"sourceIPAddress":"AWS Internal","errorCode":"","responseElements":null,
		"requestParameters":{"a":"","b":null,"c":[],"d":{"e":""},"f":["","x",null],"g":false}}`
	doc, err := ToECS([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(doc["aws"])
	want := `{"cloudtrail":{"flattened":{"request_parameters":{"f":["x"],"g":false}},"user_identity":{"type":"Root"}}}`
	if string(got) != want {
		t.Errorf("aws = %s\nwant %s", got, want)
	}
	if src, _ := json.Marshal(doc["source"]); string(src) != `{"address":"AWS Internal"}` {
		t.Errorf("source = %s: no source.ip for a non-IP address", src)
	}
	if o := lookupDoc(doc, "event.outcome"); o != "success" {
		t.Errorf("event.outcome = %v: an empty errorCode counts as absent", o)
	}
}

func TestToECSRejectsNonObjects(t *testing.T) {
	for _, raw := range []string{``, `[]`, `null`, `"x"`, `{"a":1} {"b":2}`, `{"a":`} {
		if _, err := ToECS([]byte(raw)); err == nil {
			t.Errorf("ToECS(%q) accepted", raw)
		}
	}
}

func TestEventTimeAndID(t *testing.T) {
	records := sampleRecords(t)
	raw := records["05_sts_AssumeRole_tags_elastic_testdata.json"]
	tm, err := EventTime(raw)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ EventTime, EventID string }
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	if tm.Format(time.RFC3339) != rec.EventTime || EventID(raw) != rec.EventID || rec.EventID == "" {
		t.Errorf("EventTime %v EventID %q; record says %q %q", tm, EventID(raw), rec.EventTime, rec.EventID)
	}
	if _, err := EventTime([]byte(`{"eventTime":"yesterday"}`)); err == nil {
		t.Error("bad eventTime accepted")
	}
	if _, err := EventTime([]byte(`{}`)); err == nil {
		t.Error("missing eventTime accepted")
	}
}
