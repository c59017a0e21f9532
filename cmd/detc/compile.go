package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/detc/detc/compile"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/rulefile"
)

// defaultTargets are the deployable targets `detc compile` renders when
// --target is not given.
var defaultTargets = []string{"elastic", "cloudwatch", "athena"}

func init() {
	var (
		outDir    string
		targets   []string
		strict    bool
		logGroups []string
		table     string
		location  string
		at        string
		formats   []string
	)
	register(&command{
		Name:    "compile",
		Summary: "render rules for Elastic, CloudWatch Logs Insights and Athena",
		Usage: `Usage: detc compile [flags] [PATH...]

Loads every rule under PATH (default: rules/) and writes the deployable
artefacts of each target under the output directory:

  elastic/<rule_id>.json      Kibana detection-engine create body
  elastic/rules.ndjson        one line per rule for POST .../rules/_import
  cloudwatch/<rule_id>.*      Logs Insights query, StartQuery and
                              PutQueryDefinition requests, CloudFormation
  athena/<rule_id>.sql        Trino SQL; athena/cloudtrail_table.sql (DDL);
                              CloudFormation AWS::Athena::NamedQuery
  elastic/dsl/<rule_id>.json  Elasticsearch Query DSL (with --format dsl), for
                              the search API of Elasticsearch or OpenSearch
  ir/<rule_id>.json           the IR (only with --target ir)

A rule that fails for a target is reported with its file, id, field and the
reason, and the other rules are still written. Every file is written to a
temporary file and renamed, so no output is ever half-written, and output is
byte-identical from one run to the next. Exit code 1 if any rule failed.

Examples:
  detc compile                                  # rules/ -> out/, every target
  detc compile rules/aws -o build --target elastic,athena
  detc compile --log-group /aws/cloudtrail/org --athena-table cloudtrail_logs
  detc compile --target elastic --format ndjson,dsl   # import file + Query DSL`,
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVarP(&outDir, "out", "o", "out", "output directory")
			fs.StringSliceVarP(&targets, "target", "t", defaultTargets, "targets to render: "+targetList())
			fs.StringSliceVar(&formats, "format", []string{"json", "ndjson"}, "elastic outputs: json (create bodies), ndjson (_import file), dsl (Query DSL)")
			fs.BoolVar(&strict, "strict", false, "treat warnings (unknown fields) as errors")
			fs.StringSliceVar(&logGroups, "log-group", []string{"aws-cloudtrail-logs"}, "CloudWatch log group(s) holding CloudTrail records")
			fs.StringVar(&table, "athena-table", "cloudtrail_logs", "Athena table holding CloudTrail records")
			fs.StringVar(&location, "athena-location", "", "S3 prefix of the trail's logs, for the Athena DDL (s3://bucket/AWSLogs/<account>/CloudTrail/<region>)")
			fs.StringVar(&at, "at", "", "fix the run time T (RFC 3339) of StartQuery requests and Athena SQL; default: now, at run time")
		},
		Run: func(env *runEnv, args []string) int {
			for _, t := range targets {
				if _, ok := compile.Lookup(t); !ok {
					fmt.Fprintf(env.Stderr, "detc compile: unknown target %q (targets: %s)\n", t, targetList())
					return exitUsage
				}
			}
			for _, f := range formats {
				if !slices.Contains(compile.ElasticFormats, f) {
					fmt.Fprintf(env.Stderr, "detc compile: unknown --format %q (json, ndjson, dsl)\n", f)
					return exitUsage
				}
			}
			var runAt time.Time
			if at != "" {
				t, err := ir.ParseTime(at)
				if err != nil {
					fmt.Fprintf(env.Stderr, "detc compile: --at %q is not an RFC 3339 time such as 2025-03-21T12:00:00Z\n", at)
					return exitUsage
				}
				runAt = t
			}
			rules, diags := rulefile.LoadAll(pathsOrDefault(args), rulefile.Options{Strict: strict})
			diags = append(diags, lintRules(rules, false)...)
			files, renderDiags := compile.Run(rules, targets, compile.Options{LogGroups: logGroups, AthenaTable: table, AthenaLocation: location, At: runAt, ElasticFormats: formats})
			diags = append(diags, renderDiags...)
			diags.Sort()
			printDiags(env.Stderr, diags)
			if err := compile.Write(outDir, files); err != nil {
				fmt.Fprintln(env.Stderr, "detc compile:", err)
				return exitFail
			}
			errs, warns := summary(diags)
			fmt.Fprintf(env.Stderr, "compiled %s for %s into %s/ (%s): %s, %s\n",
				plural(len(rules), "rule"), strings.Join(targets, ", "), filepath.Clean(outDir), plural(len(files), "file"),
				plural(errs, "error"), plural(warns, "warning"))
			if errs > 0 {
				return exitFail
			}
			return exitOK
		},
	})
}

func targetList() string {
	var names []string
	for _, t := range compile.Targets() {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}
