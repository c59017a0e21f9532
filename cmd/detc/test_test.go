package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTestCommand runs `detc test` on a copy of one library rule whose test
// file has one case made wrong on purpose: the command must pass the right
// cases, fail the wrong one naming the engines, exit 1, write JUnit XML and,
// under GitHub Actions, an ::error annotation on the case's line.
func TestTestCommand(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"root_console_login.yml", "root_console_login.test.yml"} {
		b, err := os.ReadFile(filepath.Join("../../rules/aws", name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".test.yml") {
			// The failed sign-in case now claims an alert.
			b = []byte(strings.Replace(string(b), "    expect: []\n", "    expect:\n      - {event: \"root-login-2\"}\n", 1))
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	junit := filepath.Join(dir, "junit.xml")
	t.Setenv("GITHUB_ACTIONS", "true")
	code, stdout, stderr := runCLI(t, "test", dir, "--junit", junit)
	if code != exitFail {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"FAIL  AWS Root User Console Sign-in: failed root sign-in does not alert",
		"eval: got no alerts, want {event=root-login-2}",
		"cloudwatch: got no alerts",
		"::error file=" + filepath.Join(dir, "root_console_login.test.yml") + ",line=11,",
		"2 passed, 1 failed: 3 cases × 3 engines",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(x), "<failure "); n != 3 {
		t.Errorf("JUnit has %d failures, want 3 (one per engine):\n%s", n, x)
	}
	if n := strings.Count(string(x), "<testcase "); n != 9 {
		t.Errorf("JUnit has %d test cases, want 9 (3 cases × 3 engines)", n)
	}
}
