package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// runCLI runs detc in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompileDeterministic compiles the library twice, with different
// GOMAXPROCS, and requires byte-identical trees.
func TestCompileDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	prev := runtime.GOMAXPROCS(1)
	code, _, stderr := runCLI(t, "compile", "../../rules", "-o", a, "--at", "2025-03-21T12:00:00Z")
	runtime.GOMAXPROCS(prev)
	if code != 0 {
		t.Fatalf("compile failed (%d):\n%s", code, stderr)
	}
	runtime.GOMAXPROCS(max(2, prev))
	code, _, stderr = runCLI(t, "compile", "../../rules", "-o", b, "--at", "2025-03-21T12:00:00Z")
	runtime.GOMAXPROCS(prev)
	if code != 0 {
		t.Fatalf("second compile failed (%d):\n%s", code, stderr)
	}
	ta, tb := readTree(t, a), readTree(t, b)
	if len(ta) < 100 {
		t.Fatalf("only %d files written", len(ta))
	}
	for p, x := range ta {
		if tb[p] != x {
			t.Errorf("%s differs between runs", p)
		}
	}
	if len(ta) != len(tb) {
		t.Errorf("%d files vs %d", len(ta), len(tb))
	}
	for p := range ta {
		if strings.Contains(filepath.Base(p), ".tmp-") {
			t.Errorf("temporary file left behind: %s", p)
		}
	}
}

// TestCompileKeepsGoing: a rule that is invalid, and one that a target
// cannot translate, are reported; the other rules are still written and
// the failing rule leaves nothing half-written for the target that failed.
func TestCompileKeepsGoing(t *testing.T) {
	src := t.TempDir()
	good, err := os.ReadFile("../../rules/aws/dynamodb_table_exported_to_s3.yml")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("good.yml", string(good))
	write("broken.yml", "id: not-a-uuid\nname: x\n")
	write("geo.yml", `id: 5d0f3c56-6a63-4a43-9b0e-6f1b0f1c2a11
name: Console login from an unexpected country
description: Uses GeoIP enrichment, which only Elastic has.
type: query
query: 'event.action: "ConsoleLogin" and not source.geo.country_iso_code: "FR"'
severity: low
risk_score: 21
`)
	out := t.TempDir()
	code, _, stderr := runCLI(t, "compile", src, "-o", out)
	if code != exitFail {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitFail, stderr)
	}
	for _, want := range []string{
		"broken.yml:1:5: error[bad-id]",
		"source.geo.country_iso_code",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	tree := readTree(t, out)
	for _, p := range []string{
		"elastic/e8ea6f58-0040-11f0-a243-f661ea17fbcd.json",
		"elastic/5d0f3c56-6a63-4a43-9b0e-6f1b0f1c2a11.json",
		"elastic/rules.ndjson",
	} {
		if _, ok := tree[p]; !ok {
			t.Errorf("%s was not written; tree: %v", p, keys(tree))
		}
	}
	for p := range tree {
		if strings.Contains(p, "5d0f3c56") && !strings.HasPrefix(p, "elastic/") {
			t.Errorf("the untranslatable rule has a %s output", p)
		}
	}
	hasGood := 0
	for p := range tree {
		if strings.Contains(p, "e8ea6f58") && (strings.HasPrefix(p, "athena/") || strings.HasPrefix(p, "cloudwatch/")) {
			hasGood++
		}
	}
	if hasGood < 2 {
		t.Errorf("the good rule lacks its athena/cloudwatch outputs: %v", keys(tree))
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestHelpTeaches(t *testing.T) {
	for name := range commands {
		code, stdout, _ := runCLI(t, name, "--help")
		if code != 0 || !strings.Contains(stdout, "Example") {
			t.Errorf("detc %s --help: exit %d, no example:\n%s", name, code, stdout)
		}
	}
	code, _, stderr := runCLI(t, "compil")
	if code != exitUsage || !strings.Contains(stderr, `did you mean "compile"?`) {
		t.Errorf("typo: exit %d, stderr %q", code, stderr)
	}
}

func TestCheckSeedRuleWarnsAboutDryRun(t *testing.T) {
	code, _, stderr := runCLI(t, "check", "../../rules/aws/dynamodb_table_exported_to_s3.yml")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "dynamodb_table_exported_to_s3.yml:22:") || !strings.Contains(stderr, `"dryRun"`) {
		t.Errorf("no dryRun warning at line 22:\n%s", stderr)
	}
	code, _, _ = runCLI(t, "check", "--strict", "../../rules/aws/dynamodb_table_exported_to_s3.yml")
	if code != exitFail {
		t.Errorf("--strict: exit %d, want 1", code)
	}
}
