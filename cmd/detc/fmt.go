package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/hexops/gotextdiff"
	"github.com/hexops/gotextdiff/myers"
	"github.com/hexops/gotextdiff/span"
	"github.com/spf13/pflag"

	"github.com/detc/detc/compile"
	"github.com/detc/detc/rulefile"
	"github.com/detc/detc/rulefmt"
)

func init() {
	var check, showDiff bool
	var width int
	register(&command{
		Name:    "fmt",
		Summary: "rewrite rule files in canonical form (key order, layout, pretty query)",
		Usage: `Usage: detc fmt [--check] [--diff] [PATH...|-]

Rewrites the rule files under PATH (files or directories, default rules/)
in detc's canonical form, like gofmt:

  - top-level keys in the documented order (id, name, description, type,
    index, language, query, severity, ...), and the keys of new_terms,
    threshold and threat entries in theirs;
  - 2-space indentation, every mapping and list in block style;
  - query, note and setup as literal blocks (|), folded text (>-) refolded
    to 80 columns;
  - the query pretty-printed, broken at and/or with indentation, when the
    printed query lowers to exactly the same IR; otherwise the author's text
    is kept (a note on stderr says why).

Comments stay with the key or list item they belong to, scalars keep their
quoting. Before writing, detc checks that the new text decodes to the same
values (the query to the same IR) and keeps every comment; a file that would
not pass is left alone and reported. Files are written atomically. Test
files (NAME.test.yml) are not touched.

By default changed files are rewritten and their names printed. --check
writes nothing, prints the files that would change and exits 1 if there is
any (for CI); --diff prints a unified diff instead of writing (with --check,
in addition to the names). With - the rule is read from standard input and
the formatted text written to standard output.

Examples:
  detc fmt                                  # rewrite rules/ in place
  detc fmt --check rules/                   # CI: exit 1 when a file is not formatted
  detc fmt --diff rules/aws/dynamodb_table_exported_to_s3.yml
  detc fmt - < my_rule.yml > my_rule.formatted.yml`,
		Flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&check, "check", false, "write nothing; list the files that would change and exit 1 if any")
			fs.BoolVarP(&showDiff, "diff", "d", false, "print a unified diff of the changes instead of writing them")
			fs.IntVar(&width, "width", rulefmt.DefaultWidth, "line width for folded text and the query")
		},
		Run: func(env *runEnv, args []string) int {
			opts := rulefmt.Options{Width: width}
			if len(args) == 1 && args[0] == "-" {
				return formatStdin(env, opts)
			}
			return formatFiles(env, pathsOrDefault(args), opts, check, showDiff)
		},
	})
}

func formatStdin(env *runEnv, opts rulefmt.Options) int {
	src, err := io.ReadAll(io.LimitReader(env.Stdin, rulefile.MaxFileSize+1))
	if err != nil {
		fmt.Fprintln(env.Stderr, "detc fmt:", err)
		return exitFail
	}
	if len(src) > rulefile.MaxFileSize {
		fmt.Fprintf(env.Stderr, "detc fmt: standard input is over the %d-byte limit for a rule file\n", rulefile.MaxFileSize)
		return exitFail
	}
	res, err := rulefmt.Format(src, opts)
	if err != nil {
		fmt.Fprintln(env.Stderr, "detc fmt: stdin:", err)
		return exitFail
	}
	if res.QueryKept {
		fmt.Fprintln(env.Stderr, "detc fmt: stdin: query kept as written:", res.QueryReason)
	}
	env.Stdout.Write(res.Out)
	return exitOK
}

func formatFiles(env *runEnv, paths []string, opts rulefmt.Options, check, showDiff bool) int {
	files, err := rulefile.Discover(paths)
	if err != nil {
		fmt.Fprintln(env.Stderr, "detc fmt:", err)
		return exitFail
	}
	failed, changed := 0, 0
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err == nil && len(src) > rulefile.MaxFileSize {
			err = fmt.Errorf("file is %d bytes, over the %d-byte limit for a rule file", len(src), rulefile.MaxFileSize)
		}
		var res rulefmt.Result
		if err == nil {
			res, err = rulefmt.Format(src, opts)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s: %v\n", path, err)
			failed++
			continue
		}
		if res.QueryKept {
			fmt.Fprintf(env.Stderr, "%s: note: query kept as written: %s\n", path, res.QueryReason)
		}
		if bytes.Equal(src, res.Out) {
			continue
		}
		changed++
		if check || !showDiff {
			fmt.Fprintln(env.Stdout, path)
		}
		if showDiff {
			edits := myers.ComputeEdits(span.URIFromPath(path), string(src), string(res.Out))
			fmt.Fprint(env.Stdout, gotextdiff.ToUnified(path, path+" (formatted)", string(src), edits))
		}
		if check || showDiff {
			continue
		}
		if err := compile.WriteFileAtomic(path, res.Out); err != nil {
			fmt.Fprintf(env.Stderr, "%s: %v\n", path, err)
			failed++
		}
	}
	switch {
	case failed > 0:
		fmt.Fprintf(env.Stderr, "detc fmt: %s could not be formatted\n", plural(failed, "file"))
		return exitFail
	case check && changed > 0:
		fmt.Fprintf(env.Stderr, "detc fmt: %s of %d not formatted; run detc fmt to fix\n", plural(changed, "file"), len(files))
		return exitFail
	}
	return exitOK
}
