package readback

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/detc/detc/backends/elastic"
	"github.com/detc/detc/ir"
)

// TestCorpusQueriesRoundTrip puts each of the 792 KQL queries of Elastic's
// detection rules into a rule, renders it, reads the body back, and checks
// that the query text is unchanged and lowers to an equal expression.
func TestCorpusQueriesRoundTrip(t *testing.T) {
	f, err := os.Open("../../../../shared/corpus/kql/elastic_rule_queries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	total, lowered, equal := 0, 0, 0
	for sc.Scan() {
		var c struct {
			RuleID string   `json:"rule_id"`
			Name   string   `json:"name"`
			Index  []string `json:"index"`
			Query  string   `json:"query"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		total++
		direct, err := Query(c.Query)
		if err != nil {
			t.Logf("%s: does not lower, so no rule file could hold it: %v", c.RuleID, err)
			continue
		}
		lowered++
		rule := &ir.Rule{
			ID: c.RuleID, Name: c.Name, Description: "corpus query", Type: ir.Query,
			Index: c.Index, Query: c.Query, Severity: "low", RiskScore: 21, Expr: direct,
		}
		body, err := elastic.Render(rule)
		if err != nil {
			t.Errorf("%s: %v", c.RuleID, err)
			continue
		}
		back, err := Rule(body)
		if err != nil {
			t.Errorf("%s: %v", c.RuleID, err)
			continue
		}
		if back.Query != c.Query {
			t.Errorf("%s: query text changed", c.RuleID)
			continue
		}
		if !ir.Equal(back.Expr, direct) {
			t.Errorf("%s: %s\n  read back as %s", c.RuleID, ir.String(direct), ir.String(back.Expr))
			continue
		}
		equal++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("corpus queries: %d/%d lower; %d/%d round-trip to an equal IR", lowered, total, equal, lowered)
	if equal != lowered {
		t.Errorf("%d queries do not round-trip", lowered-equal)
	}
}

func TestRuleRefusesUnknownKeys(t *testing.T) {
	for _, body := range []string{
		`{"rule_id":"x","name":"n","description":"d","type":"query","query":"a:b","enabled":false}`,
		`{"rule_id":"x","name":"n","description":"d","type":"query","query":"a:b","new_terms_field":["f"]}`,
	} {
		if _, err := Rule([]byte(body)); err == nil || !strings.Contains(err.Error(), "unknown field") {
			t.Errorf("%s: error = %v, want an unknown-field error", body, err)
		}
	}
	if _, err := Rule([]byte(`{"rule_id":"x","type":"query"}`)); err == nil {
		t.Error("a body without a query reads back")
	}
}

func TestRuleThresholdField(t *testing.T) {
	for body, want := range map[string][]string{
		`{"type":"threshold","query":"","threshold":{"field":"host.name","value":3}}`:           {"host.name"},
		`{"type":"threshold","query":"","threshold":{"field":["a","b"],"value":3}}`:             {"a", "b"},
		`{"type":"threshold","query":"","threshold":{"field":[],"value":3,"cardinality":null}}`: {},
	} {
		r, err := Rule([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if strings.Join(r.Threshold.Fields, ",") != strings.Join(want, ",") || r.Threshold.Value != 3 {
			t.Errorf("%s: threshold = %+v", body, r.Threshold)
		}
		if _, ok := r.Expr.(*ir.MatchAll); !ok && r.Expr != nil {
			t.Errorf("%s: the empty query reads back as %s", body, ir.String(r.Expr))
		}
	}
}
