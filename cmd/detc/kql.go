package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/detc/detc/jsondoc"
	"github.com/spf13/pflag"

	"github.com/detc/detc/backends/eval"
	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
	"github.com/detc/detc/parser"
	"github.com/detc/detc/source/cloudtrail"
)

func init() {
	var (
		asJSON, strict, explainMiss bool
		matchPath, source           string
	)
	register(&command{
		Name:    "kql",
		Summary: "show how a KQL query is parsed, typed and lowered; --match tries it on documents",
		Usage: `Usage: detc kql [--json] [--strict] QUERY|-
       detc kql QUERY --match FILE|- [--source ecs|aws.cloudtrail] [--explain]

Parses QUERY (or standard input with -) with Kibana's KQL grammar and prints
three views of it:

  syntax   the parse tree, one node per line, with line:col positions
  kql      the query printed back in canonical KQL
  ir       the lowered expression: value lists spread over their field,
           and/or flattened, every field typed from the field catalog
           (<text>, <ip>, <number>... after a field name; keyword is implied)

With --json it prints one JSON object {"query", "syntax", "kql", "ir",
"diagnostics"}; "ir" is the documented IR form: a tree of nodes with a
"kind" (and, or, not, all, term, range, exists, nested, text), "operands",
"field" {name, es_type, wildcard}, "type", "op" and "value" {text, quoted,
wildcard, number, bool, prefix}.

With --match FILE it evaluates the query instead, with the evaluator that
detc test and detc scan use, on every document of FILE (- for standard
input): matching lines are printed unchanged on stdout, and the count on
stderr. Documents are ECS documents, one JSON object per line as exported
from Elasticsearch (nested objects or dotted keys), or with --source
aws.cloudtrail raw CloudTrail records (NDJSON, or an S3 log file
{"Records":[...]}, gzipped or not) read through the aws.cloudtrail source
profile, exactly as the rules see them. A line may be up to 16 MiB long;
longer lines and lines that are not JSON objects are named on stderr and
counted, and make the exit code 1. --explain adds, on stderr, one line per
document that does not match: the first clause that failed (in the order
written) and the values the document holds at its field (for raw records,
the values of the ECS document the source profile derives).

Examples:
  detc kql 'event.action: (CreateUser or CreateAccessKey) and not user.name: admin*'
  detc kql --json 'source.ip: 10.0.0.0/8' | jq .ir
  echo 'event.outcome: failure' | detc kql -
  detc kql 'event.action: ExportTableToPointInTime' --match export.ndjson
  detc kql --source aws.cloudtrail --explain --match trail.json.gz \
      'event.provider: "dynamodb.amazonaws.com" and event.outcome: success'`,
		Flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of text")
			fs.BoolVar(&strict, "strict", false, "treat unknown fields as errors")
			fs.StringVarP(&matchPath, "match", "m", "", "evaluate the query on the documents of FILE (- for standard input) and print the matching lines")
			fs.StringVar(&source, "source", "ecs", "what --match reads: ecs (NDJSON documents) or aws.cloudtrail (raw CloudTrail records)")
			fs.BoolVar(&explainMiss, "explain", false, "with --match: say on stderr, for each document that does not match, which clause failed and the value the document holds there")
		},
		Run: func(env *runEnv, args []string) int {
			if len(args) != 1 {
				fmt.Fprintln(env.Stderr, "detc kql: give one query (quote it), or - to read it from standard input")
				return exitUsage
			}
			query := args[0]
			if query == "-" && matchPath == "-" {
				fmt.Fprintln(env.Stderr, "detc kql: the query and the documents cannot both come from standard input")
				return exitUsage
			}
			if explainMiss && matchPath == "" {
				fmt.Fprintln(env.Stderr, "detc kql: --explain needs --match FILE")
				return exitUsage
			}
			if query == "-" {
				b, err := io.ReadAll(env.Stdin)
				if err != nil {
					fmt.Fprintln(env.Stderr, "detc kql:", err)
					return exitFail
				}
				query = strings.TrimRight(string(b), "\n")
			}
			if matchPath != "" {
				return matchQuery(env, query, matchOptions{path: matchPath, source: source, explain: explainMiss, strict: strict})
			}
			return explainQuery(env, query, asJSON, strict)
		},
	})
}

func explainQuery(env *runEnv, query string, asJSON, strict bool) int {
	q, err := parser.Parse(query)
	if err != nil {
		d := diag.Diagnostic{Code: "kql-syntax", Msg: err.Error()}
		if se, ok := err.(*parser.SyntaxError); ok {
			d.Pos = diag.Pos{Line: se.Line, Col: se.Col}
			d.Msg, d.Hint = se.Msg, se.Hint
			d.Line = lineOf(query, se.Line)
		}
		fmt.Fprintln(env.Stderr, d.Pretty())
		return exitFail
	}
	expr, diags := lower.Lower(q, lower.Options{Strict: strict})
	for i := range diags {
		diags[i].Line = lineOf(query, diags[i].Pos.Line)
	}
	var syntax string
	if q.Expr != nil {
		syntax = parser.Dump(q.Expr)
	}
	if asJSON {
		irJSON := json.RawMessage("null")
		if expr != nil {
			b, err := ir.MarshalExpr(expr)
			if err != nil {
				fmt.Fprintln(env.Stderr, "detc kql:", err)
				return exitFail
			}
			irJSON = b
		}
		type jd struct {
			diag.Diagnostic
			Severity string `json:"severity"`
		}
		ds := []jd{}
		for _, d := range diags {
			ds = append(ds, jd{d, d.Severity.String()})
		}
		b, err := marshalIndent(map[string]any{
			"query": query, "syntax": syntax, "kql": parser.Format(q), "ir": irJSON, "diagnostics": ds,
		})
		if err != nil {
			fmt.Fprintln(env.Stderr, "detc kql:", err)
			return exitFail
		}
		env.Stdout.Write(b)
	} else {
		fmt.Fprintf(env.Stdout, "syntax:\n%s\n", indent(syntax))
		fmt.Fprintf(env.Stdout, "kql:\n%s\n", indent(parser.Format(q)))
		if expr != nil {
			fmt.Fprintf(env.Stdout, "ir:\n%s\n", indent(ir.String(expr)))
		}
		printDiags(env.Stderr, diags)
	}
	if diags.HasErrors() {
		return exitFail
	}
	return exitOK
}

func indent(s string) string {
	if s == "" {
		return "  (empty: matches every document)"
	}
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

func lineOf(text string, line int) string {
	lines := strings.Split(text, "\n")
	if line >= 1 && line <= len(lines) {
		return lines[line-1]
	}
	return ""
}

// maxDocumentLine bounds one line of --match input; a longer line is named
// and counted as unreadable.
const maxDocumentLine = 16 << 20

// Sources that --match reads.
const (
	sourceECS        = "ecs"
	sourceCloudTrail = "aws.cloudtrail"
)

type matchOptions struct {
	path, source    string
	explain, strict bool
}

// matchStats counts what one --match run read.
type matchStats struct {
	Documents, Matched, Unreadable int
	// Bad names the first maxNamedBad unreadable lines.
	Bad []string
}

const maxNamedBad = 20

func (s *matchStats) bad(name string, line int, err error) {
	s.Unreadable++
	if len(s.Bad) < maxNamedBad {
		s.Bad = append(s.Bad, fmt.Sprintf("%s:%d: %v", name, line, err))
	}
}

// missFunc receives a document that did not match: its 1-based line and
// the parsed document of the matcher's form (valid only during the call).
type missFunc func(line int, raw []byte, doc *jsondoc.Value)

func matchQuery(env *runEnv, query string, o matchOptions) int {
	expr, diags := lower.Query(query, lower.Options{Strict: o.strict})
	for i := range diags {
		diags[i].Line = lineOf(query, diags[i].Pos.Line)
	}
	printDiags(env.Stderr, diags)
	if diags.HasErrors() {
		return exitFail
	}
	var form eval.Form
	switch o.source {
	case sourceECS:
		form = eval.ECS
	case sourceCloudTrail:
		form = eval.RawCloudTrail
	default:
		fmt.Fprintf(env.Stderr, "detc kql: unknown --source %q: use %s or %s\n", o.source, sourceECS, sourceCloudTrail)
		return exitUsage
	}
	// One "now" for the query and for the clauses --explain compiles, so
	// that date math (@timestamp >= now-1h) means the same in both.
	now := eval.WithNow(time.Now())
	m, err := eval.Compile(expr, eval.WithForm(form), now)
	if err != nil {
		fmt.Fprintf(env.Stderr, "detc kql: the query cannot be evaluated on %s documents: %v\n", form, err)
		return exitFail
	}
	in, name := env.Stdin, "stdin"
	if o.path != "-" {
		f, err := os.Open(o.path)
		if err != nil {
			fmt.Fprintln(env.Stderr, "detc kql:", err)
			return exitFail
		}
		defer f.Close()
		in, name = f, o.path
	}
	var miss missFunc
	if o.explain {
		ex := newExplainer(expr, form, now)
		miss = func(line int, raw []byte, doc *jsondoc.Value) {
			fmt.Fprintf(env.Stderr, "%s:%d: no match: %s\n", name, line, ex.explain(raw, doc))
		}
	}
	out := bufio.NewWriterSize(env.Stdout, 64<<10)
	var st matchStats
	if form == eval.RawCloudTrail {
		st, err = matchRecords(in, name, m, out, miss)
	} else {
		st, err = matchDocuments(in, name, m, out, miss)
	}
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	for _, b := range st.Bad {
		fmt.Fprintln(env.Stderr, "unreadable:", b)
	}
	if st.Unreadable > len(st.Bad) {
		fmt.Fprintf(env.Stderr, "unreadable: ... and %d more\n", st.Unreadable-len(st.Bad))
	}
	fmt.Fprintf(env.Stderr, "%d of %s matched", st.Matched, plural(st.Documents, "document"))
	if st.Unreadable > 0 {
		fmt.Fprintf(env.Stderr, "; %s unreadable", plural(st.Unreadable, "line"))
	}
	fmt.Fprintln(env.Stderr)
	if err != nil {
		fmt.Fprintln(env.Stderr, "detc kql:", err)
		return exitFail
	}
	if st.Unreadable > 0 {
		return exitFail
	}
	return exitOK
}

// matchDocuments reads ECS documents, one JSON object per line, matches
// each with m and copies the matching lines to out unchanged. It is the
// whole of `detc kql --match` on ECS input (BenchmarkKQLMatch runs it).
func matchDocuments(r io.Reader, name string, m *eval.Matcher, out io.Writer, miss missFunc) (matchStats, error) {
	var (
		st   matchStats
		p    jsondoc.Parser
		long []byte
	)
	br := bufio.NewReaderSize(r, 1<<20)
	for line := 1; ; line++ {
		chunk, err := br.ReadSlice('\n')
		tooLong := false
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it, up to the limit.
			long = append(long[:0], chunk...)
			for errors.Is(err, bufio.ErrBufferFull) {
				chunk, err = br.ReadSlice('\n')
				if !tooLong && len(long)+len(chunk) > maxDocumentLine {
					tooLong = true
				}
				if !tooLong {
					long = append(long, chunk...)
				}
			}
			chunk = long
		}
		if err != nil && err != io.EOF {
			return st, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		switch doc := bytes.TrimSpace(chunk); {
		case tooLong:
			st.bad(name, line, fmt.Errorf("line longer than %d MiB", maxDocumentLine>>20))
		case len(doc) == 0:
		default:
			v, perr := p.ParseBytes(doc)
			if perr != nil {
				st.bad(name, line, perr)
				break
			}
			if v.Type() != jsondoc.TypeObject {
				st.bad(name, line, fmt.Errorf("a JSON %s, not an object", v.Type()))
				break
			}
			st.Documents++
			if m.Match(v) {
				st.Matched++
				if werr := writeLine(out, chunk); werr != nil {
					return st, werr
				}
			} else if miss != nil {
				miss(line, doc, v)
			}
		}
		if err == io.EOF {
			return st, nil
		}
	}
}

// matchRecords reads raw CloudTrail records through the source profile's
// reader (NDJSON or {"Records":[...]}, gzipped or not) and copies the
// matching records to out, one per line: NDJSON lines unchanged, records
// that span several lines compacted onto one.
func matchRecords(r io.Reader, name string, m *eval.Matcher, out io.Writer, miss missFunc) (matchStats, error) {
	var (
		st matchStats
		p  jsondoc.Parser
	)
	rs, err := cloudtrail.ReadRecords(r, name, func(rec []byte, line int) error {
		if len(rec) > maxDocumentLine {
			return cloudtrail.Unreadable(fmt.Errorf("record longer than %d MiB", maxDocumentLine>>20))
		}
		v, err := p.ParseBytes(rec)
		if err != nil {
			return cloudtrail.Unreadable(err)
		}
		st.Documents++
		if m.Match(v) {
			st.Matched++
			if bytes.IndexByte(rec, '\n') >= 0 {
				// A record of a {"Records":[...]} file spans lines:
				// print it as one.
				var c bytes.Buffer
				if err := json.Compact(&c, rec); err != nil {
					return err
				}
				rec = c.Bytes()
			}
			return writeLine(out, rec)
		}
		if miss != nil {
			miss(line, rec, v)
		}
		return nil
	})
	st.Unreadable = rs.Unreadable
	for _, b := range rs.Bad {
		if len(st.Bad) < maxNamedBad {
			st.Bad = append(st.Bad, b.String())
		}
	}
	return st, err
}

// writeLine writes line, which may or may not end in a newline, as one
// line.
func writeLine(w io.Writer, line []byte) error {
	if _, err := w.Write(line); err != nil {
		return err
	}
	if len(line) == 0 || line[len(line)-1] != '\n' {
		_, err := w.Write([]byte{'\n'})
		return err
	}
	return nil
}

// explainer says why a document does not match a query. It walks the IR
// and asks the evaluator to match each sub-expression on the document, so
// its verdicts are the evaluator's.
type explainer struct {
	root     ir.Expr
	form     eval.Form
	now      eval.Option
	matchers map[ir.Expr]*eval.Matcher
}

func newExplainer(root ir.Expr, form eval.Form, now eval.Option) *explainer {
	return &explainer{root: root, form: form, now: now, matchers: map[ir.Expr]*eval.Matcher{}}
}

// holds reports whether e matches doc; ok is false when e cannot be
// compiled on its own.
func (x *explainer) holds(e ir.Expr, doc *jsondoc.Value) (holds, ok bool) {
	m, seen := x.matchers[e]
	if !seen {
		m, _ = eval.Compile(e, eval.WithForm(x.form), x.now)
		x.matchers[e] = m
	}
	if m == nil {
		return false, false
	}
	return m.Match(doc), true
}

// failing returns the first clause, in the order written, that makes e
// false on doc, descending through and and through not-of-or (the
// operand that holds); any other clause is returned whole.
func (x *explainer) failing(e ir.Expr, doc *jsondoc.Value) ir.Expr {
	switch e := e.(type) {
	case *ir.And:
		for _, op := range e.X {
			if h, ok := x.holds(op, doc); ok && !h {
				return x.failing(op, doc)
			}
		}
	case *ir.Not:
		// not (a or b) fails on the first operand that holds.
		if or, isOr := e.X.(*ir.Or); isOr {
			for _, op := range or.X {
				if h, ok := x.holds(op, doc); ok && h {
					return &ir.Not{Pos: op.Position(), X: op}
				}
			}
		}
	}
	return e
}

// explain renders the failing clause of a document that does not match,
// with the values the document holds at the clause's fields. raw is the
// document as read; doc is its parsed form for the matcher.
func (x *explainer) explain(raw []byte, doc *jsondoc.Value) string {
	clause := x.failing(x.root, doc)
	var b strings.Builder
	b.WriteString(clip(kqlText(clause), 160))
	if p := clause.Position(); p.IsValid() {
		fmt.Fprintf(&b, " (query %d:%d)", p.Line, p.Col)
	}
	b.WriteString(" is false")
	// Values are read from the ECS document: the one given, or the one
	// the source profile derives from a raw record.
	ecs := doc
	if x.form == eval.RawCloudTrail {
		d, err := eval.ECSDocument(raw)
		if err != nil {
			fmt.Fprintf(&b, "; the record has no ECS form: %v", err)
			return b.String()
		}
		ecs = d
	}
	var parts []string
	for _, f := range fieldsOf(clause) {
		parts = append(parts, f+" "+describeValues(ecsValues(ecs, f)))
	}
	if len(parts) > 0 {
		b.WriteString("; ")
		b.WriteString(strings.Join(parts, "; "))
	}
	return b.String()
}

// fieldsOf lists the fields a clause reads (for a nested clause, its path).
func fieldsOf(e ir.Expr) []string {
	if n, ok := e.(*ir.Nested); ok {
		return []string{n.Path}
	}
	return ir.Fields(e)
}

const maxShownValues = 5

func describeValues(vs []*jsondoc.Value) string {
	if len(vs) == 0 {
		return "is missing"
	}
	var shown []string
	for i, v := range vs {
		if i == maxShownValues {
			shown = append(shown, fmt.Sprintf("... %d more", len(vs)-maxShownValues))
			break
		}
		shown = append(shown, clip(string(v.MarshalTo(nil)), 120))
	}
	if len(vs) == 1 {
		return "is " + shown[0]
	}
	return "holds [" + strings.Join(shown, ", ") + "]"
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// ecsValues returns the values an ECS document holds at a dotted field
// name, for display: nested objects and dotted keys are both followed (as
// Elasticsearch reads them), arrays are walked, nulls are skipped. A
// wildcard name (file.hash.*) gathers the leaves whose names it matches.
func ecsValues(doc *jsondoc.Value, field string) []*jsondoc.Value {
	var out []*jsondoc.Value
	if strings.Contains(field, "*") {
		pieces := strings.Split(field, "*")
		var walk func(v *jsondoc.Value, name string)
		walk = func(v *jsondoc.Value, name string) {
			switch v.Type() {
			case jsondoc.TypeObject:
				v.GetObject().Visit(func(k []byte, c *jsondoc.Value) {
					n := string(k)
					if name != "" {
						n = name + "." + n
					}
					walk(c, n)
				})
			case jsondoc.TypeArray:
				for _, el := range v.GetArray() {
					walk(el, name)
				}
			case jsondoc.TypeNull:
			default:
				if globMatch(pieces, name) {
					out = append(out, v)
				}
			}
		}
		walk(doc, "")
		return out
	}
	segs := strings.Split(field, ".")
	var walk func(v *jsondoc.Value, i int)
	walk = func(v *jsondoc.Value, i int) {
		switch v.Type() {
		case jsondoc.TypeNull:
		case jsondoc.TypeArray:
			for _, el := range v.GetArray() {
				walk(el, i)
			}
		case jsondoc.TypeObject:
			if i == len(segs) {
				out = append(out, v)
				return
			}
			o := v.GetObject()
			for j := i + 1; j <= len(segs); j++ {
				if c := o.Get(strings.Join(segs[i:j], ".")); c != nil {
					walk(c, j)
				}
			}
		default:
			if i == len(segs) {
				out = append(out, v)
			}
		}
	}
	walk(doc, 0)
	return out
}

// globMatch matches s against the pieces of a pattern split at `*`.
func globMatch(pieces []string, s string) bool {
	if !strings.HasPrefix(s, pieces[0]) {
		return false
	}
	s = s[len(pieces[0]):]
	last := len(pieces) - 1
	for _, p := range pieces[1:last] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(pieces[last]) && strings.HasSuffix(s, pieces[last])
}

// kqlText prints an IR expression back as KQL, for messages: values are
// escaped (or quoted, when the author quoted them) so the text parses to
// the same clause.
func kqlText(e ir.Expr) string {
	var b strings.Builder
	writeKQL(&b, e, "")
	return b.String()
}

func writeKQL(b *strings.Builder, e ir.Expr, prefix string) {
	group := func(x ir.Expr) {
		switch x.(type) {
		case *ir.And, *ir.Or:
			b.WriteByte('(')
			writeKQL(b, x, prefix)
			b.WriteByte(')')
		default:
			writeKQL(b, x, prefix)
		}
	}
	name := func(f ir.Field) string { return strings.TrimPrefix(f.Name, prefix) }
	switch e := e.(type) {
	case *ir.And:
		for i, x := range e.X {
			if i > 0 {
				b.WriteString(" and ")
			}
			if _, isOr := x.(*ir.Or); isOr {
				group(x)
			} else {
				writeKQL(b, x, prefix)
			}
		}
	case *ir.Or:
		for i, x := range e.X {
			if i > 0 {
				b.WriteString(" or ")
			}
			writeKQL(b, x, prefix)
		}
	case *ir.Not:
		b.WriteString("not ")
		group(e.X)
	case *ir.MatchAll:
		b.WriteString("*")
	case *ir.Term:
		b.WriteString(name(e.Field))
		b.WriteString(": ")
		b.WriteString(kqlValue(e.Value))
	case *ir.Range:
		b.WriteString(name(e.Field))
		b.WriteString(" " + e.Op.String() + " ")
		b.WriteString(kqlValue(e.Value))
	case *ir.Exists:
		b.WriteString(name(e.Field))
		b.WriteString(": *")
	case *ir.Nested:
		b.WriteString(strings.TrimPrefix(e.Path, prefix))
		b.WriteString(": { ")
		writeKQL(b, e.X, e.Path+".")
		b.WriteString(" }")
	case *ir.FreeText:
		b.WriteString(kqlValue(e.Value))
	}
}

func kqlValue(v ir.Value) string {
	if v.Quoted {
		return parser.QuoteString(v.Text)
	}
	if v.IsWildcard() {
		escaped := make([]string, len(v.Wildcard))
		for i, p := range v.Wildcard {
			escaped[i] = parser.EscapeValue(p)
		}
		return strings.Join(escaped, "*")
	}
	return parser.EscapeValue(v.Text)
}
