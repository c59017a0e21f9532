package eval

import (
	"strings"
	"testing"
	"time"

	"github.com/detc/detc/ir"
)

// TestSemantics pins DESIGN.md "KQL semantics" on ECS documents, with
// field types from the catalog.
func TestSemantics(t *testing.T) {
	now := time.Date(2025, 3, 13, 18, 35, 0, 0, time.UTC)
	cases := []struct {
		query string
		doc   string
		want  bool
	}{
		// keyword: exact and case-sensitive
		{`event.action: CreateUser`, `{"event": {"action": "CreateUser"}}`, true},
		{`event.action: createuser`, `{"event": {"action": "CreateUser"}}`, false},
		{`event.action: "CreateUser "`, `{"event": {"action": "CreateUser"}}`, false},
		// dotted keys resolve like nested objects, and mixed forms too
		{`event.action: CreateUser`, `{"event.action": "CreateUser"}`, true},
		{`aws.cloudtrail.user_identity.arn: a`, `{"aws.cloudtrail": {"user_identity.arn": "a"}}`, true},
		{`aws.cloudtrail.user_identity.arn: a`, `{"aws": {"cloudtrail.user_identity": {"arn": ["b", "a"]}}}`, true},
		{`event.action: X`, `{"event": {"action": "Y"}, "event.action": "X"}`, true},
		// `*` is the only wildcard; `?` is literal; quoted `*` is literal
		{`event.action: Create*`, `{"event.action": "CreateUser"}`, true},
		{`event.action: *User`, `{"event.action": "CreateUser"}`, true},
		{`event.action: *eat*`, `{"event.action": "CreateUser"}`, true},
		{`event.action: C*e*U*r`, `{"event.action": "CreateUser"}`, true},
		{`event.action: C*x*r`, `{"event.action": "CreateUser"}`, false},
		{`event.action: Cr*User*ate`, `{"event.action": "CreateUser"}`, false},
		{`event.action: CreateUser*User`, `{"event.action": "CreateUser"}`, false},
		{`event.action: *`, `{"event.action": "CreateUser"}`, true},
		{`event.action: Create?ser`, `{"event.action": "CreateUser"}`, false},
		{`event.action: Create?ser`, `{"event.action": "Create?ser"}`, true},
		{`event.action: "Create*"`, `{"event.action": "CreateUser"}`, false},
		{`event.action: "Create*"`, `{"event.action": "Create*"}`, true},
		{`event.action: Create\*`, `{"event.action": "Create*"}`, true},
		{`event.action: create*`, `{"event.action": "CreateUser"}`, false},
		// text fields are analysed: lower-cased tokens; quoted is a phrase
		{`message: HELLO`, `{"message": "Hello, world!"}`, true},
		{`message: "hello world"`, `{"message": "Hello, world!"}`, true},
		{`message: "world hello"`, `{"message": "Hello, world!"}`, false},
		{`message: hel*`, `{"message": "Hello, world!"}`, true},
		{`message: "example.com"`, `{"message": "see example.com now"}`, true},
		// ip: addresses and CIDR ranges, v4 and v6; non-IP text never matches
		{`source.ip: 10.0.0.0/8`, `{"source": {"ip": "10.1.2.3"}}`, true},
		{`source.ip: "10.0.0.0/8"`, `{"source": {"ip": "11.1.2.3"}}`, false},
		{`source.ip: 10.1.2.3`, `{"source": {"ip": "10.1.2.3"}}`, true},
		{`source.ip: 2001\:db8\:\:/32`, `{"source": {"ip": "2001:db8::1"}}`, true},
		{`source.ip: 10.0.0.0/8`, `{"source": {"ip": "AWS Internal"}}`, false},
		// booleans and numbers match their canonical text
		{`aws.cloudtrail.flattened.request_parameters.dryRun: false`, `{"aws.cloudtrail.flattened.request_parameters": {"dryRun": false}}`, true},
		{`aws.cloudtrail.flattened.request_parameters.dryRun: false`, `{"aws.cloudtrail.flattened.request_parameters": {"dryRun": "false"}}`, true},
		{`aws.cloudtrail.flattened.request_parameters.dryRun: false`, `{"aws.cloudtrail.flattened.request_parameters": {"dryRun": "False"}}`, false},
		{`aws.cloudtrail.flattened.request_parameters.dryRun: false`, `{"aws.cloudtrail.flattened.request_parameters": {"dryRun": true}}`, false},
		{`aws.cloudtrail.flattened.request_parameters.durationSeconds: 3600`, `{"aws.cloudtrail.flattened.request_parameters": {"durationSeconds": 3600}}`, true},
		{`aws.cloudtrail.read_only: false`, `{"aws.cloudtrail.read_only": false}`, true},
		{`aws.cloudtrail.read_only: false`, `{"aws.cloudtrail.read_only": "false"}`, true},
		{`aws.cloudtrail.read_only: true`, `{"aws.cloudtrail.read_only": false}`, false},
		// a flattened root matches any leaf; arrays are crossed at any depth
		{`aws.cloudtrail.flattened.request_parameters: 0.0.0.0/0`, `{"aws.cloudtrail.flattened.request_parameters": {"ipPermissions": {"items": [{"ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}}}`, true},
		{`aws.cloudtrail.flattened.request_parameters.ipPermissions.items.ipRanges.items.cidrIp: 0.0.0.0/0`, `{"aws.cloudtrail.flattened.request_parameters": {"ipPermissions": {"items": [{"ipRanges": {"items": [{"cidrIp": "1.2.3.4/32"}, {"cidrIp": "0.0.0.0/0"}]}}]}}}`, true},
		// numbers compare numerically (strings are coerced)
		{`http.response.status_code: 200`, `{"http": {"response": {"status_code": 200}}}`, true},
		{`http.response.status_code: 200`, `{"http": {"response": {"status_code": "200"}}}`, true},
		{`http.response.status_code > 99`, `{"http": {"response": {"status_code": 200}}}`, true},
		{`http.response.status_code < 1000`, `{"http": {"response": {"status_code": "200"}}}`, true},
		{`http.response.status_code >= 201`, `{"http": {"response": {"status_code": 200}}}`, false},
		// keyword ranges are lexicographic
		{`event.action > Create`, `{"event.action": "Delete"}`, true},
		{`event.action <= Create`, `{"event.action": "Delete"}`, false},
		// dates: ISO values and date math relative to the run time
		{`@timestamp >= now-1h`, `{"@timestamp": "2025-03-13T18:00:00Z"}`, true},
		{`@timestamp >= now-1h`, `{"@timestamp": "2025-03-13T17:00:00Z"}`, false},
		{`@timestamp < "2025-03-14"`, `{"@timestamp": "2025-03-13T17:00:00Z"}`, true},
		{`@timestamp: 2025-03-13`, `{"@timestamp": "2025-03-13T17:00:00Z"}`, true},
		{`@timestamp > now-1d/d`, `{"@timestamp": 1741888800000}`, true},
		// any element of an array
		{`event.action: B`, `{"event": {"action": ["A", "B"]}}`, true},
		{`event.action: (A and B)`, `{"event": {"action": ["A", "B"]}}`, true},
		{`event.action: (A and C)`, `{"event": {"action": ["A", "B"]}}`, false},
		// missing fields never match; not f:x holds without f
		{`event.outcome: success`, `{"event": {"action": "A"}}`, false},
		{`not event.outcome: success`, `{"event": {"action": "A"}}`, true},
		{`not event.outcome: success`, `{"event": {"outcome": null}}`, true},
		{`event.outcome: *`, `{"event": {"outcome": null}}`, false},
		{`event.outcome: *`, `{"event": {"outcome": []}}`, false},
		{`event.outcome: *`, `{"event": {"outcome": ""}}`, true},
		{`event.outcome: *`, `{"event": {"outcome": [null, "x"]}}`, true},
		{`aws.cloudtrail.flattened.request_parameters: *`, `{"aws.cloudtrail.flattened.request_parameters": {"a": {"b": 1}}}`, true},
		{`aws.cloudtrail.flattened.request_parameters: *`, `{"aws.cloudtrail.flattened.request_parameters": {"a": null}}`, false},
		// nested: within one element of an array of objects
		{`aws.cloudtrail.resources:{ arn: x and type: T }`, `{"aws.cloudtrail.resources": [{"arn": "x", "type": "U"}, {"arn": "y", "type": "T"}]}`, false},
		{`aws.cloudtrail.resources:{ arn: y and type: T }`, `{"aws.cloudtrail.resources": [{"arn": "x", "type": "U"}, {"arn": "y", "type": "T"}]}`, true},
		{`aws.cloudtrail.resources.arn: x and aws.cloudtrail.resources.type: T`, `{"aws.cloudtrail.resources": [{"arn": "x", "type": "U"}, {"arn": "y", "type": "T"}]}`, true},
		// free text: any leaf value
		{`CreateUser`, `{"event": {"action": "CreateUser"}}`, true},
		{`"Create"`, `{"event": {"action": "CreateUser"}}`, false},
		{`*User`, `{"event": {"action": "CreateUser"}}`, true},
		// wildcard field names
		{`aws.cloudtrail.user_identity.*: AKIA1`, `{"aws.cloudtrail.user_identity": {"access_key_id": "AKIA1"}}`, true},
		{`aws.cloudtrail.user_identity.*: AKIA2`, `{"aws.cloudtrail.user_identity": {"access_key_id": "AKIA1"}}`, false},
		// empty query matches everything
		{``, `{}`, true},
	}
	for _, c := range cases {
		m, err := Compile(kql(t, c.query, nil), WithNow(now))
		if err != nil {
			t.Errorf("%q: %v", c.query, err)
			continue
		}
		got, err := m.MatchJSON([]byte(c.doc))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%q on %s = %v, want %v", c.query, c.doc, got, c.want)
		}
	}
}

// TestRawRecordErrors checks that what raw CloudTrail cannot answer is a
// compile error naming the field, never a silently different matcher.
func TestRawRecordErrors(t *testing.T) {
	for _, c := range []struct{ query, want string }{
		{`source.geo.country_iso_code: US`, "source.geo.country_iso_code cannot be produced from raw CloudTrail"},
		{`user_agent.name: Chrome`, "user_agent.name cannot be produced"},
		{`CreateUser`, "free text"},
		{`event.actoin: CreateUser`, "event.actoin"},
	} {
		_, err := Compile(kql(t, c.query, nil), WithForm(RawCloudTrail))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q on raw records: error %v, want one containing %q", c.query, err, c.want)
		}
	}
}

// TestErrorAfterDecisiveConstant is a regression test (found by
// TestRawAndECSAgree): an operand after a constant that decides the or
// was not compiled, so its error went unreported on raw records. Lowering
// rejects such a value first, so the IR is built by hand.
func TestErrorAfterDecisiveConstant(t *testing.T) {
	e := &ir.Or{X: []ir.Expr{
		&ir.Term{Field: ir.Field{Name: "data_stream.dataset", Type: ir.Keyword}, Value: ir.Value{Text: "aws.cloudtrail"}},
		&ir.Term{Field: ir.Field{Name: "aws.cloudtrail.read_only", Type: ir.Boolean}, Value: ir.Value{Text: "maybe"}},
	}}
	for _, form := range []Form{ECS, RawCloudTrail} {
		if _, err := Compile(e, WithForm(form)); err == nil || !strings.Contains(err.Error(), "neither true nor false") {
			t.Errorf("%s: error %v, want the bad boolean named", form, err)
		}
	}
}

func TestMatchJSONRejectsNonObjects(t *testing.T) {
	m, err := Compile(kql(t, `a: b`, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{`[1]`, `"x"`, `{"a": `} {
		if _, err := m.MatchJSON([]byte(doc)); err == nil {
			t.Errorf("MatchJSON(%s) gave no error", doc)
		}
	}
}
