// Package eval is detc's embedded evaluator: it compiles a rule's ir.Expr
// once into closures over pre-resolved field accessors and evaluates it on
// ECS documents or on raw CloudTrail records, then runs query, new_terms and
// threshold rules at a run time T or over a timeline of scheduled runs.
//
// Semantics are DESIGN.md's "KQL semantics" (Elasticsearch's, where the
// detection-rules Python evaluator differs). Choices the design leaves open:
//
//   - Text fields are analysed by an approximation of the standard
//     analyzer: runs of letters, digits and `_`, joined across `.` and `'`
//     between word characters, lower-cased. An unquoted value is a match
//     query (any of its tokens), a quoted one a phrase; a wildcard is
//     lower-cased and matched against each token.
//   - Free text compares every leaf of the document as a keyword (its
//     canonical text); it cannot run on raw records (Compile reports it).
//   - A term on a date field matches the instant, or the whole day for a
//     bare date; numeric fields coerce numeric strings, boolean fields
//     accept "true"/"false", IP fields only values that parse as addresses.
//   - Raw records drop null and "" values, as the integration's pipeline
//     does; ECS documents are taken as given ("" exists).
//   - Timeline replay (Program.ReplayTimeline): runs at multiples of the
//     interval since the Unix epoch, from the first at or after the first
//     event to the first at or after the last. Overlapping windows never
//     alert twice: an event alerts once per query rule, a (term, event)
//     pair once per new_terms rule, and a threshold group counts only
//     events newer than its previous alert (Kibana's signal history).
//     max_signals caps each run; leftovers alert later if still in a window.
//   - A query comparing dates with now is re-evaluated at every run time;
//     Program.Candidate pre-selects events with a run-time-free upper bound.
package eval

import (
	"fmt"
	"sync"
	"time"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/jsondoc"
)

// Form says what kind of document a Matcher reads.
type Form uint8

const (
	// ECS documents: JSON objects as Elasticsearch indexes them, with
	// nested objects or dotted keys ({"event": {"action": "x"}} and
	// {"event.action": "x"} are the same field, as in Elasticsearch).
	ECS Form = iota
	// RawCloudTrail records: each ECS field is read from the raw record
	// through the aws.cloudtrail source profile (see profile.go), so no ECS
	// document is built on the hot path.
	RawCloudTrail
)

// String names the form for messages.
func (f Form) String() string {
	if f == RawCloudTrail {
		return "raw CloudTrail"
	}
	return "ECS"
}

type config struct {
	form  Form
	now   time.Time
	relax bool
	plain bool
	// lookups, when set, memoizes the raw key paths of one record.
	lookups *Lookups
}

// Option configures Compile and the rule executions.
type Option func(*config)

// WithForm selects the document form the matcher reads (ECS by default).
func WithForm(f Form) Option { return func(c *config) { c.form = f } }

// WithNow sets the time that date math in range values (`@timestamp >=
// now-1h`) is relative to. Alerts and Replay set it to each run time.
func WithNow(t time.Time) Option { return func(c *config) { c.now = t } }

// Plain compiles every operand on its own, without the planner's fusions
// (terms or-ed on one field read once, keyword terms on a plain raw path
// walked directly). It is slower: it is the reference the fused plan is
// tested against.
func Plain() Option { return func(c *config) { c.plain = true } }

func newConfig(opts []Option) config {
	c := config{now: time.Now()}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Matcher is a compiled expression. It is safe for concurrent use (a
// parsed jsondoc.Value is read-only), except when compiled WithLookups,
// whose memo belongs to one goroutine.
type Matcher struct {
	form Form
	eval predicate
	// timeDependent is set when a range value uses date math relative to
	// "now": the matcher must then be compiled again for each run time.
	timeDependent bool
}

// predicate is a compiled boolean expression over one document.
type predicate func(doc *jsondoc.Value) bool

// Compile plans e for evaluation: field names are resolved to accessors,
// values are converted to the field's type, wildcards become piecewise
// prefix/suffix/contains checks.
func Compile(e ir.Expr, opts ...Option) (*Matcher, error) {
	c := newConfig(opts)
	cp := compiler{cfg: c, res: resolverFor(c), relax: c.relax}
	p, err := cp.compile(e)
	if err != nil {
		return nil, err
	}
	return &Matcher{form: c.form, eval: p, timeDependent: cp.timeDependent}, nil
}

// Form reports the document form the matcher reads.
func (m *Matcher) Form() Form { return m.form }

// TimeDependent reports whether the expression holds a range with relative
// date math, whose meaning changes with the run time.
func (m *Matcher) TimeDependent() bool { return m.timeDependent }

// Match reports whether the document satisfies the expression. doc must be
// a JSON object of the matcher's form.
func (m *Matcher) Match(doc *jsondoc.Value) bool {
	if doc == nil || doc.Type() != jsondoc.TypeObject {
		return false
	}
	return m.eval(doc)
}

var parserPool = sync.Pool{New: func() any { return new(jsondoc.Parser) }}

// MatchJSON parses one JSON document and matches it. It is a convenience
// for tests and the CLI; hot loops should parse with their own
// jsondoc.Parser and call Match.
func (m *Matcher) MatchJSON(doc []byte) (bool, error) {
	p := parserPool.Get().(*jsondoc.Parser)
	defer parserPool.Put(p)
	v, err := p.ParseBytes(doc)
	if err != nil {
		return false, fmt.Errorf("document: %w", err)
	}
	if v.Type() != jsondoc.TypeObject {
		return false, fmt.Errorf("document is a JSON %s, not an object", v.Type())
	}
	return m.eval(v), nil
}

// constString makes an immutable JSON string value for constants of the
// source profile (event.dataset) and derived values (event.outcome).
func constString(s string) *jsondoc.Value { return jsondoc.NewString(s) }
