package hardening

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/scan"
	"github.com/detc/detc/source/cloudtrail"
)

const goodEvent = `{"eventTime":"2026-01-05T08:00:00Z","eventID":"e1","eventName":"GetObject"}`

func gzipped(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// badEventCase is one hostile event file: what detc scan reads from it
// (events), and each unreadable record it names, as "file:line: reason".
type badEventCase struct {
	name   string
	input  func(t *testing.T) []byte
	events int
	bad    []string
}

func text(s string) func(*testing.T) []byte { return func(*testing.T) []byte { return []byte(s) } }

func badEventCases() []badEventCase {
	g := goodEvent
	return []badEventCase{
		{"not JSON", text("hello world\n" + g), 1, []string{"f:1: not a JSON object"}},
		{"array instead of object", text(`[` + g + `]`), 0, []string{"f:1: not a JSON object"}},
		{"JSON string", text(`"eventTime"`), 0, []string{"f:1: not a JSON object"}},
		{"JSON number", text("42\n" + g), 1, []string{"f:1: not a JSON object"}},
		{"JSON null", text(g + "\nnull"), 1, []string{"f:2: not a JSON object"}},
		{"object cut short", text(g + "\n" + g[:30]), 1, []string{"f:2: not a JSON object"}},
		{"lone closing brace", text("}\n" + g), 1, []string{"f:1: not a JSON object"}},
		{"braces around garbage", text(g + "\n{not json}"), 1, []string{`f:2: invalid JSON at offset 1: unexpected 'n' where a key should start`}},
		{"missing value", text(`{"eventTime": }`), 0, []string{`f:1: invalid JSON at offset 14: unexpected '}' where a value should start`}},
		{"trailing comma", text(`{"eventTime":"2026-01-05T08:00:00Z",}`), 0, []string{`f:1: invalid JSON at offset 36: unexpected '}' where a key should start`}},
		{"two objects on a line", text(g + g), 0, []string{`f:1: invalid JSON at offset 75: unexpected '{' after the document`}},
		{"missing eventTime", text(`{"eventID":"e1"}`), 0, []string{"f:1: no eventTime"}},
		{"empty object", text("{}"), 0, []string{"f:1: no eventTime"}},
		{"eventTime null", text(`{"eventTime":null}`), 0, []string{"f:1: no eventTime"}},
		{"eventTime a number", text(`{"eventTime":1767600000}`), 0, []string{"f:1: no eventTime"}},
		{"eventTime empty", text(`{"eventTime":""}`), 0, []string{"f:1: no eventTime"}},
		{"eventTime not a time", text(`{"eventTime":"yesterday"}`), 0, []string{`f:1: eventTime "yesterday" is not an ISO 8601 time`}},
		{"eventTime month 13", text(`{"eventTime":"2026-13-05T08:00:00Z"}`), 0, []string{`f:1: eventTime "2026-13-05T08:00:00Z" is not an ISO 8601 time`}},
		{"eventTime with a space", text(`{"eventTime":"2026-01-05 08:00:00"}`), 0, []string{`f:1: eventTime "2026-01-05 08:00:00" is not an ISO 8601 time`}},
		{"BOM on line 2", text(g + "\n\xef\xbb\xbf" + g), 1, []string{"f:2: not a JSON object"}},
		{"UTF-16 file", text("\xff\xfe{\x00}\x00"), 0, []string{"f:1: not a JSON object"}},
		{"NUL line", text("\x00\n" + g), 1, []string{"f:1: not a JSON object"}},
		{"NUL inside an object", text("{\"eventTime\":\"2026-01-05T08:00:00Z\",\x00}\n" + g), 1, []string{`f:1: invalid JSON at offset 36: unexpected '\x00' where a key should start`}},
		{"Records not an array", text(`{"Records":{}}`), 0, []string{"f:1: Records file unreadable from here: want [, found {"}},
		{"Records a string", text(`{"Records":"x"}`), 0, []string{"f:1: Records file unreadable from here: want [, found x"}},
		{"Records element not an object", text("{\"Records\":[\n" + g + ",\n7,\n" + g + "\n]}"), 2, []string{"f:3: not a JSON object"}},
		{"Records element without eventTime", text("{\"Records\":[\n" + g + ",\n{}\n]}"), 1, []string{"f:3: no eventTime"}},
		{"Records cut short", text("{\"Records\":[\n" + g + ",\n" + g[:20]), 1, []string{"f:3: Records file unreadable from here: unexpected EOF"}},
		{"Records key only", text(`{"Records":`), 0, []string{"f:1: Records file unreadable from here: EOF"}},
		{"Records then garbage", text(`{"Records":[` + g + "]}\nxyz"), 1, []string{"f:2: Records file unreadable from here: invalid character 'x' looking for beginning of value"}},
		{"Records broken element", text("{\"Records\":[\n" + g + ",\n{\"eventTime\" \"x\"}\n]}"), 1, []string{`f:3: Records file unreadable from here: invalid character '"' after object key`}},
		{"gzip header only", text("\x1f\x8b"), 0, []string{"f:0: gzip: unexpected EOF"}},
		{"gzip cut short", func(t *testing.T) []byte {
			z := gzipped(t, strings.Repeat(g+"\n", 1000))
			return z[:len(z)/2]
		}, 347, []string{"f:348: file unreadable from here: unexpected EOF"}},
		{"gzip bad checksum", func(t *testing.T) []byte {
			z := gzipped(t, g+"\n"+g+"\n")
			z[len(z)-8] ^= 0xff
			return z
		}, 2, []string{"f:3: file unreadable from here: gzip: invalid checksum"}},
		{"gzip of garbage", func(t *testing.T) []byte { return gzipped(t, "garbage\n"+g) }, 1, []string{"f:1: not a JSON object"}},
		{"export timestamp then garbage", text("2026-01-05T08:00:00.000Z garbage\n" + g), 1, []string{"f:1: not a JSON object"}},
		{"line over the limit", func(t *testing.T) []byte {
			return []byte(g + "\n{\"eventTime\":\"2026-01-05T08:00:00Z\",\"pad\":\"" + strings.Repeat("a", cloudtrail.MaxLineSize) + "\"}\n" + g)
		}, 2, []string{"f:2: line longer than the 16 MiB limit"}},
	}
}

// TestBadEvents: each hostile event file is read as far as it can be,
// and every record detc scan cannot read is counted and named with its
// file, line and reason; the readable records around it are scanned.
func TestBadEvents(t *testing.T) {
	cases := badEventCases()
	if len(cases) < 30 {
		t.Fatalf("%d cases", len(cases))
	}
	rule := &ir.Rule{ID: "all", Type: ir.Query, From: "now-1000d", Interval: "1d", MaxSignals: 10000, Expr: &ir.MatchAll{}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			if err := os.WriteFile(path, c.input(t), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := scan.Run([]*ir.Rule{rule}, []string{path}, scan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range res.Bad {
				got = append(got, strings.TrimPrefix(b.String(), dir+string(filepath.Separator)))
			}
			if strings.Join(got, "\n") != strings.Join(c.bad, "\n") || res.Unreadable != len(c.bad) {
				t.Errorf("named %q (%d unreadable), want %q", got, res.Unreadable, c.bad)
			}
			if c.events >= 0 && res.Events != c.events {
				t.Errorf("%d events, want %d", res.Events, c.events)
			}
			if len(res.Alerts) != res.Events {
				t.Errorf("%d alerts for %d events of a match-all rule", len(res.Alerts), res.Events)
			}
		})
	}
}

// TestUnreadableCap: every unreadable record is counted, the first
// cloudtrail.MaxNamed are named, and the summary says how many more.
func TestUnreadableCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte(strings.Repeat("x\n", 150)+goodEvent), 0o644); err != nil {
		t.Fatal(err)
	}
	rule := &ir.Rule{ID: "all", Type: ir.Query, From: "now-1000d", Interval: "1d", Expr: &ir.MatchAll{}}
	res, err := scan.Run([]*ir.Rule{rule}, []string{path}, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Unreadable != 150 || len(res.Bad) != cloudtrail.MaxNamed || res.Events != 1 {
		t.Fatalf("unreadable %d, named %d, events %d", res.Unreadable, len(res.Bad), res.Events)
	}
	var b strings.Builder
	scan.WriteSummary(&b, res)
	for _, want := range []string{"  unreadable: " + path + ":1-100: not a JSON object (100 records)\n", "  ... and 50 more unreadable records\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}
