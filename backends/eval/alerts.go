package eval

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/jsondoc"
	"github.com/detc/detc/source/cloudtrail"
)

// Event is one event of a timeline: its time (CloudTrail's eventTime, ECS
// @timestamp), its id (eventID) and its document, of the form the rule's
// matcher reads.
type Event struct {
	Time time.Time
	ID   string
	Doc  *jsondoc.Value
}

// Program is a rule compiled for execution: its matcher and the accessors
// of its new_terms or threshold fields.
type Program struct {
	Rule    *ir.Rule
	cfg     config
	matcher *Matcher
	// relaxed, for a query that compares dates with now, is an upper
	// bound of it that does not depend on the run time: events it
	// rejects can never match (see Candidate).
	relaxed  *Matcher
	terms    []accessor // new_terms fields, or threshold group-by fields
	cards    []accessor // threshold cardinality fields
	interval time.Duration
	max      int
}

// DefaultMaxSignals is Kibana's max_signals when a rule does not set it.
const DefaultMaxSignals = 100

// NewProgram compiles a rule. The options select the document form and,
// for rules whose query holds relative date math, the run time.
func NewProgram(rule *ir.Rule, opts ...Option) (*Program, error) {
	c := newConfig(opts)
	m, err := Compile(rule.Expr, opts...)
	if err != nil {
		return nil, err
	}
	p := &Program{Rule: rule, cfg: c, matcher: m, max: rule.MaxSignals}
	if m.TimeDependent() {
		rc := c
		rc.relax = true
		cp := compiler{cfg: rc, res: resolverFor(c), relax: true}
		pred, err := cp.compile(rule.Expr)
		if err != nil {
			return nil, err
		}
		p.relaxed = &Matcher{form: c.form, eval: pred}
	}
	if p.max <= 0 {
		p.max = DefaultMaxSignals
	}
	iv := rule.Interval
	if iv == "" {
		iv = "5m"
	}
	if p.interval, err = ir.ParseInterval(iv); err != nil {
		return nil, err
	}
	res := resolverFor(c)
	var fields []string
	switch rule.Type {
	case ir.NewTerms:
		if rule.NewTerms == nil || len(rule.NewTerms.Fields) == 0 {
			return nil, fmt.Errorf("rule %s: new_terms rule without new_terms.fields", rule.ID)
		}
		fields = rule.NewTerms.Fields
	case ir.Threshold:
		if rule.Threshold == nil {
			return nil, fmt.Errorf("rule %s: threshold rule without threshold", rule.ID)
		}
		fields = rule.Threshold.Fields
		for _, cd := range rule.Threshold.Cardinality {
			acc, _, _, err := res.field(cd.Field)
			if err != nil {
				return nil, fmt.Errorf("threshold.cardinality: %w", err)
			}
			p.cards = append(p.cards, acc)
		}
	case ir.Query, "":
	default:
		return nil, fmt.Errorf("rule %s: type %q is not query, new_terms or threshold", rule.ID, rule.Type)
	}
	for _, f := range fields {
		acc, _, _, err := res.field(f)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", rule.ID, err)
		}
		p.terms = append(p.terms, acc)
	}
	return p, nil
}

// Matcher returns the rule's compiled query.
func (p *Program) Matcher() *Matcher { return p.matcher }

// TimeDependent reports whether the rule's query compares dates with now,
// so that whether an event matches depends on the run time.
func (p *Program) TimeDependent() bool { return p.relaxed != nil }

// Interval is how often the rule runs.
func (p *Program) Interval() time.Duration { return p.interval }

// Hit is an event that matched a rule's query, reduced to what executions
// need: its time, its position in the timeline, its id, and for new_terms
// and threshold rules its candidate term tuples.
type Hit struct {
	Time time.Time
	// Seq orders events of equal time (their position in the input).
	Seq int
	ID  string
	// Terms are the tuples of new_terms (or threshold group) values the
	// event carries: one per combination of the fields' values.
	Terms [][]string
	// Cards are the values of each threshold cardinality field.
	Cards [][]string
	// Raw is the record, in the program's document form, for rules whose
	// query depends on the run time (see Program.Candidate).
	Raw []byte
	// Covered marks a new_terms hit a Coverage reported covered: it
	// counts as history but is never looked at as a new term's first
	// event (it cannot be one; see CoverSpan).
	Covered bool
}

// Hit matches doc against the rule and extracts its terms. ok is false
// when the event does not match, or lacks a term field of a new_terms or
// threshold rule (Elastic ignores such documents).
func (p *Program) Hit(doc *jsondoc.Value) (terms, cards [][]string, ok bool) {
	if !p.matcher.Match(doc) {
		return nil, nil, false
	}
	return p.termsOf(doc)
}

// Candidate is Hit for a timeline: for a rule whose query depends on the
// run time it tests the run-time-free upper bound of the query, and the
// caller keeps the record in Hit.Raw so that each run can test the exact
// query at its own time.
func (p *Program) Candidate(doc *jsondoc.Value) (terms, cards [][]string, ok bool) {
	m := p.matcher
	if p.relaxed != nil {
		m = p.relaxed
	}
	if !m.Match(doc) {
		return nil, nil, false
	}
	return p.termsOf(doc)
}

func (p *Program) termsOf(doc *jsondoc.Value) (terms, cards [][]string, ok bool) {
	if len(p.terms) == 0 {
		if p.Rule.Type == ir.Threshold {
			terms = [][]string{{}}
		}
		return terms, valuesOf(doc, p.cards), true
	}
	lists := valuesOf(doc, p.terms)
	for _, l := range lists {
		if len(l) == 0 {
			return nil, nil, false
		}
	}
	return product(lists), valuesOf(doc, p.cards), true
}

// valuesOf returns the distinct scalar values of each accessor, as
// canonical text. The lists share one backing array, and the strings one
// allocation.
func valuesOf(doc *jsondoc.Value, accs []accessor) [][]string {
	if len(accs) == 0 {
		return nil
	}
	c := collectors.Get().(*valueCollector)
	c.buf, c.ends, c.bounds = c.buf[:0], c.ends[:0], c.bounds[:0]
	for _, acc := range accs {
		c.from = len(c.ends)
		c.bounds = append(c.bounds, c.from)
		acc(doc, c.visit)
	}
	text := string(c.buf)
	all := make([]string, len(c.ends))
	start := 0
	for i, end := range c.ends {
		all[i] = text[start:end]
		start = end
	}
	out := make([][]string, len(accs))
	for i, lo := range c.bounds {
		hi := len(all)
		if i+1 < len(c.bounds) {
			hi = c.bounds[i+1]
		}
		out[i] = all[lo:hi:hi]
	}
	collectors.Put(c)
	return out
}

// valueCollector gathers valuesOf's values as bytes: value i is
// buf[ends[i-1]:ends[i]], the current accessor's values start at from, and
// bounds holds where each accessor's values start.
type valueCollector struct {
	buf          []byte
	ends, bounds []int
	from         int
	// visit is add, bound once.
	visit visitor
}

var collectors = sync.Pool{New: func() any {
	c := &valueCollector{}
	c.visit = c.add
	return c
}}

// add appends v's canonical text unless the current accessor already has
// it.
func (c *valueCollector) add(v *jsondoc.Value) bool {
	b, ok := canonicalText(v)
	if !ok {
		return false
	}
	start := 0
	if c.from > 0 {
		start = c.ends[c.from-1]
	}
	for _, end := range c.ends[c.from:] {
		if b2s(c.buf[start:end]) == b2s(b) {
			return false
		}
		start = end
	}
	c.buf = append(c.buf, b...)
	c.ends = append(c.ends, len(c.buf))
	return false
}

// product returns every tuple taking one value of each list.
func product(lists [][]string) [][]string {
	if len(lists) == 1 { // the common case: one field, tuples of one value
		l := lists[0]
		out := make([][]string, len(l))
		for i := range l {
			out[i] = l[i : i+1 : i+1]
		}
		return out
	}
	single := true
	for _, l := range lists {
		single = single && len(l) == 1
	}
	if single { // the next commonest: one value per field, one tuple
		tuple := make([]string, len(lists))
		for i, l := range lists {
			tuple[i] = l[0]
		}
		return [][]string{tuple}
	}
	out := [][]string{{}}
	for _, l := range lists {
		next := make([][]string, 0, len(out)*len(l))
		for _, prefix := range out {
			for _, v := range l {
				next = append(next, append(slices.Clip(prefix), v))
			}
		}
		out = next
	}
	return out
}

// RunAlert is an alert raised by one scheduled execution.
type RunAlert struct {
	// At is the run time of the execution.
	At    time.Time
	Alert ir.Alert
	// Hit is the index in the hits of the alerting event (for threshold,
	// the group's first event).
	Hit int
}

// Schedule returns the run times of a rule over events spanning
// [first, last]: multiples of the interval since the Unix epoch, from the
// first one at or after first to the first one at or after last, so that
// every event is at most one interval before a run.
func Schedule(interval time.Duration, first, last time.Time) []time.Time {
	if interval <= 0 || last.Before(first) {
		return nil
	}
	start := ceilTime(first, interval)
	end := ceilTime(last, interval)
	var runs []time.Time
	for t := start; !t.After(end); t = t.Add(interval) {
		runs = append(runs, t)
	}
	return runs
}

func ceilTime(t time.Time, d time.Duration) time.Time {
	r := t.Truncate(d)
	if r.Before(t) {
		r = r.Add(d)
	}
	return r.UTC()
}

// Replay runs the rule at each run time, in order, over hits sorted by
// (Time, Seq), and returns the alerts of every run. Like Elastic, it never
// alerts twice on the same thing when windows overlap (from longer than
// interval):
//   - query: an event alerted by one run is not alerted by later runs;
//   - new_terms: a term is new at run T when no matching event in
//     [history_window_start, T-from) carries it; (term, event) pairs
//     already alerted are not alerted again;
//   - threshold: after a group alerts, later runs count only its events
//     newer than the newest event of that alert (Kibana's threshold
//     signal history).
//
// max_signals caps the alerts of each run; events left over by the cap
// can alert in a later run whose window still holds them.
func (p *Program) Replay(hits []Hit, runs []time.Time) ([]RunAlert, error) {
	r := replay{p: p, hits: hits}
	for _, at := range runs {
		if _, err := r.run(at); err != nil {
			return nil, err
		}
	}
	return r.out, nil
}

// ReplayTimeline replays the rule's schedule over hits spanning events
// from first to last: a run at every multiple of the interval since the
// Unix epoch (see Schedule), with the semantics of Replay. Runs whose
// window holds no hit are skipped without being computed, so a timeline
// of years costs what its hits cost.
func (p *Program) ReplayTimeline(hits []Hit, first, last time.Time) ([]RunAlert, error) {
	if len(hits) == 0 || last.Before(first) {
		return nil, nil
	}
	r := replay{p: p, hits: hits}
	end := ceilTime(last, p.interval)
	for at := ceilTime(first, p.interval); !at.After(end); {
		lo, err := r.run(at)
		if err != nil {
			return nil, err
		}
		if lo >= len(hits) {
			break
		}
		next := at.Add(p.interval)
		if t := ceilTime(hits[lo].Time, p.interval); hits[lo].Time.After(at) && t.After(next) {
			// No hit between this run and hits[lo]: jump to the first
			// run that can see it.
			next = t
		}
		at = next
	}
	return r.out, nil
}

// exactAt returns, for a rule whose query depends on the run time, a test
// of each hit against the query compiled for run time at; nil otherwise.
// Hits without Raw were matched at the program's own time and are kept.
func (r *replay) exactAt(at time.Time) (func(i int) bool, error) {
	if r.p.relaxed == nil {
		return nil, nil
	}
	m, err := Compile(r.p.Rule.Expr, WithForm(r.p.cfg.form), WithNow(at))
	if err != nil {
		return nil, err
	}
	var parser jsondoc.Parser
	memo := map[int]bool{}
	return func(i int) bool {
		raw := r.hits[i].Raw
		if raw == nil {
			return true
		}
		if v, ok := memo[i]; ok {
			return v
		}
		doc, err := parser.ParseBytes(raw)
		ok := err == nil && m.Match(doc)
		memo[i] = ok
		return ok
	}, nil
}

// run executes the rule at one run time and returns the index of the
// first hit at or after the window's start.
func (r *replay) run(at time.Time) (int, error) {
	p, hits := r.p, r.hits
	w, err := p.Rule.WindowAt(at)
	if err != nil {
		return 0, fmt.Errorf("rule %s: %w", p.Rule.ID, err)
	}
	lo := sort.Search(len(hits), func(i int) bool { return !hits[i].Time.Before(w.Start) })
	hi := sort.Search(len(hits), func(i int) bool { return hits[i].Time.After(w.End) })
	if lo >= hi {
		return lo, nil
	}
	if r.keep, err = r.exactAt(at); err != nil {
		return 0, fmt.Errorf("rule %s: %w", p.Rule.ID, err)
	}
	switch p.Rule.Type {
	case ir.NewTerms:
		r.out = r.newTerms(r.out, at, w, lo, hi)
	case ir.Threshold:
		r.out = r.threshold(r.out, at, lo, hi)
	default:
		r.out = r.query(r.out, at, lo, hi)
	}
	return lo, nil
}

// replay is the state carried from one run to the next.
type replay struct {
	p    *Program
	hits []Hit
	out  []RunAlert
	// keep, for a rule whose query depends on the run time, tells which
	// hits match the query at the current run; nil keeps every hit.
	keep func(i int) bool

	alerted map[int]bool // query: events already alerted

	lastSeen  map[string]time.Time // new_terms: newest history time of each term
	histNext  int                  // new_terms: hits before this index are in lastSeen
	ntAlerted map[string]bool      // new_terms: term+event pairs already alerted

	lastSignal map[string]time.Time // threshold: newest event of each group's last alert

	// termKeys[i] holds the keys of hits[i].Terms, made on first use:
	// overlapping windows read a hit several times.
	termKeys [][]string
}

// keysOf returns the term keys of hit i (see termKey).
func (r *replay) keysOf(i int) []string {
	if r.termKeys == nil {
		r.termKeys = make([][]string, len(r.hits))
	}
	ks := r.termKeys[i]
	if ks == nil {
		ks = make([]string, len(r.hits[i].Terms))
		for j, t := range r.hits[i].Terms {
			ks[j] = termKey(t)
		}
		r.termKeys[i] = ks
	}
	return ks
}

func (r *replay) query(out []RunAlert, at time.Time, lo, hi int) []RunAlert {
	if r.alerted == nil {
		r.alerted = map[int]bool{}
	}
	n := 0
	for i := lo; i < hi && n < r.p.max; i++ {
		if r.alerted[i] || (r.keep != nil && !r.keep(i)) {
			continue
		}
		r.alerted[i] = true
		n++
		out = append(out, RunAlert{At: at, Hit: i, Alert: ir.Alert{RuleID: r.p.Rule.ID, EventID: r.hits[i].ID}})
	}
	return out
}

// termKey identifies a tuple of term values: no two tuples share one.
func termKey(t []string) string { return string(appendTermKey(nil, t)) }

// appendTermKey appends t's key to dst: each value length-prefixed, so
// that ("a\x00b", "c") and ("a", "b\x00c") differ.
func appendTermKey(dst []byte, t []string) []byte {
	for _, v := range t {
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		dst = append(dst, v...)
	}
	return dst
}

func (r *replay) newTerms(out []RunAlert, at time.Time, w ir.Window, lo, hi int) []RunAlert {
	if r.lastSeen == nil {
		r.lastSeen, r.ntAlerted = map[string]time.Time{}, map[string]bool{}
	}
	if r.keep != nil {
		// Whether a history event matches depends on this run's time:
		// rebuild the history from its start.
		clear(r.lastSeen)
		h0 := sort.Search(len(r.hits), func(i int) bool { return !r.hits[i].Time.Before(w.HistoryStart) })
		for i := h0; i < lo; i++ {
			if r.keep(i) {
				for _, k := range r.keysOf(i) {
					r.lastSeen[k] = r.hits[i].Time
				}
			}
		}
	} else {
		for ; r.histNext < len(r.hits) && r.hits[r.histNext].Time.Before(w.Start); r.histNext++ {
			for _, k := range r.keysOf(r.histNext) {
				r.lastSeen[k] = r.hits[r.histNext].Time
			}
		}
	}
	// The first event of each term in the window, in event order.
	type candidate struct {
		terms []string
		hit   int
	}
	seen := map[string]bool{}
	var cands []candidate
	for i := lo; i < hi; i++ {
		h := &r.hits[i]
		if h.Covered || (r.keep != nil && !r.keep(i)) {
			// A covered hit's terms are either in the history or first
			// carried by an earlier hit of the window (see CoverSpan):
			// skipping it changes no run's candidates.
			continue
		}
		for j, k := range r.keysOf(i) {
			if seen[k] {
				continue
			}
			seen[k] = true
			if last, ok := r.lastSeen[k]; ok && !last.Before(w.HistoryStart) {
				continue
			}
			cands = append(cands, candidate{terms: h.Terms[j], hit: i})
		}
	}
	// Kibana reads the window's terms with a composite aggregation, in
	// term order, and stops at max_signals alerts: so do we.
	slices.SortStableFunc(cands, func(a, b candidate) int { return slices.Compare(a.terms, b.terms) })
	n := 0
	for _, c := range cands {
		if n >= r.p.max {
			break
		}
		h := &r.hits[c.hit]
		ak := termKey(c.terms) + "\x01" + h.ID + "\x01" + fmt.Sprint(h.Seq)
		if r.ntAlerted[ak] {
			continue
		}
		r.ntAlerted[ak] = true
		out = append(out, RunAlert{At: at, Hit: c.hit, Alert: ir.Alert{RuleID: r.p.Rule.ID, EventID: h.ID, Terms: slices.Clone(c.terms)}})
		n++
	}
	return out
}

type group struct {
	terms  []string
	count  int
	first  int
	newest time.Time
	cards  []map[string]bool
}

func (r *replay) threshold(out []RunAlert, at time.Time, lo, hi int) []RunAlert {
	if r.lastSignal == nil {
		r.lastSignal = map[string]time.Time{}
	}
	spec := r.p.Rule.Threshold
	groups := map[string]*group{}
	for i := lo; i < hi; i++ {
		h := &r.hits[i]
		if r.keep != nil && !r.keep(i) {
			continue
		}
		for j, k := range r.keysOf(i) {
			t := h.Terms[j]
			if last, ok := r.lastSignal[k]; ok && !h.Time.After(last) {
				continue
			}
			g := groups[k]
			if g == nil {
				g = &group{terms: t, first: i, cards: make([]map[string]bool, len(spec.Cardinality))}
				for j := range g.cards {
					g.cards[j] = map[string]bool{}
				}
				groups[k] = g
			}
			g.count++
			g.newest = h.Time
			for j := range g.cards {
				if j < len(h.Cards) {
					for _, v := range h.Cards[j] {
						g.cards[j][v] = true
					}
				}
			}
		}
	}
	// Kibana reads the groups in term order (not in the order of their
	// keys, whose encoding is length-prefixed).
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return slices.Compare(groups[a].terms, groups[b].terms) })
	n := 0
	for _, k := range keys {
		if n >= r.p.max {
			break
		}
		g := groups[k]
		if g.count < spec.Value {
			continue
		}
		ok := true
		for j, cd := range spec.Cardinality {
			if len(g.cards[j]) < cd.Value {
				ok = false
			}
		}
		if !ok {
			continue
		}
		r.lastSignal[k] = g.newest
		n++
		out = append(out, RunAlert{At: at, Hit: g.first, Alert: ir.Alert{RuleID: r.p.Rule.ID, Terms: slices.Clone(g.terms), Count: g.count}})
	}
	return out
}

// Alerts runs rule once at run time at over events, as Elastic's
// detection engine would: query rules alert on each matching event in
// [at-from, at] (at most max_signals), new_terms rules on each term of a
// matching event in that window that no matching event carried in
// [history_window_start, at-from), threshold rules on each group of
// matching events in the window that reaches the threshold. Events are
// ECS documents unless WithForm(RawCloudTrail) is given.
func Alerts(rule *ir.Rule, events []Event, at time.Time, opts ...Option) ([]ir.Alert, error) {
	p, err := NewProgram(rule, append(slices.Clone(opts), WithNow(at))...)
	if err != nil {
		return nil, err
	}
	hits := HitsOf(p, events)
	runs, err := p.Replay(hits, []time.Time{at})
	if err != nil {
		return nil, err
	}
	alerts := make([]ir.Alert, len(runs))
	for i, ra := range runs {
		alerts[i] = ra.Alert
	}
	return alerts, nil
}

// HitsOf matches events (in any order) against the program and returns
// the hits sorted by time, ties kept in input order.
func HitsOf(p *Program, events []Event) []Hit {
	var hits []Hit
	for i, ev := range events {
		terms, cards, ok := p.Hit(ev.Doc)
		if !ok {
			continue
		}
		hits = append(hits, Hit{Time: ev.Time, Seq: i, ID: ev.ID, Terms: terms, Cards: cards})
	}
	SortHits(hits)
	return hits
}

// SortHits orders hits by time, then by Seq.
func SortHits(hits []Hit) {
	slices.SortStableFunc(hits, func(a, b Hit) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return a.Seq - b.Seq
	})
}

// ECSDocument converts a raw CloudTrail record into the ECS document the
// source profile derives (cloudtrail.ToECS), parsed for the evaluator.
func ECSDocument(raw []byte) (*jsondoc.Value, error) {
	doc, err := cloudtrail.ToECS(raw)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var p jsondoc.Parser
	return p.ParseBytes(b)
}

// RawDocument parses a raw CloudTrail record for the evaluator. The
// document refers to raw, which must not change while it is in use.
func RawDocument(raw []byte) (*jsondoc.Value, error) {
	var p jsondoc.Parser
	v, err := p.ParseBytes(raw)
	if err != nil {
		return nil, err
	}
	if v.Type() != jsondoc.TypeObject {
		return nil, fmt.Errorf("a CloudTrail record must be a JSON object, not %s", v.Type())
	}
	return v, nil
}
