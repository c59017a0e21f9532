package scan

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/jsondoc"
	"github.com/detc/detc/source/cloudtrail"
)

// fzReference reads data the way the scan documents it, through
// cloudtrail.ReadRecords and a plain decode of each record, one at a
// time: the records it reads (events) and the unreadable ones it names.
// A file whose first line opens an object without closing it and that
// parses whole as one object is one pretty-printed event.
func fzReference(data []byte, name string) (events int, bad []string) {
	var p jsondoc.Parser
	check := func(rec []byte) error {
		v, err := p.ParseBytes(rec)
		if err == nil && v.Type() != jsondoc.TypeObject {
			err = errors.New("not a JSON object")
		}
		if err != nil {
			return err
		}
		_, err = eventTime(v)
		return err
	}
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		trimmed := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		first, _, _ := bytes.Cut(trimmed, []byte{'\n'})
		first = bytes.TrimSpace(first)
		if len(first) > 0 && first[0] == '{' && first[len(first)-1] != '}' && !isRecordsFile(data) {
			if v, err := p.ParseBytes(data); err == nil && v.Type() == jsondoc.TypeObject && len(data) <= cloudtrail.MaxLineSize {
				if err := check(bytes.TrimSpace(data)); err != nil {
					return 0, []string{fmt.Sprintf("%s:1: %v", name, err)}
				}
				return 1, nil
			}
		}
	}
	st, _ := cloudtrail.ReadRecords(bytes.NewReader(data), name, func(rec []byte, line int) error {
		if err := check(rec); err != nil {
			return cloudtrail.Unreadable(err)
		}
		events++
		return nil
	})
	for _, b := range st.Bad {
		msg := b.String()
		// The scan names a record's own error, not the wrapper.
		msg = strings.Replace(msg, cloudtrail.ErrUnreadable.Error()+": ", "", 1)
		bad = append(bad, msg)
	}
	return events, bad
}

// FuzzScanReader: detc scan's own NDJSON reader (chunks of lines split by
// the workers) reads any file exactly as cloudtrail.ReadRecords with one
// decode per record does: the same events, the same unreadable records
// named with the same line and reason, and every alert of a match-all
// rule is one of the events. It never panics or fails on bad input.
func FuzzScanReader(f *testing.F) {
	rec := `{"eventTime":"2026-01-05T08:00:00Z","eventID":"e1","eventName":"GetObject"}`
	for _, s := range []string{
		rec + "\n" + rec,
		"\xef\xbb\xbf" + rec + "\r\n\r\n" + rec + "\r\n",
		"2026-01-05T08:00:00.000Z " + rec,
		`{"Records":[` + rec + `,` + rec + `]}`,
		`{"Records":[` + rec + `,{"eventTime":`,
		"{\n  \"eventTime\": \"2026-01-05T08:00:00Z\",\n  \"eventID\": \"p\"\n}\n",
		"{\n  \"eventTime\": \"2026-01-05T08:00:00Z\",\n" + rec,
		`{"eventTime":"yesterday"}` + "\n{}\n[1]\n" + rec + rec,
		"{\"a\":\"\x00\xff\"}\n{not json}\n",
		"",
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(rec+"\n"+rec), true)
	rule := &ir.Rule{ID: "all", Type: ir.Query, From: "now-100000d", Interval: "1d", MaxSignals: 1 << 30, Expr: &ir.MatchAll{}}
	dir := f.TempDir()
	n := 0
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		if compress {
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			w.Write(data)
			w.Close()
			data = b.Bytes()
		}
		n++
		path := filepath.Join(dir, fmt.Sprintf("f%d", n))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)
		res, err := Run([]*ir.Rule{rule}, []string{path}, Options{Workers: 2})
		if err != nil {
			t.Fatalf("scan failed: %v", err)
		}
		events, bad := fzReference(data, path)
		var got []string
		for _, b := range res.Bad {
			got = append(got, b.String())
		}
		slices.Sort(got)
		slices.Sort(bad)
		if res.Events != events || res.Unreadable != len(bad) || !slices.Equal(got, bad) {
			t.Fatalf("scan read %d events, unreadable %q; the reference %d events, unreadable %q", res.Events, got, events, bad)
		}
		if len(res.Alerts) > res.Events {
			t.Fatalf("%d alerts from %d events", len(res.Alerts), res.Events)
		}
		for _, a := range res.Alerts {
			if a.EventTime.IsZero() || a.EventTime.Location() != time.UTC {
				t.Fatalf("alert event time %v", a.EventTime)
			}
		}
	})
}

// TestScanHugeLine is the regression test for scan's own NDJSON reader,
// which grew a chunk to hold any line: a 100 MiB line is named as over
// the limit at its line, skipped without being held, and the records
// around it are scanned. A file whose first line opens a record that
// never closes is not read whole either.
func TestScanHugeLine(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MiB")
	}
	rec := `{"eventTime":"2026-01-05T08:00:00Z","eventID":"e1"}`
	dir := t.TempDir()
	write := func(name, head string) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(head + `{"eventTime":"2026-01-05T08:00:00Z","pad":"`)
		chunk := bytes.Repeat([]byte("a"), 1<<20)
		for range 100 {
			f.Write(chunk)
		}
		f.WriteString("\"}\n" + rec + "\n")
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	rule := &ir.Rule{ID: "all", Type: ir.Query, From: "now-100000d", Interval: "1d", MaxSignals: 100, Expr: &ir.MatchAll{}}
	for _, c := range []struct {
		head string
		want []string
	}{
		{rec + "\n", []string{"big:2: line longer than the 16 MiB limit"}},
		{"{\n", []string{"big:1: not a JSON object", "big:2: line longer than the 16 MiB limit"}},
	} {
		path := write("big", c.head)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		res, err := Run([]*ir.Rule{rule}, []string{path}, Options{})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if grown := after.TotalAlloc - before.TotalAlloc; grown > 100<<20 {
			t.Errorf("head %q: scanning a 100 MiB line allocated %d MiB", c.head, grown>>20)
		}
		var got []string
		for _, b := range res.Bad {
			got = append(got, strings.TrimPrefix(b.String(), dir+string(filepath.Separator)))
		}
		slices.Sort(got)
		wantEvents := strings.Count(c.head, "eventTime") + 1
		if res.Events != wantEvents || !slices.Equal(got, c.want) {
			t.Errorf("head %q: %d events, unreadable %q; want %d events, unreadable %q", c.head, res.Events, got, wantEvents, c.want)
		}
	}
}
