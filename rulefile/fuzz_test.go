package rulefile

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the rule-file loader: it must never
// panic, and it returns either a rule or at least one error.
func FuzzParse(f *testing.F) {
	f.Add([]byte(validRule))
	paths, _ := filepath.Glob("../rules/aws/*.yml")
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, diags := Parse("fuzz.yml", data, Options{})
		if r == nil && !diags.HasErrors() {
			t.Fatalf("no rule and no error for:\n%s", data)
		}
		if r != nil && diags.HasErrors() {
			t.Fatalf("a rule and errors for:\n%s", data)
		}
		for _, d := range diags {
			if d.Pos.File != "fuzz.yml" && d.Pos.File != "" {
				t.Fatalf("diagnostic names another file: %v", d)
			}
		}
	})
}
