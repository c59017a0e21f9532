package cloudwatch

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/insights"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
)

type corpusRule struct {
	Path       string `json:"path"`
	Deprecated bool   `json:"deprecated"`
	Rule       struct {
		RuleID   string `json:"rule_id"`
		Name     string `json:"name"`
		Type     string `json:"type"`
		Language string `json:"language"`
		Query    string `json:"query"`
		From     string `json:"from"`
		NewTerms *struct {
			Value   []string `json:"value"`
			History []struct {
				Value string `json:"value"`
			} `json:"history_window_start"`
		} `json:"new_terms"`
		Threshold *struct {
			Field       json.RawMessage `json:"field"`
			Value       int             `json:"value"`
			Cardinality []struct {
				Field string `json:"field"`
				Value int    `json:"value"`
			} `json:"cardinality"`
		} `json:"threshold"`
	} `json:"rule"`
}

func (c corpusRule) toIR(t *testing.T) (*ir.Rule, error) {
	r := c.Rule
	e, diags := lower.Query(r.Query, lower.Options{})
	if diags.HasErrors() {
		return nil, diags.Errors()
	}
	rule := &ir.Rule{ID: r.RuleID, Name: r.Name, Type: ir.RuleType(r.Type), From: r.From, Query: r.Query, Expr: e}
	if r.NewTerms != nil {
		spec := &ir.NewTermsSpec{Fields: r.NewTerms.Value}
		if len(r.NewTerms.History) > 0 {
			spec.HistoryWindowStart = r.NewTerms.History[0].Value
		}
		rule.NewTerms = spec
	}
	if r.Threshold != nil {
		spec := &ir.ThresholdSpec{Value: r.Threshold.Value}
		var one string
		if json.Unmarshal(r.Threshold.Field, &one) == nil {
			if one != "" {
				spec.Fields = []string{one}
			}
		} else if err := json.Unmarshal(r.Threshold.Field, &spec.Fields); err != nil {
			t.Fatalf("%s: threshold.field: %v", r.RuleID, err)
		}
		for _, c := range r.Threshold.Cardinality {
			spec.Cardinality = append(spec.Cardinality, ir.Cardinality{Field: c.Field, Value: c.Value})
		}
		rule.Threshold = spec
	}
	return rule, nil
}

// TestElasticAWSCorpus renders every kuery rule of the Elastic AWS corpus:
// each either renders a query within the limit that the interpreter
// parses, or fails with diagnostics naming the rule, the field and the
// reason. The groups are printed.
func TestElasticAWSCorpus(t *testing.T) {
	f, err := os.Open("../../../shared/corpus/rules/elastic_aws_rules.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	var total, notLowered, rendered, failed, longest int
	reasons := map[string][]string{}
	fieldInMsg := regexp.MustCompile(`^cloudwatch: field (\S+): `)
	for sc.Scan() {
		var c corpusRule
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		if c.Rule.Language != "kuery" {
			continue
		}
		total++
		rule, err := c.toIR(t)
		if err != nil {
			notLowered++
			reasons["(KQL does not lower) "+err.Error()] = append(reasons["(KQL does not lower) "+err.Error()], c.Rule.RuleID)
			continue
		}
		art, err := Render(rule, Options{LogGroups: []string{"cloudtrail"}})
		if err != nil {
			failed++
			list, ok := err.(diag.List)
			if !ok || len(list) == 0 {
				t.Errorf("%s: error is not a diagnostic list: %v", rule.ID, err)
				continue
			}
			for _, d := range list {
				if d.RuleID != rule.ID || (d.Code != "untranslatable" && d.Code != "query-too-long") {
					t.Errorf("%s: diagnostic without rule or with an unexpected code: %v", rule.ID, d)
				}
				reason := d.Msg
				if m := fieldInMsg.FindStringSubmatch(d.Msg); m != nil {
					if d.Key != m[1] {
						t.Errorf("%s: diagnostic key %q does not name the field %q", rule.ID, d.Key, m[1])
					}
					reason = strings.Replace(reason, m[1], "<field>", 1) + " [" + m[1] + "]"
				}
				if ids := reasons[reason]; len(ids) == 0 || ids[len(ids)-1] != rule.ID {
					reasons[reason] = append(ids, rule.ID)
				}
			}
			continue
		}
		rendered++
		longest = max(longest, len(art.Query))
		if len(art.Query) > MaxQueryLength {
			t.Errorf("%s: query of %d characters rendered without error", rule.ID, len(art.Query))
		}
		if _, err := insights.Parse(art.Query); err != nil {
			t.Errorf("%s: the interpreter rejects the rendered query: %v\n%s", rule.ID, err, art.Query)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for r, ids := range reasons {
		lines = append(lines, fmt.Sprintf("%4d  %s", len(ids), r))
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i] > lines[j] })
	t.Logf("Elastic AWS corpus, kuery rules: %d; rendered within %d characters: %d (longest %d); failed with a named reason: %d; KQL not lowered: %d",
		total, MaxQueryLength, rendered, longest, failed, notLowered)
	t.Logf("rules per reason (a rule may have several reasons):\n%s", strings.Join(lines, "\n"))
	if rendered+failed+notLowered != total || rendered == 0 {
		t.Errorf("accounting: %d + %d + %d != %d", rendered, failed, notLowered, total)
	}
}
