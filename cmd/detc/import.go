package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/detc/detc/importer"
)

func init() {
	var outDir string
	register(&command{
		Name:    "import",
		Summary: "convert Elastic rules (detection-rules TOML, Kibana export) to detc YAML",
		Usage: `Usage: detc import elastic [-o DIR] FILE|DIR...

Converts Elastic detection rules into detc rule files. It reads
detection-rules TOML files (*.toml, the [metadata]/[rule] layout of
github.com/elastic/detection-rules), Kibana rule exports (*.ndjson, from
Security > Rules > Export) and single Kibana rules (*.json). A directory is
searched for such files.

KQL rules of type query, new_terms and threshold are converted; Kibana
phrase and exists filters are folded into the query. EQL, ES|QL, Lucene,
machine learning and indicator match rules are reported as skipped, with the
reason. Keys detc does not keep (alert_suppression, exceptions_list,
investigation_fields, ...) are listed on stderr so you know what changed.
Without -o a single rule is written to stdout.

Exit status: 0 when every input was read (skipped rules are reported, not
failures), 1 when a file could not be read or nothing was imported,
2 on a usage error. docs/import.md lists what is converted and what is not.

Examples:
  detc import elastic -o rules/aws/ detection-rules/rules/integrations/aws/
  detc import elastic persistence_iam_group_creation.toml > persistence_iam_group_creation.yml
  detc import elastic -o rules/ rules_export.ndjson`,
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVarP(&outDir, "output", "o", "", "write each imported rule to `DIR`/NAME.yml")
		},
		Run: func(env *runEnv, args []string) int { return runImport(env, args, outDir) },
	})
}

func runImport(env *runEnv, args []string, outDir string) int {
	if len(args) == 0 || args[0] != "elastic" {
		fmt.Fprintln(env.Stderr, "detc import: the first argument names the source format; only 'elastic' is known\nexample: detc import elastic -o rules/ my_rule.toml")
		return exitUsage
	}
	if len(args) == 1 {
		fmt.Fprintln(env.Stderr, "detc import elastic: name at least one TOML, ndjson or JSON file (or a directory)")
		return exitUsage
	}
	files, err := importInputs(args[1:])
	if err != nil {
		fmt.Fprintf(env.Stderr, "detc import: %v\n", err)
		return exitFail
	}
	var results []importer.Result
	status := exitOK
	for _, f := range files {
		rs, err := importer.File(f)
		if err != nil {
			fmt.Fprintf(env.Stderr, "detc import: %v\n", err)
			status = exitFail
		}
		results = append(results, rs...)
	}
	imported := 0
	for _, r := range results {
		if r.OK() {
			imported++
		}
	}
	if outDir == "" && imported > 1 {
		fmt.Fprintf(env.Stderr, "detc import: %d rules to write; use -o DIR to write one file per rule\n", imported)
		return exitUsage
	}
	names := importer.FileNames(results)
	skipped := 0
	for i, r := range results {
		label := r.Source
		if r.Name != "" {
			label += " (" + r.Name + ")"
		}
		if !r.OK() {
			skipped++
			fmt.Fprintf(env.Stderr, "skipped %s: %s: %s\n", label, r.Skipped, strings.Join(r.Dropped, "; "))
			continue
		}
		if outDir == "" {
			if _, err := env.Stdout.Write(r.YAML); err != nil {
				fmt.Fprintf(env.Stderr, "detc import: %v\n", err)
				return exitFail
			}
		} else {
			path := filepath.Join(outDir, names[i])
			if err := writeFileAtomic(path, r.YAML); err != nil {
				fmt.Fprintf(env.Stderr, "detc import: %v\n", err)
				return exitFail
			}
			fmt.Fprintf(env.Stderr, "imported %s -> %s\n", label, path)
		}
		for _, d := range r.Dropped {
			fmt.Fprintf(env.Stderr, "  left out %s\n", d)
		}
	}
	fmt.Fprintf(env.Stderr, "%d imported, %d skipped\n", imported, skipped)
	if imported == 0 {
		status = exitFail
	}
	return status
}

// importInputs expands directories into the rule files they hold, in a
// stable order.
func importInputs(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".toml", ".ndjson":
				if !d.IsDir() {
					found = append(found, p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// into place, so a reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
