package suggest

import "testing"

func TestClosest(t *testing.T) {
	cands := []string{"severity", "risk_score", "interval", "new_terms"}
	for _, tc := range []struct{ in, want string }{
		{"severty", "severity"},
		{"risk-score", "risk_score"},
		{"new_term", "new_terms"},
		{"banana", ""},
	} {
		if got := Closest(tc.in, cands); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if d := Distance("kitten", "sitting"); d != 3 {
		t.Errorf("Distance(kitten, sitting) = %d, want 3", d)
	}
}
