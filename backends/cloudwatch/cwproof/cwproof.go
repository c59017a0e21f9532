// Package cwproof executes the cloudwatch backend's output: it renders a
// rule, runs the query text in the local Logs Insights interpreter over raw
// CloudTrail records and maps the result rows to alerts.
package cwproof

import (
	"fmt"
	"strconv"
	"time"

	"github.com/detc/detc/backends/cloudwatch"
	"github.com/detc/detc/insights"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/source/cloudtrail"
)

// Alerts renders rule for run time at, runs the exact query string over the
// raw records (each a log event whose @timestamp is its eventTime) in the
// StartQuery window, and maps each result row to an alert.
func Alerts(rule *ir.Rule, raw [][]byte, at time.Time) ([]ir.Alert, error) {
	ds, err := Dataset(raw)
	if err != nil {
		return nil, err
	}
	return DatasetAlerts(rule, ds, at)
}

// Dataset turns raw CloudTrail records into log events (@timestamp =
// eventTime) with their fields discovered, to run many rules over them.
func Dataset(raw [][]byte) (*insights.Dataset, error) {
	events := make([]insights.Event, 0, len(raw))
	for i, r := range raw {
		ts, err := cloudtrail.EventTime(r)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i+1, err)
		}
		events = append(events, insights.Event{Timestamp: ts, Message: r})
	}
	return insights.NewDataset(events), nil
}

// DatasetAlerts is Alerts over a prepared dataset.
func DatasetAlerts(rule *ir.Rule, ds *insights.Dataset, at time.Time) ([]ir.Alert, error) {
	art, err := cloudwatch.Render(rule, cloudwatch.Options{At: at})
	if err != nil {
		return nil, err
	}
	start := art.Window.Start
	if rule.Type == ir.NewTerms {
		start = art.Window.HistoryStart
	}
	q, err := insights.Parse(art.Query)
	if err != nil {
		return nil, fmt.Errorf("logs insights: %w\n%s", err, art.Query)
	}
	return RowsToAlerts(rule, art.Output, q.RunDataset(ds, start, art.Window.End))
}

// RowsToAlerts maps result rows to alerts through the rendered query's
// output columns.
func RowsToAlerts(rule *ir.Rule, out cloudwatch.Output, res insights.Result) ([]ir.Alert, error) {
	alerts := make([]ir.Alert, 0, len(res.Rows))
	for _, row := range res.Rows {
		a := ir.Alert{RuleID: rule.ID}
		if out.EventID != "" {
			a.EventID = row[out.EventID]
		}
		for _, c := range out.Terms {
			a.Terms = append(a.Terms, row[c])
		}
		if out.Count != "" {
			n, err := strconv.Atoi(row[out.Count])
			if err != nil {
				return nil, fmt.Errorf("column %s holds %q, not a count", out.Count, row[out.Count])
			}
			a.Count = n
		}
		alerts = append(alerts, a)
	}
	ir.SortAlerts(alerts)
	return alerts, nil
}
