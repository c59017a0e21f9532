package eval

import (
	"testing"

	"github.com/detc/detc/jsondoc"

	"github.com/detc/detc/lower"
)

// TestExistsUnderFlattened: exists on a key of a flattened field holds only
// when a value is stored at that key (Elasticsearch's keyed flattened
// exists query): an object at the key does not count. The raw-CloudTrail
// form agrees with the ECS form.
func TestExistsUnderFlattened(t *testing.T) {
	raw := `{"eventID":"e1","eventTime":"2025-03-21T12:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy",
"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"},
"requestParameters":{"bucketName":"b","bucketPolicy":{"Statement":[{"Principal":"*"}]},"x-amz-acl":["public-read"]}}`
	for _, tc := range []struct {
		query string
		want  bool
	}{
		{"aws.cloudtrail.flattened.request_parameters.bucketName: *", true},
		{"aws.cloudtrail.flattened.request_parameters.x-amz-acl: *", true},
		{"aws.cloudtrail.flattened.request_parameters.bucketPolicy.Statement.Principal: *", true},
		{"aws.cloudtrail.flattened.request_parameters.bucketPolicy: *", false},
		{"aws.cloudtrail.flattened.request_parameters.bucketPolicy.Statement: *", false},
		{"aws.cloudtrail.flattened.request_parameters: *", true},
	} {
		expr, diags := lower.Query(tc.query, lower.Options{})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tc.query, diags)
		}
		ecs, err := ECSDocument([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		rawDoc, err := RawDocument([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		for _, form := range []struct {
			name string
			f    Form
			doc  *jsondoc.Value
		}{{"ecs", ECS, ecs}, {"raw", RawCloudTrail, rawDoc}} {
			m, err := Compile(expr, WithForm(form.f))
			if err != nil {
				t.Fatalf("%s (%s): %v", tc.query, form.name, err)
			}
			if got := m.Match(form.doc); got != tc.want {
				t.Errorf("%s on the %s document = %v, want %v", tc.query, form.name, got, tc.want)
			}
		}
	}
}
