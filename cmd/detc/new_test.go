package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/detc/detc/rulefile"
)

// TestNewScaffolds creates a rule of each type and checks what detc new
// promises: a fresh UUID, detc check without errors or warnings, detc test
// passing on every engine with one alerting case and one near miss, detc
// fmt --check clean, and no overwriting.
func TestNewScaffolds(t *testing.T) {
	dir := t.TempDir()
	ids := map[string]bool{}
	for _, typ := range []string{"query", "new_terms", "threshold"} {
		name := "scaffold_" + typ
		var out, errb bytes.Buffer
		if code := run([]string{"new", "--type", typ, "-o", dir, name}, nil, &out, &errb); code != exitOK {
			t.Fatalf("%s: exit %d: %s", typ, code, errb.String())
		}
		rulePath := filepath.Join(dir, name+".yml")
		r, diags := rulefile.Load(rulePath, rulefile.Options{Strict: true})
		if r == nil || len(diags) > 0 {
			t.Fatalf("%s: %v", typ, diags)
		}
		if string(r.Type) != typ {
			t.Errorf("%s: type %s", typ, r.Type)
		}
		if _, err := uuid.Parse(r.ID); err != nil || ids[r.ID] {
			t.Errorf("%s: id %q is not a fresh UUID", typ, r.ID)
		}
		ids[r.ID] = true
		tf, diags := rulefile.LoadTests(rulefile.TestPathFor(rulePath), nil)
		if tf == nil || len(diags) > 0 || len(tf.Cases) != 2 || len(tf.Cases[0].Expect) == 0 || len(tf.Cases[1].Expect) != 0 {
			t.Fatalf("%s: test file: %v", typ, diags)
		}
		// Refuses to overwrite, and leaves the files as they were.
		before, _ := os.ReadFile(rulePath)
		if code := run([]string{"new", "--type", typ, "-o", dir, name + ".yml"}, nil, &out, &errb); code != exitFail {
			t.Errorf("%s: second detc new: exit %d", typ, code)
		}
		if after, _ := os.ReadFile(rulePath); !bytes.Equal(before, after) {
			t.Errorf("%s: overwritten", typ)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"check", "--strict", dir}, nil, &out, &errb); code != exitOK || !strings.Contains(out.String()+errb.String(), "0 errors, 0 warnings") {
		t.Errorf("check: exit %d: %s%s", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"test", "-v", dir}, nil, &out, &errb); code != exitOK || !strings.Contains(out.String(), "6 passed, 0 failed") {
		t.Errorf("test: exit %d:\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run([]string{"fmt", "--check", dir}, nil, &out, &errb); code != exitOK {
		t.Errorf("fmt --check: exit %d: %s", code, out.String())
	}
	for _, args := range [][]string{{"new"}, {"new", "--type", "eql", "x"}, {"new", "../x"}, {"new", "a.test"}} {
		if code := run(args, nil, &out, &errb); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}
