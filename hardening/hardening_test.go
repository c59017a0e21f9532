package hardening

import (
	"slices"
	"testing"
	"time"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
	"github.com/detc/detc/source/cloudtrail"
)

// TestFieldsMatchCatalogAndProfile: each field has the type the catalog
// gives it and the raw path the source profile reads it from.
func TestFieldsMatchCatalogAndProfile(t *testing.T) {
	for _, f := range Fields {
		m, err := cloudtrail.Resolve(f.Name)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if m.Kind != cloudtrail.Direct || !slices.Equal(m.Path, f.Raw) || m.Type != f.Type || m.ESType != f.ESType {
			t.Errorf("%s: profile says %+v, helper says %v %v %s", f.Name, m, f.Raw, f.Type, f.ESType)
		}
	}
}

// TestNewCaseLowers: the KQL text of each form lowers to the case's term.
func TestNewCaseLowers(t *testing.T) {
	for _, f := range Fields {
		for form := range forms {
			for _, v := range []string{"plain", `a "quoted" or (b)`, "x*y", "and"} {
				c, ok := NewCase(f, v, form, 2)
				if !ok {
					t.Fatalf("%s %q form %d refused", f.Name, v, form)
				}
				got, diags := lower.Query(c.KQL, lower.Options{})
				if diags.HasErrors() || !ir.Equal(got, c.Expr) {
					t.Errorf("%q lowers to %s (%v), want %s", c.KQL, ir.String(got), diags, ir.String(c.Expr))
				}
				if !c.Matches(c.Probes()[0]) || c.Matches("other") != (v == "other") {
					t.Errorf("%q: probes wrong", c.KQL)
				}
			}
		}
	}
	if _, err := cloudtrail.EventTime(Event("e", time.Unix(0, 0), Fields[2], "v")); err != nil {
		t.Fatal(err)
	}
}
