package scan

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detc/detc/backends/eval/evaltest"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/source/cloudtrail"
)

const samples = "../../shared/aws/samples/"

func newTermsRule(t *testing.T) *ir.Rule {
	return &ir.Rule{
		ID: "nt", Name: "new exporter", Severity: "low", Type: ir.NewTerms, From: "now-6m", Interval: "5m",
		Expr:     evaltest.MustLower(t, `event.provider: "dynamodb.amazonaws.com" and event.action: "ExportTableToPointInTime" and event.outcome: "success"`, nil),
		NewTerms: &ir.NewTermsSpec{Fields: []string{"aws.cloudtrail.user_identity.arn"}, HistoryWindowStart: "now-14d"},
	}
}

func alertIDs(res *Result) []string {
	var out []string
	for _, a := range res.Alerts {
		out = append(out, a.RunAt.Format("01-02T15:04")+" "+a.EventID)
	}
	return out
}

// TestScanNewTermsTimeline replays the new_terms scenario as a timeline:
// every identity's first export alerts in the run that sees it (alice and
// bob weeks earlier too); alice is new again today because her history
// is older than now-14d; bob is not; dave alerts once, although his
// second export is in a later window; carol's failure never matches.
func TestScanNewTermsTimeline(t *testing.T) {
	res, err := Run([]*ir.Rule{newTermsRule(t)}, []string{samples + "newterms_scenario.ndjson"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"02-21T10:00 nt-a-old", "03-08T09:00 nt-b-hist", "03-13T18:30 nt-d-1", "03-13T18:35 nt-a-now"}
	if got := alertIDs(res); !slices.Equal(got, want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
	if res.Files != 1 || res.Events != 7 || res.Unreadable != 0 || res.PerRule["nt"] != 4 {
		t.Errorf("summary: files %d events %d unreadable %d alerts %v", res.Files, res.Events, res.Unreadable, res.PerRule)
	}

	// With a warm-up until March 13th, the early exports are history only:
	// alice is still new (her history is older than 14 days), bob is not.
	since := time.Date(2025, 3, 13, 0, 0, 0, 0, time.UTC)
	res, err = Run([]*ir.Rule{newTermsRule(t)}, []string{samples + "newterms_scenario.ndjson"}, Options{Since: since})
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"03-13T18:30 nt-d-1", "03-13T18:35 nt-a-now"}
	if got := alertIDs(res); !slices.Equal(got, want) || res.PerRule["nt"] != 2 {
		t.Errorf("since %v: alerts %v (per rule %v), want %v", since, got, res.PerRule, want)
	}
}

// TestScanInputForms reads NDJSON, the S3 Records file, its gzip and a
// directory holding them, and finds the same events in each.
func TestScanInputForms(t *testing.T) {
	rule := &ir.Rule{ID: "all", Type: ir.Query, From: "now-1000d", Interval: "1d", MaxSignals: 1000, Expr: &ir.MatchAll{}}
	var want []string
	for i, p := range []string{"all_events.ndjson", "s3_logfile_Records_wrapper_example.json", "s3_logfile_Records_wrapper_example.json.gz"} {
		res, err := Run([]*ir.Rule{rule}, []string{samples + p}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range res.Alerts {
			ids = append(ids, a.EventID)
		}
		if res.Events != 5 || res.Unreadable != 0 || len(ids) != 5 {
			t.Errorf("%s: %d events, %d unreadable, alerts %v", p, res.Events, res.Unreadable, ids)
		}
		if i == 0 {
			want = ids
		} else if !slices.Equal(ids, want) {
			t.Errorf("%s: alerts %v, want %v as from NDJSON", p, ids, want)
		}
	}
	dir := t.TempDir()
	for _, p := range []string{"all_events.ndjson", "s3_logfile_Records_wrapper_example.json.gz"} {
		data, err := os.ReadFile(samples + p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Run([]*ir.Rule{rule}, []string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 2 || res.Events != 10 {
		t.Errorf("directory: %d files, %d events, want 2 and 10", res.Files, res.Events)
	}
}

// TestScanUnreadable counts and names every unreadable record; --strict
// makes the first one fatal.
func TestScanUnreadable(t *testing.T) {
	good, err := os.ReadFile(samples + "all_events.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(good)), "\n")
	bad := strings.Join([]string{
		lines[0],
		`{"eventTime": "2025-03-13T18:30:00Z", "broken": `, // line 2: not JSON
		`not json at all`,         // line 3: not an object
		`{"eventName": "NoTime"}`, // line 4: no eventTime
		`{"eventTime": "yesterday", "eventName": "BadTime"}`, // line 5: bad eventTime
		lines[1],
		"",
		lines[2],
	}, "\n") + "\n"
	dir := t.TempDir()
	path := filepath.Join(dir, "mixed.ndjson")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(good[:len(good)/2])
	zw.Close()
	truncated := filepath.Join(dir, "truncated.json.gz")
	if err := os.WriteFile(truncated, gz.Bytes()[:gz.Len()-12], 0o644); err != nil {
		t.Fatal(err)
	}
	rule := &ir.Rule{ID: "all", Type: ir.Query, From: "now-1000d", Interval: "1d", Expr: &ir.MatchAll{}}
	res, err := Run([]*ir.Rule{rule}, []string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 3 || res.Unreadable != 4 {
		t.Errorf("%d events and %d unreadable, want 3 and 4", res.Events, res.Unreadable)
	}
	var named []string
	for _, b := range res.Bad {
		named = append(named, b.String())
	}
	for i, want := range []string{path + ":2:", path + ":3:", path + ":4: no eventTime", path + ":5: eventTime \"yesterday\""} {
		if i >= len(named) || !strings.HasPrefix(named[i], want) {
			t.Errorf("unreadable records %q: want #%d to start with %q", named, i, want)
		}
	}
	var sum bytes.Buffer
	WriteSummary(&sum, res)
	if !strings.Contains(sum.String(), "4 unreadable records") || !strings.Contains(sum.String(), path+":4: no eventTime") {
		t.Errorf("summary does not name the unreadable records:\n%s", sum.String())
	}

	res, err = Run([]*ir.Rule{rule}, []string{truncated}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Unreadable == 0 {
		t.Errorf("a truncated gzip file was not counted as unreadable: %+v", res.Bad)
	}

	_, err = Run([]*ir.Rule{rule}, []string{path}, Options{Strict: true})
	if !errors.Is(err, ErrStrict) || !strings.Contains(err.Error(), path+":2") {
		t.Errorf("strict scan: error %v, want ErrStrict naming %s:2", err, path)
	}
}

// TestScanDeterministic: the NDJSON output is byte-identical with one or
// two workers and across runs, and written atomically with WriteFile.
func TestScanDeterministic(t *testing.T) {
	rules := []*ir.Rule{
		newTermsRule(t),
		{ID: "q", Name: "exports", Severity: "low", Type: ir.Query, From: "now-10m", Interval: "5m",
			Expr: evaltest.MustLower(t, `event.action: ExportTableToPointInTime`, nil)},
		{ID: "th", Name: "many exports", Severity: "low", Type: ir.Threshold, From: "now-10m", Interval: "5m",
			Expr:      evaltest.MustLower(t, `event.action: ExportTableToPointInTime`, nil),
			Threshold: &ir.ThresholdSpec{Fields: []string{"cloud.account.id"}, Value: 3}},
	}
	dir := t.TempDir()
	for _, p := range []string{"all_events.ndjson", "newterms_scenario.ndjson"} {
		data, err := os.ReadFile(samples + p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var outs [][]byte
	for _, w := range []int{1, 2, 2} {
		res, err := Run(rules, []string{dir}, Options{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		// Eight exports: seven in the scenario, one in all_events.
		if res.PerRule["th"] != 1 || res.PerRule["q"] != 8 {
			t.Errorf("alerts per rule %v, want th 1 (six exports in ten minutes) and q 8", res.PerRule)
		}
		var buf bytes.Buffer
		if err := WriteNDJSON(&buf, res.Alerts); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, buf.Bytes())
		path := filepath.Join(t.TempDir(), "alerts.ndjson")
		if err := WriteFile(path, res.Alerts); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(path); !bytes.Equal(data, buf.Bytes()) {
			t.Error("WriteFile and WriteNDJSON differ")
		}
	}
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[0], outs[i]) {
			t.Errorf("run %d output differs from run 0", i)
		}
	}
	if !bytes.Contains(outs[0], []byte(`"rule_id":"th","rule_name":"many exports","severity":"low","type":"threshold"`)) ||
		!bytes.Contains(outs[0], []byte(`"terms":["111122223333"],"count":6`)) {
		t.Errorf("threshold alert line missing or malformed:\n%s", outs[0])
	}
}

// TestScanNDJSONChunksAgreeWithReadRecords: the chunked NDJSON reader
// (lines split by the workers) cuts records exactly as
// cloudtrail.ReadRecords does: byte-order mark, CRLF, blank lines, lines
// longer than a chunk, bad lines named at the right line.
func TestScanNDJSONChunksAgreeWithReadRecords(t *testing.T) {
	good, err := os.ReadFile(samples + "all_events.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	recs := strings.Split(strings.TrimSpace(string(good)), "\n")
	long := strings.Replace(recs[1], `"requestParameters":{`, `"requestParameters":{"padding":"`+strings.Repeat("x", 3*batchBytes)+`",`, 1)
	var b strings.Builder
	b.WriteString("\xef\xbb\xbf")
	for i := 0; i < 400; i++ {
		switch i % 7 {
		case 0:
			b.WriteString(recs[i%len(recs)] + "\r\n")
		case 1:
			b.WriteString("\n")
		case 2:
			b.WriteString("[not an object]\n")
		case 3:
			if i < 30 {
				b.WriteString(long + "\n")
			} else {
				b.WriteString(recs[i%len(recs)] + "\n")
			}
		case 4:
			b.WriteString(`{"eventTime": "2025-01-01T00:00:00Z", "broken": }` + "\n")
		default:
			b.WriteString("  " + recs[i%len(recs)] + "  \n")
		}
	}
	b.WriteString(recs[0]) // no final newline
	path := filepath.Join(t.TempDir(), "mixed.ndjson")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	// Reference: ReadRecords, then the same eventTime check.
	var wantBad []string
	wantEvents := 0
	st, err := cloudtrail.ReadFile(path, func(rec []byte, line int) error {
		if _, err := cloudtrail.EventTime(rec); err != nil || !json.Valid(rec) {
			wantBad = append(wantBad, fmt.Sprintf("%d", line))
			return nil
		}
		wantEvents++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range st.Bad {
		wantBad = append(wantBad, fmt.Sprintf("%d", bad.Line))
	}

	rule := &ir.Rule{ID: "all", Type: ir.Query, From: "now-1000d", Interval: "1d", Expr: &ir.MatchAll{}}
	res, err := Run([]*ir.Rule{rule}, []string{path}, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var gotBad []string
	for _, bad := range res.Bad {
		gotBad = append(gotBad, fmt.Sprintf("%d", bad.Line))
	}
	sortNumeric := func(s []string) {
		slices.SortFunc(s, func(a, b string) int {
			var x, y int
			fmt.Sscan(a, &x)
			fmt.Sscan(b, &y)
			return x - y
		})
	}
	sortNumeric(wantBad)
	sortNumeric(gotBad)
	if res.Events != wantEvents || res.Unreadable != len(wantBad) || !slices.Equal(gotBad[:min(len(gotBad), cloudtrail.MaxNamed)], wantBad[:min(len(wantBad), cloudtrail.MaxNamed)]) {
		t.Errorf("scan: %d events, %d unreadable at lines %v\nReadRecords: %d events, %d unreadable at lines %v",
			res.Events, res.Unreadable, gotBad, wantEvents, len(wantBad), wantBad)
	}
	if wantEvents < 200 || len(wantBad) < 100 {
		t.Errorf("the mixed file is not mixed enough: %d events, %d bad", wantEvents, len(wantBad))
	}
}

// TestScanPrettyRecord reads a file holding one pretty-printed record (as
// the AWS documentation prints them) as one event; a broken one is read
// line by line, and the summary names its unreadable lines as a range.
func TestScanPrettyRecord(t *testing.T) {
	rule := &ir.Rule{ID: "all", Type: ir.Query, From: "now-10000d", Interval: "1d", Expr: &ir.MatchAll{}}
	res, err := Run([]*ir.Rule{rule}, []string{samples + "02_dynamodb_UpdateItem_failure_awsdocs.json"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 1 || res.Unreadable != 0 || len(res.Alerts) != 1 {
		t.Errorf("pretty record: %d events, %d unreadable, %d alerts; want 1, 0, 1", res.Events, res.Unreadable, len(res.Alerts))
	}
	path := filepath.Join(t.TempDir(), "broken.json")
	if err := os.WriteFile(path, []byte("{\n  \"eventTime\": \n  \"x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = Run([]*ir.Rule{rule}, []string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var sum bytes.Buffer
	WriteSummary(&sum, res)
	if res.Unreadable != 3 || !strings.Contains(sum.String(), path+":1-3: not a JSON object (3 records)") {
		t.Errorf("broken pretty record: %d unreadable, summary:\n%s", res.Unreadable, sum.String())
	}
}

// TestParseCloudTrailTime: the allocation-free reader of eventTime agrees
// with time.Parse whenever it accepts a value.
func TestParseCloudTrailTime(t *testing.T) {
	rnd := []string{"2025-03-13T18:35:00Z", "2024-02-28T23:59:59Z", "0000-01-01T00:00:00Z", "9999-12-28T00:00:00Z",
		"2025-02-29T00:00:00Z", "2025-13-01T00:00:00Z", "2025-03-13T24:00:00Z", "2025-03-13T18:35:60Z",
		"2025-03-13T18:35:00+01:00", "2025-03-13T18:35:00.5Z", "2025-03-13 18:35:00Z", "2025-03-1aT18:35:00Z"}
	for i := 0; i < 20000; i++ {
		b := []byte("2025-03-13T18:35:00Z")
		b[i%20] = "0123456789-:TZ x"[i*7%16]
		rnd = append(rnd, string(b))
	}
	accepted := 0
	for _, s := range rnd {
		got, ok := parseCloudTrailTime([]byte(s))
		if !ok {
			continue
		}
		accepted++
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%q: fast %v, time.Parse %v %v", s, got, want, err)
		}
	}
	if accepted < 1000 {
		t.Errorf("only %d values took the fast path", accepted)
	}
}
