package main

import (
	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/lint"
)

// lintRules runs the API-aware lint over loaded rules. Its findings are
// warnings, errors under --strict. Each finding carries the rule file's
// source line for the caret display.
func lintRules(rules []*ir.Rule, strict bool) diag.List {
	var out diag.List
	for _, r := range rules {
		for _, d := range lint.Check(r) {
			if d.RuleID == "" {
				d.RuleID = r.ID
			}
			if d.Line == "" {
				d.Line = sourceLine(d.Pos)
			}
			out.Add(d)
		}
	}
	if strict {
		out.Promote()
	}
	return out
}
