package insights

import (
	"fmt"
	"strings"
)

// aggSpec is one aggregate of a stats command.
type aggSpec struct {
	name string // output column
	fn   string // lower-case aggregate name
	arg  evalFn // nil for count(*) and count()
}

func (q *Query) compileStats(s *statsAST) (command, error) {
	cmd := command{name: "stats"}
	for _, ne := range s.Aggs {
		p := primaryOf(ne.X)
		if p == nil || p.Call == nil || !aggregates[strings.ToLower(p.Call.Name)] {
			return cmd, compileError(ne.Pos, "stats needs aggregate functions (count, count_distinct, min, max, sum, avg, earliest, latest)")
		}
		fn := strings.ToLower(p.Call.Name)
		spec := aggSpec{name: q.columnName(ne), fn: fn}
		switch {
		case p.Call.Star || len(p.Call.Args) == 0:
			if fn != "count" {
				return cmd, compileError(ne.Pos, "%s() needs a field", p.Call.Name)
			}
		case len(p.Call.Args) == 1:
			f, err := compileOr(p.Call.Args[0])
			if err != nil {
				return cmd, err
			}
			spec.arg = f
		default:
			return cmd, compileError(ne.Pos, "%s() takes one argument", p.Call.Name)
		}
		cmd.aggs = append(cmd.aggs, spec)
	}
	for _, ne := range s.By {
		f, err := compileOr(ne.X)
		if err != nil {
			return cmd, err
		}
		cmd.by = append(cmd.by, namedFn{q.columnName(ne), f})
	}
	return cmd, nil
}

// aggState accumulates one aggregate for one group.
type aggState struct {
	count    int
	distinct map[string]bool
	best     value // min, max, earliest, latest
	bestRow  *row
	sum      float64
	nums     int
}

// runStats groups rows by the by-expressions (a null by-value is a group
// of its own) and computes the aggregates; groups come out in order of
// first appearance.
func runStats(c command, rows []*row, now int64) ([]*row, []string) {
	type group struct {
		by   []value
		aggs []aggState
	}
	groups := map[string]*group{}
	var order []*group
	for _, r := range rows {
		byVals := make([]value, len(c.by))
		var key strings.Builder
		for i, b := range c.by {
			v := b.fn(r)
			byVals[i] = v
			s, _ := v.display()
			fmt.Fprintf(&key, "%d:%d:%s;", v.k, len(s), s)
		}
		g, ok := groups[key.String()]
		if !ok {
			g = &group{by: byVals, aggs: make([]aggState, len(c.aggs))}
			groups[key.String()] = g
			order = append(order, g)
		}
		for i, a := range c.aggs {
			accumulate(&g.aggs[i], a, r)
		}
	}
	var columns []string
	for _, b := range c.by {
		columns = append(columns, b.name)
	}
	for _, a := range c.aggs {
		columns = append(columns, a.name)
	}
	// stats without by over no rows still yields one row (count 0).
	if len(c.by) == 0 && len(order) == 0 {
		order = append(order, &group{aggs: make([]aggState, len(c.aggs))})
	}
	out := make([]*row, 0, len(order))
	for _, g := range order {
		r := &row{cols: map[string]value{}, now: now}
		for i, b := range c.by {
			r.cols[b.name] = g.by[i]
		}
		for i, a := range c.aggs {
			r.cols[a.name] = result(&g.aggs[i], a)
		}
		out = append(out, r)
	}
	return out, columns
}

func accumulate(st *aggState, a aggSpec, r *row) {
	if a.arg == nil { // count(*)
		st.count++
		return
	}
	v := a.arg(r)
	switch a.fn {
	case "earliest", "latest":
		// The value comes from the event with the earliest (latest)
		// @timestamp; ties keep the first row seen.
		if st.bestRow == nil || better(a.fn, r, st.bestRow) {
			st.bestRow, st.best = r, v
		}
		return
	}
	if !v.present() {
		return
	}
	st.count++
	switch a.fn {
	case "count_distinct":
		if st.distinct == nil {
			st.distinct = map[string]bool{}
		}
		s, _ := v.display()
		st.distinct[fmt.Sprintf("%d:%s", v.k, s)] = true
	case "min", "max":
		if !st.best.present() {
			st.best = v
			return
		}
		c, ok := order(v, st.best)
		if ok && ((a.fn == "min" && c < 0) || (a.fn == "max" && c > 0)) {
			st.best = v
		}
	case "sum", "avg":
		if n, ok := v.number(); ok {
			st.sum += n
			st.nums++
		}
	}
}

func better(fn string, r, best *row) bool {
	if r.rec == nil || best.rec == nil {
		return false
	}
	if fn == "earliest" {
		return r.rec.ts.Before(best.rec.ts)
	}
	return r.rec.ts.After(best.rec.ts)
}

func result(st *aggState, a aggSpec) value {
	switch a.fn {
	case "count":
		return numVal(float64(st.count))
	case "count_distinct":
		return numVal(float64(len(st.distinct)))
	case "min", "max", "earliest", "latest":
		return st.best
	case "sum":
		if st.nums == 0 {
			return null
		}
		return numVal(st.sum)
	case "avg":
		if st.nums == 0 {
			return null
		}
		return numVal(st.sum / float64(st.nums))
	}
	return null
}
