package diag

import (
	"strings"
	"testing"
)

func TestPrettyAndSort(t *testing.T) {
	l := List{
		{Pos: Pos{File: "b.yml", Line: 2, Col: 3}, Code: "enum", Msg: "second", Severity: Warning},
		{Pos: Pos{File: "a.yml", Line: 9, Col: 1}, Code: "yaml", Msg: "first", RuleID: "r1", Key: "query",
			Hint: "quote it", Line: "query: a: b"},
	}
	l.Sort()
	if l[0].Pos.File != "a.yml" {
		t.Fatalf("not sorted by file: %v", l)
	}
	want := "a.yml:9:1: error[yaml]: first (rule r1, key query)\n    | query: a: b\n    | ^\n    = hint: quote it"
	if got := l[0].Pretty(); got != want {
		t.Errorf("Pretty:\n%s\nwant:\n%s", got, want)
	}
	if !l.HasErrors() || len(l.Warnings()) != 1 || l.Err() == nil {
		t.Error("severity accounting")
	}
	l.Promote()
	if len(l.Warnings()) != 0 {
		t.Error("Promote left a warning")
	}
	var many List
	for i := 0; i < MaxShown+5; i++ {
		many.Errorf(Pos{}, "x", "problem %d", i)
	}
	if !strings.HasSuffix(many.Error(), "... and 5 more") {
		t.Errorf("the list is not capped: ...%s", many.Error()[len(many.Error())-30:])
	}
}
