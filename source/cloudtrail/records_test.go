package cloudtrail

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/detc/detc/internal/ctgen"
)

// collect reads r and returns the event ids it saw with their lines.
func collect(t *testing.T, data []byte, fn func(rec []byte, line int) error) ([]string, Stats) {
	t.Helper()
	var got []string
	st, err := ReadRecords(bytes.NewReader(data), "f", func(rec []byte, line int) error {
		if fn != nil {
			if err := fn(rec, line); err != nil {
				return err
			}
		}
		got = append(got, EventID(rec)+"@"+strconv.Itoa(line))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, st
}

func gz(t *testing.T, data []byte) []byte { return gzBytes(t, data) }

func gzBytes(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadRecordsSamples(t *testing.T) {
	ndjson, err := os.ReadFile(filepath.Join(samplesDir, "all_events.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	records, err := os.ReadFile(filepath.Join(samplesDir, "s3_logfile_Records_wrapper_example.json"))
	if err != nil {
		t.Fatal(err)
	}
	recordsGz, err := os.ReadFile(filepath.Join(samplesDir, "s3_logfile_Records_wrapper_example.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	a, sa := collect(t, ndjson, nil)
	b, sb := collect(t, records, nil)
	c, sc := collect(t, recordsGz, nil)
	d, sd := collect(t, gz(t, ndjson), nil)
	for _, st := range []Stats{sa, sb, sc, sd} {
		if st.Records != 5 || st.Unreadable != 0 || st.Files != 1 {
			t.Errorf("stats %+v, want 5 records", st)
		}
	}
	ids := func(xs []string) []string {
		var out []string
		for _, x := range xs {
			out = append(out, x[:strings.IndexByte(x, '@')])
		}
		return out
	}
	if !slices.Equal(ids(a), ids(b)) || !slices.Equal(b, c) || !slices.Equal(a, d) {
		t.Errorf("the formats disagree:\nndjson  %q\nrecords %q\ngz      %q\nndjson.gz %q", a, b, c, d)
	}
	if !strings.HasSuffix(a[1], "@2") || strings.HasSuffix(b[1], "@2") {
		t.Errorf("lines: ndjson %q, records %q (pretty-printed, so later lines)", a, b)
	}
}

func TestReadRecordsCountsBadLines(t *testing.T) {
	data := "{\"eventID\":\"a\"}\n\nnot json\n{\"eventID\":\"b\"}\r\n[1,2]\n{\"eventID\":\"c\"}\n{\"eventID\":\"bad\"}"
	got, st := collect(t, []byte(data), func(rec []byte, line int) error {
		if EventID(rec) == "bad" {
			return Unreadable(errors.New("no eventTime"))
		}
		return nil
	})
	if want := []string{"a@1", "b@4", "c@6"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if st.Records != 3 || st.Unreadable != 3 || len(st.Bad) != 3 {
		t.Fatalf("stats %+v", st)
	}
	var named []string
	for _, b := range st.Bad {
		named = append(named, b.String())
	}
	want := []string{"f:3: not a JSON object", "f:5: not a JSON object", "f:7: unreadable record: no eventTime"}
	if !slices.Equal(named, want) {
		t.Errorf("bad records %q, want %q", named, want)
	}
}

func TestReadRecordsStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	_, err := ReadRecords(strings.NewReader("{}\n{}\n"), "f", func([]byte, int) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("err = %v, want the callback's error", err)
	}
}

func TestReadRecordsBrokenFiles(t *testing.T) {
	records := []byte("{\n \"Records\": [\n  {\"eventID\":\"a\"},\n  {\"eventID\":\"b\"},\n  {\"eventID\": oops}\n ]\n}\n")
	got, st := collect(t, records, nil)
	if !slices.Equal(got, []string{"a@3", "b@4"}) || st.Unreadable != 1 || st.Bad[0].Line != 5 {
		t.Errorf("malformed Records: got %q, stats %+v", got, st)
	}

	full := gz(t, bytes.Repeat([]byte("{\"eventID\":\"x\"}\n"), 10000))
	_, st = collect(t, full[:len(full)/2], nil)
	if st.Unreadable != 1 || st.Records == 0 || !strings.Contains(st.Bad[0].Err.Error(), "unexpected EOF") {
		t.Errorf("truncated gzip: stats %+v", st)
	}

	_, st = collect(t, []byte{0x1f, 0x8b, 0, 0}, nil)
	if st.Unreadable != 1 || st.Records != 0 {
		t.Errorf("bad gzip header: stats %+v", st)
	}
}

func TestReadRecordsLongLine(t *testing.T) {
	big := `{"eventID":"big","pad":"` + strings.Repeat("x", 3<<20) + `"}`
	got, st := collect(t, []byte("{\"eventID\":\"a\"}\n"+big+"\n{\"eventID\":\"c\"}"), nil)
	if !slices.Equal(got, []string{"a@1", "big@2", "c@3"}) || st.Unreadable != 0 {
		t.Errorf("got %q stats %+v", got, st)
	}
}

func TestReadPath(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.ndjson", "{\"eventID\":\"b1\"}\n{\"eventID\":\"b2\"}\n")
	write("a.json", `{"Records":[{"eventID":"a1"}]}`)
	write(".hidden", "junk")
	var seen []string
	st, err := ReadPath(dir, func(file string, rec []byte, line int) error {
		seen = append(seen, filepath.Base(file)+":"+EventID(rec))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.json:a1", "b.ndjson:b1", "b.ndjson:b2"}; !slices.Equal(seen, want) || st.Files != 2 || st.Records != 3 {
		t.Errorf("seen %q stats %+v", seen, st)
	}
}

func TestReadRecordsCloudWatchExport(t *testing.T) {
	data := "2026-01-05T08:00:00.123Z {\"eventID\":\"a\"}\n2026-01-05T08:00:01Z {\"eventID\":\"b\"}\n2026 {\"eventID\":\"c\"}\n"
	got, st := collect(t, []byte(data), nil)
	if !slices.Equal(got, []string{"a@1", "b@2"}) || st.Unreadable != 1 || st.Bad[0].Line != 3 {
		t.Errorf("got %q, stats %+v", got, st)
	}
}

// BenchmarkReadRecords reads generated NDJSON; the baseline in the same run
// is bufio.Scanner splitting the same bytes into lines.
func BenchmarkReadRecords(b *testing.B) {
	var buf bytes.Buffer
	if err := ctgen.Generate(&buf, 20000, 1); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.Run("ReadRecords", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			if _, err := ReadRecords(bytes.NewReader(data), "gen", func([]byte, int) error { n++; return nil }); err != nil || n != 20000 {
				b.Fatal(err, n)
			}
		}
	})
	b.Run("gzip", func(b *testing.B) {
		zipped := gzBytes(b, data)
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ReadRecords(bytes.NewReader(zipped), "gen", func([]byte, int) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-bufio.Scanner", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(make([]byte, 1<<20), 1<<26)
			n := 0
			for sc.Scan() {
				n++
			}
			if n != 20000 {
				b.Fatal(n)
			}
		}
	})
}

// BenchmarkToECS derives ECS documents from generated records; the
// baseline in the same run is encoding/json decoding into map[string]any.
func BenchmarkToECS(b *testing.B) {
	var buf bytes.Buffer
	if err := ctgen.Generate(&buf, 2000, 1); err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte{'\n'})
	b.Run("ToECS", func(b *testing.B) {
		b.SetBytes(int64(buf.Len()))
		b.ReportAllocs()
		for b.Loop() {
			for _, l := range lines {
				if _, err := ToECS(l); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("baseline-json.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(buf.Len()))
		b.ReportAllocs()
		for b.Loop() {
			for _, l := range lines {
				var m map[string]any
				if err := json.Unmarshal(l, &m); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
