package cwproof

import (
	"fmt"
	"strings"
	"testing"

	"github.com/detc/detc/backends/cloudwatch"
	"github.com/detc/detc/insights"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/rulefile"
	"github.com/detc/detc/source/cloudtrail"
)

// TestStartQueryIsPinned: the StartQuery request carries fixed times, so
// its query must not depend on when it is sent (no now()); run by the
// interpreter it raises the same alerts as the deployed query run at T.
func TestStartQueryIsPinned(t *testing.T) {
	rules, diags := rulefile.LoadAll([]string{"../../../rules"}, rulefile.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	checked := 0
	for _, r := range rules {
		tf, tdiags := rulefile.LoadTests(rulefile.TestPathFor(r.File), readEvents)
		if tf == nil {
			t.Fatalf("%s: %v", r.File, tdiags)
		}
		for _, c := range tf.Cases {
			art, err := cloudwatch.Render(r, cloudwatch.Options{At: c.At, LogGroups: []string{"g"}})
			if err != nil {
				t.Fatalf("%s: %v", r.ID, err)
			}
			if strings.Contains(art.PinnedQuery, "now()") {
				t.Errorf("%s: the StartQuery query still uses now():\n%s", r.ID, art.PinnedQuery)
			}
			if !strings.Contains(string(art.StartQuery), strings.ReplaceAll(strings.Split(art.PinnedQuery, "\n")[0], `"`, `\"`)) {
				t.Errorf("%s: StartQuery does not carry the pinned query", r.ID)
			}
			if art.PinnedQuery == art.Query {
				continue
			}
			raw := make([][]byte, len(c.Events))
			for i, e := range c.Events {
				raw[i] = e.Raw
			}
			ds, err := Dataset(raw)
			if err != nil {
				t.Fatal(err)
			}
			start := art.Window.Start
			if r.NewTerms != nil {
				start = art.Window.HistoryStart
			}
			run := func(q string) string {
				pq, err := insights.Parse(q)
				if err != nil {
					t.Fatalf("%s: %v\n%s", r.ID, err, q)
				}
				alerts, err := RowsToAlerts(r, art.Output, pq.RunDataset(ds, start, art.Window.End))
				if err != nil {
					t.Fatal(err)
				}
				ir.SortAlerts(alerts)
				return fmt.Sprint(alerts)
			}
			if a, b := run(art.Query), run(art.PinnedQuery); a != b {
				t.Errorf("%s case %q: deployed query gives %s, pinned query %s", r.ID, c.Name, a, b)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no time-dependent query was compared")
	}
	t.Logf("%d time-dependent cases: pinned StartQuery query agrees with the deployed query at T", checked)
}

func readEvents(path string, fn func(raw []byte, line int)) error {
	_, err := cloudtrail.ReadFile(path, func(rec []byte, line int) error {
		fn(rec, line)
		return nil
	})
	return err
}
