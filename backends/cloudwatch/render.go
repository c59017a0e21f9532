// Package cloudwatch renders detection rules as CloudWatch Logs Insights
// queries over raw CloudTrail records, with StartQuery, PutQueryDefinition
// and CloudFormation artefacts.
package cloudwatch

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/source/cloudtrail"
)

// MaxQueryLength is the documented limit of a Logs Insights query string.
const MaxQueryLength = 10000

// DefaultArrayElements is how many elements of an array of objects
// (resources[]) a term tests: resources.0 to resources.9.
const DefaultArrayElements = 10

// Options configures rendering.
type Options struct {
	// LogGroups are the log groups holding the CloudTrail records
	// (StartQuery logGroupNames, QueryDefinition LogGroupNames).
	LogGroups []string
	// At is the run time of the StartQuery request; without it no
	// StartQuery request is produced (its times would not be reproducible).
	At time.Time
	// ArrayElements is how many elements of an array of objects a term
	// tests (DefaultArrayElements when zero).
	ArrayElements int
	// NamePrefix starts each query definition name (default "detc/").
	NamePrefix string

	// pinned writes the run time At as literal epoch milliseconds instead
	// of now(): a StartQuery request has fixed times, and whenever it is
	// sent its query must mean the same window.
	pinned bool
}

func (o Options) arrayElements() int {
	if o.ArrayElements > 0 {
		return o.ArrayElements
	}
	return DefaultArrayElements
}

// Output names the result columns of a rendered query, so results map to
// alerts.
type Output struct {
	// EventID is the column holding the alert's event id (query and
	// new_terms rules).
	EventID string
	// Terms are the columns holding the new_terms or threshold values, in
	// rule field order.
	Terms []string
	// Count is the column holding a threshold group's size.
	Count string
}

// Artifacts are the rendered forms of one rule.
type Artifacts struct {
	// Query is the Logs Insights query string.
	Query string
	// Window is the rule's time range at Options.At: StartQuery covers
	// [Window.HistoryStart, Window.End] for new_terms rules and
	// [Window.Start, Window.End] otherwise.
	Window ir.Window
	Output Output
	// PinnedQuery is Query with the run time Options.At written as a
	// literal instead of now(), for the StartQuery request; it equals
	// Query when At is zero or the query does not depend on the time.
	PinnedQuery string
	// StartQuery is the StartQuery request JSON (nil without Options.At or
	// Options.LogGroups).
	StartQuery []byte
	// QueryDefinition is the PutQueryDefinition request JSON.
	QueryDefinition []byte
	// CloudFormation is a template with an AWS::Logs::QueryDefinition.
	CloudFormation []byte
	// CWLI is the .cwli file: a comment header and the query.
	CWLI []byte
}

// queryFields are the columns of a query rule's result.
var queryFields = []string{"@timestamp", "eventID", "eventName", "eventSource", "awsRegion", "userIdentity.arn", "sourceIPAddress"}

// Render translates a rule. Constructs the target cannot express are
// diagnostics (code "untranslatable") naming the rule, the field and the
// reason; a query over MaxQueryLength is a "query-too-long" diagnostic.
func Render(rule *ir.Rule, opts Options) (*Artifacts, error) {
	q, out, diags := renderQuery(rule, opts)
	if diags.HasErrors() {
		return nil, diags
	}
	art := &Artifacts{Query: q, PinnedQuery: q, Output: out}
	if !opts.At.IsZero() {
		w, err := rule.WindowAt(opts.At)
		if err != nil {
			return nil, ruleError(rule, "from", "invalid-window", err.Error(), "")
		}
		art.Window = w
		pinned := opts
		pinned.pinned = true
		if art.PinnedQuery, _, diags = renderQuery(rule, pinned); diags.HasErrors() {
			return nil, diags
		}
	}
	if err := art.build(rule, opts); err != nil {
		return nil, err
	}
	return art, nil
}

func ruleError(rule *ir.Rule, key, code, msg, hint string) diag.List {
	return diag.List{{Pos: rule.KeyPos(key), Code: code, RuleID: ruleID(rule), Key: key, Msg: msg, Hint: hint}}
}

func ruleID(r *ir.Rule) string {
	if r.ID != "" {
		return r.ID
	}
	return r.Name
}

// renderQuery builds the query text of a rule.
func renderQuery(rule *ir.Rule, opts Options) (string, Output, diag.List) {
	t := &translator{opts: opts}
	var filter cond = condTrue
	if rule.Expr != nil {
		filter = t.expr(rule.Expr)
	}
	var b strings.Builder
	var out Output
	writeFilter := func(c cond) {
		if c != condTrue {
			b.WriteString("filter ")
			b.WriteString(render(c))
			b.WriteString("\n| ")
		}
	}
	switch rule.Type {
	case ir.NewTerms, ir.Threshold:
		var fields []string
		if rule.Type == ir.NewTerms && rule.NewTerms != nil {
			fields = rule.NewTerms.Fields
		}
		if rule.Type == ir.Threshold && rule.Threshold != nil {
			fields = rule.Threshold.Fields
		}
		key := "new_terms.fields"
		if rule.Type == ir.Threshold {
			key = "threshold.field"
		}
		var computed, unnests []string
		var present, elemPresent []cond
		for i, f := range fields {
			g := t.groupField(rule.KeyPos(key), f, i)
			if g.compute != "" {
				computed = append(computed, g.compute+" as "+g.column)
			}
			if g.unnest != "" {
				unnests = append(unnests, "unnest "+g.unnest)
				elemPresent = append(elemPresent, g.present)
			} else {
				present = append(present, g.present)
			}
			out.Terms = append(out.Terms, g.column)
		}
		writeFilter(and(append([]cond{filter}, present...)...))
		if len(unnests) > 0 {
			computed = append(computed, "jsonParse(@message) as "+recordAlias)
		}
		if len(computed) > 0 {
			b.WriteString("fields ")
			b.WriteString(strings.Join(computed, ", "))
			b.WriteString("\n| ")
		}
		for _, u := range unnests {
			b.WriteString(u)
			b.WriteString("\n| ")
		}
		if len(elemPresent) > 0 {
			writeFilter(and(elemPresent...))
		}
		if rule.Type == ir.NewTerms {
			from, err := fromMillis(rule, opts)
			if err != "" {
				t.fail(rule.KeyPos("from"), "", "%s", err)
			}
			out.EventID = "eventID"
			b.WriteString("stats min(toMillis(@timestamp)) as detcFirstSeen, earliest(eventID) as eventID")
			writeBy(&b, out.Terms)
			b.WriteString("\n| filter detcFirstSeen >= " + from)
			// Kibana takes the window's new terms in term order and stops
			// at max_signals. sort takes one field, in natural order: the
			// first term approximates it (see docs/cloudwatch.md).
			if len(out.Terms) > 0 {
				b.WriteString("\n| sort " + out.Terms[0] + " asc")
			}
			fmt.Fprintf(&b, "\n| limit %d", maxSignals(rule))
		} else {
			out.Count = "detcCount"
			b.WriteString("stats count(*) as detcCount")
			var card []string
			for i, c := range rule.Threshold.Cardinality {
				g := t.groupField(rule.KeyPos("threshold.cardinality"), c.Field, i)
				if g.compute != "" || g.unnest != "" {
					t.fail(rule.KeyPos("threshold.cardinality"), c.Field, "a cardinality field must be a plain field with one value per record")
				}
				col := "detcCardinality" + strconv.Itoa(i)
				fmt.Fprintf(&b, ", count_distinct(%s) as %s", g.column, col)
				card = append(card, fmt.Sprintf(" and %s >= %d", col, c.Value))
			}
			writeBy(&b, out.Terms)
			fmt.Fprintf(&b, "\n| filter detcCount >= %d%s", max(rule.Threshold.Value, 1), strings.Join(card, ""))
			if len(out.Terms) > 0 {
				b.WriteString("\n| sort " + out.Terms[0] + " asc")
			}
			fmt.Fprintf(&b, "\n| limit %d", maxSignals(rule))
		}
	default:
		out.EventID = "eventID"
		writeFilter(filter)
		fmt.Fprintf(&b, "fields %s\n| sort @timestamp asc\n| limit %d", strings.Join(queryFields, ", "), maxSignals(rule))
	}
	var diags diag.List
	for _, e := range t.errs {
		msg := "cloudwatch: " + e.reason
		if e.field != "" {
			msg = "cloudwatch: field " + e.field + ": " + e.reason
		}
		pos := e.pos
		if !pos.IsValid() {
			pos = rule.KeyPos("query")
		}
		if pos.File == "" {
			pos.File = rule.File
		}
		diags.Add(diag.Diagnostic{Pos: pos, Code: "untranslatable", RuleID: ruleID(rule), Key: e.field, Msg: msg,
			Hint: "rewrite the query without this construct, or exclude the rule from the cloudwatch target"})
	}
	q := b.String()
	if _, bad := ir.InvalidUTF8(rule.Expr); bad && !diags.HasErrors() {
		diags = append(diags, ruleError(rule, "query", "untranslatable",
			fmt.Sprintf("cloudwatch: the query of rule %s holds bytes that are not valid UTF-8, which JSON (StartQuery, PutQueryDefinition) cannot carry unchanged", ruleID(rule)),
			"save the rule file as UTF-8")...)
	}
	if len(q) > MaxQueryLength && !diags.HasErrors() {
		diags = append(diags, ruleError(rule, "query", "query-too-long",
			fmt.Sprintf("cloudwatch: the Logs Insights query of rule %s is %d characters; the limit is %d", ruleID(rule), len(q), MaxQueryLength),
			"split the rule, or shorten long value lists")...)
	}
	return q, out, diags
}

// DefaultMaxSignals is Kibana's max_signals when a rule does not set it.
const DefaultMaxSignals = 100

// maxSignals is how many alerts one run raises at most: the query keeps
// the first rows in the order Kibana alerts (oldest event first; terms in
// term order), as far as a one-field natural sort can express it.
func maxSignals(r *ir.Rule) int {
	if r.MaxSignals > 0 {
		return r.MaxSignals
	}
	return DefaultMaxSignals
}

func writeBy(b *strings.Builder, cols []string) {
	if len(cols) > 0 {
		b.WriteString(" by ")
		b.WriteString(strings.Join(cols, ", "))
	}
}

// fromMillis renders the start of the rule's window (T - from) in epoch
// milliseconds, relative to now() for relative date math.
func fromMillis(rule *ir.Rule, opts Options) (string, string) {
	from := rule.From
	if from == "" {
		from = "now-6m"
	}
	if d, err := ir.RelativeOffset(from); err == nil && !opts.pinned {
		return fmt.Sprintf("(now() - %d) * 1000", int64(d/time.Second)), ""
	}
	if !strings.HasPrefix(from, "now") {
		t, err := ir.DateMath(from, time.Time{})
		if err == nil {
			return strconv.FormatInt(t.UnixMilli(), 10), ""
		}
	}
	if !opts.At.IsZero() {
		if t, err := ir.DateMath(from, opts.At); err == nil {
			return strconv.FormatInt(t.UnixMilli(), 10), ""
		}
	}
	return "", fmt.Sprintf("from %q has no fixed length (months, years or rounding) and no run time was given", from)
}

// recordAlias names the jsonParse(@message) result that array fields are
// unnested from.
const recordAlias = "detcRecord"

// groupBy is a new_terms or threshold field as a stats by-column.
type groupBy struct {
	column  string // the by-column name
	compute string // an expression to compute first with `fields`, if any
	// unnest, for a field read from an array of objects, is the unnest
	// command's argument ("detcRecord.resources into detcElement0"):
	// each element becomes a row, so each array value is a candidate term.
	unnest  string
	present cond // the records (or, with unnest, the elements) that hold a value
}

func (t *translator) groupField(pos diag.Pos, field string, i int) groupBy {
	m, err := cloudtrail.Resolve(field)
	if err != nil {
		t.fail(pos, field, "%s", resolveReason(err))
		return groupBy{column: "x", present: condFalse}
	}
	switch {
	case m.Kind == cloudtrail.Direct && len(m.Array) == 0 && m.EventName == "" && !(m.Flattened && len(m.Path) == 1):
		name := fieldRef(cloudtrail.PathString(m.Path))
		return groupBy{column: name, present: presentAtom(name)}
	case m.Kind == cloudtrail.Direct && len(m.Array) > 0 && m.EventName == "" && !m.Flattened:
		elem := "detcElement" + strconv.Itoa(i)
		col := elem + "." + fieldRef(cloudtrail.PathString(m.Path))
		return groupBy{column: col, unnest: recordAlias + "." + fieldRef(cloudtrail.PathString(m.Array)) + " into " + elem, present: presentAtom(col)}
	case m.Kind == cloudtrail.Derived && m.Derived == cloudtrail.Coalesce:
		var srcs []string
		var has []cond
		for _, s := range m.Sources {
			n := fieldRef(cloudtrail.PathString(s))
			srcs = append(srcs, n)
			has = append(has, presentAtom(n))
		}
		col := "detcTerm" + strconv.Itoa(i)
		return groupBy{column: col, compute: "coalesce(" + strings.Join(srcs, ", ") + ")", present: or(has...)}
	case m.Kind == cloudtrail.Derived && m.Derived == cloudtrail.IPOnly:
		n := fieldRef(cloudtrail.PathString(m.Sources[0]))
		return groupBy{column: n, present: newAtom(n, "isValidIp("+n+")")}
	}
	t.fail(pos, field, "stats can only group by a field with one value per record; this field is %s (%s)", m.Kind, describe(m))
	return groupBy{column: "x", present: condFalse}
}

func describe(m cloudtrail.Mapping) string {
	switch {
	case len(m.Array) > 0:
		return "an array of " + cloudtrail.PathString(m.Array)
	case m.Kind == cloudtrail.Derived:
		return "derived: " + m.Derived.String()
	case m.Kind == cloudtrail.Constant:
		return "the constant " + m.Constant
	case m.Flattened:
		return "the root of a flattened object"
	case m.EventName != "":
		return "only set on " + m.EventName + " records"
	}
	return "unsupported"
}
