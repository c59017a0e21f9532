package lint

import (
	"slices"
	"strings"
	"testing"
)

// FuzzPatternKeys checks that every key found in a wildcard pattern is a
// run of key characters that the pattern really follows with `=`.
func FuzzPatternKeys(f *testing.F) {
	for _, seed := range []string{"*add=*", "*logging*enabled=false*", "*{a=1, b=2}*", "*=*", "a=b", "**"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		pieces := strings.Split(pattern, "*")
		for _, k := range patternKeys(pieces) {
			if k.name == "" {
				t.Fatalf("%q: empty key", pattern)
			}
			for i := 0; i < len(k.name); i++ {
				if !isKeyByte(k.name[i]) {
					t.Fatalf("%q: key %q has %q", pattern, k.name, k.name[i])
				}
			}
			if !strings.Contains(pattern, k.name+"=") {
				t.Fatalf("%q: key %q is not followed by =", pattern, k.name)
			}
		}
	})
}

// FuzzSuggest checks that a suggestion is always one of the candidates.
func FuzzSuggest(f *testing.F) {
	for _, seed := range []string{"ExportTableToPointIntime", "Create Cache Security Group", "PutAdvancedEventSelectors", "", "A"} {
		f.Add(seed)
	}
	candidates := []string{"ExportTableToPointInTime", "CreateCacheSecurityGroup", "PutEventSelectors", "Scan"}
	f.Fuzz(func(t *testing.T, name string) {
		if s := suggest(name, candidates); s != "" && !slices.Contains(candidates, s) {
			t.Fatalf("suggest(%q) = %q, not a candidate", name, s)
		}
	})
}
