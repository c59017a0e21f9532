package ir

import (
	"testing"
	"time"
)

func TestDateMath(t *testing.T) {
	now := time.Date(2025, 3, 21, 12, 34, 56, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"now", now},
		{"now-14d", now.AddDate(0, 0, -14)},
		{"now-9m", now.Add(-9 * time.Minute)},
		{"now+1h", now.Add(time.Hour)},
		{"now-1d/d", time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC)},
		{"now/M", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"now/w", time.Date(2025, 3, 17, 0, 0, 0, 0, time.UTC)}, // a Monday
		{"2025-01-02T03:04:05Z||+1M", time.Date(2025, 2, 2, 3, 4, 5, 0, time.UTC)},
		{"2025-01-02", time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := DateMath(tc.in, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("DateMath(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"yesterday", "now-", "now-5", "now-5q", "now/q", "now*2"} {
		if _, err := DateMath(bad, now); err == nil {
			t.Errorf("DateMath(%q) accepted", bad)
		}
	}
	if d, err := RelativeOffset("now-14d"); err != nil || d != 14*24*time.Hour {
		t.Errorf("RelativeOffset(now-14d) = %v, %v", d, err)
	}
	for _, bad := range []string{"now-1M", "now-1d/d", "2025-01-01"} {
		if _, err := RelativeOffset(bad); err == nil {
			t.Errorf("RelativeOffset(%q) accepted a window without a fixed length", bad)
		}
	}
	if d, err := ParseInterval("5m"); err != nil || d != 5*time.Minute {
		t.Errorf("ParseInterval(5m) = %v, %v", d, err)
	}
	for _, bad := range []string{"5", "0m", "5 m", "1w"} {
		if _, err := ParseInterval(bad); err == nil {
			t.Errorf("ParseInterval(%q) accepted", bad)
		}
	}
}

func TestWindowAt(t *testing.T) {
	at := time.Date(2025, 3, 21, 12, 0, 0, 0, time.UTC)
	r := &Rule{From: "now-9m", NewTerms: &NewTermsSpec{HistoryWindowStart: "now-14d"}}
	w, err := r.WindowAt(at)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Start.Equal(at.Add(-9*time.Minute)) || !w.End.Equal(at) || !w.HistoryStart.Equal(at.AddDate(0, 0, -14)) {
		t.Errorf("window %+v", w)
	}
}

func TestStringAndEqual(t *testing.T) {
	kw := Field{Name: "event.action", Type: Keyword}
	e := &And{X: []Expr{
		&Term{Field: kw, Value: Value{Text: "Foo*", Wildcard: []string{"Foo", ""}}},
		&Not{X: &Exists{Field: Field{Name: "source.ip", Type: IP}}},
		&Range{Field: Field{Name: "x", Type: Number}, Op: Gte, Value: Value{Text: "3"}},
	}}
	want := `and(event.action:Foo*, not(source.ip<ip>:*), x<number>>="3")`
	if got := String(e); got != want {
		t.Errorf("String = %s, want %s", got, want)
	}
	literalStar := &Term{Field: kw, Value: Value{Text: "Foo**", Wildcard: []string{"Foo", "*"}}}
	twoStars := &Term{Field: kw, Value: Value{Text: "Foo**", Wildcard: []string{"Foo", "", ""}}}
	if Equal(literalStar, twoStars) {
		t.Error("a literal star and a wildcard compare equal")
	}
	if s, bad := InvalidUTF8(&Term{Field: kw, Value: Value{Text: "a\xffb"}}); !bad || s != "a\xffb" {
		t.Errorf("InvalidUTF8 missed an invalid value: %q %v", s, bad)
	}
	if _, bad := InvalidUTF8(e); bad {
		t.Error("InvalidUTF8 flagged valid text")
	}
}
