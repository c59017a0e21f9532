package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/detc/detc/importer"
)

const kibanaExport = "../../../shared/schema/examples/kibana_export_example.custom-consolidated-rules.ndjson"

func writeTOML(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const sampleTOML = `[metadata]
creation_date = "2025/01/01"
integration = ["aws"]
maturity = "production"
updated_date = "2025/01/01"

[rule]
author = ["Example"]
description = "Detects a new identity deleting a bucket."
language = "kuery"
license = "Elastic License v2"
name = "S3 Bucket Deleted by New Identity"
risk_score = 47
rule_id = "3f8a1c2e-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
severity = "medium"
tags = ["Domain: Cloud"]
type = "new_terms"
query = '''
event.provider: s3.amazonaws.com and event.action: DeleteBucket
'''

[rule.new_terms]
field = "new_terms_fields"
value = ["aws.cloudtrail.user_identity.arn"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-7d"
`

func TestImportToStdout(t *testing.T) {
	dir := t.TempDir()
	p := writeTOML(t, dir, "s3_bucket_deleted.toml", sampleTOML)
	var out, errb bytes.Buffer
	if code := run([]string{"import", "elastic", p}, nil, &out, &errb); code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
	}
	want, err := importer.File(p)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want[0].YAML) {
		t.Errorf("stdout differs from importer.File:\n%s", out.String())
	}
	for _, s := range []string{"type: new_terms\n", "  fields: [aws.cloudtrail.user_identity.arn]\n", "  history_window_start: now-7d\n"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
	if !strings.Contains(errb.String(), "1 imported, 0 skipped") {
		t.Errorf("stderr: %s", errb.String())
	}
}

func TestImportToDirectory(t *testing.T) {
	if _, err := os.Stat(kibanaExport); err != nil {
		t.Skipf("example not available: %v", err)
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"import", "elastic", "-o", out, kibanaExport}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := "test_kql_rule.yml test_kql_with_alert_suppression.yml test_kql_with_alert_supprestion_and_investigation_fileds.yml test_new_terms_rule_with_shared_rule_exception.yml test_threshold_with_rule_exception.yml"
	if strings.Join(names, " ") != want {
		t.Errorf("files %v, want %s", names, want)
	}
	for _, s := range []string{
		"5 imported, 11 skipped",
		"test_eql_rule): query language is not KQL: language eql",
		"left out alert_suppression: detc raises every alert, without suppression",
	} {
		if !strings.Contains(stderr.String(), s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
		}
	}
}

func TestImportUsageErrors(t *testing.T) {
	dir := t.TempDir()
	a := writeTOML(t, dir, "a.toml", sampleTOML)
	b := writeTOML(t, dir, "b.toml", strings.Replace(sampleTOML, "3f8a1c2e", "4f8a1c2e", 1))
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"import"}, exitUsage, "only 'elastic' is known"},
		{[]string{"import", "sigma", a}, exitUsage, "only 'elastic' is known"},
		{[]string{"import", "elastic"}, exitUsage, "name at least one"},
		{[]string{"import", "elastic", a, b}, exitUsage, "use -o DIR"},
		{[]string{"import", "elastic", filepath.Join(dir, "missing.toml")}, exitFail, "no such file"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if code := run(tt.args, nil, &out, &errb); code != tt.code || !strings.Contains(errb.String(), tt.msg) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", tt.args, code, tt.code, errb.String(), tt.msg)
		}
	}
}
