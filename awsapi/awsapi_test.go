package awsapi

import (
	"slices"
	"testing"
)

// The parameters the issue lists for ExportTableToPointInTime, from the
// DynamoDB API reference.
var exportParams = []string{"TableArn", "ExportTime", "ClientToken", "S3Bucket", "S3BucketOwner", "S3Prefix",
	"S3SseAlgorithm", "S3SseKmsKeyId", "ExportFormat", "ExportType", "IncrementalExportSpecification"}

func TestExportTableToPointInTime(t *testing.T) {
	s, ok := Lookup("dynamodb.amazonaws.com")
	if !ok {
		t.Fatal("dynamodb.amazonaws.com missing")
	}
	if !s.CheckOperations || !s.CheckParameters {
		t.Errorf("dynamodb coverage = %t/%t, want both", s.CheckOperations, s.CheckParameters)
	}
	op, ok := s.Operation("ExportTableToPointInTime")
	if !ok {
		t.Fatal("ExportTableToPointInTime missing")
	}
	for _, p := range exportParams {
		if !slices.Contains(op.Parameters, p) {
			t.Errorf("parameter %s missing from %v", p, op.Parameters)
		}
		if !op.HasParameter(CloudTrailName(p)) {
			t.Errorf("HasParameter(%q) = false", CloudTrailName(p))
		}
	}
	// The API gained FilterSpecification after the issue was written; any
	// other extra member would mean the generator picks up something else.
	for _, p := range op.Parameters {
		if !slices.Contains(exportParams, p) && p != "FilterSpecification" {
			t.Errorf("unexpected parameter %s", p)
		}
	}
	if op.HasParameter("dryRun") {
		t.Error("HasParameter(dryRun) = true")
	}
	// Nested members come from IncrementalExportSpecification.
	if !op.HasMember("exportViewType", false) || op.HasParameter("exportViewType") {
		t.Error("ExportViewType should be a nested member only")
	}
	if _, ok := s.Operation("ExportTableToPointIntime"); ok {
		t.Error("typo found as an operation")
	}
}

func TestOperationVersionSuffix(t *testing.T) {
	s, ok := Lookup("lambda.amazonaws.com")
	if !ok {
		t.Fatal("lambda missing")
	}
	for _, name := range []string{"CreateFunction", "CreateFunction20150331", "UpdateFunctionCode20150331v2", "PublishLayerVersion20181031"} {
		if _, ok := s.Operation(name); !ok {
			t.Errorf("Operation(%q) not found", name)
		}
	}
	if _, ok := s.Operation("20150331"); ok {
		t.Error("a bare version matched")
	}
}

func TestMergedModules(t *testing.T) {
	s, _ := Lookup("rds.amazonaws.com")
	if len(s.Modules) != 3 || len(s.Protocols) != 3 {
		t.Fatalf("rds modules %v protocols %v", s.Modules, s.Protocols)
	}
	for _, op := range []string{"CreateDBInstance", "CreateDBCluster", "StartExportTask"} {
		if _, ok := s.Operation(op); !ok {
			t.Errorf("%s missing", op)
		}
	}
}

func TestHasMemberSuffix(t *testing.T) {
	op := &Operation{Parameters: []string{"LaunchPermission"}, Nested: []string{"Add", "Remove"}}
	cases := []struct {
		name   string
		suffix bool
		want   bool
	}{
		{"add", false, true},
		{"dd", true, true},
		{"dd", false, false},
		{"permission", true, true},
		{"launch", true, false},
	}
	for _, c := range cases {
		if got := op.HasMember(c.name, c.suffix); got != c.want {
			t.Errorf("HasMember(%q, %t) = %t", c.name, c.suffix, got)
		}
	}
}

func TestTableSanity(t *testing.T) {
	sources := EventSources()
	if !slices.IsSorted(sources) || len(sources) < 50 {
		t.Fatalf("EventSources() = %d entries, sorted %t", len(sources), slices.IsSorted(sources))
	}
	for _, src := range sources {
		s, _ := Lookup(src)
		if len(s.Operations) == 0 {
			t.Errorf("%s has no operations", src)
		}
		if s.Note == "" {
			t.Errorf("%s has no coverage note", src)
		}
		for name, op := range s.Operations {
			if op.Name != name || !slices.IsSorted(op.Parameters) {
				t.Errorf("%s %s: bad entry", src, name)
			}
		}
	}
}

func TestCloudTrailName(t *testing.T) {
	for in, want := range map[string]string{"TableArn": "tableArn", "DBInstanceIdentifier": "dBInstanceIdentifier", "": ""} {
		if got := CloudTrailName(in); got != want {
			t.Errorf("CloudTrailName(%q) = %q, want %q", in, got, want)
		}
	}
}
