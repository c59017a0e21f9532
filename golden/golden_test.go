// Package golden is detc's conformance suite: every test case of every rule
// in rules/ runs through four independent engines, and every backend's
// output for every rule is pinned by an autogold snapshot.
package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hexops/autogold/v2"

	"github.com/detc/detc/backends/athena"
	"github.com/detc/detc/backends/athena/duckproof"
	"github.com/detc/detc/backends/cloudwatch"
	"github.com/detc/detc/backends/elastic"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/prove"
	"github.com/detc/detc/rulefile"
	"github.com/detc/detc/source/cloudtrail"
)

const rulesDir = "../rules"

// athenaEngine runs the exact Athena SQL in DuckDB. The test binary always
// carries it; the detc binary only with -tags duckdb.
var athenaEngine = prove.Engine{
	Name:   "athena",
	About:  "the rendered Athena SQL, executed by DuckDB",
	Alerts: duckproof.Alerts,
}

func engines() []prove.Engine {
	es := prove.Engines()
	for _, e := range es {
		if e.Name == athenaEngine.Name {
			return es
		}
	}
	return append(es, athenaEngine)
}

type ruleCases struct {
	rule  *ir.Rule
	tests *rulefile.TestFile
}

func loadLibrary(t *testing.T) []ruleCases {
	t.Helper()
	rules, diags := rulefile.LoadAll([]string{rulesDir}, rulefile.Options{})
	if diags.HasErrors() {
		t.Fatalf("rules/ has errors:\n%v", diags.Errors())
	}
	if len(rules) == 0 {
		t.Fatal("no rules under rules/")
	}
	var out []ruleCases
	for _, r := range rules {
		path := rulefile.TestPathFor(r.File)
		tf, tdiags := rulefile.LoadTests(path, readEvents)
		if tdiags.HasErrors() || tf == nil {
			t.Errorf("%s (rule %s): every rule in rules/ needs a valid test file:\n%v", path, r.ID, tdiags)
			continue
		}
		out = append(out, ruleCases{r, tf})
	}
	return out
}

func readEvents(path string, fn func(raw []byte, line int)) error {
	st, err := cloudtrail.ReadFile(path, func(rec []byte, line int) error {
		fn(rec, line)
		return nil
	})
	if err == nil && st.Unreadable > 0 {
		err = fmt.Errorf("%d unreadable records, first %s", st.Unreadable, st.Bad[0])
	}
	return err
}

// TestGolden runs every case through the four engines of DESIGN.md ("How a
// translation is proven"); a disagreement names the rule, the case and the
// engine.
func TestGolden(t *testing.T) {
	lib := loadLibrary(t)
	engs := engines()
	if len(engs) != 4 {
		t.Fatalf("expected 4 engines, have %d", len(engs))
	}
	cases, executions := 0, 0
	for _, rc := range lib {
		alerting, nearMiss, withHistory := false, false, false
		for _, c := range rc.tests.Cases {
			res := prove.Run(rc.rule, c, engs)
			cases++
			for _, o := range res.Outcomes {
				executions++
				if o.Pass {
					continue
				}
				if o.Err != nil {
					t.Errorf("rule %q (%s), case %q (%s), engine %s: %v", rc.rule.Name, rc.rule.ID, c.Name, c.Pos, o.Engine, o.Err)
				} else {
					t.Errorf("rule %q (%s), case %q (%s), engine %s:\n got: %v\nwant: %v", rc.rule.Name, rc.rule.ID, c.Name, c.Pos, o.Engine, o.Got, res.Want)
				}
			}
			if len(c.Expect) > 0 {
				alerting = true
			} else {
				nearMiss = true
			}
			if rc.rule.Type == ir.NewTerms && hasHistory(rc.rule, c) {
				withHistory = true
			}
		}
		if !alerting || !nearMiss {
			t.Errorf("rule %q (%s): needs at least one case that alerts and one near miss (alerting=%v, near miss=%v)", rc.rule.Name, rc.tests.Path, alerting, nearMiss)
		}
		if rc.rule.Type == ir.NewTerms && !withHistory {
			t.Errorf("rule %q (%s): a new_terms rule needs a case with events in its history window", rc.rule.Name, rc.tests.Path)
		}
	}
	names := make([]string, len(engs))
	for i, e := range engs {
		names[i] = e.Name
	}
	summary := fmt.Sprintf("golden: %d rules, %d cases × %d engines (%s) = %d executions", len(lib), cases, len(engs), strings.Join(names, ", "), executions)
	t.Log(summary)
	fmt.Println(summary)
}

// hasHistory reports whether some event of c falls in the rule's history
// window [history_window_start, T-from).
func hasHistory(r *ir.Rule, c *rulefile.Case) bool {
	w, err := r.WindowAt(c.At)
	if err != nil {
		return false
	}
	for _, e := range c.Events {
		ts, err := cloudtrail.EventTime(e.Raw)
		if err == nil && !ts.Before(w.HistoryStart) && ts.Before(w.Start) {
			return true
		}
	}
	return false
}

// TestTrinoGrammar parses the exact SQL that every golden case executes
// with a real Trino grammar (dt-sql-parser's TrinoSQL, bundled by
// tools/trino-parse/install.sh).
func TestTrinoGrammar(t *testing.T) {
	bundle, err := duckproof.TrinoParseBundle(".")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Trino grammar checker missing in CI: %v", err)
		}
		t.Skipf("SKIPPED LOUDLY: the Trino grammar checker is not built (%v); run tools/trino-parse/install.sh", err)
	}
	var texts, labels []string
	for _, rc := range loadLibrary(t) {
		for _, c := range rc.tests.Cases {
			sql, err := athena.Render(rc.rule, athena.Options{At: c.At})
			if err != nil {
				t.Errorf("rule %s: %v", rc.rule.ID, err)
				continue
			}
			texts = append(texts, sql)
			labels = append(labels, rc.rule.Name+" / "+c.Name)
		}
	}
	errs, err := duckproof.CheckSQL(bundle, "trino", texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, es := range errs {
		if len(es) > 0 {
			t.Errorf("%s: the Trino grammar rejects the SQL: %+v\n%s", labels[i], es, texts[i])
		}
	}
	fmt.Printf("golden: %d Athena statements parsed by the Trino grammar\n", len(texts))
}

// TestSnapshots pins every backend's output for every rule. Run
// `go test ./golden -run TestSnapshots -update` to accept a change; the
// diff then shows in the pull request.
func TestSnapshots(t *testing.T) {
	lib := loadLibrary(t)
	sort.Slice(lib, func(i, j int) bool { return lib[i].rule.File < lib[j].rule.File })
	at := time.Date(2025, 3, 21, 12, 0, 0, 0, time.UTC)
	for _, rc := range lib {
		name := strings.TrimSuffix(filepath.Base(rc.rule.File), filepath.Ext(rc.rule.File))
		t.Run(name, func(t *testing.T) {
			body, err := elastic.Render(rc.rule)
			if err != nil {
				t.Fatal(err)
			}
			cw, err := cloudwatch.Render(rc.rule, cloudwatch.Options{LogGroups: []string{"aws-cloudtrail-logs"}})
			if err != nil {
				t.Fatal(err)
			}
			sql, err := athena.Render(rc.rule, athena.Options{})
			if err != nil {
				t.Fatal(err)
			}
			sqlAt, err := athena.Render(rc.rule, athena.Options{At: at})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "== elastic\n%s\n== cloudwatch\n%s\n== athena\n%s\n== athena at %s\n%s\n",
				body, cw.Query, sql, at.Format(time.RFC3339), sqlAt)
			autogold.ExpectFile(t, autogold.Raw(b.String()))
		})
	}
}
