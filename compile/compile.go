// Package compile drives detc's pipeline for a set of rules: it renders
// each target, collects every diagnostic, and writes the outputs atomically
// and deterministically.
package compile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
)

// Options configure the targets.
type Options struct {
	// LogGroups are the CloudWatch log groups that hold CloudTrail records.
	LogGroups []string
	// AthenaTable is the Athena table holding CloudTrail records.
	AthenaTable string
	// ElasticFormats selects the elastic outputs: json, ndjson, dsl
	// (default json and ndjson).
	ElasticFormats []string
	// AthenaLocation is the S3 prefix of the trail's logs, for the DDL.
	AthenaLocation string
	// At fixes the run time T of the artefacts that need one (StartQuery
	// times; Athena's T instead of current_timestamp). Zero means "now" at
	// run time, which keeps the outputs independent of when they were built.
	At time.Time
}

// Target is one output of detc compile.
type Target struct {
	Name    string
	Summary string
	// Render returns the files of the target, keyed by their path relative
	// to the output directory, and the problems found. A rule that fails
	// contributes no file; the other rules still render.
	Render func(rules []*ir.Rule, opts Options) (map[string][]byte, diag.List)
}

var targets = map[string]*Target{}

// Register adds a target.
func Register(t *Target) { targets[t.Name] = t }

// Targets lists the registered targets by name.
func Targets() []*Target {
	out := make([]*Target, 0, len(targets))
	for _, t := range targets {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup finds a target by name.
func Lookup(name string) (*Target, bool) {
	t, ok := targets[name]
	return t, ok
}

// Run renders every rule for each named target.
func Run(rules []*ir.Rule, names []string, opts Options) (map[string][]byte, diag.List) {
	files := map[string][]byte{}
	var all diag.List
	for _, name := range names {
		t, ok := targets[name]
		if !ok {
			all.Add(diag.Diagnostic{Code: "unknown-target", Msg: fmt.Sprintf("unknown target %q", name), Hint: "targets: " + strings.Join(targetNames(), ", ")})
			continue
		}
		out, diags := t.Render(rules, opts)
		all = append(all, diags...)
		for p, b := range out {
			files[p] = b
		}
	}
	all.Sort()
	return files, all
}

func targetNames() []string {
	var names []string
	for _, t := range Targets() {
		names = append(names, t.Name)
	}
	return names
}

// Write puts files under dir. Each file is written to a temporary file in
// its final directory and renamed into place, so a reader never sees a
// half-written output and an interrupted run leaves the previous file.
// Files are written in sorted order.
func Write(dir string, files map[string][]byte) error {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := WriteFileAtomic(filepath.Join(dir, filepath.FromSlash(p)), files[p]); err != nil {
			return err
		}
	}
	return nil
}

// WriteFileAtomic writes data to path through a temporary file and a rename.
func WriteFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

func init() {
	Register(&Target{
		Name:    "ir",
		Summary: "the lowered IR as JSON (ir/<rule_id>.json), to see how detc reads a rule",
		Render: func(rules []*ir.Rule, _ Options) (map[string][]byte, diag.List) {
			files := map[string][]byte{}
			var diags diag.List
			for _, r := range rules {
				b, err := MarshalIndent(r)
				if err != nil {
					diags.Add(diag.Diagnostic{Pos: diag.Pos{File: r.File}, RuleID: r.ID, Code: "render", Msg: "ir: " + err.Error()})
					continue
				}
				files["ir/"+r.ID+".json"] = b
			}
			return files, diags
		},
	})
}

// MarshalIndent renders v as indented JSON with a trailing newline, without
// HTML escaping, the form of every JSON file detc writes.
func MarshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
