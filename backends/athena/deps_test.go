package athena

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoDuckDB checks that the backend (and so the detc binary) does not
// depend on DuckDB, which only the test package duckproof uses.
func TestNoDuckDB(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/detc/detc/backends/athena").CombinedOutput()
	if err != nil {
		t.Skipf("go list unavailable: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "github.com/detc/detc/source/cloudtrail") {
		t.Fatalf("go list output does not look like the dependency list:\n%s", out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "duckdb") {
			t.Errorf("backends/athena depends on %s", dep)
		}
	}
}
