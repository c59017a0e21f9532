package cwproof

import (
	"bufio"
	"encoding/json"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/detc/detc/backends/cloudwatch"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
	"github.com/detc/detc/source/cloudtrail"
)

// TestCorpusRulesAgreeOnSamples runs every Elastic AWS kuery rule that
// renders through the interpreter and the evaluator over the shared
// samples, once per event time (so that each event falls in a run's
// window), and requires the same alerts.
func TestCorpusRulesAgreeOnSamples(t *testing.T) {
	f, err := os.Open("../../../../shared/corpus/rules/elastic_aws_rules.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw := append(readNDJSON(t, shared+"all_events.ndjson"), readNDJSON(t, shared+"newterms_scenario.ndjson")...)
	var times []time.Time
	seen := map[time.Time]bool{}
	for _, r := range raw {
		ts, err := cloudtrail.EventTime(r)
		if err != nil {
			t.Fatal(err)
		}
		if at := ts.Add(time.Minute); !seen[at] {
			seen[at] = true
			times = append(times, at)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	rules, runs, alerting := 0, 0, 0
	for sc.Scan() {
		var c struct {
			Rule struct {
				RuleID, Name, Type, Language, Query, From string
				NewTerms                                  *struct {
					Value   []string `json:"value"`
					History []struct {
						Value string `json:"value"`
					} `json:"history_window_start"`
				} `json:"new_terms"`
				Threshold *struct {
					Field       json.RawMessage  `json:"field"`
					Value       int              `json:"value"`
					Cardinality []ir.Cardinality `json:"cardinality"`
				} `json:"threshold"`
			} `json:"rule"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		r := c.Rule
		if r.Language != "kuery" {
			continue
		}
		e, diags := lower.Query(r.Query, lower.Options{})
		if diags.HasErrors() {
			continue
		}
		rule := &ir.Rule{ID: r.RuleID, Name: r.Name, Type: ir.RuleType(r.Type), From: r.From, Expr: e}
		if r.NewTerms != nil {
			rule.NewTerms = &ir.NewTermsSpec{Fields: r.NewTerms.Value, HistoryWindowStart: r.NewTerms.History[0].Value}
		}
		if th := r.Threshold; th != nil {
			spec := &ir.ThresholdSpec{Value: th.Value, Cardinality: th.Cardinality}
			var one string
			if json.Unmarshal(th.Field, &one) == nil {
				if one != "" {
					spec.Fields = []string{one}
				}
			} else if err := json.Unmarshal(th.Field, &spec.Fields); err != nil {
				t.Fatalf("%s: threshold.field: %v", r.RuleID, err)
			}
			rule.Threshold = spec
		}
		if _, err := cloudwatch.Render(rule, cloudwatch.Options{}); err != nil {
			continue
		}
		rules++
		for _, at := range times {
			runs++
			want := evalAlerts(t, rule, raw, at)
			got, err := Alerts(rule, raw, at)
			if err != nil {
				t.Fatalf("%s at %s: %v", rule.ID, at, err)
			}
			if len(want) > 0 {
				alerting++
			}
			if !sameAlerts(got, want) {
				t.Errorf("%s (%s) at %s\n interpreter %v\n evaluator   %v", rule.ID, rule.Name, at, got, want)
			}
		}
	}
	if rules == 0 || alerting == 0 {
		t.Errorf("%d rules, %d runs with alerts: the test proves nothing", rules, alerting)
	}
	if !t.Failed() {
		t.Logf("%d rendered corpus rules × %d run times = %d runs agree (%d runs with alerts)", rules, len(times), runs, alerting)
	}
}
