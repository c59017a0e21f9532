package main

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/rulefile"
	"github.com/detc/detc/scan"
)

func init() {
	var (
		events  []string
		output  string
		strict  bool
		workers int
		since   string
	)
	register(&command{
		Name:    "scan",
		Summary: "hunt over CloudTrail files with rules, as Elastic would have alerted",
		Usage: `Usage: detc scan [RULES...] --events FILE|DIR [-o FILE] [--strict]

Runs the rules (files or directories, default rules/) over CloudTrail
records: NDJSON (one record per line, as exported from CloudWatch Logs) or
S3 log files {"Records":[...]}, gzipped or not, and directories of them.
Events are sorted by eventTime and each rule's scheduled runs are replayed
every interval with its from, max_signals, new_terms history and threshold,
so the alerts are the ones Elastic's detection engine would have raised.
Overlapping windows never alert twice on the same event.

A rule that has just been enabled knows no history: new_terms rules find
every term new in the first runs. --since T keeps only the alerts of runs at
or after T while all earlier events still count as history, so the start of
the files can serve as a warm-up period.

Alerts go to stdout (or -o FILE, written atomically) as one JSON object per
line: rule_id, rule_name, severity, type, run_time, event_time, event_id,
terms (the new term or threshold group), count (threshold) and the raw
event. A summary goes to stderr: files, events, unreadable records (named
file:line), rules that could not run, alerts per rule. Unreadable records
are counted and named, never dropped silently; --strict makes them fatal.

Examples:
  detc scan --events ./cloudtrail/                  # every rule under rules/
  detc scan rules/aws/dynamodb_table_exported_to_s3.yml \
      --events 111122223333_CloudTrail_us-east-1_20250313T1835Z.json.gz -o alerts.ndjson
  detc scan --events ./march/ --since 2025-03-15T00:00:00Z   # two weeks of warm-up`,
		Flags: func(fs *pflag.FlagSet) {
			fs.StringSliceVarP(&events, "events", "e", nil, "CloudTrail file or directory to scan (repeatable)")
			fs.StringVarP(&output, "output", "o", "", "write alerts to FILE instead of stdout")
			fs.BoolVar(&strict, "strict", false, "fail on the first unreadable record or file")
			fs.IntVar(&workers, "workers", runtime.GOMAXPROCS(0), "goroutines decoding and evaluating records")
			fs.StringVar(&since, "since", "", "report only alerts of runs at or after this ISO 8601 time (earlier events are history)")
		},
		Run: func(env *runEnv, args []string) int {
			if len(events) == 0 {
				fmt.Fprintln(env.Stderr, "detc scan: --events FILE|DIR is required\nrun 'detc scan --help' for usage")
				return exitUsage
			}
			var opts scan.Options
			if since != "" {
				t, err := ir.ParseTime(since)
				if err != nil {
					fmt.Fprintf(env.Stderr, "detc scan: --since: %v (for example 2025-03-15T00:00:00Z)\n", err)
					return exitUsage
				}
				opts.Since = t
			}
			rules, diags := rulefile.LoadAll(pathsOrDefault(args), rulefile.Options{Strict: strict})
			diags.Sort()
			printDiags(env.Stderr, diags)
			if diags.HasErrors() && strict {
				return exitFail
			}
			if len(rules) == 0 {
				fmt.Fprintln(env.Stderr, "detc scan: no rule to run")
				return exitFail
			}
			opts.Workers, opts.Strict = workers, strict
			finish := func() {}
			if isTerminal(env.Stderr) {
				var total int64
				if files, err := scan.Files(events); err == nil {
					total = totalSize(files)
				}
				bar := progressbar.NewOptions64(total,
					progressbar.OptionSetWriter(env.Stderr),
					progressbar.OptionSetDescription("scanning"),
					progressbar.OptionShowBytes(true),
					progressbar.OptionClearOnFinish(),
					progressbar.OptionThrottle(100*time.Millisecond))
				opts.Progress = func(n int64) { _ = bar.Set64(n) }
				finish = func() { _ = bar.Finish() }
			}
			res, err := scan.Run(rules, events, opts)
			finish() // clear the bar before anything else is printed
			if err != nil {
				fmt.Fprintln(env.Stderr, "detc scan:", err)
				return exitFail
			}
			if output != "" {
				err = scan.WriteFile(output, res.Alerts)
			} else {
				err = scan.WriteNDJSON(env.Stdout, res.Alerts)
			}
			if err != nil {
				fmt.Fprintln(env.Stderr, "detc scan:", err)
				return exitFail
			}
			scan.WriteSummary(env.Stderr, res)
			if diags.HasErrors() || len(res.Skipped) > 0 {
				return exitFail
			}
			return exitOK
		},
	})
}

// totalSize sums the sizes of files, for the scan progress bar.
func totalSize(files []string) int64 {
	var n int64
	for _, f := range files {
		if info, err := os.Stat(f); err == nil {
			n += info.Size()
		}
	}
	return n
}
