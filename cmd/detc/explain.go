package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/detc/detc/backends/athena"
	"github.com/detc/detc/backends/cloudwatch"
	"github.com/detc/detc/backends/elastic"
	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/rulefile"
	"github.com/detc/detc/rulefmt"
	"github.com/detc/detc/source/cloudtrail"
)

func init() {
	var table string
	var logGroups []string
	register(&command{
		Name:    "explain",
		Summary: "show a rule's query translated for every target, clause by clause, with the field mapping",
		Usage: `Usage: detc explain [flags] RULE

Shows how detc reads RULE (a rule file) and what it makes of it:

  query       the KQL as written, pretty-printed as detc fmt would
  ir          the lowered expression, fields typed from the catalog
  targets     the full translation for each target: the Elasticsearch
              Query DSL, the CloudWatch Logs Insights query, the Athena
              (Trino) SQL; a target that cannot translate the rule shows
              the backend's diagnostics instead
  clauses     each clause of the query with its translation for every
              target next to it (each clause rendered alone by the
              backends), or the reason a target cannot translate it
  fields      for every field: its catalog type, how the aws.cloudtrail
              source profile reaches it in a raw CloudTrail record (JSON
              path, constant or derived), and the Logs Insights and Athena
              expressions the backends emit for "field: *"

Examples:
  detc explain rules/aws/dynamodb_table_exported_to_s3.yml
  detc explain --athena-table cloudtrail_logs_pp my_rule.yml | less`,
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&table, "athena-table", "cloudtrail_logs", "Athena table holding CloudTrail records")
			fs.StringSliceVar(&logGroups, "log-group", []string{"aws-cloudtrail-logs"}, "CloudWatch log group(s) holding CloudTrail records")
		},
		Run: func(env *runEnv, args []string) int {
			if len(args) != 1 {
				fmt.Fprintln(env.Stderr, "detc explain: give one rule file\nrun 'detc explain --help' for usage")
				return exitUsage
			}
			rule, diags := rulefile.Load(args[0], rulefile.Options{})
			for i := range diags {
				diags[i].Line = sourceLine(diags[i].Pos)
			}
			printDiags(env.Stderr, diags)
			if rule == nil {
				return exitFail
			}
			explainRule(env.Stdout, rule, explainTargets{
				athena:     athena.Options{Table: table},
				cloudwatch: cloudwatch.Options{LogGroups: logGroups},
			})
			return exitOK
		},
	})
}

// explainTargets holds the options the backends render with.
type explainTargets struct {
	athena     athena.Options
	cloudwatch cloudwatch.Options
}

func section(w io.Writer, title string) {
	fmt.Fprintf(w, "\n== %s %s\n", title, strings.Repeat("=", max(0, 72-len(title))))
}

func explainRule(w io.Writer, r *ir.Rule, t explainTargets) {
	fmt.Fprintf(w, "rule  %s\nid    %s\ntype  %s", r.Name, r.ID, r.Type)
	switch {
	case r.NewTerms != nil:
		fmt.Fprintf(w, " on %s, history from %s", strings.Join(r.NewTerms.Fields, ", "), r.NewTerms.HistoryWindowStart)
	case r.Threshold != nil:
		fmt.Fprintf(w, " by [%s] at %d", strings.Join(r.Threshold.Fields, ", "), r.Threshold.Value)
	}
	fmt.Fprintf(w, "; window from %s every %s\nfile  %s\n", r.From, r.Interval, r.File)

	section(w, "query (as written)")
	fmt.Fprintln(w, strings.TrimRight(r.Query, "\n"))
	if pretty, kept, reason := rulefmt.PrettyQuery(r.Query, rulefmt.DefaultWidth); !kept && pretty != strings.TrimSpace(r.Query) {
		section(w, "query (detc fmt)")
		fmt.Fprintln(w, pretty)
	} else if kept {
		fmt.Fprintf(w, "(detc fmt keeps this text: %s)\n", reason)
	}
	section(w, "ir")
	fmt.Fprintln(w, ir.String(r.Expr))

	section(w, "elastic: Query DSL")
	if dsl, err := elastic.RenderDSL(r.Expr); err != nil {
		writeErr(w, err)
	} else {
		w.Write(dsl)
	}
	if _, err := elastic.Render(r); err != nil {
		fmt.Fprintln(w, "the Kibana rule cannot be rendered:")
		writeErr(w, err)
	}
	section(w, "cloudwatch: Logs Insights")
	if a, err := cloudwatch.Render(r, t.cloudwatch); err != nil {
		writeErr(w, err)
	} else {
		fmt.Fprintln(w, strings.TrimRight(a.Query, "\n"))
	}
	section(w, "athena: Trino SQL")
	if sql, err := athena.Render(r, t.athena); err != nil {
		writeErr(w, err)
	} else {
		fmt.Fprintln(w, strings.TrimRight(sql, "\n"))
	}

	section(w, "clauses, each translated alone")
	for i, c := range leafClauses(r.Expr) {
		fmt.Fprintf(w, "%d. %s", i+1, kqlText(c))
		if p := c.Position(); p.IsValid() {
			fmt.Fprintf(w, "   (%s)", p)
		}
		fmt.Fprintln(w)
		for _, tr := range translateClause(r, c, t) {
			fmt.Fprintf(w, "   %-10s  %s\n", tr.target, indentAfterFirst(tr.text, 16))
		}
	}

	section(w, "fields")
	for _, name := range ir.Fields(r.Expr) {
		f := fieldOf(r.Expr, name)
		fmt.Fprintf(w, "%s  (%s", name, f.Type)
		if f.ESType != "" && f.ESType != f.Type.String() {
			fmt.Fprintf(w, ", %s", f.ESType)
		}
		fmt.Fprintln(w, ")")
		fmt.Fprintf(w, "   %-10s  %s\n", "cloudtrail", describeMapping(name))
		probe := &ir.Exists{Pos: f.posOr(r), Field: f.Field}
		for _, tr := range translateClause(r, probe, t)[1:] {
			fmt.Fprintf(w, "   %-10s  %s\n", tr.target, indentAfterFirst(tr.text, 16))
		}
	}
}

func writeErr(w io.Writer, err error) {
	var list diag.List
	if errors.As(err, &list) {
		for _, d := range list {
			fmt.Fprintf(w, "cannot translate: %s\n", d.Error())
			if d.Hint != "" {
				fmt.Fprintf(w, "  hint: %s\n", d.Hint)
			}
		}
		return
	}
	fmt.Fprintf(w, "cannot translate: %v\n", err)
}

func indentAfterFirst(s string, n int) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+strings.Repeat(" ", n))
}

// leafClauses lists the clauses of an expression that are not and/or:
// comparisons, nested queries, free text, each under a not when an odd
// number of nots is above it (not (a or b) lists not a and not b, whose
// conjunction it is).
func leafClauses(e ir.Expr) []ir.Expr {
	var out []ir.Expr
	var walk func(e ir.Expr, negated bool)
	walk = func(e ir.Expr, negated bool) {
		switch e := e.(type) {
		case *ir.And:
			for _, x := range e.X {
				walk(x, negated)
			}
		case *ir.Or:
			for _, x := range e.X {
				walk(x, negated)
			}
		case *ir.Not:
			walk(e.X, !negated)
		default:
			if negated {
				out = append(out, &ir.Not{Pos: e.Position(), X: e})
			} else {
				out = append(out, e)
			}
		}
	}
	walk(e, false)
	return out
}

type fieldRef struct {
	ir.Field
	pos diag.Pos
}

func (f fieldRef) posOr(r *ir.Rule) diag.Pos {
	if f.pos.IsValid() {
		return f.pos
	}
	return r.KeyPos("query")
}

// fieldOf finds how the expression types a field (its first use).
func fieldOf(e ir.Expr, name string) fieldRef {
	var out fieldRef
	found := false
	ir.Walk(e, func(x ir.Expr) bool {
		if found {
			return false
		}
		var f *ir.Field
		switch x := x.(type) {
		case *ir.Term:
			f = &x.Field
		case *ir.Range:
			f = &x.Field
		case *ir.Exists:
			f = &x.Field
		}
		if f != nil && f.Name == name {
			out, found = fieldRef{Field: *f, pos: x.Position()}, true
		}
		return !found
	})
	if !found {
		out.Name = name
	}
	return out
}

// describeMapping says how the aws.cloudtrail profile reaches a field.
func describeMapping(field string) string {
	m, err := cloudtrail.Resolve(field)
	if err != nil {
		return "not available: " + err.Error()
	}
	switch m.Kind {
	case cloudtrail.Constant:
		return fmt.Sprintf("constant %q on every record (chosen by the log group / table)", m.Constant)
	case cloudtrail.Derived:
		var srcs []string
		for _, s := range m.Sources {
			srcs = append(srcs, cloudtrail.PathString(s))
		}
		d := fmt.Sprintf("derived (%s) from %s", m.Derived, strings.Join(srcs, ", "))
		if m.EventName != "" {
			d += " on " + m.EventName + " records"
		}
		return d
	case cloudtrail.Direct:
		var b strings.Builder
		if len(m.Array) > 0 {
			fmt.Fprintf(&b, "%s[*].", cloudtrail.PathString(m.Array))
		}
		b.WriteString(cloudtrail.PathString(m.Path))
		var notes []string
		if m.Flattened {
			notes = append(notes, "flattened: any leaf, values as keyword text")
		}
		if m.JSONText {
			notes = append(notes, "JSON text in Athena")
		}
		if len(notes) > 0 {
			fmt.Fprintf(&b, "  (%s)", strings.Join(notes, "; "))
		}
		return b.String()
	}
	return m.Kind.String()
}

type clauseTranslation struct {
	target, text string
}

// translateClause renders one clause alone for each target, through a
// query rule that holds only that clause, and cuts the clause's condition
// out of the rendered text.
func translateClause(r *ir.Rule, c ir.Expr, t explainTargets) []clauseTranslation {
	probe := *r
	probe.Type, probe.NewTerms, probe.Threshold = ir.Query, nil, nil
	probe.Expr, probe.Query = c, kqlText(c)
	var out []clauseTranslation
	if dsl, err := elastic.RenderDSL(c); err != nil {
		out = append(out, clauseTranslation{"elastic", errText(err)})
	} else {
		var compact bytes.Buffer
		json.Compact(&compact, dsl)
		out = append(out, clauseTranslation{"elastic", clip(compact.String(), 400)})
	}
	if a, err := cloudwatch.Render(&probe, t.cloudwatch); err != nil {
		out = append(out, clauseTranslation{"cloudwatch", errText(err)})
	} else {
		out = append(out, clauseTranslation{"cloudwatch", cloudwatchFilter(a.Query)})
	}
	if sql, err := athena.Render(&probe, t.athena); err != nil {
		out = append(out, clauseTranslation{"athena", errText(err)})
	} else {
		out = append(out, clauseTranslation{"athena", athenaCondition(&probe, sql, t.athena)})
	}
	return out
}

func errText(err error) string {
	var list diag.List
	if errors.As(err, &list) && len(list) > 0 {
		var parts []string
		for _, d := range list {
			s := "cannot translate: " + d.Msg
			if d.Hint != "" {
				s += " (hint: " + d.Hint + ")"
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, "\n")
	}
	return "cannot translate: " + err.Error()
}

// cloudwatchFilter returns the condition of a query rule's Logs Insights
// query: its first filter command.
func cloudwatchFilter(q string) string {
	for _, line := range strings.Split(q, "\n") {
		if rest, ok := strings.CutPrefix(line, "filter "); ok {
			return clip(rest, 600)
		}
	}
	return "(no filter: true on every record of the log groups)"
}

// athenaCondition returns the condition of a query rule's SQL: the lines
// of its WHERE clause that the same rule without a query (MatchAll) does
// not have, that is, without the partition and time bounds.
func athenaCondition(probe *ir.Rule, sql string, opts athena.Options) string {
	base := *probe
	base.Expr, base.Query = &ir.MatchAll{}, ""
	baseSQL, err := athena.Render(&base, opts)
	if err != nil {
		return clip(sql, 600)
	}
	have := map[string]bool{}
	for _, l := range whereLines(baseSQL) {
		have[l] = true
	}
	var cond []string
	for _, l := range whereLines(sql) {
		if !have[l] {
			cond = append(cond, strings.TrimPrefix(l, "AND "))
		}
	}
	if len(cond) == 0 {
		return "(no condition: true on every row of the table)"
	}
	c := strings.Join(cond, " AND ")
	if strings.HasPrefix(c, "(TRUE AND ") && strings.HasSuffix(c, ")") {
		c = c[len("(TRUE AND ") : len(c)-1]
	}
	return clip(c, 600)
}

// whereLines returns the trimmed lines from WHERE to ORDER BY.
func whereLines(sql string) []string {
	where := strings.Index(sql, "\nWHERE ")
	end := strings.Index(sql, "\nORDER BY")
	if where < 0 || end < where {
		return nil
	}
	var out []string
	for _, l := range strings.Split(sql[where+1:end], "\n") {
		out = append(out, strings.TrimPrefix(strings.TrimSpace(l), "WHERE "))
	}
	return out
}
