package scan

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/detc/detc/internal/ctgen"
)

// TestIndexChangesNothing: routing events by the constants rules require
// gives the same alerts as running every rule on every event, over the
// benchmark's rules and generated CloudTrail.
func TestIndexChangesNothing(t *testing.T) {
	rules, _ := benchRules(t)
	var data bytes.Buffer
	if err := ctgen.Generate(&data, 6000, 7); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ct.ndjson")
	if err := os.WriteFile(path, data.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func() []byte {
		res, err := Run(rules, []string{path}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Skipped) > 0 {
			t.Fatalf("rules skipped: %v", res.Skipped[0].Err)
		}
		var out bytes.Buffer
		if err := WriteNDJSON(&out, res.Alerts); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	indexed := run()
	indexDisabled = true
	defer func() { indexDisabled = false }()
	all := run()
	if !bytes.Equal(indexed, all) {
		t.Errorf("the index changes the alerts: %d bytes with it, %d without", len(indexed), len(all))
	}
	if n := bytes.Count(indexed, []byte("\n")); n < 50 {
		t.Errorf("only %d alerts: the comparison proves little", n)
	}
}

// TestOptimizedScanMatchesPlain: the scan's optimisations (the rule index,
// the evaluator's fused plans, the shared blocks of matched records)
// change nothing: over 20,000 generated records and every benchmark rule,
// the alerts are byte for byte those of the plain scan (every rule,
// plainly compiled, on every event), with 1 and 2 workers.
func TestOptimizedScanMatchesPlain(t *testing.T) {
	if testing.Short() {
		t.Skip("scans 20,000 records several times")
	}
	rules, _ := benchRules(t)
	var data bytes.Buffer
	if err := ctgen.Generate(&data, 20_000, 3); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ct.ndjson")
	if err := os.WriteFile(path, data.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(workers int) []byte {
		res, err := Run(rules, []string{path}, Options{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Skipped) > 0 || res.Unreadable > 0 || res.Events != 20_000 {
			t.Fatalf("%d events, %d unreadable, %d rules skipped", res.Events, res.Unreadable, len(res.Skipped))
		}
		var out bytes.Buffer
		if err := WriteNDJSON(&out, res.Alerts); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	optimized := run(1)
	optimized2 := run(2)
	indexDisabled, plainScan = true, true
	defer func() { indexDisabled, plainScan = false, false }()
	plain := run(1)
	if !bytes.Equal(optimized, plain) {
		t.Errorf("the optimised scan's alerts differ from the plain scan's: %d bytes vs %d", len(optimized), len(plain))
	}
	if !bytes.Equal(optimized2, plain) {
		t.Errorf("with 2 workers, the optimised scan's alerts differ from the plain scan's: %d bytes vs %d", len(optimized2), len(plain))
	}
	if n := bytes.Count(plain, []byte("\n")); n < 200 {
		t.Errorf("only %d alerts: the comparison proves little", n)
	} else {
		t.Logf("%d alerts, identical", n)
	}
}
