package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/detc/detc/insights"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/source/cloudtrail"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		Name:    "insights",
		Summary: "run a CloudWatch Logs Insights query offline over JSON events",
		Usage: `Usage: detc insights run QUERY --events FILE [--start TIME] [--end TIME] [--json]

Runs a Logs Insights (CWLI) query with detc's local interpreter over JSON
events: newline-delimited JSON (one event per line, for instance CloudTrail
records) or a CloudTrail log file {"Records": [...]}, gzipped or not. Each
event's @timestamp is its "@timestamp" key (ISO 8601 or epoch ms), else its
CloudTrail "eventTime". Unreadable records are named and make the exit
status 1. Fields are discovered as CloudWatch Logs does:
nested keys joined with dots, array elements by index (resources.0.ARN).

--start and --end are the StartQuery window (inclusive, ISO 8601 or epoch
seconds); by default it spans all the events. The interpreter supports
fields, filter, stats, sort, limit, display and dedup; see docs/cloudwatch.md
for the functions and the documented semantics it follows.

Example:
  detc insights run 'filter eventSource = "dynamodb.amazonaws.com" and not ispresent(errorCode)
    | stats count(*) as n by eventName' --events ../shared/aws/samples/all_events.ndjson`,
		Flags: func(fs *pflag.FlagSet) {
			fs.String("events", "", "NDJSON events or a CloudTrail log file, .gz or not (required)")
			fs.String("start", "", "window start (ISO 8601 or epoch seconds; default: the earliest event)")
			fs.String("end", "", "window end (ISO 8601 or epoch seconds; default: the latest event)")
			fs.Bool("json", false, "print the result as JSON ({columns, rows})")
		},
		Run: runInsights,
	})
}

func runInsights(env *runEnv, args []string) int {
	if len(args) != 2 || args[0] != "run" {
		fmt.Fprintln(env.Stderr, "detc insights: expected: detc insights run QUERY --events FILE")
		return exitUsage
	}
	query := args[1]
	path, _ := env.Flags.GetString("events")
	if path == "" {
		fmt.Fprintln(env.Stderr, "detc insights: --events FILE is required")
		return exitUsage
	}
	q, err := insights.Parse(query)
	if err != nil {
		fmt.Fprintf(env.Stderr, "detc insights: %v\n", err)
		return exitFail
	}
	var events []insights.Event
	st, err := cloudtrail.ReadFile(path, func(rec []byte, _ int) error {
		ev, err := insights.ParseEvent(rec)
		if err != nil {
			return cloudtrail.Unreadable(err)
		}
		events = append(events, ev)
		return nil
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "detc insights: %s: %v\n", path, err)
		return exitFail
	}
	for _, b := range st.Bad {
		fmt.Fprintf(env.Stderr, "detc insights: unreadable: %s\n", b)
	}
	if st.Unreadable > len(st.Bad) {
		fmt.Fprintf(env.Stderr, "detc insights: ... %d unreadable in all\n", st.Unreadable)
	}
	start, end := eventSpan(events)
	for _, b := range []struct {
		flag string
		t    *time.Time
	}{{"start", &start}, {"end", &end}} {
		s, _ := env.Flags.GetString(b.flag)
		if s == "" {
			continue
		}
		t, err := parseWindowTime(s)
		if err != nil {
			fmt.Fprintf(env.Stderr, "detc insights: --%s: %v\n", b.flag, err)
			return exitUsage
		}
		*b.t = t
	}
	res := q.Run(events, start, end)
	code := exitOK
	if st.Unreadable > 0 {
		code = exitFail
	}
	if asJSON, _ := env.Flags.GetBool("json"); asJSON {
		rows := res.Rows
		if rows == nil {
			rows = []insights.Row{}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(struct {
			Columns []string       `json:"columns"`
			Rows    []insights.Row `json:"rows"`
		}{res.Columns, rows}); err != nil {
			fmt.Fprintf(env.Stderr, "detc insights: %v\n", err)
			return exitFail
		}
		return code
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(res.Columns, "\t"))
	for _, r := range res.Rows {
		cells := make([]string, len(res.Columns))
		for i, c := range res.Columns {
			cells[i] = oneLine(r[c])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
	fmt.Fprintf(env.Stderr, "%s over %s\n", plural(len(res.Rows), "row"), plural(len(events), "event"))
	return code
}

// eventSpan is the window holding every event.
func eventSpan(events []insights.Event) (start, end time.Time) {
	for i, e := range events {
		if i == 0 || e.Timestamp.Before(start) {
			start = e.Timestamp
		}
		if i == 0 || e.Timestamp.After(end) {
			end = e.Timestamp
		}
	}
	return start, end
}

func parseWindowTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	return ir.ParseTime(s)
}

// oneLine keeps a table cell on one line.
func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
}
