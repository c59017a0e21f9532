package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanCommand runs `detc scan` on the new_terms scenario with a rule
// written for it: alerts on stdout (or -o), the summary on stderr.
func TestScanCommand(t *testing.T) {
	dir := t.TempDir()
	rule := filepath.Join(dir, "exporter.yml")
	err := os.WriteFile(rule, []byte(`id: 3f1c1f5e-0a8d-4a53-9d39-4c0f3c6f1a11
name: New DynamoDB exporter
description: A principal exports a DynamoDB table for the first time in 14 days.
type: new_terms
query: 'event.provider: "dynamodb.amazonaws.com" and event.action: "ExportTableToPointInTime" and event.outcome: "success"'
severity: low
risk_score: 21
interval: 5m
from: now-6m
new_terms:
  fields: [aws.cloudtrail.user_identity.arn]
  history_window_start: now-14d
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"scan", rule, "--events", samplesDir + "newterms_scenario.ndjson"}, nil, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var ids []string
	for _, l := range lines {
		if i := strings.Index(l, `"event_id":"`); i >= 0 {
			ids = append(ids, strings.SplitN(l[i+len(`"event_id":"`):], `"`, 2)[0])
		}
	}
	if strings.Join(ids, " ") != "nt-a-old nt-b-hist nt-d-1 nt-a-now" {
		t.Errorf("alerts on %v\n%s", ids, stdout.String())
	}
	for _, want := range []string{"scanned 1 files, 7 events", "0 unreadable records", "4 alerts", "New DynamoDB exporter"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr.String())
		}
	}

	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"scan", rule, "--events", samplesDir + "newterms_scenario.ndjson", "--since", "2025-03-13T00:00:00Z"}, nil, &stdout, &stderr); code != exitOK ||
		strings.Count(stdout.String(), "\n") != 2 || !strings.Contains(stderr.String(), "2 alerts") {
		t.Errorf("--since: exit %d, %d alerts\n%s", code, strings.Count(stdout.String(), "\n"), stderr.String())
	}

	out := filepath.Join(dir, "alerts.ndjson")
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"scan", rule, "--events", samplesDir + "newterms_scenario.ndjson", "-o", out}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("-o: exit %d\n%s", code, stderr.String())
	}
	if data, err := os.ReadFile(out); err != nil || bytes.Count(data, []byte("\n")) != 4 || stdout.Len() != 0 {
		t.Errorf("-o wrote %d lines (%v), stdout %d bytes", bytes.Count(data, []byte("\n")), err, stdout.Len())
	}
}

func TestScanCommandUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"scan", "--help"}, nil, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "Examples:") {
		t.Errorf("--help: exit %d\n%s", code, stdout.String())
	}
	stdout.Reset()
	if code := run([]string{"scan", "rules"}, nil, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "--events") {
		t.Errorf("without --events: exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"scan", "--events", "x", "--since", "yesterday"}, nil, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "--since") {
		t.Errorf("bad --since: exit %d, stderr %q", code, stderr.String())
	}
}
