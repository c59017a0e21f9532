package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"
)

// corpusPath is Elastic's AWS CloudTrail rules, each line the JSON form of a
// detection-rules TOML file.
const corpusPath = "../../shared/corpus/rules/elastic_aws_rules.jsonl"

type corpusLine struct {
	Path       string         `json:"path"`
	Deprecated bool           `json:"deprecated"`
	Doc        map[string]any `json:"-"`
}

func readCorpus(t testing.TB) []corpusLine {
	t.Helper()
	f, err := os.Open(corpusPath)
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var l corpusLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(sc.Bytes(), &l.Doc); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func ruleOf(l corpusLine) map[string]any { return l.Doc["rule"].(map[string]any) }

// importedRule is the part of an imported YAML file the corpus test checks
// against the TOML it came from.
type importedRule struct {
	ID        string `yaml:"id"`
	Name      string `yaml:"name"`
	Type      string `yaml:"type"`
	Query     string `yaml:"query"`
	Language  string `yaml:"language"`
	Severity  string `yaml:"severity"`
	RiskScore int    `yaml:"risk_score"`
	From      string `yaml:"from"`
	NewTerms  *struct {
		Fields             []string `yaml:"fields"`
		HistoryWindowStart string   `yaml:"history_window_start"`
	} `yaml:"new_terms"`
	Threshold *struct {
		Field       []string `yaml:"field"`
		Value       int      `yaml:"value"`
		Cardinality []struct {
			Field string `yaml:"field"`
			Value int    `yaml:"value"`
		} `yaml:"cardinality"`
	} `yaml:"threshold"`
	Threat []struct {
		Tactic struct {
			ID string `yaml:"id"`
		} `yaml:"tactic"`
		Technique []struct {
			ID           string `yaml:"id"`
			Subtechnique []struct {
				ID string `yaml:"id"`
			} `yaml:"subtechnique"`
		} `yaml:"technique"`
	} `yaml:"threat"`
}

// TestImportCorpus imports every AWS rule of the corpus, reports how many
// import and why the others are skipped, and checks each imported file
// against its source: key order, identity, query, new_terms, threshold and
// MITRE ids.
func TestImportCorpus(t *testing.T) {
	lines := readCorpus(t)
	kuery, kueryOK := 0, 0
	skipped := map[string]int{}
	for _, l := range lines {
		src := ruleOf(l)
		r := FromTOMLData(l.Doc, l.Path)
		if src["language"] == "kuery" {
			kuery++
		}
		if !r.OK() {
			key := r.Skipped + " (" + strings.Join(r.Dropped, "; ") + ")"
			skipped[key]++
			if src["language"] == "kuery" {
				t.Errorf("%s: kuery rule skipped: %s %v", l.Path, r.Skipped, r.Dropped)
			}
			continue
		}
		if src["language"] != "kuery" {
			t.Errorf("%s: %v rule imported", l.Path, src["language"])
			continue
		}
		kueryOK++
		checkImported(t, l.Path, src, r.YAML)
	}
	t.Logf("corpus: %d rules, %d kuery; %d imported (%.1f%% of kuery)", len(lines), kuery, kueryOK, 100*float64(kueryOK)/float64(kuery))
	for _, reason := range sortedKeys(skipped) {
		t.Logf("  skipped %3d  %s", skipped[reason], reason)
	}
	if kueryOK*100 < kuery*95 {
		t.Errorf("only %d/%d kuery rules import; want ≥ 95%%", kueryOK, kuery)
	}
}

func checkImported(t *testing.T, path string, src map[string]any, data []byte) {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Errorf("%s: imported YAML does not parse: %v", path, err)
		return
	}
	var keys []string
	for i := 0; i < len(root.Content[0].Content); i += 2 {
		keys = append(keys, root.Content[0].Content[i].Value)
	}
	var order []int
	for _, k := range keys {
		i := slices.Index(keyOrder, k)
		if i < 0 {
			t.Errorf("%s: key %q is not a rule-file key", path, k)
		}
		order = append(order, i)
	}
	if !slices.IsSorted(order) {
		t.Errorf("%s: keys out of order: %v", path, keys)
	}
	var got importedRule
	if err := yaml.Unmarshal(data, &got); err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	if got.ID != src["rule_id"] || got.Name != src["name"] || got.Type != src["type"] || got.Severity != src["severity"] {
		t.Errorf("%s: identity changed: %+v", path, got)
	}
	if float64(got.RiskScore) != src["risk_score"].(float64) {
		t.Errorf("%s: risk_score %d, want %v", path, got.RiskScore, src["risk_score"])
	}
	if f, ok := src["from"]; ok && got.From != f {
		t.Errorf("%s: from %q, want %q", path, got.From, f)
	}
	if want := src["query"].(string); stripLineEnds(got.Query) != stripLineEnds(want) {
		t.Errorf("%s: query changed:\n got %q\nwant %q", path, got.Query, want)
	}
	switch src["type"] {
	case "new_terms":
		nt := src["new_terms"].(map[string]any)
		want := fmt.Sprint(nt["value"])
		hist := nt["history_window_start"].([]any)[0].(map[string]any)["value"]
		if got.NewTerms == nil || fmt.Sprint(got.NewTerms.Fields) != want || got.NewTerms.HistoryWindowStart != hist {
			t.Errorf("%s: new_terms %+v, want fields %s from %v", path, got.NewTerms, want, hist)
		}
	case "threshold":
		th := src["threshold"].(map[string]any)
		if got.Threshold == nil || fmt.Sprint(got.Threshold.Field) != fmt.Sprint(th["field"]) || float64(got.Threshold.Value) != th["value"] {
			t.Errorf("%s: threshold %+v, want %v", path, got.Threshold, th)
		} else if c, ok := th["cardinality"].([]any); ok && len(c) != len(got.Threshold.Cardinality) {
			t.Errorf("%s: cardinality %+v, want %v", path, got.Threshold.Cardinality, c)
		}
	}
	var wantIDs, gotIDs []string
	for _, th := range asList(src["threat"]) {
		tm := th.(map[string]any)
		wantIDs = append(wantIDs, tm["tactic"].(map[string]any)["id"].(string))
		for _, te := range asList(tm["technique"]) {
			wantIDs = append(wantIDs, te.(map[string]any)["id"].(string))
			for _, s := range asList(te.(map[string]any)["subtechnique"]) {
				wantIDs = append(wantIDs, s.(map[string]any)["id"].(string))
			}
		}
	}
	for _, th := range got.Threat {
		gotIDs = append(gotIDs, th.Tactic.ID)
		for _, te := range th.Technique {
			gotIDs = append(gotIDs, te.ID)
			for _, s := range te.Subtechnique {
				gotIDs = append(gotIDs, s.ID)
			}
		}
	}
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("%s: MITRE ids %v, want %v", path, gotIDs, wantIDs)
	}
}

// stripLineEnds removes the blanks that cleanQuery may drop before a line
// break and the trailing newline, for comparing queries.
func stripLineEnds(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestImportTOMLText proves the TOML path: a corpus rule (the one with the
// TOML-only new_terms shape and threat subtechniques) is written out as
// TOML text with the toml encoder, imported from that text, and must give
// the same YAML as importing its decoded form.
func TestImportTOMLText(t *testing.T) {
	lines := readCorpus(t)
	tested := 0
	for _, l := range lines {
		src := ruleOf(l)
		if src["type"] != "new_terms" && src["type"] != "threshold" {
			continue
		}
		doc := map[string]any{"metadata": l.Doc["metadata"], "rule": l.Doc["rule"]}
		var buf bytes.Buffer
		if err := toml.NewEncoder(&buf).Encode(integralFloats(doc)); err != nil {
			t.Fatalf("%s: encoding TOML: %v", l.Path, err)
		}
		text := buf.String()
		if src["type"] == "new_terms" && !strings.Contains(text, "[[rule.new_terms.history_window_start]]") {
			t.Fatalf("%s: the TOML text lacks the TOML-only new_terms shape:\n%s", l.Path, text)
		}
		fromText := FromTOML(buf.Bytes(), l.Path)
		fromData := FromTOMLData(l.Doc, l.Path)
		if !fromText.OK() {
			t.Fatalf("%s: TOML text skipped: %s %v", l.Path, fromText.Skipped, fromText.Dropped)
		}
		if string(fromText.YAML) != string(fromData.YAML) {
			t.Errorf("%s: TOML text and decoded data import differently:\n%s\n---\n%s", l.Path, fromText.YAML, fromData.YAML)
		}
		tested++
	}
	if tested < 40 {
		t.Errorf("only %d new_terms/threshold rules round-tripped through TOML text", tested)
	}
	t.Logf("%d new_terms and threshold rules imported from TOML text", tested)
}

// integralFloats turns JSON's float64 integers back into int64, as the TOML
// file had them.
func integralFloats(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			out[k] = integralFloats(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = integralFloats(x)
		}
		return out
	case float64:
		if v == float64(int64(v)) {
			return int64(v)
		}
	}
	return v
}

// TestImportKibanaExport imports the Kibana export example and checks the
// outcome of every line.
func TestImportKibanaExport(t *testing.T) {
	path := "../../shared/schema/examples/kibana_export_example.custom-consolidated-rules.ndjson"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("example not available: %v", err)
	}
	results, err := File(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range results {
		s := filepath.Base(r.Source) + " " + r.Name + ": "
		if r.OK() {
			s += "imported"
		} else {
			s += r.Skipped + " " + strings.Join(r.Dropped, ",")
		}
		got = append(got, s)
	}
	want := []string{
		"kibana_export_example.custom-consolidated-rules.ndjson:1 test_kql_rule: imported",
		"kibana_export_example.custom-consolidated-rules.ndjson:2 test_kql_with_alert_supprestion_and_investigation_fileds: imported",
		"kibana_export_example.custom-consolidated-rules.ndjson:3 test_kql_with_alert_suppression: imported",
		"kibana_export_example.custom-consolidated-rules.ndjson:4 test_eql_rule: query language is not KQL language eql",
		"kibana_export_example.custom-consolidated-rules.ndjson:5 test_esql_rule_with_shared_rule_exception: query language is not KQL language esql",
		"kibana_export_example.custom-consolidated-rules.ndjson:6 test_new_terms_rule_with_shared_rule_exception: imported",
		"kibana_export_example.custom-consolidated-rules.ndjson:7 test_indicator_match_rule_with_email_actions: rule type is not supported type threat_match",
		"kibana_export_example.custom-consolidated-rules.ndjson:8 test_threshold_with_rule_exception: imported",
		"kibana_export_example.custom-consolidated-rules.ndjson:9 test_machine_learning_rule_with_index_action_connector : rule type is not supported type machine_learning",
		"kibana_export_example.custom-consolidated-rules.ndjson:10 : not a detection rule exception list",
		"kibana_export_example.custom-consolidated-rules.ndjson:11 : not a detection rule exception list item",
		"kibana_export_example.custom-consolidated-rules.ndjson:12 : not a detection rule exception list",
		"kibana_export_example.custom-consolidated-rules.ndjson:13 : not a detection rule exception list item",
		"kibana_export_example.custom-consolidated-rules.ndjson:14 : not a detection rule action connector",
		"kibana_export_example.custom-consolidated-rules.ndjson:15 : not a detection rule action connector",
		"kibana_export_example.custom-consolidated-rules.ndjson:16 : not a detection rule export summary",
	}
	if !slices.Equal(got, want) {
		t.Errorf("results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The phrase filter of line 1 becomes an and-clause of the query.
	var rule importedRule
	if err := yaml.Unmarshal(results[0].YAML, &rule); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(rule.Query, "\nand event.action: \"Process Create (rule: ProcessCreate)\"\n") || !strings.HasPrefix(rule.Query, "(process.parent.name:EXCEL.EXE or ") {
		t.Errorf("filter not folded into the query: %q", rule.Query)
	}
	var nt importedRule
	if err := yaml.Unmarshal(results[5].YAML, &nt); err != nil {
		t.Fatal(err)
	}
	if nt.NewTerms == nil || !slices.Equal(nt.NewTerms.Fields, []string{"user.id", "source.ip"}) || nt.NewTerms.HistoryWindowStart != "now-30d" {
		t.Errorf("new_terms from the API shape: %+v", nt.NewTerms)
	}
}

// TestImportKibanaJSON imports the single new_terms rule of the examples
// (a .json file holding one export line).
func TestImportKibanaJSON(t *testing.T) {
	path := "../../shared/schema/examples/kibana_export_new_terms_rule.json"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("example not available: %v", err)
	}
	results, err := File(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || !results[0].OK() {
		t.Fatalf("results: %+v", results)
	}
	var got importedRule
	if err := yaml.Unmarshal(results[0].YAML, &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != "new_terms" || got.NewTerms == nil || !slices.Equal(got.NewTerms.Fields, []string{"user.id", "source.ip"}) || got.NewTerms.HistoryWindowStart != "now-30d" {
		t.Errorf("imported %+v", got)
	}
	if results[0].FileName != snakeCase(got.Name)+".yml" {
		t.Errorf("FileName %q for name %q", results[0].FileName, got.Name)
	}
}
