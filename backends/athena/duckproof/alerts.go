package duckproof

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/detc/detc/backends/athena"
	"github.com/detc/detc/ir"
)

// Alerts renders rule for run time at, runs the exact SQL text in DuckDB
// over the raw CloudTrail records, and maps the rows to alerts: event_id
// to EventID, term_1..term_n to Terms and, for threshold rules, hits to
// Count.
func Alerts(rule *ir.Rule, raw [][]byte, at time.Time) ([]ir.Alert, error) {
	query, err := athena.Render(rule, athena.Options{At: at})
	if err != nil {
		return nil, err
	}
	d, err := Open(athena.DefaultTable)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if err := d.Load(raw); err != nil {
		return nil, err
	}
	cols, rows, err := d.Query(query)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w\n%s", err, query)
	}
	return RowsToAlerts(rule, cols, rows)
}

// RowsToAlerts maps result rows of a rendered statement to alerts.
func RowsToAlerts(rule *ir.Rule, cols []string, rows []Row) ([]ir.Alert, error) {
	var termCols []string
	for _, c := range cols {
		if strings.HasPrefix(c, athena.ColTerm) {
			termCols = append(termCols, c)
		}
	}
	sort.Slice(termCols, func(i, j int) bool {
		a, _ := strconv.Atoi(strings.TrimPrefix(termCols[i], athena.ColTerm))
		b, _ := strconv.Atoi(strings.TrimPrefix(termCols[j], athena.ColTerm))
		return a < b
	})
	out := make([]ir.Alert, 0, len(rows))
	for _, r := range rows {
		a := ir.Alert{RuleID: rule.ID}
		if rule.Type != ir.Threshold {
			a.EventID = text(r[athena.ColEventID])
		}
		for _, c := range termCols {
			a.Terms = append(a.Terms, text(r[c]))
		}
		if rule.Type == ir.Threshold {
			n, err := count(r[athena.ColHits])
			if err != nil {
				return nil, err
			}
			a.Count = n
		}
		out = append(out, a)
	}
	ir.SortAlerts(out)
	return out, nil
}

func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	return fmt.Sprint(v)
}

func count(v any) (int, error) {
	switch v := v.(type) {
	case int64:
		return int(v), nil
	case int32:
		return int(v), nil
	case uint64:
		return int(v), nil
	}
	return 0, fmt.Errorf("hits column holds %T, not a count", v)
}
