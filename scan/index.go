package scan

import (
	"github.com/detc/detc/ir"
)

// ruleIndex routes an event to the rules that can match it, by the
// constants their queries require of event.action (eventName) and
// event.provider (eventSource). A rule whose query holds in no way
// without `event.action: X` is only run on events named X.
type ruleIndex struct {
	byAction   map[string][]int
	byProvider map[string][]int
	always     []int
}

func newRuleIndex(exprs []ir.Expr) *ruleIndex {
	ix := &ruleIndex{byAction: map[string][]int{}, byProvider: map[string][]int{}}
	for i, e := range exprs {
		if vals, ok := required(e, "event.action"); ok {
			for _, v := range vals {
				ix.byAction[v] = append(ix.byAction[v], i)
			}
			continue
		}
		if vals, ok := required(e, "event.provider"); ok {
			for _, v := range vals {
				ix.byProvider[v] = append(ix.byProvider[v], i)
			}
			continue
		}
		ix.always = append(ix.always, i)
	}
	return ix
}

// candidates appends to dst the rules that may match an event with the
// given eventName and eventSource, in rule order.
func (ix *ruleIndex) candidates(dst []int, action, provider []byte) []int {
	dst = append(dst[:0], ix.always...)
	dst = append(dst, ix.byAction[string(action)]...)
	dst = append(dst, ix.byProvider[string(provider)]...)
	if len(dst) > 1 {
		insertionSort(dst)
	}
	return dst
}

func insertionSort(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// required reports the values field must hold (exactly, as a keyword)
// for e to be true: ok is false when e can hold whatever the field is.
func required(e ir.Expr, field string) (vals []string, ok bool) {
	switch e := e.(type) {
	case *ir.Term:
		if e.Field.Name == field && !e.Field.Wildcard && !e.Value.IsWildcard() &&
			(e.Field.Type == ir.Keyword || e.Field.Type == ir.Unknown) {
			return []string{e.Value.Text}, true
		}
	case *ir.And:
		for _, x := range e.X {
			if v, ok := required(x, field); ok {
				return v, true
			}
		}
	case *ir.Or:
		var all []string
		for _, x := range e.X {
			v, ok := required(x, field)
			if !ok {
				return nil, false
			}
			all = append(all, v...)
		}
		return dedupe(all), true
	}
	return nil, false
}

func dedupe(vs []string) []string {
	seen := map[string]bool{}
	out := vs[:0]
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
