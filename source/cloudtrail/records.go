package cloudtrail

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// ErrUnreadable marks a record that cannot be read. A ReadRecords callback
// returns an error wrapping it (see Unreadable) to have the record counted
// and named instead of stopping the read.
var ErrUnreadable = errors.New("unreadable record")

// Unreadable wraps err so that ReadRecords counts the record as unreadable
// and goes on.
func Unreadable(err error) error { return fmt.Errorf("%w: %w", ErrUnreadable, err) }

// MaxNamed caps how many unreadable records Stats names; all are counted.
const MaxNamed = 100

// MaxLineSize bounds an NDJSON line: a longer line is counted as
// unreadable and skipped without being held in memory.
const MaxLineSize = 16 << 20

// MaxRecordsFileSize bounds a {"Records":[...]} file, which is read whole:
// a larger file is counted as unreadable.
const MaxRecordsFileSize = 256 << 20

// BadRecord names one unreadable record, or a file that could not be read
// on from Line.
type BadRecord struct {
	File string
	Line int
	Err  error
}

func (b BadRecord) String() string { return fmt.Sprintf("%s:%d: %v", b.File, b.Line, b.Err) }

// Stats counts what was read.
type Stats struct {
	Files      int
	Records    int
	Unreadable int
	// Bad names the first MaxNamed unreadable records.
	Bad []BadRecord
}

// Add merges the counts of o into s.
func (s *Stats) Add(o Stats) {
	s.Files += o.Files
	s.Records += o.Records
	s.Unreadable += o.Unreadable
	for _, b := range o.Bad {
		if len(s.Bad) < MaxNamed {
			s.Bad = append(s.Bad, b)
		}
	}
}

func (s *Stats) bad(file string, line int, err error) {
	s.Unreadable++
	if len(s.Bad) < MaxNamed {
		s.Bad = append(s.Bad, BadRecord{File: file, Line: line, Err: err})
	}
}

// ReadRecords reads CloudTrail records from r, which holds either NDJSON
// (one record per line, as exported from CloudWatch Logs, with or without
// the export's leading timestamp) or an S3 log file
// {"Records":[...]}, gzipped or not (told apart by their first bytes), and
// calls fn with each record and the line it starts on; name is the file
// name used in Stats. rec is only valid during the call.
//
// A record that cannot be read (a line that is not a JSON object, or one
// for which fn returns an error wrapping ErrUnreadable) is counted and
// named, and reading goes on; a file that breaks off (corrupt gzip, a
// malformed Records array) is counted once, named at the line where it
// broke, and reading of that file stops. Any other error from fn stops the
// read and is returned.
func ReadRecords(r io.Reader, name string, fn func(rec []byte, line int) error) (Stats, error) {
	st := Stats{Files: 1}
	br := bufio.NewReaderSize(r, 1<<20)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			st.bad(name, 0, fmt.Errorf("gzip: %w", err))
			return st, nil
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<20)
	}
	if isRecordsFile(br) {
		return st, readRecordsArray(br, name, &st, fn)
	}
	return st, readNDJSON(br, name, &st, fn)
}

// isRecordsFile reports whether the stream starts with {"Records": (any
// whitespace allowed), the S3 delivery format.
func isRecordsFile(br *bufio.Reader) bool {
	head, _ := br.Peek(4096)
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 || head[0] != '{' {
		return false
	}
	head = bytes.TrimLeft(head[1:], " \t\r\n")
	return bytes.HasPrefix(head, []byte(`"Records"`))
}

func readNDJSON(br *bufio.Reader, name string, st *Stats, fn func([]byte, int) error) error {
	var long []byte
	for line := 1; ; line++ {
		chunk, err := br.ReadSlice('\n')
		tooLong := false
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it, up to MaxLineSize.
			long = append(long[:0], chunk...)
			for errors.Is(err, bufio.ErrBufferFull) {
				chunk, err = br.ReadSlice('\n')
				if !tooLong && len(long)+len(bytes.TrimRight(chunk, "\r\n")) > MaxLineSize {
					tooLong, long = true, long[:0]
				}
				if !tooLong {
					long = append(long, chunk...)
				}
			}
			chunk = long
		}
		if err != nil && err != io.EOF {
			st.bad(name, line, fmt.Errorf("file unreadable from here: %w", err))
			return nil
		}
		rec := bytes.TrimSpace(chunk)
		if line == 1 {
			rec = bytes.TrimPrefix(rec, []byte("\xef\xbb\xbf"))
		}
		if tooLong {
			st.bad(name, line, fmt.Errorf("line longer than the %d MiB limit", MaxLineSize>>20))
		} else if len(rec) > 0 {
			rec = stripExportTimestamp(rec)
			if rec[0] != '{' || rec[len(rec)-1] != '}' {
				st.bad(name, line, errors.New("not a JSON object"))
			} else if ferr := fn(rec, line); ferr != nil {
				if !errors.Is(ferr, ErrUnreadable) {
					return ferr
				}
				st.bad(name, line, ferr)
			} else {
				st.Records++
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// StripExportTimestamp removes the timestamp that a CloudWatch Logs export
// puts before each message, as ReadRecords does, for readers that split
// NDJSON lines themselves; other lines are returned as they are.
func StripExportTimestamp(line []byte) []byte { return stripExportTimestamp(line) }

// stripExportTimestamp removes the "2026-01-05T08:00:00.000Z " prefix that
// a CloudWatch Logs export to S3 puts before each message.
func stripExportTimestamp(line []byte) []byte {
	if len(line) == 0 || line[0] < '0' || line[0] > '9' {
		return line
	}
	i := bytes.IndexByte(line, ' ')
	if i < 0 || i+1 >= len(line) || line[i+1] != '{' {
		return line
	}
	if _, err := time.Parse(time.RFC3339Nano, string(line[:i])); err != nil {
		return line
	}
	return line[i+1:]
}

// readRecordsArray reads {"Records":[...]} and hands each element to fn
// with the line it starts on.
func readRecordsArray(br *bufio.Reader, name string, st *Stats, fn func([]byte, int) error) error {
	data, err := io.ReadAll(io.LimitReader(br, MaxRecordsFileSize+1))
	if err != nil {
		st.bad(name, 0, fmt.Errorf("file unreadable: %w", err))
		return nil
	}
	if len(data) > MaxRecordsFileSize {
		st.bad(name, 1, fmt.Errorf("Records file larger than the %d MiB limit", MaxRecordsFileSize>>20))
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	lineAt := lineCounter(data)
	fail := func(err error) error {
		// Name the line where the offending value starts.
		off := int(dec.InputOffset())
		for off < len(data) && bytes.IndexByte([]byte(" \t\r\n,"), data[off]) >= 0 {
			off++
		}
		st.bad(name, lineAt(off), fmt.Errorf("Records file unreadable from here: %w", err))
		return nil
	}
	// Files written one after the other (cat a.json b.json) are read in
	// turn; anything else after the Records object is named.
	for {
		for _, want := range []json.Token{json.Delim('{'), "Records", json.Delim('[')} {
			tok, err := dec.Token()
			if err != nil {
				return fail(err)
			}
			if tok != want {
				return fail(fmt.Errorf("want %v, found %v", want, tok))
			}
		}
		for dec.More() {
			var rec json.RawMessage
			if err := dec.Decode(&rec); err != nil {
				return fail(err)
			}
			end := int(dec.InputOffset())
			line := lineAt(end - len(rec))
			if len(rec) == 0 || rec[0] != '{' {
				st.bad(name, line, errors.New("not a JSON object"))
				continue
			}
			if ferr := fn(rec, line); ferr != nil {
				if !errors.Is(ferr, ErrUnreadable) {
					return ferr
				}
				st.bad(name, line, ferr)
				continue
			}
			st.Records++
		}
		if _, err := dec.Token(); err != nil {
			return fail(err)
		}
		if len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n}")) == 0 {
			return nil
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
			if err == nil {
				err = fmt.Errorf("want }, found %v", tok)
			}
			return fail(err)
		}
	}
}

// lineCounter returns a function giving the 1-based line of a byte offset
// in data; offsets must not decrease between calls.
func lineCounter(data []byte) func(int) int {
	pos, line := 0, 1
	return func(off int) int {
		off = min(max(off, pos), len(data))
		line += bytes.Count(data[pos:off], []byte{'\n'})
		pos = off
		return line
	}
}

// ReadFile reads the records of one file with ReadRecords.
func ReadFile(path string, fn func(rec []byte, line int) error) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		st := Stats{Files: 1}
		st.bad(path, 0, err)
		return st, nil
	}
	defer f.Close()
	return ReadRecords(f, path, fn)
}

// ReadPath reads a file, or every regular file under a directory (hidden
// files and directories skipped) in lexical order, calling fn with the
// file name of each record.
func ReadPath(path string, fn func(file string, rec []byte, line int) error) (Stats, error) {
	var files []string
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != path && len(d.Name()) > 0 && d.Name()[0] == '.' {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	sort.Strings(files)
	var total Stats
	for _, file := range files {
		st, err := ReadFile(file, func(rec []byte, line int) error { return fn(file, rec, line) })
		total.Add(st)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
