package main

import (
	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
)

// lintRules runs the API-aware lint over loaded rules. Its findings are
// warnings, errors under --strict.
func lintRules(rules []*ir.Rule, strict bool) diag.List {
	var out diag.List
	_ = rules // wired to package lint when it lands
	if strict {
		out.Promote()
	}
	return out
}
