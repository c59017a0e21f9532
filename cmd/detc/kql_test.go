package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/detc/detc/backends/eval"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/jsondoc"
	"github.com/detc/detc/lower"
	"github.com/detc/detc/source/cloudtrail"
)

const samplesDir = "../../../shared/aws/samples/"

// sampleRecords returns the raw records of the shared samples (all_events
// and the new_terms scenario).
func sampleRecords(t testing.TB) [][]byte {
	t.Helper()
	var recs [][]byte
	for _, f := range []string{"all_events.ndjson", "newterms_scenario.ndjson"} {
		_, err := cloudtrail.ReadFile(samplesDir+f, func(rec []byte, _ int) error {
			recs = append(recs, bytes.Clone(rec))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(recs) < 10 {
		t.Fatalf("only %d sample records", len(recs))
	}
	return recs
}

// ecsLine derives the ECS document of a raw record as one NDJSON line.
func ecsLine(t testing.TB, raw []byte) []byte {
	t.Helper()
	doc, err := cloudtrail.ToECS(raw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeLines(t *testing.T, name string, lines [][]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, append(bytes.Join(lines, []byte{'\n'}), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var matchQueries = []string{
	`event.provider: "dynamodb.amazonaws.com"`,
	`event.action: ExportTableToPointInTime and not aws.cloudtrail.user_identity.arn: *bob`,
	`event.outcome: failure or source.ip: 198.51.100.0/24`,
	`user_agent.original: aws-cli* and cloud.region: us-east-1`,
	`not event.provider: (sts.amazonaws.com or signin.amazonaws.com)`,
	`aws.cloudtrail.flattened.request_parameters.exportFormat: DYNAMODB_JSON`,
	`event.dataset: "aws.cloudtrail"`,
	`event.action: NoSuchAction`,
}

// TestKQLMatch runs `detc kql --match` on the ECS documents derived from
// the samples and on the raw records with --source aws.cloudtrail: both
// must print exactly the lines whose document the evaluator matches, and
// the two forms must agree record by record.
func TestKQLMatch(t *testing.T) {
	recs := sampleRecords(t)
	var ecs [][]byte
	for _, r := range recs {
		ecs = append(ecs, ecsLine(t, r))
	}
	ecsPath := writeLines(t, "ecs.ndjson", ecs)
	rawPath := writeLines(t, "raw.ndjson", recs)
	for _, q := range matchQueries {
		expr, diags := lower.Query(q, lower.Options{})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", q, diags)
		}
		m, err := eval.Compile(expr)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, l := range ecs {
			ok, err := m.MatchJSON(l)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				want = append(want, string(l))
			}
		}
		var out, errb bytes.Buffer
		if code := run([]string{"kql", q, "--match", ecsPath}, nil, &out, &errb); code != exitOK {
			t.Fatalf("%s: exit %d: %s", q, code, errb.String())
		}
		got := nonEmptyLines(out.String())
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s (ECS): printed %d lines, want %d", q, len(got), len(want))
		}
		if summary, wantSummary := lastLine(errb.String()), fmt.Sprintf("%d of %d documents matched", len(want), len(ecs)); summary != wantSummary {
			t.Errorf("%s: summary %q, want %q", q, summary, wantSummary)
		}
		// Raw records through the source profile: the same records match.
		out.Reset()
		errb.Reset()
		if code := run([]string{"kql", "--source", "aws.cloudtrail", q, "--match", rawPath}, nil, &out, &errb); code != exitOK {
			t.Fatalf("%s: exit %d: %s", q, code, errb.String())
		}
		rawGot := nonEmptyLines(out.String())
		if len(rawGot) != len(want) {
			t.Errorf("%s: raw form printed %d records, ECS form %d", q, len(rawGot), len(want))
			continue
		}
		for i, l := range rawGot {
			if derived := string(ecsLine(t, []byte(l))); derived != want[i] {
				t.Errorf("%s: raw match %d is not the ECS match %d", q, i, i)
			}
		}
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

func lastLine(s string) string {
	ls := nonEmptyLines(s)
	if len(ls) == 0 {
		return ""
	}
	return ls[len(ls)-1]
}

// TestKQLMatchInput covers what a document file may hold: CRLF lines and
// blank lines (kept and skipped), a 5 MiB document, lines that are not JSON
// objects and a line over the 16 MiB limit (named, counted, exit 1).
func TestKQLMatchInput(t *testing.T) {
	big := `{"event":{"action":"Big"},"pad":"` + strings.Repeat("x", 5<<20) + `"}`
	huge := `{"event":{"action":"Big"},"pad":"` + strings.Repeat("y", maxDocumentLine) + `"}`
	input := strings.Join([]string{
		`{"event":{"action":"A"}}` + "\r",
		``,
		`{"event.action":"Big","n":1}`,
		big,
		`not json`,
		`[1,2]`,
		huge,
		`{"event":{"action":["x","Big"]}}`,
	}, "\n")
	var out, errb bytes.Buffer
	code := run([]string{"kql", "event.action: Big", "--match", "-"}, strings.NewReader(input), &out, &errb)
	if code != exitFail {
		t.Errorf("exit %d, want %d (unreadable lines)", code, exitFail)
	}
	want := `{"event.action":"Big","n":1}` + "\n" + big + "\n" + `{"event":{"action":["x","Big"]}}` + "\n"
	if out.String() != want {
		t.Errorf("stdout has %d bytes, want %d", out.Len(), len(want))
	}
	for _, w := range []string{"stdin:5: invalid JSON at offset", "stdin:6: a JSON array, not an object", "stdin:7: line longer than 16 MiB",
		"3 of 4 documents matched; 3 lines unreadable"} {
		if !strings.Contains(errb.String(), w) {
			t.Errorf("stderr lacks %q:\n%s", w, clip(errb.String(), 2000))
		}
	}
	// A CRLF line that matches is printed unchanged, \r included.
	out.Reset()
	errb.Reset()
	if code := run([]string{"kql", "event.action: A", "--match", "-"}, strings.NewReader(`{"event":{"action":"A"}}`+"\r\n\n"), &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if out.String() != `{"event":{"action":"A"}}`+"\r\n" {
		t.Errorf("stdout %q", out.String())
	}
	for _, args := range [][]string{
		{"kql", "-", "--match", "-"},
		{"kql", "a: b", "--explain"},
		{"kql", "a: b", "--match", "-", "--source", "syslog"},
	} {
		if code := run(args, strings.NewReader(""), &out, &errb); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// TestKQLMatchRecordsFile reads an S3 {"Records":[...]} file, gzipped, with
// --source aws.cloudtrail.
func TestKQLMatchRecordsFile(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"kql", "--source", "aws.cloudtrail", "event.action: *", "--match", samplesDir + "s3_logfile_Records_wrapper_example.json.gz"}, nil, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	n := len(nonEmptyLines(out.String()))
	if n == 0 || !strings.Contains(errb.String(), fmt.Sprintf("%d of %d documents matched", n, n)) {
		t.Errorf("%d lines printed; stderr %s", n, errb.String())
	}
	for _, l := range nonEmptyLines(out.String()) {
		if !json.Valid([]byte(l)) {
			t.Errorf("printed record is not one JSON line: %.80s", l)
		}
	}
}

// TestKQLExplain checks --explain on every document that does not match:
// the clause it names, parsed back and lowered, must be false on the
// document (asked of the evaluator), and the value it reports must be the
// one the document holds.
func TestKQLExplain(t *testing.T) {
	recs := sampleRecords(t)
	rawPath := writeLines(t, "raw.ndjson", recs)
	queries := append(matchQueries,
		`event.provider: "dynamodb.amazonaws.com" and not event.outcome: (failure or success)`,
		`event.provider: dynamodb.amazonaws.com and aws.cloudtrail.flattened.request_parameters.dryRun: false`)
	explained := 0
	for _, q := range queries {
		var out, errb bytes.Buffer
		if code := run([]string{"kql", "--source", "aws.cloudtrail", "--explain", q, "--match", rawPath}, nil, &out, &errb); code != exitOK {
			t.Fatalf("%s: exit %d: %s", q, code, errb.String())
		}
		for _, l := range nonEmptyLines(errb.String()) {
			if !strings.Contains(l, ": no match: ") {
				continue
			}
			explained++
			lineNo, clause, rest := parseExplanation(t, l)
			rec := recs[lineNo-1]
			expr, diags := lower.Query(clause, lower.Options{})
			if diags.HasErrors() {
				t.Errorf("%s: named clause %q does not lower: %v", q, clause, diags)
				continue
			}
			m, err := eval.Compile(expr, eval.WithForm(eval.RawCloudTrail))
			if err != nil {
				t.Fatal(err)
			}
			if ok, _ := m.MatchJSON(rec); ok {
				t.Errorf("%s: line %d: named clause %q holds on the record", q, lineNo, clause)
			}
			ecs, err := eval.ECSDocument(rec)
			if err != nil {
				t.Fatal(err)
			}
			want := "is false"
			for _, f := range ir.Fields(expr) {
				want += "; " + f + " " + describeValues(lookupECS(ecs, f))
			}
			if rest != want {
				t.Errorf("%s: line %d: %q, want %q", q, lineNo, rest, want)
			}
		}
	}
	if explained < 40 {
		t.Errorf("only %d explanations checked", explained)
	}
	// The exact text of one explanation, for the reader.
	var out, errb bytes.Buffer
	run([]string{"kql", "--source", "aws.cloudtrail", "--explain", `event.provider: "dynamodb.amazonaws.com" and not event.outcome: failure`,
		"--match", samplesDir + "all_events.ndjson"}, nil, &out, &errb)
	want := `all_events.ndjson:2: no match: not event.outcome: failure (query 1:46) is false; event.outcome is "failure"`
	if !strings.Contains(errb.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, errb.String())
	}
}

// lookupECS reads a field of an ECS document by plain nested keys, an
// independent reading for the checks above (the derived documents have no
// dotted keys and no arrays on these fields).
func lookupECS(doc *jsondoc.Value, field string) []*jsondoc.Value {
	v := doc.Get(strings.Split(field, ".")...)
	if v == nil || v.Type() == jsondoc.TypeNull {
		return nil
	}
	if v.Type() == jsondoc.TypeArray {
		return v.GetArray()
	}
	return []*jsondoc.Value{v}
}

// parseExplanation splits "FILE:LINE: no match: CLAUSE (query L:C) is
// false; ..." into the line, the clause and the rest from "is false".
func parseExplanation(t *testing.T, l string) (int, string, string) {
	t.Helper()
	head, tail, _ := strings.Cut(l, ": no match: ")
	var lineNo int
	if i := strings.LastIndexByte(head, ':'); i < 0 || func() bool { _, err := fmt.Sscanf(head[i+1:], "%d", &lineNo); return err != nil }() {
		t.Fatalf("bad explanation %q", l)
	}
	i := strings.Index(tail, " (query ")
	j := strings.Index(tail, " is false")
	if i < 0 || j < i {
		t.Fatalf("bad explanation %q", l)
	}
	return lineNo, tail[:i], tail[j+1:]
}

// TestKQLExplainECS explains the same documents in both forms: the ECS
// documents the profile derives and the raw records must get the same
// explanations, line for line.
func TestKQLExplainECS(t *testing.T) {
	recs := sampleRecords(t)
	var ecs [][]byte
	for _, r := range recs {
		ecs = append(ecs, ecsLine(t, r))
	}
	dir := t.TempDir()
	rawPath, ecsPath := filepath.Join(dir, "docs.ndjson"), filepath.Join(dir, "ecs", "docs.ndjson")
	os.MkdirAll(filepath.Dir(ecsPath), 0o755)
	os.WriteFile(rawPath, append(bytes.Join(recs, []byte{'\n'}), '\n'), 0o644)
	os.WriteFile(ecsPath, append(bytes.Join(ecs, []byte{'\n'}), '\n'), 0o644)
	for _, q := range matchQueries {
		var rawErr, ecsErr, out bytes.Buffer
		run([]string{"kql", "--source", "aws.cloudtrail", "--explain", q, "--match", rawPath}, nil, &out, &rawErr)
		run([]string{"kql", "--explain", q, "--match", ecsPath}, nil, &out, &ecsErr)
		got := strings.ReplaceAll(ecsErr.String(), ecsPath, rawPath)
		if got != rawErr.String() {
			t.Errorf("%s: explanations differ:\nraw:\n%s\necs:\n%s", q, rawErr.String(), ecsErr.String())
		}
	}
}
