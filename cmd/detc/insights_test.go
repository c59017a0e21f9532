package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestInsightsRun(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"insights", "run", `filter eventSource = "dynamodb.amazonaws.com" | stats count(*) as n by eventName | sort eventName`,
		"--events", "../../../shared/aws/samples/all_events.ndjson"}, nil, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{"eventName", "ExportTableToPointInTime", "UpdateItem"}
	if len(lines) != 3 {
		t.Fatalf("output:\n%s", out.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], w)
		}
	}
	// A window that excludes every sample gives no rows.
	out.Reset()
	code = run([]string{"insights", "run", `fields eventID`, "--events", "../../../shared/aws/samples/all_events.ndjson",
		"--start", "2030-01-01T00:00:00Z", "--end", "2030-01-02T00:00:00Z", "--json"}, nil, &out, &errb)
	if code != exitOK || !strings.Contains(out.String(), `"rows": []`) {
		t.Errorf("exit %d, output %s", code, out.String())
	}
	if code := run([]string{"insights", "run", "filter x ="}, nil, &out, &errb); code != exitUsage {
		t.Errorf("missing --events: exit %d, want %d", code, exitUsage)
	}
}

func TestInsightsRunRecordsFile(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"insights", "run", `stats count(*) as n`, "--events", "../../../shared/aws/samples/s3_logfile_Records_wrapper_example.json.gz", "--json"}, nil, &out, &errb)
	if code != exitOK || !strings.Contains(out.String(), `"n": "5"`) {
		t.Errorf("exit %d, output %s, stderr %s", code, out.String(), errb.String())
	}
}
