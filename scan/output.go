package scan

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// alertLine is one NDJSON output line.
type alertLine struct {
	RuleID    string          `json:"rule_id"`
	RuleName  string          `json:"rule_name"`
	Severity  string          `json:"severity"`
	Type      string          `json:"type"`
	RunTime   string          `json:"run_time"`
	EventTime string          `json:"event_time"`
	EventID   string          `json:"event_id,omitempty"`
	Terms     []string        `json:"terms,omitempty"`
	Count     int             `json:"count,omitempty"`
	Event     json.RawMessage `json:"event"`
}

// WriteNDJSON writes one JSON line per alert: the rule's id, name and
// severity, the run time, the new term or threshold group (terms, count)
// and the raw CloudTrail event.
func WriteNDJSON(w io.Writer, alerts []Alert) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, a := range alerts {
		line := alertLine{
			RuleID: a.Rule.ID, RuleName: a.Rule.Name, Severity: a.Rule.Severity, Type: string(a.Rule.Type),
			RunTime: a.RunAt.UTC().Format(time.RFC3339), EventTime: a.EventTime.UTC().Format(time.RFC3339Nano),
			EventID: a.EventID, Terms: a.Terms, Count: a.Count, Event: a.Event,
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteFile writes the alerts to path through a temporary file in the same
// directory, renamed into place, so that a reader never sees half a file.
func WriteFile(path string, alerts []Alert) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := WriteNDJSON(tmp, alerts); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteSummary prints what was read and found: files, events, unreadable
// records (named), skipped rules and alerts per rule.
func WriteSummary(w io.Writer, res *Result) {
	fmt.Fprintf(w, "scanned %d files, %d events (%.1f MB), %d unreadable records\n",
		res.Files, res.Events, float64(res.Bytes)/1e6, res.Unreadable)
	// Consecutive lines of a file with the same error print as one range.
	for i := 0; i < len(res.Bad); {
		b := res.Bad[i]
		j := i + 1
		for j < len(res.Bad) && res.Bad[j].File == b.File && res.Bad[j].Line == res.Bad[j-1].Line+1 &&
			res.Bad[j].Err.Error() == b.Err.Error() {
			j++
		}
		if j-i > 1 {
			fmt.Fprintf(w, "  unreadable: %s:%d-%d: %v (%d records)\n", b.File, b.Line, res.Bad[j-1].Line, b.Err, j-i)
		} else {
			fmt.Fprintf(w, "  unreadable: %s\n", b)
		}
		i = j
	}
	if n := res.Unreadable - len(res.Bad); n > 0 {
		fmt.Fprintf(w, "  ... and %d more unreadable records\n", n)
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(w, "  rule %s (%s) not run: %v\n", s.Rule.ID, s.Rule.Name, s.Err)
	}
	ids := make([]string, 0, len(res.PerRule))
	for id := range res.PerRule {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fmt.Fprintf(w, "%d alerts\n", len(res.Alerts))
	names := map[string]string{}
	for _, a := range res.Alerts {
		names[a.Rule.ID] = a.Rule.Name
	}
	for _, id := range ids {
		fmt.Fprintf(w, "  %6d  %s  %s\n", res.PerRule[id], id, names[id])
	}
	if quiet := len(res.Ran) - len(ids); quiet > 0 {
		fmt.Fprintf(w, "  %d of %d rules raised no alert\n", quiet, len(res.Ran))
	}
}
