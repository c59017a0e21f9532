// Package insights is a local interpreter of CloudWatch Logs Insights QL,
// written from the AWS documentation: it runs queries over JSON log events
// so that the cloudwatch backend's output can be executed offline.
package insights

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultLimit is how many rows a query returns without a limit command
// (StartQuery's documented default).
const DefaultLimit = 10000

// Query is a parsed and compiled Logs Insights query.
type Query struct {
	src      string
	commands []command
}

// command is one compiled pipeline stage.
type command struct {
	name string
	// fields
	exprs []namedFn
	// filter
	cond evalFn
	// stats
	aggs []aggSpec
	by   []namedFn
	// sort
	keys []sortKey
	// limit
	limit int
	// display, dedup
	names []string
	// unnest
	list evalFn
	into string
}

type namedFn struct {
	name string
	fn   evalFn
}

type sortKey struct {
	fn   evalFn
	desc bool
}

// Result is what GetQueryResults would return: the output columns in order
// and one row per result, each a map from column to its value as text
// (missing values are absent from the map).
type Result struct {
	Columns []string
	Rows    []Row
}

// Row is one result row.
type Row map[string]string

// Parse parses and checks a query.
func Parse(src string) (*Query, error) {
	ast, err := parseAST(src)
	if err != nil {
		return nil, err
	}
	q := &Query{src: src}
	nStats := 0
	for i, c := range ast.Commands {
		cmd, err := q.compileCommand(c)
		if err != nil {
			return nil, err
		}
		if cmd.name == "stats" {
			nStats++
			if nStats > 2 {
				return nil, compileError(c.Pos, "a query may hold at most two stats commands")
			}
		}
		if i > 0 && q.commands[len(q.commands)-1].name == "dedup" && cmd.name != "limit" {
			return nil, compileError(c.Pos, "only limit may follow dedup")
		}
		q.commands = append(q.commands, cmd)
	}
	return q, nil
}

func (q *Query) compileCommand(c *commandAST) (command, error) {
	switch {
	case c.Fields != nil:
		cmd := command{name: "fields"}
		for _, ne := range c.Fields {
			f, err := compileOr(ne.X)
			if err != nil {
				return cmd, err
			}
			cmd.exprs = append(cmd.exprs, namedFn{q.columnName(ne), f})
		}
		return cmd, nil
	case c.Filter != nil:
		f, err := compileOr(c.Filter)
		return command{name: "filter", cond: f}, err
	case c.Stats != nil:
		return q.compileStats(c.Stats)
	case c.Sort != nil:
		cmd := command{name: "sort"}
		if len(c.Sort) > 1 {
			return cmd, compileError(c.Pos, "sort takes one field (the docs sort \"by a specified field\")")
		}
		for _, k := range c.Sort {
			f, err := compileArith(k.X)
			if err != nil {
				return cmd, err
			}
			cmd.keys = append(cmd.keys, sortKey{f, strings.EqualFold(k.Dir, "desc")})
		}
		return cmd, nil
	case c.Limit != nil:
		n, err := strconv.Atoi(*c.Limit)
		if err != nil || n < 1 {
			return command{}, compileError(c.Pos, "limit needs a positive whole number, not %s", *c.Limit)
		}
		return command{name: "limit", limit: n}, nil
	case c.Unnest != nil:
		f, err := compileArith(c.Unnest.X)
		return command{name: "unnest", list: f, into: c.Unnest.Into}, err
	case c.Display != nil, c.Dedup != nil:
		name, list := "display", c.Display
		if c.Dedup != nil {
			name, list = "dedup", c.Dedup
		}
		cmd := command{name: name}
		for _, a := range list {
			p := literalOf(a)
			if p == nil || p.Field == nil {
				return cmd, compileError(c.Pos, "%s takes field names", name)
			}
			cmd.names = append(cmd.names, *p.Field)
		}
		return cmd, nil
	}
	return command{}, compileError(c.Pos, "empty command")
}

// columnName is an expression's output name: its alias, the field it
// names, or its text as written.
func (q *Query) columnName(ne *namedExprAST) string {
	if ne.Alias != nil {
		return *ne.Alias
	}
	if f, ok := bareField(ne.X); ok {
		return f
	}
	return sourceText(q.src, ne.Pos, ne.EndPos)
}

// Run executes the query over events whose @timestamp lies in the
// StartQuery window [start, end], both bounds inclusive at the granularity
// of epoch seconds, as StartQuery takes them.
func Run(query string, events []Event, start, end time.Time) (Result, error) {
	q, err := Parse(query)
	if err != nil {
		return Result{}, err
	}
	return q.Run(events, start, end), nil
}

// Run executes a parsed query (see the package function Run).
func (q *Query) Run(events []Event, start, end time.Time) Result {
	return q.RunDataset(NewDataset(events), start, end)
}

// Dataset is a set of events whose fields have been discovered once, to
// run many queries over the same events.
type Dataset struct {
	records []record
}

// NewDataset discovers the fields of every event.
func NewDataset(events []Event) *Dataset {
	ds := &Dataset{records: make([]record, len(events))}
	for i, ev := range events {
		ds.records[i] = discover(ev)
	}
	return ds
}

// RunDataset executes a parsed query over a dataset (see Run).
func (q *Query) RunDataset(ds *Dataset, start, end time.Time) Result {
	lo, hi := start.Unix(), end.Unix()
	var rows []*row
	for i := range ds.records {
		rec := &ds.records[i]
		if s := rec.ts.Unix(); s < lo || s > hi {
			continue
		}
		rows = append(rows, &row{rec: rec, now: hi})
	}
	// Without a sort command, results come newest first.
	slices.SortStableFunc(rows, func(a, b *row) int { return b.rec.ts.Compare(a.rec.ts) })

	var columns, display []string
	limit := DefaultLimit
	addColumn := func(name string) {
		if !slices.Contains(columns, name) {
			columns = append(columns, name)
		}
	}
	for _, c := range q.commands {
		switch c.name {
		case "fields":
			for _, r := range rows {
				if r.cols == nil {
					r.cols = map[string]value{}
				}
				for _, e := range c.exprs {
					r.cols[e.name] = e.fn(r)
				}
			}
			for _, e := range c.exprs {
				addColumn(e.name)
			}
		case "filter":
			rows = slices.DeleteFunc(rows, func(r *row) bool { return !c.cond(r).truth() })
		case "stats":
			rows, columns = runStats(c, rows, hi)
		case "sort":
			slices.SortStableFunc(rows, func(a, b *row) int { return compareRows(c.keys, a, b) })
		case "limit":
			if c.limit < len(rows) {
				rows = rows[:c.limit]
			}
			limit = min(limit, c.limit)
		case "display":
			display = c.names
		case "dedup":
			rows = dedup(c.names, rows)
		case "unnest":
			rows = unnest(c, rows)
		}
	}
	if display != nil {
		columns = display
	}
	if columns == nil {
		columns = []string{"@timestamp", "@message"}
	}
	if len(rows) > limit {
		rows = rows[:limit]
	}
	res := Result{Columns: columns}
	for _, r := range rows {
		out := Row{}
		for _, col := range columns {
			if s, ok := r.get(col).display(); ok {
				out[col] = s
			}
		}
		res.Rows = append(res.Rows, out)
	}
	return res
}

// compareRows orders rows by sort keys; missing values sort last in either
// direction. Values compare as the documented "natural sorting" does (see
// naturalCompare).
func compareRows(keys []sortKey, a, b *row) int {
	for _, k := range keys {
		x, y := k.fn(a), k.fn(b)
		switch {
		case !x.present() && !y.present():
			continue
		case !x.present():
			return 1
		case !y.present():
			return -1
		}
		c := naturalCompare(x, y)
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// naturalCompare is the sort order the sort command documents for
// ascending order: every value that is not a number comes before every
// number; numbers (and values made only of digits) compare numerically;
// other values are split into runs of digits and runs of other
// characters, compared run by run: two digit runs by length and then by
// value, anything else by Unicode code points.
func naturalCompare(x, y value) int {
	xn, xIsNum := sortNumber(x)
	yn, yIsNum := sortNumber(y)
	switch {
	case xIsNum && yIsNum:
		return cmpFloat(xn, yn)
	case xIsNum:
		return 1
	case yIsNum:
		return -1
	}
	sx, _ := x.display()
	sy, _ := y.display()
	for sx != "" && sy != "" {
		cx, cy := chunk(sx), chunk(sy)
		sx, sy = sx[len(cx):], sy[len(cy):]
		if isDigit(cx[0]) && isDigit(cy[0]) {
			if len(cx) != len(cy) {
				return cmpInt(len(cx), len(cy))
			}
		}
		if c := strings.Compare(cx, cy); c != 0 {
			return c
		}
	}
	return cmpInt(len(sx), len(sy))
}

// sortNumber reports whether a value sorts as a number: a number, a
// boolean or time, or a string made only of digits.
func sortNumber(v value) (float64, bool) {
	if n, ok := v.number(); ok {
		return n, true
	}
	if v.k != kString || v.s == "" {
		return 0, false
	}
	for i := 0; i < len(v.s); i++ {
		if !isDigit(v.s[i]) {
			return 0, false
		}
	}
	n, err := strconv.ParseFloat(v.s, 64)
	return n, err == nil
}

// chunk returns the leading run of digits, or of non-digits, of s.
func chunk(s string) string {
	digits := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == digits {
		i++
	}
	return s[:i]
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpInt(a, b int) int { return cmpFloat(float64(a), float64(b)) }

// dedup keeps the first row of each combination of values; a row in which
// any of the fields is null is always kept.
func dedup(names []string, rows []*row) []*row {
	seen := map[string]bool{}
	var out []*row
	for _, r := range rows {
		key, ok := groupKey(r, names)
		if !ok {
			out = append(out, r)
			continue
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, r)
		}
	}
	return out
}

// groupKey joins the typed display forms of the named fields; ok is false
// if any is null.
func groupKey(r *row, names []string) (string, bool) {
	var b strings.Builder
	for _, n := range names {
		v := r.get(n)
		s, ok := v.display()
		if !ok {
			return "", false
		}
		fmt.Fprintf(&b, "%d:%d:%s;", v.k, len(s), s)
	}
	return b.String(), true
}

// unnest replaces each row by one row per element of a list (from
// jsonParse), with the element in the into field and every other field
// from the original row. Any other non-null value counts as a list of one
// item, as documented; a null yields no row.
func unnest(c command, rows []*row) []*row {
	var out []*row
	for _, r := range rows {
		v := c.list(r)
		var elems []value
		switch v.k {
		case kNull:
		case kList:
			for _, x := range v.o.([]any) {
				elems = append(elems, fromJSON(x))
			}
		default:
			elems = []value{v}
		}
		for _, e := range elems {
			n := &row{rec: r.rec, now: r.now, cols: make(map[string]value, len(r.cols)+1)}
			for k, x := range r.cols {
				n.cols[k] = x
			}
			n.cols[c.into] = e
			out = append(out, n)
		}
	}
	return out
}
