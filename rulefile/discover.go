package rulefile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
)

// IsRuleFile reports whether path names a rule file: YAML, and not a test
// file.
func IsRuleFile(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return (ext == ".yml" || ext == ".yaml") && !IsTestFile(path)
}

// Discover expands files and directories into the sorted list of rule
// files they hold. A file named explicitly is taken whatever its name.
func Discover(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if IsRuleFile(path) && !seen[path] {
				seen[path] = true
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// LoadAll loads every rule file under paths. It reports every problem of
// every file and keeps going; a rule with errors is left out of the result.
// Two files with the same rule id are an error.
func LoadAll(paths []string, opts Options) ([]*ir.Rule, diag.List) {
	files, err := Discover(paths)
	if err != nil {
		return nil, diag.List{{Code: "read", Msg: err.Error(), Hint: "pass rule files or directories that exist"}}
	}
	var rules []*ir.Rule
	var all diag.List
	byID := map[string]*ir.Rule{}
	for _, f := range files {
		r, diags := Load(f, opts)
		all = append(all, diags...)
		if r == nil {
			continue
		}
		if prev, dup := byID[r.ID]; dup {
			all.Add(diag.Diagnostic{Pos: r.KeyPos("id"), Code: "duplicate-id", RuleID: r.ID, Key: "id",
				Msg:  fmt.Sprintf("rule id %s is also used by %s", r.ID, prev.File),
				Hint: "every rule needs its own id; `detc new` makes a fresh one"})
			continue
		}
		byID[r.ID] = r
		rules = append(rules, r)
	}
	if len(files) == 0 {
		all.Add(diag.Diagnostic{Severity: diag.Warning, Code: "no-rules", Msg: fmt.Sprintf("no rule files (*.yml, *.yaml) under %s", strings.Join(paths, ", "))})
	}
	return rules, all
}
