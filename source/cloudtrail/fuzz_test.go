package cloudtrail

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// fzGzip compresses data.
func fzGzip(t testing.TB, data []byte) []byte {
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

// fzDecode is the callback a reader of raw records uses (as detc scan
// does): a record that does not decode is unreadable, not fatal.
func fzDecode(rec []byte, _ int) error {
	if _, err := DecodeRaw(rec); err != nil {
		return Unreadable(err)
	}
	return nil
}

// fzNonBlankLines counts the lines of an NDJSON text that hold anything
// but white space (a UTF-8 BOM on the first line counts as blank), the
// lines the reader must account for.
func fzNonBlankLines(data []byte) int {
	n := 0
	for i, line := range bytes.Split(data, []byte{'\n'}) {
		line = bytes.TrimSpace(line)
		if i == 0 {
			line = bytes.TrimSpace(bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")))
		}
		if len(line) > 0 {
			n++
		}
	}
	return n
}

// FuzzReadRecords feeds ReadRecords corrupt JSON, broken {"Records":
// files and truncated gzip. It must never panic or fail; every record it
// delivers is counted as read, every record it rejects as unreadable and
// named with a line of the input, and no line is both. For NDJSON input
// that is not cut short, records + unreadable accounts for every
// non-blank line.
func FuzzReadRecords(f *testing.F) {
	rec := `{"eventTime":"2026-01-05T08:00:00Z","eventID":"e1","eventName":"GetObject"}`
	for _, s := range []string{
		rec + "\n" + rec,
		"\xef\xbb\xbf" + rec + "\r\n\r\n" + rec + "\r\n",
		"2026-01-05T08:00:00.000Z " + rec,
		`{"Records":[` + rec + `,` + rec + `]}`,
		"{\n \"Records\" : [\n" + rec + ",\n 42,\n" + rec + "\n]}",
		`{"Records":[` + rec + `,{"eventTime":`,
		`{"Records":`,
		`{"Records":{}}`,
		`{"Records":[1,"x",null,[]]}`,
		`[` + rec + `]`,
		`{not json}` + "\n" + rec,
		"{\"a\":\"\x00\xff\"}\n{}",
		"\x1f\x8b",
		"",
		"\n\n  \t\n",
	} {
		f.Add([]byte(s), false, uint16(0))
		f.Add([]byte(s), true, uint16(0))
		f.Add([]byte(s), true, uint16(len(s)/2+10))
	}
	f.Fuzz(func(t *testing.T, data []byte, compress bool, cut uint16) {
		input := data
		if compress {
			input = fzGzip(t, data)
			if c := int(cut); c > 0 && c < len(input) {
				input = input[:c] // truncated gzip
			}
		}
		delivered := map[int]bool{}
		calls := 0
		st, err := ReadRecords(bytes.NewReader(input), "f.json", func(rec []byte, line int) error {
			calls++
			if line < 1 {
				t.Fatalf("record delivered at line %d", line)
			}
			if len(rec) == 0 || rec[0] != '{' || rec[len(rec)-1] != '}' {
				t.Fatalf("line %d: delivered %q, not an object", line, rec)
			}
			if err := fzDecode(rec, line); err != nil {
				return err
			}
			delivered[line] = true
			return nil
		})
		if err != nil {
			t.Fatalf("ReadRecords failed: %v", err)
		}
		if st.Files != 1 {
			t.Fatalf("Files = %d", st.Files)
		}
		if st.Records > calls || st.Records+st.Unreadable < calls {
			t.Fatalf("%d callbacks, stats %+v", calls, st)
		}
		if len(st.Bad) != min(st.Unreadable, MaxNamed) {
			t.Fatalf("%d unreadable, %d named", st.Unreadable, len(st.Bad))
		}
		lines := bytes.Count(data, []byte{'\n'}) + 1
		for _, b := range st.Bad {
			if b.File != "f.json" || b.Err == nil || b.Line < 0 || (b.Line > lines && !compress) {
				t.Fatalf("bad record named %v (input has %d lines)", b, lines)
			}
		}
		// Input that is (or looks like) gzip is read as gzip, and a broken
		// stream counts once: the line accounting below is for NDJSON.
		if compress || bytes.HasPrefix(data, []byte{0x1f, 0x8b}) || isRecordsFile(bufioPeek(data)) {
			return
		}
		// NDJSON, read whole: one line is one record, read or not.
		if len(delivered) != st.Records {
			t.Fatalf("%d records delivered on %d distinct lines", st.Records, len(delivered))
		}
		for _, b := range st.Bad {
			if delivered[b.Line] {
				t.Fatalf("line %d both delivered and unreadable (%v)", b.Line, b.Err)
			}
		}
		if want := fzNonBlankLines(data); st.Records+st.Unreadable != want {
			t.Fatalf("records %d + unreadable %d != %d non-blank lines", st.Records, st.Unreadable, want)
		}
	})
}

// bufioPeek gives isRecordsFile the same view of data that ReadRecords
// has.
func bufioPeek(data []byte) *bufio.Reader { return bufio.NewReaderSize(bytes.NewReader(data), 1<<20) }

// TestReadRecordsHugeLine: a 100 MiB line is counted as unreadable with
// its line and the limit, and the lines around it are read. Reading a
// line over the limit costs the same memory whatever its length (50 MiB
// or 200 MiB): it is skipped, not held.
func TestReadRecordsHugeLine(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 350 MiB")
	}
	rec := `{"eventTime":"2026-01-05T08:00:00Z","eventID":"e1"}` + "\n"
	read := func(size int64) (Stats, uint64) {
		huge := io.MultiReader(
			strings.NewReader(rec),
			strings.NewReader(`{"eventTime":"2026-01-05T08:00:00Z","pad":"`),
			io.LimitReader(fzRepeat('a'), size),
			strings.NewReader("\"}\n"+rec),
		)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		n := 0
		st, err := ReadRecords(huge, "big.ndjson", func(rec []byte, line int) error { n++; return nil })
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 || st.Records != 2 || st.Unreadable != 1 {
			t.Fatalf("%d callbacks, stats %+v; want the 2 short records read and the long line unreadable", n, st)
		}
		return st, after.TotalAlloc - before.TotalAlloc
	}
	st, _ := read(100 << 20)
	if got, want := st.Bad[0].String(), fmt.Sprintf("big.ndjson:2: line longer than the %d MiB limit", MaxLineSize>>20); got != want {
		t.Errorf("named %q, want %q", got, want)
	}
	_, small := read(50 << 20)
	_, large := read(200 << 20)
	if large > small+4<<20 || large > 100<<20 {
		t.Errorf("a 50 MiB line allocated %d MiB, a 200 MiB line %d MiB: the line is held", small>>20, large>>20)
	}
}

// TestReadRecordsLineAtLimit: a line of exactly MaxLineSize bytes is read.
func TestReadRecordsLineAtLimit(t *testing.T) {
	head := `{"eventTime":"2026-01-05T08:00:00Z","pad":"`
	tail := `"}`
	line := head + strings.Repeat("b", MaxLineSize-len(head)-len(tail)) + tail
	st, err := ReadRecords(strings.NewReader(line+"\n"), "f", func([]byte, int) error { return nil })
	if err != nil || st.Records != 1 || st.Unreadable != 0 {
		t.Fatalf("stats %+v, err %v; want the line read", st, err)
	}
	st, err = ReadRecords(strings.NewReader(line[:len(head)]+"b"+line[len(head):]), "f", func([]byte, int) error { return nil })
	if err != nil || st.Records != 0 || st.Unreadable != 1 {
		t.Fatalf("stats %+v, err %v; want a line one byte over the limit unreadable", st, err)
	}
}

// TestReadRecordsFileLimit: a {"Records": file over MaxRecordsFileSize
// is refused as a whole, named at line 1, without reading it all.
func TestReadRecordsFileLimit(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("holds MaxRecordsFileSize in memory (several GB with the race detector's shadow)")
	}
	r := io.MultiReader(strings.NewReader(`{"Records":[{"pad":"`), io.LimitReader(fzRepeat('c'), MaxRecordsFileSize), strings.NewReader(`"}]}`))
	st, err := ReadRecords(r, "big.json", func([]byte, int) error { return nil })
	if err != nil || st.Records != 0 || st.Unreadable != 1 {
		t.Fatalf("stats %+v, err %v", st, err)
	}
	if got, want := st.Bad[0].String(), fmt.Sprintf("big.json:1: Records file larger than the %d MiB limit", MaxRecordsFileSize>>20); got != want {
		t.Errorf("named %q, want %q", got, want)
	}
}

// TestReadRecordsConcatenated: two {"Records": files written one after
// the other (cat a.json b.json) are both read; data after the Records
// object that is not another one is named, not dropped in silence.
func TestReadRecordsConcatenated(t *testing.T) {
	rec := func(id string) string { return `{"eventTime":"2026-01-05T08:00:00Z","eventID":"` + id + `"}` }
	var ids []string
	st, err := ReadRecords(strings.NewReader(`{"Records":[`+rec("a")+`]}`+"\n"+`{"Records":[`+rec("b")+`]}`), "f", func(r []byte, line int) error {
		ids = append(ids, fmt.Sprintf("%s@%d", EventID(r), line))
		return nil
	})
	if err != nil || st.Records != 2 || st.Unreadable != 0 || strings.Join(ids, " ") != "a@1 b@2" {
		t.Fatalf("read %v, stats %+v, err %v", ids, st, err)
	}
	st, err = ReadRecords(strings.NewReader(`{"Records":[`+rec("a")+`]}`+"\n"+`garbage`), "f", func([]byte, int) error { return nil })
	if err != nil || st.Records != 1 || st.Unreadable != 1 {
		t.Fatalf("stats %+v, err %v", st, err)
	}
	if got := st.Bad[0].String(); !strings.HasPrefix(got, "f:2: Records file unreadable from here") {
		t.Errorf("named %q", got)
	}
}

// fzRepeat is an endless reader of one byte.
type fzRepeat byte

func (r fzRepeat) Read(p []byte) (int, error) {
	if len(p) > 0 {
		p[0] = byte(r)
		for n := 1; n < len(p); n *= 2 {
			copy(p[n:], p[:n])
		}
	}
	return len(p), nil
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
