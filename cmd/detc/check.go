package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/rulefile"
)

func init() {
	var strict bool
	var format string
	register(&command{
		Name:    "check",
		Summary: "parse and validate rule files; exit 1 on any error",
		Usage: `Usage: detc check [flags] [PATH...]

Parses and validates every rule file under PATH (default: rules/): the YAML
metadata against Kibana's constraints, the KQL query against Kibana's
grammar, and each field against the field catalog. Every problem of every
rule is reported with file:line:col, the rule id, the key and a hint.

Unknown fields and API lint findings are warnings; --strict makes them
errors. The exit code is 1 when there is an error, 0 otherwise.

Examples:
  detc check                         # every rule under rules/
  detc check rules/aws/iam_*.yml --strict
  detc check --format sarif > detc.sarif   # for GitHub code scanning`,
		Flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&strict, "strict", false, "treat warnings (unknown fields, lint) as errors")
			fs.StringVarP(&format, "format", "f", "text", "output format: text, json or sarif")
		},
		Run: func(env *runEnv, args []string) int {
			paths := pathsOrDefault(args)
			rules, diags := rulefile.LoadAll(paths, rulefile.Options{Strict: strict})
			diags = append(diags, lintRules(rules, strict)...)
			diags.Sort()
			switch format {
			case "text":
				printDiags(env.Stderr, diags)
				errs, warns := summary(diags)
				fmt.Fprintf(env.Stderr, "checked %s: %s, %s\n", plural(len(rules), "valid rule"), plural(errs, "error"), plural(warns, "warning"))
			case "json":
				if err := writeJSONDiags(env.Stdout, diags); err != nil {
					fmt.Fprintln(env.Stderr, "detc check:", err)
					return exitFail
				}
			case "sarif":
				if err := writeSARIF(env.Stdout, diags); err != nil {
					fmt.Fprintln(env.Stderr, "detc check:", err)
					return exitFail
				}
			default:
				fmt.Fprintf(env.Stderr, "detc check: unknown format %q (text, json or sarif)\n", format)
				return exitUsage
			}
			if diags.HasErrors() {
				return exitFail
			}
			return exitOK
		},
	})
}

func writeJSONDiags(w interface{ Write([]byte) (int, error) }, diags diag.List) error {
	type jd struct {
		diag.Diagnostic
		Severity string `json:"severity"`
	}
	out := make([]jd, 0, len(diags))
	for _, d := range diags {
		out = append(out, jd{d, d.Severity.String()})
	}
	b, err := marshalIndent(out)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
