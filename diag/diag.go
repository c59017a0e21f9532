// Package diag is detc's one error type: a diagnostic with a stable code, a
// severity and a source position, and a list that sorts, caps and prints them.
package diag

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a source file. Line and Col are 1-based; Col counts
// Unicode code points. A zero Line means the position is unknown.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// IsValid reports whether the position names a line.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String renders the position as file:line:col, leaving out what is unknown.
func (p Pos) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%d:%d", p.Line, p.Col)
	}
	return b.String()
}

// Before orders positions by file, line and column.
func (p Pos) Before(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Severity says whether a diagnostic stops the work.
type Severity int

const (
	// Error stops the rule it belongs to.
	Error Severity = iota
	// Warning is reported; --strict makes it an error.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one problem found in a rule file, a query, an event file or
// while rendering a target.
type Diagnostic struct {
	Pos      Pos      `json:"pos"`
	Severity Severity `json:"-"`
	// Code is stable across releases (for example "kql-syntax",
	// "unknown-key", "untranslatable"); tools may match on it.
	Code string `json:"code"`
	// RuleID names the rule (its id, else its name) when one is known.
	RuleID string `json:"rule_id,omitempty"`
	// Key is the rule-file key or the field the problem is about.
	Key string `json:"key,omitempty"`
	// Msg says what is wrong; Hint says what to do about it.
	Msg  string `json:"message"`
	Hint string `json:"hint,omitempty"`
	// Line is the text of the source line at Pos, for the caret display.
	Line string `json:"-"`
}

// Error renders the diagnostic on one line:
// file:line:col: error[code]: message (rule ID, key K).
func (d Diagnostic) Error() string {
	var b strings.Builder
	if s := d.Pos.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%s[%s]: %s", d.Severity, d.Code, d.Msg)
	var ctx []string
	if d.RuleID != "" {
		ctx = append(ctx, "rule "+d.RuleID)
	}
	if d.Key != "" {
		ctx = append(ctx, "key "+d.Key)
	}
	if len(ctx) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(ctx, ", "))
	}
	return b.String()
}

// Pretty renders the diagnostic with the source line, a caret under the
// column and the hint, the way a compiler shows an error to a person.
func (d Diagnostic) Pretty() string {
	var b strings.Builder
	b.WriteString(d.Error())
	if d.Line != "" && d.Pos.Col > 0 {
		line := strings.ReplaceAll(d.Line, "\t", " ")
		b.WriteString("\n    | ")
		b.WriteString(line)
		b.WriteString("\n    | ")
		b.WriteString(strings.Repeat(" ", d.Pos.Col-1))
		b.WriteByte('^')
	}
	if d.Hint != "" {
		b.WriteString("\n    = hint: ")
		b.WriteString(d.Hint)
	}
	return b.String()
}

// List is an ordered collection of diagnostics.
type List []Diagnostic

// Add appends a diagnostic.
func (l *List) Add(d Diagnostic) { *l = append(*l, d) }

// Errorf appends an error at pos.
func (l *List) Errorf(pos Pos, code, format string, args ...any) {
	l.Add(Diagnostic{Pos: pos, Code: code, Msg: fmt.Sprintf(format, args...)})
}

// Sort orders the list by position, then code, then message, so output is
// deterministic.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.Pos != b.Pos {
			return a.Pos.Before(b.Pos)
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Msg < b.Msg
	})
}

// HasErrors reports whether any diagnostic is an error.
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns the diagnostics of severity Error.
func (l List) Errors() List { return l.filter(Error) }

// Warnings returns the diagnostics of severity Warning.
func (l List) Warnings() List { return l.filter(Warning) }

func (l List) filter(s Severity) List {
	var out List
	for _, d := range l {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// Promote turns every warning into an error (the --strict switch).
func (l List) Promote() {
	for i := range l {
		l[i].Severity = Error
	}
}

// WithRule sets RuleID on every diagnostic that has none.
func (l List) WithRule(id string) {
	for i := range l {
		if l[i].RuleID == "" {
			l[i].RuleID = id
		}
	}
}

// Err returns the list as an error when it holds an error, else nil.
func (l List) Err() error {
	if !l.HasErrors() {
		return nil
	}
	return l
}

// MaxShown caps how many diagnostics Error prints.
const MaxShown = 50

// Error joins the first MaxShown diagnostics, one per line.
func (l List) Error() string {
	var b strings.Builder
	for i, d := range l {
		if i == MaxShown {
			fmt.Fprintf(&b, "\n... and %d more", len(l)-MaxShown)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.Error())
	}
	return b.String()
}
