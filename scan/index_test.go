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
