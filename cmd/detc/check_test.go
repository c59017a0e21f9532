package main

import (
	"encoding/json"
	"testing"
)

// TestCheckSARIF: `detc check --format sarif` writes a SARIF 2.1.0 log
// whose result carries the lint warning with its file, line and column.
func TestCheckSARIF(t *testing.T) {
	code, stdout, stderr := runCLI(t, "check", "--format", "sarif", "../../rules/aws/dynamodb_table_exported_to_s3.yml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &log); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "detc" {
		t.Fatalf("unexpected SARIF envelope:\n%s", stdout)
	}
	res := log.Runs[0].Results
	if len(res) != 1 || res[0].RuleID != "aws-unknown-parameter" || res[0].Level != "warning" {
		t.Fatalf("results: %+v", res)
	}
	loc := res[0].Locations[0].PhysicalLocation
	if loc.ArtifactLocation.URI != "../../rules/aws/dynamodb_table_exported_to_s3.yml" || loc.Region.StartLine != 22 || loc.Region.StartColumn != 7 {
		t.Errorf("location: %+v", loc)
	}
}
