// Package scan is the engine behind `detc scan`: it reads CloudTrail files,
// evaluates rules on the raw records in parallel, and replays the rules'
// scheduled executions over the time-ordered events to produce the alerts
// Elastic would have raised.
package scan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/detc/detc/backends/eval"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/jsondoc"
	"github.com/detc/detc/source/cloudtrail"
)

// Options configures a scan.
type Options struct {
	// Workers is how many goroutines decode and evaluate records;
	// 0 means GOMAXPROCS.
	Workers int
	// Strict makes the first unreadable record or file an error.
	Strict bool
	// Progress, when set, is called with the number of bytes read so far
	// (compressed bytes for gzipped files) as reading goes.
	Progress func(read int64)
	// Since, when set, keeps only the alerts of runs at or after it;
	// earlier events still count (as new_terms history, for instance), so
	// a scan can start with a warm-up period that raises nothing.
	Since time.Time
}

// Alert is one alert of a scan: the rule, the run that raised it and the
// event (for threshold alerts, the first event of the group).
type Alert struct {
	Rule  *ir.Rule
	RunAt time.Time
	ir.Alert
	EventTime time.Time
	// Event is the raw CloudTrail record.
	Event []byte
}

// Result is what a scan found.
type Result struct {
	Files      int
	Events     int
	Bytes      int64
	Unreadable int
	// Bad names the first unreadable records (file:line and why).
	Bad []cloudtrail.BadRecord
	// Skipped holds the rules that could not be compiled for raw
	// CloudTrail, with the reason; they were not run.
	Skipped []SkippedRule
	// Alerts are ordered by run time, then rule order, then event order.
	Alerts []Alert
	// PerRule counts alerts by rule id.
	PerRule map[string]int
	// Ran holds the rules that ran, in the order given.
	Ran []*ir.Rule
}

// SkippedRule is a rule the scan could not run.
type SkippedRule struct {
	Rule *ir.Rule
	Err  error
}

// ErrStrict is returned (wrapped) by Run in strict mode when a record or
// file is unreadable.
var ErrStrict = errors.New("unreadable input in strict mode")

// batch is a run of raw records handed to one worker: either records cut
// by cloudtrail.ReadRecords (ends and lines set), or a chunk of an NDJSON
// file holding whole lines, which the worker trims (ndjson set).
type batch struct {
	seq  int // position of the batch in reading order
	file string
	data []byte // records, concatenated, or the NDJSON chunk
	// ends holds the end offset of each record in data; in an NDJSON
	// chunk, the offset of each newline (the last line may have none).
	ends  []int
	lines []int // line of each record in its file
	// ndjson marks a chunk of whole NDJSON lines starting at firstLine.
	ndjson    bool
	firstLine int
}

// recordSeq numbers a record by its batch and its place in the batch, so
// that records order as read.
func recordSeq(batchSeq, i int) int { return batchSeq<<24 | i }

// hit is a record that matched a rule.
type hit struct {
	rule  int
	terms [][]string
	cards [][]string
	// covered: see eval.Hit.Covered.
	covered bool
}

// decoded is the outcome of one batch.
type decoded struct {
	seq     int
	events  int
	minTime time.Time
	maxTime time.Time
	bad     []cloudtrail.BadRecord
	// matched are the records with at least one hit.
	matched []matchedRecord
}

type matchedRecord struct {
	seq  int
	time time.Time
	id   string
	raw  []byte
	hits []hit
}

const batchBytes = 256 << 10

// batchPool recycles batch buffers between the reader and the workers.
var batchPool = sync.Pool{New: func() any {
	return &batch{data: make([]byte, 0, batchBytes+64<<10), ends: make([]int, 0, 1024), lines: make([]int, 0, 1024)}
}}

func newBatch(seq int, file string) *batch {
	b := batchPool.Get().(*batch)
	b.seq, b.file, b.ndjson, b.firstLine = seq, file, false, 0
	b.data, b.ends, b.lines = b.data[:0], b.ends[:0], b.lines[:0]
	return b
}

// Files lists the files of the given paths: files as given, directories
// walked in lexical order (hidden entries skipped).
func Files(paths []string) ([]string, error) {
	var out []string
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, root)
			continue
		}
		var files []string
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != root && len(d.Name()) > 0 && d.Name()[0] == '.' {
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
			return nil, err
		}
		sort.Strings(files)
		out = append(out, files...)
	}
	return out, nil
}

// Run scans the files under paths with rules.
func Run(rules []*ir.Rule, paths []string, opts Options) (*Result, error) {
	files, err := Files(paths)
	if err != nil {
		return nil, err
	}
	res := &Result{PerRule: map[string]int{}}
	var progs []*eval.Program
	var kept []*ir.Rule
	evalOpts := []eval.Option{eval.WithForm(eval.RawCloudTrail)}
	if plainScan {
		evalOpts = append(evalOpts, eval.Plain())
	}
	// The first worker runs the shared programs, compiled with its memo
	// of key lookups; the others compile their own (see worker.lk). The
	// replay after the workers are done reads other documents, which a
	// memo never answers for.
	var firstLookups *eval.Lookups
	sharedOpts := evalOpts
	if !plainScan {
		firstLookups = eval.NewLookups()
		sharedOpts = append(evalOpts[:len(evalOpts):len(evalOpts)], eval.WithLookups(firstLookups))
	}
	for _, r := range rules {
		p, err := eval.NewProgram(r, sharedOpts...)
		if err != nil {
			res.Skipped = append(res.Skipped, SkippedRule{Rule: r, Err: err})
			continue
		}
		progs = append(progs, p)
		kept = append(kept, r)
		res.Ran = append(res.Ran, r)
	}
	exprs := make([]ir.Expr, len(kept))
	for i, r := range kept {
		exprs[i] = r.Expr
	}
	ix := newRuleIndex(exprs)

	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	batches := make(chan *batch, 2*workers)
	results := make(chan *decoded, 2*workers)
	var wg sync.WaitGroup
	for n := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := worker{progs: progs, ix: ix, lk: firstLookups, cover: coverages(progs)}
			if n > 0 && !plainScan {
				w.useLookups(kept, evalOpts)
			}
			for b := range batches {
				d := w.decode(b)
				batchPool.Put(b)
				results <- d
			}
		}()
	}
	var readErr error
	var readStats cloudtrail.Stats
	go func() {
		readStats, readErr = readAll(files, opts, batches, &res.Bytes)
		close(batches)
		wg.Wait()
		close(results)
	}()
	// Batches are gathered in reading order as they come (a batch that
	// arrives early waits for the ones before it), so that the hit lists
	// are built while the workers are still decoding.
	g := gatherer{perRule: make([][]eval.Hit, len(progs)), timeDependent: make([]bool, len(progs))}
	for i, p := range progs {
		g.timeDependent[i] = p.TimeDependent()
	}
	pending := map[int]*decoded{}
	nextSeq := 0
	for d := range results {
		pending[d.seq] = d
		for {
			d, ok := pending[nextSeq]
			if !ok {
				break
			}
			delete(pending, nextSeq)
			g.add(d)
			nextSeq++
		}
	}
	if firstLookups != nil {
		// The workers are done: the replay's documents are read directly
		// (nil is no document).
		firstLookups.Reset(nil)
	}
	if readErr != nil {
		return nil, readErr
	}
	if len(pending) > 0 {
		return nil, fmt.Errorf("scan: %d batches decoded but never gathered (batch %d missing): this is a bug in detc", len(pending), nextSeq)
	}
	res.Files = readStats.Files
	res.Unreadable = readStats.Unreadable + g.unreadable
	res.Bad = append(res.Bad, readStats.Bad...)
	for _, b := range g.bad {
		if len(res.Bad) < cloudtrail.MaxNamed {
			res.Bad = append(res.Bad, b)
		}
	}
	res.Events = g.events
	first, last, records, perRule := g.first, g.last, g.records, g.perRule
	if opts.Strict && res.Unreadable > 0 {
		return res, fmt.Errorf("%w: %s", ErrStrict, res.Bad[0])
	}

	type ordered struct {
		Alert
		rule, seq int
	}
	// Replay each rule's timeline; rules are independent, so the workers
	// share them out. Results are gathered by rule index: deterministic.
	replays := make([][]eval.RunAlert, len(progs))
	replayErrs := make([]error, len(progs))
	next := make(chan int)
	var rwg sync.WaitGroup
	for range workers {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			for i := range next {
				eval.SortHits(perRule[i])
				replays[i], replayErrs[i] = progs[i].ReplayTimeline(perRule[i], first, last)
			}
		}()
	}
	for i := range progs {
		if len(perRule[i]) > 0 {
			next <- i
		}
	}
	close(next)
	rwg.Wait()
	var all []ordered
	for i, p := range progs {
		if replayErrs[i] != nil {
			res.Skipped = append(res.Skipped, SkippedRule{Rule: p.Rule, Err: replayErrs[i]})
			continue
		}
		hits := perRule[i]
		for _, ra := range replays[i] {
			if ra.At.Before(opts.Since) {
				continue
			}
			rec := records[hits[ra.Hit].Seq]
			if rec.raw == nil {
				// eval.Coverage proved this hit could not alert.
				return nil, fmt.Errorf("rule %s alerted on an event the scan did not keep (a covered new_terms hit): this is a bug in detc", p.Rule.ID)
			}
			all = append(all, ordered{
				// The event shares the worker's block of kept records
				// (capacity clipped): only records that may alert are kept.
				Alert: Alert{Rule: p.Rule, RunAt: ra.At, Alert: ra.Alert, EventTime: rec.time, Event: rec.raw},
				rule:  i, seq: hits[ra.Hit].Seq,
			})
			res.PerRule[p.Rule.ID]++
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if !a.RunAt.Equal(b.RunAt) {
			return a.RunAt.Before(b.RunAt)
		}
		if a.rule != b.rule {
			return a.rule < b.rule
		}
		return a.seq < b.seq
	})
	res.Alerts = make([]Alert, len(all))
	for i, o := range all {
		res.Alerts[i] = o.Alert
	}
	return res, nil
}

// gatherer builds the hit lists of a scan from the decoded batches, taken
// in reading order.
type gatherer struct {
	timeDependent []bool // by rule
	events        int
	unreadable    int
	bad           []cloudtrail.BadRecord // the first ones, named
	first, last   time.Time
	// records are the matched records in reading order; a hit's Seq is
	// its record's index here.
	records []matchedRecord
	perRule [][]eval.Hit
}

func (g *gatherer) add(d *decoded) {
	g.events += d.events
	g.unreadable += len(d.bad)
	for _, b := range d.bad {
		if len(g.bad) < cloudtrail.MaxNamed {
			g.bad = append(g.bad, b)
		}
	}
	if d.events > 0 {
		if g.first.IsZero() || d.minTime.Before(g.first) {
			g.first = d.minTime
		}
		if d.maxTime.After(g.last) {
			g.last = d.maxTime
		}
	}
	for _, m := range d.matched {
		ri := len(g.records)
		g.records = append(g.records, m)
		for _, h := range m.hits {
			eh := eval.Hit{Time: m.time, Seq: ri, ID: m.id, Terms: h.terms, Cards: h.cards, Covered: h.covered}
			if g.timeDependent[h.rule] {
				eh.Raw = m.raw // each run tests the query at its own time
			}
			g.perRule[h.rule] = append(g.perRule[h.rule], eh)
		}
	}
}

// countingReader reports progress as a file is read.
type countingReader struct {
	r        io.Reader
	n        *int64
	progress func(int64)
}

// Read reads from the file and reports the bytes read so far.
func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(*c.n)
	}
	return n, err
}

// readAll reads every file and sends batches of records in order.
func readAll(files []string, opts Options, out chan<- *batch, bytesRead *int64) (cloudtrail.Stats, error) {
	var total cloudtrail.Stats
	seq := 0
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			total.Add(cloudtrail.Stats{Files: 1, Unreadable: 1, Bad: []cloudtrail.BadRecord{{File: file, Err: err}}})
			if opts.Strict {
				return total, fmt.Errorf("%w: %s: %v", ErrStrict, file, err)
			}
			continue
		}
		st, err := readFile(f, file, opts, out, &seq, bytesRead)
		f.Close()
		total.Add(st)
		if err != nil {
			return total, err
		}
		if opts.Strict && st.Unreadable > 0 {
			return total, fmt.Errorf("%w: %s", ErrStrict, st.Bad[0])
		}
	}
	return total, nil
}

// readFile sends the records of one file. Plain NDJSON, the common large
// input, is cut into chunks of whole lines that the workers split, so
// that reading costs one copy; gzip and {"Records":[...]} files go through
// cloudtrail.ReadRecords.
func readFile(f *os.File, file string, opts Options, out chan<- *batch, seq *int, bytesRead *int64) (cloudtrail.Stats, error) {
	r := &countingReader{r: f, n: bytesRead, progress: opts.Progress}
	head := make([]byte, 4096)
	n, err := io.ReadFull(r, head)
	head = head[:n]
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return cloudtrail.Stats{Files: 1, Unreadable: 1, Bad: []cloudtrail.BadRecord{{File: file, Err: err}}}, nil
	}
	if isGzip(head) || isRecordsFile(head) {
		return readRecordsFile(io.MultiReader(bytes.NewReader(head), r), file, out, seq)
	}
	if startsPrettyObject(head) && !largerThan(f, cloudtrail.MaxLineSize) {
		// One pretty-printed JSON record (a saved event, the AWS
		// documentation's examples): read it whole if it parses. A file
		// known to be larger than a record can be is read as lines
		// straight away, without holding its start.
		rest, err := io.ReadAll(io.LimitReader(r, cloudtrail.MaxLineSize))
		if len(head)+len(rest) > cloudtrail.MaxLineSize {
			// Too large for one record: read it as lines.
			return readNDJSONChunks(io.MultiReader(bytes.NewReader(head), bytes.NewReader(rest), r), file, out, seq)
		}
		if err == nil {
			data := append(head, rest...)
			var p jsondoc.Parser
			if v, perr := p.ParseBytes(data); perr == nil && v.Type() == jsondoc.TypeObject {
				b := newBatch(*seq, file)
				b.data = append(b.data, bytes.TrimSpace(data)...)
				b.ends = append(b.ends, len(b.data))
				b.lines = append(b.lines, 1)
				out <- b
				*seq++
				return cloudtrail.Stats{Files: 1, Records: 1}, nil
			}
			return readNDJSONChunks(bytes.NewReader(data), file, out, seq)
		}
	}
	return readNDJSONChunks(io.MultiReader(bytes.NewReader(head), r), file, out, seq)
}

// largerThan reports whether f is known to hold more than n bytes.
func largerThan(f *os.File, n int64) bool {
	info, err := f.Stat()
	return err == nil && info.Mode().IsRegular() && info.Size() > n
}

// startsPrettyObject reports whether the first line of a file opens a
// JSON object without closing it (a pretty-printed record).
func startsPrettyObject(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	line, _, _ := bytes.Cut(head, []byte{'\n'})
	line = bytes.TrimSpace(line)
	return len(line) > 0 && line[0] == '{' && line[len(line)-1] != '}'
}

func isGzip(head []byte) bool { return len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b }

// isRecordsFile reports whether a file starts like {"Records": ...}.
func isRecordsFile(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 || head[0] != '{' {
		return false
	}
	return bytes.HasPrefix(bytes.TrimLeft(head[1:], " \t\r\n"), []byte(`"Records"`))
}

func readRecordsFile(r io.Reader, file string, out chan<- *batch, seq *int) (cloudtrail.Stats, error) {
	b := newBatch(*seq, file)
	flush := func() {
		if len(b.ends) == 0 {
			return
		}
		out <- b
		*seq++
		b = newBatch(*seq, file)
	}
	st, err := cloudtrail.ReadRecords(r, file, func(rec []byte, line int) error {
		b.data = append(b.data, rec...)
		b.ends = append(b.ends, len(b.data))
		b.lines = append(b.lines, line)
		if len(b.data) >= batchBytes {
			flush()
		}
		return nil
	})
	flush()
	batchPool.Put(b)
	return st, err
}

// readNDJSONChunks reads r into chunks that end at a newline (a line
// longer than a chunk grows it) and sends them with their first line
// number.
func readNDJSONChunks(r io.Reader, file string, out chan<- *batch, seq *int) (cloudtrail.Stats, error) {
	st := cloudtrail.Stats{Files: 1}
	line := 1
	var carry []byte
	for {
		b := newBatch(*seq, file)
		b.ndjson, b.firstLine = true, line
		b.data = append(b.data, carry...)
		carry = carry[:0]
		eof := false
		for {
			if len(b.data) == cap(b.data) {
				if start := bytes.LastIndexByte(b.data, '\n') + 1; len(b.data)-start > cloudtrail.MaxLineSize {
					// A line over the limit: name it, skip it, and leave
					// an empty line in its place so lines keep their numbers.
					st.Unreadable++
					if len(st.Bad) < cloudtrail.MaxNamed {
						st.Bad = append(st.Bad, cloudtrail.BadRecord{File: file, Line: line + bytes.Count(b.data[:start], []byte{'\n'}), Err: errLineTooLong})
					}
					b.data = append(b.data[:start], '\n')
					rest, err := skipLine(r)
					b.data = append(b.data, rest...)
					if err != nil {
						if err != io.EOF {
							st.Unreadable++
							st.Bad = append(st.Bad, cloudtrail.BadRecord{File: file, Line: line + bytes.Count(b.data, []byte{'\n'}), Err: fmt.Errorf("file unreadable from here: %w", err)})
						}
						eof = true
						break
					}
					continue
				}
				b.data = slices.Grow(b.data, cap(b.data))
			}
			n, err := r.Read(b.data[len(b.data):cap(b.data)])
			b.data = b.data[:len(b.data)+n]
			if err == io.EOF {
				eof = true
				break
			}
			if err != nil {
				st.Unreadable++
				st.Bad = append(st.Bad, cloudtrail.BadRecord{File: file, Line: line + bytes.Count(b.data, []byte{'\n'}), Err: fmt.Errorf("file unreadable from here: %w", err)})
				eof = true
				break
			}
			if len(b.data) >= batchBytes && bytes.LastIndexByte(b.data, '\n') >= 0 {
				break
			}
		}
		if !eof {
			cut := bytes.LastIndexByte(b.data, '\n') + 1
			carry = append(carry, b.data[cut:]...)
			b.data = b.data[:cut]
		}
		// The newlines are found here, where reading already passes over
		// the chunk, so that the workers need not look for them again.
		for off := 0; ; off++ {
			nl := bytes.IndexByte(b.data[off:], '\n')
			if nl < 0 {
				break
			}
			off += nl
			b.ends = append(b.ends, off)
		}
		line += len(b.ends)
		if len(b.data) > 0 {
			out <- b
			*seq++
		} else {
			batchPool.Put(b)
		}
		if eof {
			return st, nil
		}
	}
}

// errLineTooLong names a line over cloudtrail.MaxLineSize, as
// cloudtrail.ReadRecords does.
var errLineTooLong = fmt.Errorf("line longer than the %d MiB limit", cloudtrail.MaxLineSize>>20)

// skipLine reads r up to and including the next newline and returns what
// it read after it.
func skipLine(r io.Reader) ([]byte, error) {
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return buf[i+1 : n], nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// worker decodes and evaluates batches with its own parser.
type worker struct {
	progs  []*eval.Program
	ix     *ruleIndex
	parser jsondoc.Parser
	cands  []int
	// top holds the current record's top-level keys the scan reads.
	top topLevel
	// lk memoizes the key paths progs read in the current record: progs
	// were compiled with it, and no other worker uses it (see
	// eval.Lookups). Nil for the plain reference scan.
	lk *eval.Lookups
	// paths are topLevel's key paths in lk.
	paths *topPaths
	// cover, for new_terms rules with a cover span, tells the hits that
	// can never alert (eval.Coverage): a record with only such hits is
	// not kept, its hits carry only times and terms to the replay.
	cover []*eval.Coverage
	// hits is the current record's, reused from record to record.
	hits []hit
	// slab holds copies of matched records, many to an allocation.
	slab []byte
}

// useLookups compiles the worker's own programs for rules (which all
// compiled with opts), reading the record's key paths through its own memo
// (the shared programs use the first worker's). Should a rule not compile
// with the memo, the worker's programs go without.
func (w *worker) useLookups(rules []*ir.Rule, opts []eval.Option) {
	lk := eval.NewLookups()
	withLookups := append(opts[:len(opts):len(opts)], eval.WithLookups(lk))
	w.progs, w.lk = make([]*eval.Program, len(rules)), lk
	for i, r := range rules {
		p, err := eval.NewProgram(r, withLookups...)
		if err != nil {
			break
		}
		w.progs[i] = p
	}
	if len(rules) == 0 || w.progs[len(rules)-1] != nil {
		return
	}
	w.lk = nil
	for i, r := range rules {
		w.progs[i], _ = eval.NewProgram(r, opts...)
	}
}

// slabBytes is the size of the blocks matched records are copied into.
const slabBytes = 1 << 20

// keep returns a copy of a matched record that outlives the batch.
func (w *worker) keep(rec []byte) []byte {
	if len(rec) > slabBytes/4 {
		return append([]byte(nil), rec...)
	}
	if cap(w.slab)-len(w.slab) < len(rec) {
		w.slab = make([]byte, 0, slabBytes)
	}
	start := len(w.slab)
	w.slab = append(w.slab, rec...)
	return w.slab[start:len(w.slab):len(w.slab)]
}

func (w *worker) decode(b *batch) *decoded {
	d := &decoded{seq: b.seq}
	if !b.ndjson {
		start := 0
		for i, end := range b.ends {
			w.record(d, b, i, b.data[start:end], b.lines[i])
			start = end
		}
		return d
	}
	// A chunk of NDJSON lines, cut as cloudtrail.ReadRecords cuts them:
	// lines trimmed, a byte-order mark dropped at the start of the file,
	// empty lines skipped, lines that are not a JSON object unreadable.
	// b.ends holds the offset of each newline; a last line may have none.
	data, line, i := b.data, b.firstLine, 0
	for k, off := 0, 0; off < len(data); line, k = line+1, k+1 {
		end := len(data)
		if k < len(b.ends) {
			end = b.ends[k]
		}
		rec := data[off:end]
		off = end + 1
		if len(bytes.TrimRight(rec, "\r")) > cloudtrail.MaxLineSize {
			d.bad = append(d.bad, cloudtrail.BadRecord{File: b.file, Line: line, Err: errLineTooLong})
			continue
		}
		if line == 1 {
			rec = bytes.TrimPrefix(rec, []byte("\xef\xbb\xbf"))
		}
		rec = bytes.TrimSpace(rec)
		if len(rec) == 0 {
			continue
		}
		rec = cloudtrail.StripExportTimestamp(rec)
		if rec[0] != '{' || rec[len(rec)-1] != '}' {
			d.bad = append(d.bad, cloudtrail.BadRecord{File: b.file, Line: line, Err: errors.New("not a JSON object")})
			continue
		}
		w.record(d, b, i, rec, line)
		i++
	}
	return d
}

// record decodes one record and runs the rules that may match it.
func (w *worker) record(d *decoded, b *batch, i int, rec []byte, line int) {
	doc, err := w.parser.ParseBytes(rec)
	if w.lk != nil {
		w.lk.Reset(doc)
	}
	if err == nil && doc.Type() != jsondoc.TypeObject {
		err = errors.New("not a JSON object")
	}
	if err != nil {
		d.bad = append(d.bad, cloudtrail.BadRecord{File: b.file, Line: line, Err: err})
		return
	}
	if w.lk != nil {
		if w.paths == nil {
			w.paths = newTopPaths(w.lk)
		}
		w.top.readLookups(w.lk, w.paths)
	} else {
		w.top.read(doc)
	}
	t, err := eventTimeOf(w.top.time)
	if err != nil {
		d.bad = append(d.bad, cloudtrail.BadRecord{File: b.file, Line: line, Err: err})
		return
	}
	d.events++
	if d.minTime.IsZero() || t.Before(d.minTime) {
		d.minTime = t
	}
	if t.After(d.maxTime) {
		d.maxTime = t
	}
	w.cands = w.ix.candidatesOf(w.cands, &w.top)
	w.hits = w.hits[:0]
	needed := false
	for _, ri := range w.cands {
		if terms, cards, ok := w.progs[ri].Candidate(doc); ok {
			h := hit{rule: ri, terms: terms, cards: cards}
			if c := w.cover[ri]; c != nil {
				h.covered = c.Add(t, terms)
			}
			needed = needed || !h.covered
			w.hits = append(w.hits, h)
		}
	}
	if len(w.hits) == 0 {
		return
	}
	m := matchedRecord{seq: recordSeq(b.seq, i), time: t, hits: append([]hit(nil), w.hits...)}
	if needed {
		id := w.top.id
		if w.lk != nil {
			id = w.lk.Value(w.paths.id)
		}
		m.id, m.raw = string(id.GetStringBytes()), w.keep(rec)
	}
	d.matched = append(d.matched, m)
}

// coverages returns a tracker of covered hits for each new_terms program
// that has a cover span (see eval.Coverage), nil for the others and for
// the plain reference scan.
func coverages(progs []*eval.Program) []*eval.Coverage {
	out := make([]*eval.Coverage, len(progs))
	if plainScan {
		return out
	}
	for i, p := range progs {
		if span, ok := p.CoverSpan(); ok {
			out[i] = eval.NewCoverage(span)
		}
	}
	return out
}

// eventTime reads a raw record's eventTime.
func eventTime(doc *jsondoc.Value) (time.Time, error) {
	return eventTimeOf(doc.Get("eventTime"))
}

// eventTimeOf reads the value of a raw record's eventTime key (nil when
// absent).
func eventTimeOf(v *jsondoc.Value) (time.Time, error) {
	s := v.GetStringBytes()
	if len(s) == 0 {
		return time.Time{}, errors.New("no eventTime")
	}
	if t, ok := parseCloudTrailTime(s); ok {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, string(s))
	if err != nil {
		t, err = ir.ParseTime(string(s))
		if err != nil {
			return time.Time{}, fmt.Errorf("eventTime %q is not an ISO 8601 time", s)
		}
	}
	return t.UTC(), nil
}

// parseCloudTrailTime reads the form CloudTrail writes, 2006-01-02T15:04:05Z,
// without allocating. It accepts only values that time.Parse reads to the
// same instant, and reports false for anything else (which then goes
// through time.Parse).
func parseCloudTrailTime(s []byte) (time.Time, bool) {
	if len(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range s[i : i+n] {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || day > 28 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		// Days 29-31 need the calendar: leave them to time.Parse.
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC), true
}
