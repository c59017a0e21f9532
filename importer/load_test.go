package importer

import (
	"slices"
	"testing"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/rulefile"
)

// TestKeyOrderMatchesRulefile keeps the importer's key order equal to the
// order rulefile documents and `detc fmt` writes.
func TestKeyOrderMatchesRulefile(t *testing.T) {
	if got := rulefile.KeyOrder(); !slices.Equal(keyOrder, got) {
		t.Errorf("importer key order\n%v\ndiffers from rulefile.KeyOrder\n%v", keyOrder, got)
	}
}

// TestImportedRulesLoad imports every corpus rule and loads each imported
// file with rulefile (YAML validation, KQL parsing and lowering), then
// reports how many load and groups the failures by diagnostic code.
func TestImportedRulesLoad(t *testing.T) {
	lines := readCorpus(t)
	imported, loaded, warned := 0, 0, 0
	failures := map[string]int{}
	warnings := map[string]int{}
	for _, l := range lines {
		r := FromTOMLData(l.Doc, l.Path)
		if !r.OK() {
			continue
		}
		imported++
		rule, diags := rulefile.Parse(r.FileName, r.YAML, rulefile.Options{})
		if rule == nil || diags.HasErrors() {
			for _, d := range diags {
				if d.Severity == diag.Error {
					failures[d.Code]++
					t.Logf("%s: %s", l.Path, d.Error())
				}
			}
			continue
		}
		loaded++
		if len(diags) > 0 {
			warned++
			for _, d := range diags {
				warnings[d.Code]++
			}
		}
	}
	t.Logf("imported %d corpus rules; %d load (%.1f%%), %d of them with warnings", imported, loaded, 100*float64(loaded)/float64(imported), warned)
	for _, code := range sortedKeys(failures) {
		t.Logf("  error   %-24s %d", code, failures[code])
	}
	for _, code := range sortedKeys(warnings) {
		t.Logf("  warning %-24s %d", code, warnings[code])
	}
	if loaded*100 < imported*95 {
		t.Errorf("only %d of %d imported rules load; want ≥ 95%%", loaded, imported)
	}
	if imported == 0 {
		t.Fatalf("nothing imported from %s", corpusPath)
	}
}
