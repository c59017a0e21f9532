package eval

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/jsondoc"
)

var t0 = time.Date(2025, 3, 13, 12, 0, 0, 0, time.UTC)

// ecsEvent makes an ECS event at t0+offset with the given fields.
func ecsEvent(t *testing.T, id string, offset time.Duration, fields string) Event {
	t.Helper()
	var p jsondoc.Parser
	doc, err := p.Parse(fmt.Sprintf(`{"event": {"id": %q}, %s}`, id, fields))
	if err != nil {
		t.Fatal(err)
	}
	return Event{Time: t0.Add(offset), ID: id, Doc: doc}
}

func replayIDs(t *testing.T, rule *ir.Rule, events []Event, runs []time.Time) []string {
	t.Helper()
	p, err := NewProgram(rule)
	if err != nil {
		t.Fatal(err)
	}
	ras, err := p.Replay(HitsOf(p, events), runs)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ra := range ras {
		s := ra.At.Format("15:04") + ":" + ra.Alert.EventID
		if len(ra.Alert.Terms) > 0 {
			s += fmt.Sprint(ra.Alert.Terms)
		}
		if ra.Alert.Count > 0 {
			s += fmt.Sprintf("#%d", ra.Alert.Count)
		}
		out = append(out, s)
	}
	return out
}

func TestSchedule(t *testing.T) {
	runs := Schedule(5*time.Minute, t0.Add(time.Second), t0.Add(11*time.Minute))
	want := []time.Time{t0.Add(5 * time.Minute), t0.Add(10 * time.Minute), t0.Add(15 * time.Minute)}
	if !slices.EqualFunc(runs, want, time.Time.Equal) {
		t.Errorf("Schedule = %v, want %v", runs, want)
	}
	if runs := Schedule(5*time.Minute, t0, t0); len(runs) != 1 || !runs[0].Equal(t0) {
		t.Errorf("Schedule on a boundary = %v, want [%v]", runs, t0)
	}
}

// TestReplayQueryDedup: with from = now-10m and interval = 5m every event
// lies in two windows but alerts once, in the first run that sees it.
func TestReplayQueryDedup(t *testing.T) {
	rule := &ir.Rule{ID: "q", Type: ir.Query, From: "now-10m", Interval: "5m", Expr: kql(t, `event.action: X`, nil)}
	events := []Event{
		ecsEvent(t, "e3", 7*time.Minute, `"event.action": "X"`),
		ecsEvent(t, "e1", 1*time.Minute, `"event.action": "X"`),
		ecsEvent(t, "e2", 2*time.Minute, `"event.action": "Y"`),
		ecsEvent(t, "e4", 9*time.Minute, `"event.action": "X"`),
	}
	runs := Schedule(5*time.Minute, t0, t0.Add(20*time.Minute))
	got := replayIDs(t, rule, events, runs)
	want := []string{"12:05:e1", "12:10:e3", "12:10:e4"}
	if !slices.Equal(got, want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
}

// TestReplayMaxSignals: a run alerts at most max_signals events, the
// earliest; the rest alert in the next run if its window still holds them,
// and are lost otherwise (as in Elastic).
func TestReplayMaxSignals(t *testing.T) {
	rule := &ir.Rule{ID: "q", Type: ir.Query, From: "now-10m", Interval: "5m", MaxSignals: 2, Expr: kql(t, `event.action: X`, nil)}
	var events []Event
	for i := range 5 {
		events = append(events, ecsEvent(t, fmt.Sprintf("e%d", i), time.Duration(i+1)*time.Minute, `"event.action": "X"`))
	}
	runs := []time.Time{t0.Add(5 * time.Minute), t0.Add(10 * time.Minute), t0.Add(15 * time.Minute)}
	got := replayIDs(t, rule, events, runs)
	// run 12:05 sees e0..e3 and takes e0, e1; run 12:10 sees e0..e4 and
	// takes e2, e3; run 12:15 sees [12:05, 12:15]: e4.
	want := []string{"12:05:e0", "12:05:e1", "12:10:e2", "12:10:e3", "12:15:e4"}
	if !slices.Equal(got, want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
}

// TestReplayNewTerms: a term alerts once, for its first event; once that
// event is in the history of later runs the term is no longer new; a term
// unseen for longer than the history window is new again.
func TestReplayNewTerms(t *testing.T) {
	rule := &ir.Rule{ID: "nt", Type: ir.NewTerms, From: "now-10m", Interval: "5m", Expr: kql(t, `event.action: X`, nil),
		NewTerms: &ir.NewTermsSpec{Fields: []string{"user.name", "cloud.region"}, HistoryWindowStart: "now-1h"}}
	events := []Event{
		ecsEvent(t, "a1", 1*time.Minute, `"event.action": "X", "user.name": "alice", "cloud.region": "r1"`),
		ecsEvent(t, "a2", 3*time.Minute, `"event.action": "X", "user.name": "alice", "cloud.region": "r1"`),
		ecsEvent(t, "b1", 4*time.Minute, `"event.action": "X", "user.name": ["bob", "carol"], "cloud.region": "r1"`),
		ecsEvent(t, "n1", 4*time.Minute, `"event.action": "X", "user.name": "nobody"`),
		ecsEvent(t, "a3", 12*time.Minute, `"event.action": "X", "user.name": "alice", "cloud.region": "r1"`),
		ecsEvent(t, "a4", 95*time.Minute, `"event.action": "X", "user.name": "alice", "cloud.region": "r1"`),
		ecsEvent(t, "a5", 96*time.Minute, `"event.action": "Y", "user.name": "alice", "cloud.region": "r2"`),
	}
	runs := Schedule(5*time.Minute, t0, t0.Add(100*time.Minute))
	got := replayIDs(t, rule, events, runs)
	want := []string{"12:05:a1[alice r1]", "12:05:b1[bob r1]", "12:05:b1[carol r1]", "13:35:a4[alice r1]"}
	if !slices.Equal(got, want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
}

// TestReplayThreshold: groups reaching the value alert once; later runs
// count only events newer than the last alert of the group.
func TestReplayThreshold(t *testing.T) {
	rule := &ir.Rule{ID: "th", Type: ir.Threshold, From: "now-10m", Interval: "5m", Expr: kql(t, `event.action: X`, nil),
		Threshold: &ir.ThresholdSpec{Fields: []string{"user.name"}, Value: 2,
			Cardinality: []ir.Cardinality{{Field: "cloud.region", Value: 2}}}}
	events := []Event{
		ecsEvent(t, "1", 1*time.Minute, `"event.action": "X", "user.name": "alice", "cloud.region": "r1"`),
		ecsEvent(t, "2", 2*time.Minute, `"event.action": "X", "user.name": "alice", "cloud.region": "r2"`),
		ecsEvent(t, "3", 3*time.Minute, `"event.action": "X", "user.name": "bob", "cloud.region": "r1"`),
		ecsEvent(t, "4", 4*time.Minute, `"event.action": "X", "user.name": "bob", "cloud.region": "r1"`),
		ecsEvent(t, "5", 6*time.Minute, `"event.action": "X", "user.name": "alice", "cloud.region": "r3"`),
		ecsEvent(t, "6", 7*time.Minute, `"event.action": "X", "user.name": "alice", "cloud.region": "r4"`),
	}
	runs := Schedule(5*time.Minute, t0, t0.Add(10*time.Minute))
	got := replayIDs(t, rule, events, runs)
	// bob: 2 events but one region. alice: 2 regions at 12:05; at 12:10
	// only her events after 12:02 count (5, 6: 2 events, 2 regions).
	want := []string{"12:05:[alice]#2", "12:10:[alice]#2"}
	if !slices.Equal(got, want) {
		t.Errorf("alerts %v, want %v", got, want)
	}

	// Without fields, one group of every matching event.
	rule.Threshold = &ir.ThresholdSpec{Value: 6}
	alerts, err := Alerts(rule, events, t0.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].Count != 6 || len(alerts[0].Terms) != 0 {
		t.Errorf("threshold without fields: %v, want one alert of 6", alerts)
	}
}

// TestAlertsWindow: one execution sees [T-from, T], bounds included.
func TestAlertsWindow(t *testing.T) {
	rule := &ir.Rule{ID: "q", Type: ir.Query, From: "now-6m", Expr: kql(t, `event.action: X`, nil)}
	events := []Event{
		ecsEvent(t, "before", -1*time.Second, `"event.action": "X"`),
		ecsEvent(t, "start", 0, `"event.action": "X"`),
		ecsEvent(t, "end", 6*time.Minute, `"event.action": "X"`),
		ecsEvent(t, "after", 6*time.Minute+time.Second, `"event.action": "X"`),
	}
	alerts, err := Alerts(rule, events, t0.Add(6*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range alerts {
		ids = append(ids, a.EventID)
	}
	if !slices.Equal(ids, []string{"start", "end"}) {
		t.Errorf("alerts on %v, want [start end]", ids)
	}
}

// TestReplayTimelineSkipsOnlyEmptyRuns: ReplayTimeline, which jumps over
// runs without hits, gives exactly what Replay gives over every run of
// Schedule, for each rule type, on sparse and dense events.
func TestReplayTimelineSkipsOnlyEmptyRuns(t *testing.T) {
	var events []Event
	offsets := []time.Duration{0, 30 * time.Second, 3 * time.Minute, 4 * time.Minute, 47 * time.Minute, 3 * time.Hour, 3*time.Hour + 2*time.Minute, 26 * time.Hour}
	for i, off := range offsets {
		user := []string{"alice", "bob"}[i%2]
		events = append(events, ecsEvent(t, fmt.Sprintf("e%d", i), off, fmt.Sprintf(`"event.action": "X", "user.name": %q, "cloud.region": "r%d"`, user, i%3)))
	}
	expr := kql(t, `event.action: X`, nil)
	for _, rule := range []*ir.Rule{
		{ID: "q", Type: ir.Query, From: "now-7m", Interval: "5m", MaxSignals: 1, Expr: expr},
		{ID: "q2", Type: ir.Query, From: "now-2m", Interval: "5m", Expr: expr},
		{ID: "nt", Type: ir.NewTerms, From: "now-6m", Interval: "5m", Expr: expr,
			NewTerms: &ir.NewTermsSpec{Fields: []string{"user.name"}, HistoryWindowStart: "now-2h"}},
		{ID: "th", Type: ir.Threshold, From: "now-10m", Interval: "5m", Expr: expr,
			Threshold: &ir.ThresholdSpec{Fields: []string{"user.name"}, Value: 1}},
	} {
		p, err := NewProgram(rule)
		if err != nil {
			t.Fatal(err)
		}
		hits := HitsOf(p, events)
		first, last := hits[0].Time, hits[len(hits)-1].Time
		all, err := p.Replay(hits, Schedule(p.Interval(), first, last))
		if err != nil {
			t.Fatal(err)
		}
		skipping, err := p.ReplayTimeline(hits, first, last)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) == 0 || fmt.Sprint(all) != fmt.Sprint(skipping) {
			t.Errorf("rule %s: every run gives %v, skipping runs gives %v", rule.ID, all, skipping)
		}
	}
}

// TestReplayRunTimeQuery: a query comparing a date with now is decided
// at each run's own time. Candidate keeps events that may match at some
// run (and drops those that cannot), and each run re-tests the exact query.
func TestReplayRunTimeQuery(t *testing.T) {
	rule := &ir.Rule{ID: "rt", Type: ir.Query, From: "now-10m", Interval: "5m",
		Expr: kql(t, `event.action: X and aws.cloudtrail.user_identity.session_context.creation_date < now-12h`, nil)}
	mk := func(id string, offset time.Duration, action string, created time.Time) (Event, []byte) {
		raw := fmt.Sprintf(`{"event": {"id": %q, "action": %q}, "aws.cloudtrail.user_identity.session_context.creation_date": %q}`,
			id, action, created.Format(time.RFC3339))
		var p jsondoc.Parser
		doc, err := p.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return Event{Time: t0.Add(offset), ID: id, Doc: doc}, []byte(raw)
	}
	midnight := t0.Add(-12 * time.Hour)
	type ev struct {
		id      string
		off     time.Duration
		action  string
		created time.Time
	}
	p, err := NewProgram(rule)
	if err != nil {
		t.Fatal(err)
	}
	if !p.TimeDependent() {
		t.Fatal("program is not time dependent")
	}
	var hits []Hit
	for i, e := range []ev{
		{"old-session", 1 * time.Minute, "X", midnight.Add(1 * time.Minute)}, // 00:01 < 00:05 at the 12:05 run
		{"late", 4 * time.Minute, "X", midnight.Add(7 * time.Minute)},        // only at 12:10 is 00:07 < T-12h
		{"fresh", 2 * time.Minute, "X", midnight.Add(2 * time.Hour)},         // never older than 12h in its windows
		{"other-action", 2 * time.Minute, "Y", midnight.Add(-time.Hour)},     // dropped by the candidate test
	} {
		event, raw := mk(e.id, e.off, e.action, e.created)
		terms, cards, ok := p.Candidate(event.Doc)
		if ok != (e.action == "X") {
			t.Errorf("%s: candidate %v", e.id, ok)
		}
		if ok {
			hits = append(hits, Hit{Time: event.Time, Seq: i, ID: e.id, Terms: terms, Cards: cards, Raw: raw})
		}
	}
	SortHits(hits)
	ras, err := p.ReplayTimeline(hits, t0, t0.Add(20*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ra := range ras {
		got = append(got, ra.At.Format("15:04")+":"+ra.Alert.EventID)
	}
	if want := []string{"12:05:old-session", "12:10:late"}; !slices.Equal(got, want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
}

// TestCandidateRelaxesUnderNot: the run-time-free upper bound takes a
// run-time literal as true where it stands, so under a not it is false.
func TestCandidateRelaxesUnderNot(t *testing.T) {
	for _, c := range []struct {
		query string
		want  bool
	}{
		{`event.action: X and not @timestamp < now-1h`, true},
		{`event.action: X and @timestamp < now-1h`, true},
		{`event.action: Y and @timestamp < now-1h`, false},
		{`not (event.action: X or @timestamp < now-1h)`, false},
	} {
		p, err := NewProgram(&ir.Rule{ID: "r", Type: ir.Query, Expr: kql(t, c.query, nil)})
		if err != nil {
			t.Fatal(err)
		}
		ev := ecsEvent(t, "e", 0, `"event.action": "X", "@timestamp": "2020-01-01T00:00:00Z"`)
		if _, _, ok := p.Candidate(ev.Doc); ok != c.want {
			t.Errorf("%q: candidate %v, want %v", c.query, ok, c.want)
		}
	}
}

// TestNewTermsMaxSignalsInTermOrder: Kibana reads new terms with a
// composite aggregation, in term order, so max_signals keeps the first
// terms by value, not the earliest events.
func TestNewTermsMaxSignalsInTermOrder(t *testing.T) {
	rule := &ir.Rule{ID: "nt", Type: ir.NewTerms, From: "now-10m", MaxSignals: 2, Expr: kql(t, `event.action: X`, nil),
		NewTerms: &ir.NewTermsSpec{Fields: []string{"user.name"}, HistoryWindowStart: "now-1d"}}
	events := []Event{
		ecsEvent(t, "z", 1*time.Minute, `"event.action": "X", "user.name": "zed"`),
		ecsEvent(t, "a", 2*time.Minute, `"event.action": "X", "user.name": "amy"`),
		ecsEvent(t, "b", 3*time.Minute, `"event.action": "X", "user.name": "bob"`),
	}
	alerts, err := Alerts(rule, events, t0.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range alerts {
		ids = append(ids, a.EventID)
	}
	if !slices.Equal(ids, []string{"a", "b"}) {
		t.Errorf("alerts on %v, want [a b] (amy, bob: the first terms by value)", ids)
	}
}
