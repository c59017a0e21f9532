// Package athena renders detection rules as Amazon Athena (Trino) SQL over
// the AWS-documented CloudTrail table, with the table DDL and a
// CloudFormation template of named queries.
package athena

import (
	"fmt"
	"strings"
	"time"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
)

// Target is the target name used in diagnostics.
const Target = "athena"

// DefaultTable is the table name the Athena user guide gives the
// partition-projection CloudTrail table.
const DefaultTable = "cloudtrail_logs_pp"

// Options configure rendering.
type Options struct {
	// Table is the CloudTrail table (optionally database.table); default
	// DefaultTable.
	Table string
	// At is the run time T. When zero the SQL uses current_timestamp, so
	// the saved query runs "now"; when set, T is a TIMESTAMP literal.
	At time.Time
	// Location is the S3 prefix of the trail's logs for one account and
	// region (s3://bucket/AWSLogs/<account>/CloudTrail/<region>), used by
	// the DDL; default a documentation placeholder.
	Location string
	// ProjectionStart is the first delivery day the table projects
	// (yyyy/MM/dd); default 2020/01/01.
	ProjectionStart string
	// Database is the Glue database of the named queries; default "default".
	Database string
}

func (o Options) withDefaults() Options {
	if o.Table == "" {
		o.Table = DefaultTable
	}
	if o.Location == "" {
		o.Location = "s3://amzn-s3-demo-bucket/AWSLogs/111122223333/CloudTrail/us-east-1"
	}
	if o.ProjectionStart == "" {
		o.ProjectionStart = "2020/01/01"
	}
	if o.Database == "" {
		o.Database = "default"
	}
	return o
}

// DefaultMaxSignals is Kibana's max_signals when a rule does not set it:
// one run raises at most that many alerts, so each statement has a LIMIT.
const DefaultMaxSignals = 100

// Output columns. Every statement names its columns so that a row maps
// onto an ir.Alert: event_id is the alert's event, term_1..term_n its
// terms (new_terms and threshold fields in rule order), hits the number of
// matching events (the threshold count).
const (
	ColEventID = "event_id"
	ColHits    = "hits"
	ColTerm    = "term_" // followed by 1, 2, ...
)

// Render writes one rule as a Trino SELECT statement. A construct the
// target cannot express is an error: a diag.List naming the rule, the
// field, the target and the reason.
func Render(rule *ir.Rule, opts Options) (string, error) {
	opts = opts.withDefaults()
	var errs diag.List
	report := func(pos diag.Pos, key, format string, args ...any) {
		errs.Add(diag.Diagnostic{
			Pos: pos, Severity: diag.Error, Code: "untranslatable", RuleID: ruleName(rule), Key: key,
			Msg:  "athena: " + fmt.Sprintf(format, args...),
			Hint: "the athena target cannot express this; change the rule or leave athena out of its targets",
		})
	}
	if err := checkTableName(opts.Table); err != nil {
		report(diag.Pos{File: rule.File}, "", "%v", err)
		return "", errs
	}
	if _, bad := ir.InvalidUTF8(rule.Expr); bad {
		report(rule.KeyPos("query"), "query", "the query holds bytes that are not valid UTF-8, which Athena's JSON API and the CloudFormation template cannot carry unchanged")
		return "", errs
	}
	now := "current_timestamp"
	if !opts.At.IsZero() {
		now = timestampLiteral(opts.At)
	}
	start, err := windowBound(rule.From, "now-6m", now, opts.At)
	if err != nil {
		report(rule.KeyPos("from"), "from", "%v", err)
	}
	r := &exprRenderer{now: now, at: opts.At}
	where := r.render(rule.Expr)
	for _, e := range r.errs {
		key := e.field
		msg := e.reason
		if key != "" {
			msg = "field " + key + ": " + msg
		}
		report(e.pos, key, "%s", msg)
	}
	var s statement
	s.table, s.now, s.start, s.where = opts.Table, now, start, where.sql
	s.maxSignals = rule.MaxSignals
	if s.maxSignals <= 0 {
		s.maxSignals = DefaultMaxSignals
	}
	switch rule.Type {
	case ir.NewTerms:
		if rule.NewTerms == nil || len(rule.NewTerms.Fields) == 0 {
			report(rule.KeyPos("new_terms"), "new_terms", "new_terms rule without fields")
			break
		}
		hs, err := windowBound(rule.NewTerms.HistoryWindowStart, "", now, opts.At)
		if err != nil {
			report(rule.KeyPos("new_terms.history_window_start"), "new_terms.history_window_start", "%v", err)
		}
		s.historyStart = hs
		s.terms = termColumns(rule.NewTerms.Fields, func(f, reason string) {
			report(rule.KeyPos("new_terms.fields"), f, "new_terms field %s: %s", f, reason)
		})
	case ir.Threshold:
		if rule.Threshold == nil {
			report(rule.KeyPos("threshold"), "threshold", "threshold rule without threshold")
			break
		}
		s.threshold = rule.Threshold
		s.terms = termColumns(rule.Threshold.Fields, func(f, reason string) {
			report(rule.KeyPos("threshold.field"), f, "threshold field %s: %s", f, reason)
		})
		for _, c := range rule.Threshold.Cardinality {
			t := termColumns([]string{c.Field}, func(f, reason string) {
				report(rule.KeyPos("threshold.cardinality"), f, "threshold cardinality field %s: %s", f, reason)
			})
			if len(t) == 1 && t[0].unnest != "" {
				report(rule.KeyPos("threshold.cardinality"), c.Field, "threshold cardinality field %s: an array field's distinct count is not supported", c.Field)
			}
			if len(t) == 1 {
				s.cardinality = append(s.cardinality, cardinalityTest{expr: t[0].expr, min: c.Value})
			}
		}
	case ir.Query, "":
	default:
		report(rule.KeyPos("type"), "type", "rule type %q", rule.Type)
	}
	if len(errs) > 0 {
		errs.Sort()
		return "", errs
	}
	var sql string
	switch rule.Type {
	case ir.NewTerms:
		sql = s.newTerms()
	case ir.Threshold:
		sql = s.thresholdSQL()
	default:
		sql = s.query()
	}
	if len(sql) > MaxQueryBytes {
		return "", diag.List{{Pos: rule.KeyPos("query"), Severity: diag.Error, Code: "query-too-long", RuleID: ruleName(rule), Key: "query",
			Msg:  fmt.Sprintf("athena: the SQL of rule %s is %d bytes; Athena's limit is %d", ruleName(rule), len(sql), MaxQueryBytes),
			Hint: "split the rule, or shorten long value lists"}}
	}
	return sql, nil
}

// MaxQueryBytes is Athena's limit on a query string (StartQueryExecution
// QueryString, NamedQuery QueryString), which AWS does not raise.
const MaxQueryBytes = 262144

func ruleName(r *ir.Rule) string {
	if r.ID != "" {
		return r.ID
	}
	return r.Name
}

// windowBound renders a window start given as date math ("now-6m"): T
// minus a fixed interval, or, when the run time is known, a literal.
func windowBound(expr, def, now string, at time.Time) (string, error) {
	if expr == "" {
		expr = def
	}
	if expr == "" {
		return "", fmt.Errorf("missing window start")
	}
	if d, err := ir.RelativeOffset(expr); err == nil {
		return minus(now, d), nil
	}
	if !at.IsZero() || !strings.HasPrefix(expr, "now") {
		t, err := ir.DateMath(expr, at)
		if err != nil {
			return "", err
		}
		return timestampLiteral(t), nil
	}
	return "", fmt.Errorf("window start %q has no fixed length (months, years or rounding) and no run time is set", expr)
}

// termColumn is one new_terms or threshold field in the SELECT.
type termColumn struct {
	field string
	expr  string
	// unnest is the UNNEST clause for an array field (one row per element).
	unnest string
	// distinct is set when the array can hold one value twice (a JSON
	// list): the rows are made distinct so that an event counts once per
	// value, as a terms aggregation counts documents.
	distinct bool
}

func termColumns(fields []string, report func(field, reason string)) []termColumn {
	var out []termColumn
	for i, f := range fields {
		a, err := resolveField(f)
		if err != nil {
			reason := err.Error()
			if u, ok := err.(*untranslatable); ok {
				reason = u.reason
			}
			report(f, reason)
			continue
		}
		tc := termColumn{field: f}
		switch {
		case a.constant != nil:
			tc.expr = quoteLiteral(*a.constant)
		case a.array != "":
			alias := fmt.Sprintf("u%d", i+1)
			// Trino expands an unnested row into one column per member
			// while DuckDB keeps one struct; unnesting the positions
			// reads the same in both.
			tc.unnest = fmt.Sprintf("CROSS JOIN UNNEST(sequence(1, greatest(cardinality(%s), 1))) AS %s(i)", a.array, alias)
			tc.expr = fmt.Sprintf("nullif(element_at(%s, %s.i).%s, '')", a.array, alias, a.member)
		case a.union != nil:
			report(f, "a field gathered from several sources cannot be a term in this backend")
			continue
		case a.jsonRoot != "":
			// Each value of a flattened field is a candidate term: one row
			// per value, or one row with a NULL term when there is none.
			values := flattenedValues(a.jsonRoot, a.jsonKeys)
			alias := fmt.Sprintf("u%d", i+1)
			tc.unnest = fmt.Sprintf("CROSS JOIN UNNEST(%s) AS %s(i)", flattenedPositions(values), alias)
			tc.expr = fmt.Sprintf("nullif(%s, '')", flattenedElement(values, alias+".i"))
			tc.distinct = true
		case a.raw:
			tc.expr = "nullif(" + a.value + ", '')"
		default:
			tc.expr = a.value
		}
		if a.guard != "" {
			tc.expr = fmt.Sprintf("(CASE WHEN %s THEN %s END)", a.guard, tc.expr)
		}
		out = append(out, tc)
	}
	return out
}

type cardinalityTest struct {
	expr string
	min  int
}

// statement holds the parts of one rule's SQL.
type statement struct {
	table        string
	now, start   string
	historyStart string
	where        string
	terms        []termColumn
	threshold    *ir.ThresholdSpec
	cardinality  []cardinalityTest
	maxSignals   int
}

const eventTS = "from_iso8601_timestamp(eventtime)"

// scope writes the partition pruning (a day of slack on each side, since
// partitions are delivery dates) and the event-time window [from, now].
func (s statement) scope(b *strings.Builder, from, indent string) {
	fmt.Fprintf(b, "%sWHERE \"timestamp\" >= date_format(%s - INTERVAL '1' DAY, '%%Y/%%m/%%d')\n", indent, from)
	fmt.Fprintf(b, "%s  AND \"timestamp\" <= date_format(%s + INTERVAL '1' DAY, '%%Y/%%m/%%d')\n", indent, s.now)
	fmt.Fprintf(b, "%s  AND %s >= %s\n", indent, eventTS, from)
	fmt.Fprintf(b, "%s  AND %s <= %s\n", indent, eventTS, s.now)
	if s.where != "TRUE" {
		w := s.where
		if strings.Contains(w, " OR ") {
			w = "(" + w + ")"
		}
		fmt.Fprintf(b, "%s  AND %s\n", indent, w)
	}
}

func (s statement) query() string {
	var b strings.Builder
	b.WriteString("SELECT eventid AS event_id, eventtime AS event_time, eventsource AS event_source,\n")
	b.WriteString("       eventname AS event_name, useridentity.arn AS user_arn,\n")
	b.WriteString("       sourceipaddress AS source_address, awsregion AS aws_region\n")
	fmt.Fprintf(&b, "FROM %s\n", s.table)
	s.scope(&b, s.start, "")
	fmt.Fprintf(&b, "ORDER BY eventtime, eventid\nLIMIT %d", s.maxSignals)
	return b.String()
}

// matched writes the CTE of matching events with their term columns.
func (s statement) matched(b *strings.Builder, from string) {
	b.WriteString("WITH matched AS (\n")
	b.WriteString("  SELECT ")
	for _, t := range s.terms {
		if t.distinct {
			b.WriteString("DISTINCT ")
			break
		}
	}
	b.WriteString("eventid, " + eventTS + " AS ts")
	for i, t := range s.terms {
		fmt.Fprintf(b, ",\n         %s AS %s%d", t.expr, ColTerm, i+1)
	}
	for i, c := range s.cardinality {
		fmt.Fprintf(b, ",\n         %s AS distinct_%d", c.expr, i+1)
	}
	fmt.Fprintf(b, "\n  FROM %s\n", s.table)
	for _, t := range s.terms {
		if t.unnest != "" {
			fmt.Fprintf(b, "  %s\n", t.unnest)
		}
	}
	s.scope(b, from, "  ")
	b.WriteString(")\n")
}

func (s statement) termList() string {
	var names []string
	for i := range s.terms {
		names = append(names, fmt.Sprintf("%s%d", ColTerm, i+1))
	}
	return strings.Join(names, ", ")
}

func (s statement) termsPresent(b *strings.Builder) {
	for i := range s.terms {
		kw := "  AND"
		if i == 0 {
			kw = "WHERE"
		}
		fmt.Fprintf(b, "%s %s%d IS NOT NULL\n", kw, ColTerm, i+1)
	}
}

// newTerms: a term is new when its first matching event in
// [history start, T] falls in [T − from, T]; the alert names that event.
func (s statement) newTerms() string {
	var b strings.Builder
	s.matched(&b, s.historyStart)
	terms := s.termList()
	fmt.Fprintf(&b, "SELECT %s, min(ts) AS first_seen, count(*) AS hits, min_by(eventid, ts) AS event_id\n", terms)
	b.WriteString("FROM matched\n")
	s.termsPresent(&b)
	fmt.Fprintf(&b, "GROUP BY %s\n", terms)
	fmt.Fprintf(&b, "HAVING min(ts) >= %s\n", s.start)
	// Kibana reads the new terms with a composite aggregation, in term
	// order, and stops at max_signals: the same terms are kept here.
	fmt.Fprintf(&b, "ORDER BY %s\nLIMIT %d", terms, s.maxSignals)
	return b.String()
}

// thresholdSQL: matching events in [T − from, T] grouped by the threshold
// fields; a group alerts when its count (and each distinct count) reaches
// the value.
func (s statement) thresholdSQL() string {
	var b strings.Builder
	s.matched(&b, s.start)
	terms := s.termList()
	b.WriteString("SELECT ")
	if terms != "" {
		b.WriteString(terms + ", ")
	}
	b.WriteString("count(*) AS hits, min(ts) AS first_seen, max(ts) AS last_seen\n")
	b.WriteString("FROM matched\n")
	s.termsPresent(&b)
	if terms != "" {
		fmt.Fprintf(&b, "GROUP BY %s\n", terms)
	}
	fmt.Fprintf(&b, "HAVING count(*) >= %d", max(s.threshold.Value, 1))
	for i, c := range s.cardinality {
		fmt.Fprintf(&b, "\n   AND count(DISTINCT distinct_%d) >= %d", i+1, c.min)
	}
	if terms != "" {
		fmt.Fprintf(&b, "\nORDER BY %s", terms)
	}
	fmt.Fprintf(&b, "\nLIMIT %d", s.maxSignals)
	return b.String()
}
