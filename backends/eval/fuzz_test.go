package eval

import (
	"bufio"
	"os"
	"testing"

	"github.com/detc/detc/jsondoc"
)

// fuzzQueries exercise every kind of mapping of the source profile:
// direct, array of objects, constant, derived, flattened.
var fuzzQueries = []string{
	`event.action: ExportTableToPointInTime and event.outcome: success`,
	`event.outcome: failure or aws.cloudtrail.error_code: *Denied*`,
	`user.name: * and not user.name: Admin*`,
	`source.ip: 198.51.100.0/24 or source.address: "AWS Internal"`,
	`aws.cloudtrail.resources.arn: *role* and aws.cloudtrail.resources.type: AWS\:\:IAM\:\:Role`,
	`aws.cloudtrail.flattened.request_parameters.dryRun: false`,
	`aws.cloudtrail.flattened.request_parameters: * and not aws.cloudtrail.flattened.response_elements.ConsoleLogin: Success`,
	`aws.cloudtrail.console_login.additional_eventdata.mfa_used: false`,
	`tls.version: 1.3 and tls.version_protocol: tls`,
	`related.user: * and cloud.account.id > 1`,
	`data_stream.dataset: "aws.cloudtrail" and aws.cloudtrail.user_identity.access_key_id: ASIA*`,
	`aws.cloudtrail.read_only: true or aws.cloudtrail.management_event: false`,
}

// FuzzRawAndECSAgree checks on arbitrary records that a matcher on the
// raw record and one on the ECS document derived from it agree. The seed
// corpus is the CloudTrail samples (testdata/fuzz holds found inputs).
func FuzzRawAndECSAgree(f *testing.F) {
	for _, path := range []string{"../../../shared/aws/samples/all_events.ndjson", scenario} {
		file, err := os.Open(path)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(file)
		sc.Buffer(nil, 1<<22)
		for sc.Scan() {
			f.Add(append([]byte(nil), sc.Bytes()...))
		}
		file.Close()
	}
	type pair struct{ ecs, raw *Matcher }
	var pairs []pair
	for _, q := range fuzzQueries {
		e := kql(f, q, nil)
		me, err := Compile(e)
		if err != nil {
			f.Fatal(err)
		}
		mr, err := Compile(e, WithForm(RawCloudTrail))
		if err != nil {
			f.Fatal(err)
		}
		pairs = append(pairs, pair{me, mr})
	}
	f.Fuzz(func(t *testing.T, record []byte) {
		ecs, err := ECSDocument(record)
		if err != nil {
			return // not a record the profile reads
		}
		var p jsondoc.Parser
		raw, err := p.ParseBytes(record)
		if err != nil || raw.Type() != jsondoc.TypeObject {
			// cloudtrail.DecodeRaw accepts a few inputs jsondoc rejects
			// (`{}}`: encoding/json's More() does not see a stray `}`);
			// detc scan counts those as unreadable. Not a matching question.
			return
		}
		if hasDuplicateKeys(raw) {
			// Which of two equal keys counts differs between parsers
			// (encoding/json keeps the last, jsondoc finds the first) and
			// Elasticsearch rejects such documents; CloudTrail never
			// writes them.
			return
		}
		for i, pr := range pairs {
			if a, b := pr.ecs.Match(ecs), pr.raw.Match(raw); a != b {
				t.Errorf("%s: ECS document %v, raw record %v\nrecord: %s\nECS: %s", fuzzQueries[i], a, b, record, ecs)
			}
		}
	})
}

// hasDuplicateKeys reports whether an object anywhere in v repeats a key.
func hasDuplicateKeys(v *jsondoc.Value) bool {
	switch v.Type() {
	case jsondoc.TypeObject:
		seen := map[string]bool{}
		dup := false
		v.GetObject().Visit(func(k []byte, child *jsondoc.Value) {
			if seen[string(k)] || hasDuplicateKeys(child) {
				dup = true
			}
			seen[string(k)] = true
		})
		return dup
	case jsondoc.TypeArray:
		for _, el := range v.GetArray() {
			if hasDuplicateKeys(el) {
				return true
			}
		}
	}
	return false
}
