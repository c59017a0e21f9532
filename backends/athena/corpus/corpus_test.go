package corpus_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/detc/detc/backends/athena"
	"github.com/detc/detc/backends/athena/duckproof"
	"github.com/detc/detc/backends/eval"
	"github.com/detc/detc/diag"
	"github.com/detc/detc/importer"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/rulefile"
	"github.com/detc/detc/source/cloudtrail"
)

const (
	corpusPath = "../../../../shared/corpus/rules/elastic_aws_rules.jsonl"
	samples    = "../../../../shared/aws/samples/"
)

type corpusRule struct {
	path string
	rule *ir.Rule
}

// loadCorpus imports every non-deprecated rule and lowers it through the
// rule-file loader; rules the importer or loader refuse are counted.
func loadCorpus(t *testing.T) (rules []corpusRule, refused int) {
	f, err := os.Open(corpusPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var doc map[string]any
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if dep, _ := doc["deprecated"].(bool); dep {
			continue
		}
		path, _ := doc["path"].(string)
		res := importer.FromTOMLData(doc, path)
		if !res.OK() {
			refused++
			continue
		}
		r, diags := rulefile.Parse(res.FileName, res.YAML, rulefile.Options{})
		if r == nil || diags.HasErrors() {
			refused++
			continue
		}
		rules = append(rules, corpusRule{path, r})
	}
	return rules, refused
}

func readNDJSON(t *testing.T, path string) [][]byte {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, []byte(line))
		}
	}
	return out
}

// TestCorpus renders Elastic's AWS rules: each either translates or is
// refused with an untranslatable diagnostic naming the rule and field;
// every translation parses with the Trino grammar and, run in DuckDB over
// the sample records, gives the evaluator's alerts.
func TestCorpus(t *testing.T) {
	rules, refused := loadCorpus(t)
	raw := append(readNDJSON(t, samples+"all_events.ndjson"), readNDJSON(t, samples+"newterms_scenario.ndjson")...)
	var events []eval.Event
	for _, r := range raw {
		tm, err := cloudtrail.EventTime(r)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := eval.ECSDocument(r)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, eval.Event{Time: tm, ID: cloudtrail.EventID(r), Doc: doc})
	}
	db, err := duckproof.Open(athena.DefaultTable)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Load(raw); err != nil {
		t.Fatal(err)
	}
	// One run late enough for every sample, with windows wide enough to
	// hold them all.
	at := time.Date(2025, 3, 13, 18, 35, 0, 0, time.UTC)
	reasons := map[string]int{}
	var texts, names []string
	translated, agreed, alerting := 0, 0, 0
	for _, c := range rules {
		r := *c.rule
		r.From = "now-4400d"
		if r.NewTerms != nil {
			nt := *r.NewTerms
			nt.HistoryWindowStart = "now-4500d"
			r.NewTerms = &nt
		}
		sql, err := athena.Render(&r, athena.Options{At: at})
		if err != nil {
			l, ok := err.(diag.List)
			if !ok || len(l) == 0 {
				t.Errorf("%s: error %v is not a diagnostic list", c.path, err)
				continue
			}
			for _, d := range l {
				if d.Code != "untranslatable" || d.RuleID != r.ID || !strings.Contains(d.Msg, "athena") {
					t.Errorf("%s: diagnostic %v lacks the code, rule or target", c.path, d)
				}
				reasons[firstField(d)]++
			}
			continue
		}
		translated++
		texts, names = append(texts, sql), append(names, c.path)
		cols, rows, err := db.Query(sql)
		if err != nil {
			t.Errorf("%s: DuckDB: %v\n%s", c.path, err, sql)
			continue
		}
		got, err := duckproof.RowsToAlerts(&r, cols, rows)
		if err != nil {
			t.Fatal(err)
		}
		want, err := eval.Alerts(&r, events, at)
		if err != nil {
			t.Errorf("%s: evaluator: %v", c.path, err)
			continue
		}
		ir.SortAlerts(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: DuckDB %v, evaluator %v\n%s", c.path, got, want, sql)
			continue
		}
		agreed++
		if len(got) > 0 {
			alerting++
		}
	}
	t.Logf("%d rules loaded (%d refused by import or loading); %d translate, %d untranslatable", len(rules), refused, translated, len(rules)-translated)
	t.Logf("%d of %d translations give the evaluator's alerts in DuckDB on %d sample records (%d of them alert)", agreed, translated, len(raw), alerting)
	var keys []string
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return reasons[keys[i]] > reasons[keys[j]] || reasons[keys[i]] == reasons[keys[j]] && keys[i] < keys[j]
	})
	for _, k := range keys {
		t.Logf("  untranslatable: %3d x %s", reasons[k], k)
	}
	if translated == 0 {
		t.Fatal("no rule translates")
	}

	bundle, err := duckproof.TrinoParseBundle(".")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("TRINO GRAMMAR CHECK NOT RUN: " + err.Error())
		}
		t.Skip("TRINO GRAMMAR CHECK NOT RUN: " + err.Error())
	}
	results, err := duckproof.CheckSQL(bundle, "trino", texts)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, errs := range results {
		if len(errs) > 0 {
			bad++
			t.Errorf("%s: Trino grammar: %+v\n%s", names[i], errs, texts[i])
		}
	}
	t.Logf("%d of %d corpus translations parse with the Trino grammar", len(texts)-bad, len(texts))
}

// firstField groups a diagnostic by its field and the start of its reason.
func firstField(d diag.Diagnostic) string {
	msg := strings.TrimPrefix(d.Msg, "athena: ")
	if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "field ") {
		reason := msg[i+2:]
		if len(reason) > 60 {
			reason = reason[:60] + "..."
		}
		return d.Key + " (" + reason + ")"
	}
	if len(msg) > 80 {
		msg = msg[:80] + "..."
	}
	return msg
}
