package rulefmt

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzFormat checks, for any input that Format accepts, that formatting
// the output again changes nothing.
func FuzzFormat(f *testing.F) {
	files, _ := filepath.Glob("../rules/aws/*.yml")
	for i, p := range files {
		if i%4 != 0 {
			continue
		}
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("description: >-\n  a  b\n  c\n\n  d\nquery: a:b\n"))
	f.Add([]byte("tags: [a, b] # c\nid: x # y\n# z\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		r1, err := Format(src, Options{})
		if err != nil {
			return
		}
		r2, err := Format(r1.Out, Options{})
		if err != nil {
			t.Fatalf("formatted output is refused: %v\ninput:\n%q\noutput:\n%q", err, src, r1.Out)
		}
		if string(r2.Out) != string(r1.Out) {
			t.Fatalf("not idempotent:\ninput:\n%q\nfirst:\n%q\nsecond:\n%q", src, r1.Out, r2.Out)
		}
	})
}
