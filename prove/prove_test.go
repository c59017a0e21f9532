package prove

import (
	"errors"
	"testing"
	"time"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/rulefile"
)

func TestRunComparesEachEngine(t *testing.T) {
	rule := &ir.Rule{ID: "r1", Type: ir.NewTerms}
	c := &rulefile.Case{Name: "c", Expect: []ir.Alert{{EventID: "e2", Terms: []string{"b"}}, {EventID: "e1", Terms: []string{"a"}}}}
	fixed := func(as []ir.Alert, err error) func(*ir.Rule, [][]byte, time.Time) ([]ir.Alert, error) {
		return func(*ir.Rule, [][]byte, time.Time) ([]ir.Alert, error) { return as, err }
	}
	res := Run(rule, c, []Engine{
		{Name: "same, other order", Alerts: fixed([]ir.Alert{{EventID: "e1", Terms: []string{"a"}}, {EventID: "e2", Terms: []string{"b"}, Count: 7}}, nil)},
		{Name: "other term", Alerts: fixed([]ir.Alert{{EventID: "e1", Terms: []string{"a"}}, {EventID: "e2", Terms: []string{"c"}}}, nil)},
		{Name: "missing alert", Alerts: fixed([]ir.Alert{{EventID: "e1", Terms: []string{"a"}}}, nil)},
		{Name: "error", Alerts: fixed(nil, errors.New("boom"))},
	})
	want := []bool{true, false, false, false}
	for i, o := range res.Outcomes {
		if o.Pass != want[i] {
			t.Errorf("%s: pass = %v, want %v (got %v)", o.Engine, o.Pass, want[i], o.Got)
		}
	}
	if res.Pass() {
		t.Error("the case passed although three engines disagree")
	}
	if res.Outcomes[3].Err == nil {
		t.Error("the engine's error was lost")
	}
}

func TestThresholdCountsMatter(t *testing.T) {
	rule := &ir.Rule{ID: "r2", Type: ir.Threshold}
	c := &rulefile.Case{Expect: []ir.Alert{{Terms: []string{"1.2.3.4"}, Count: 5}}}
	res := Run(rule, c, []Engine{{Name: "off by one", Alerts: func(*ir.Rule, [][]byte, time.Time) ([]ir.Alert, error) {
		return []ir.Alert{{Terms: []string{"1.2.3.4"}, Count: 4}}, nil
	}}})
	if res.Pass() {
		t.Error("a threshold count of 4 passed where 5 was expected")
	}
}
