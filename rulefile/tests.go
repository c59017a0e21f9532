package rulefile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
)

// TestFile is the test file beside a rule: NAME.test.yml next to NAME.yml.
type TestFile struct {
	Path     string
	RulePath string
	Cases    []*Case
}

// Case is one test case: raw CloudTrail records, a run time and the
// alerts that one execution of the rule at that time must raise.
type Case struct {
	Name string
	Pos  diag.Pos
	// At is the run time T.
	At time.Time
	// Events are raw CloudTrail records, inline ones first, then those of
	// events_file.
	Events []Event
	// Expect holds the expected alerts (RuleID left empty).
	Expect []ir.Alert
}

// Event is one raw CloudTrail record of a case, with where it was written.
type Event struct {
	Raw []byte
	Pos diag.Pos
}

var testFileKeys = []string{"rule", "cases"}
var caseKeys = []string{"name", "at", "events", "events_file", "expect"}
var expectKeys = []string{"event", "terms", "count"}

// TestPathFor returns the test file that belongs to a rule file.
func TestPathFor(rulePath string) string {
	ext := filepath.Ext(rulePath)
	return strings.TrimSuffix(rulePath, ext) + ".test" + ext
}

// IsTestFile reports whether path names a test file rather than a rule.
func IsTestFile(path string) bool {
	base := filepath.Base(path)
	return strings.HasSuffix(base, ".test.yml") || strings.HasSuffix(base, ".test.yaml")
}

// ReadEventsFunc reads the records of an events file, calling fn with each
// raw record and its 1-based line. The source profile provides it; it is a
// variable so that this package does not depend on a source profile.
type ReadEventsFunc func(path string, fn func(raw []byte, line int)) error

// LoadTests reads a test file. readEvents reads events_file entries; it may
// be nil when no case uses one.
func LoadTests(path string, readEvents ReadEventsFunc) (*TestFile, diag.List) {
	data, err := readFile(path)
	if err != nil {
		return nil, diag.List{{Pos: diag.Pos{File: path}, Code: "read", Msg: err.Error()}}
	}
	d := &decoder{file: path, lines: splitLines(data)}
	tf := &TestFile{Path: path, RulePath: strings.Replace(path, ".test.", ".", 1)}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		d.yamlError(err)
		return nil, d.diags
	}
	if len(doc.Content) == 0 {
		d.errorf(diag.Pos{File: path, Line: 1, Col: 1}, "empty-file", "", "the test file is empty", "add cases: (see docs/rules.md)")
		return nil, d.diags
	}
	m := d.mapping(doc.Content[0], "", testFileKeys)
	if m == nil {
		return nil, d.diags
	}
	if e := m["rule"]; e != nil {
		if s, ok := d.nonEmpty(e); ok {
			tf.RulePath = filepath.Join(filepath.Dir(path), s)
		}
	}
	e := m["cases"]
	if e == nil {
		d.errorf(d.pos(doc.Content[0]), "missing-key", "cases", "a test file needs cases", "add cases: [...] (see docs/rules.md)")
		return nil, d.diags
	}
	if e.value.Kind != yaml.SequenceNode {
		d.errorf(d.pos(e.value), "type", "cases", "cases must be a list", "")
		return nil, d.diags
	}
	names := map[string]int{}
	for i, item := range e.value.Content {
		c := d.testCase(item, fmt.Sprintf("cases[%d]", i), readEvents)
		if c == nil {
			continue
		}
		if prev, dup := names[c.Name]; dup {
			d.errorf(c.Pos, "duplicate", "cases", fmt.Sprintf("two cases are named %q (the first at line %d)", c.Name, prev), "give each case its own name")
		}
		names[c.Name] = c.Pos.Line
		tf.Cases = append(tf.Cases, c)
	}
	d.diags.Sort()
	if d.diags.HasErrors() {
		return nil, d.diags
	}
	return tf, d.diags
}

func (d *decoder) testCase(n *yaml.Node, where string, readEvents ReadEventsFunc) *Case {
	m := d.mapping(n, where, caseKeys)
	if m == nil {
		return nil
	}
	c := &Case{Pos: d.pos(n)}
	if e := m["name"]; e != nil {
		c.Name, _ = d.nonEmpty(e)
	} else {
		d.errorf(d.pos(n), "missing-key", where+".name", "a case needs a name", "")
	}
	if e := m["at"]; e != nil {
		// yaml.v3 reads an unquoted ISO time as !!timestamp; accept both.
		t, err := ir.ParseTime(e.value.Value)
		if err != nil {
			d.errorf(d.pos(e.value), "bad-time", e.name, fmt.Sprintf("at %q is not an ISO 8601 time", e.value.Value), "for example at: 2025-03-21T12:00:00Z")
		}
		c.At = t
	} else {
		d.errorf(d.pos(n), "missing-key", where+".at", "a case needs the run time at", "for example at: 2025-03-21T12:00:00Z")
	}
	if e := m["events"]; e != nil {
		if e.value.Kind != yaml.SequenceNode {
			d.errorf(d.pos(e.value), "type", e.name, "events must be a list of CloudTrail records", "")
		} else {
			for j, ev := range e.value.Content {
				if ev.Kind != yaml.MappingNode {
					d.errorf(d.pos(ev), "type", fmt.Sprintf("%s[%d]", e.name, j), "an event must be a JSON object (a CloudTrail record)", "")
					continue
				}
				var buf bytes.Buffer
				writeJSON(&buf, ev)
				c.Events = append(c.Events, Event{Raw: buf.Bytes(), Pos: d.pos(ev)})
			}
		}
	}
	if e := m["events_file"]; e != nil {
		if s, ok := d.nonEmpty(e); ok {
			p := filepath.Join(filepath.Dir(d.file), s)
			if readEvents == nil {
				d.errorf(d.pos(e.value), "events-file", e.name, "events_file is not supported here", "")
			} else if err := readEvents(p, func(raw []byte, line int) {
				c.Events = append(c.Events, Event{Raw: append([]byte(nil), raw...), Pos: diag.Pos{File: p, Line: line, Col: 1}})
			}); err != nil {
				d.errorf(d.pos(e.value), "events-file", e.name, fmt.Sprintf("cannot read events file %s: %v", p, err), "the path is relative to the test file")
			}
		}
	}
	e := m["expect"]
	if e == nil {
		d.errorf(d.pos(n), "missing-key", where+".expect", "a case needs expect (the alerts, or [] for none)", "write expect: [] for a near miss")
		return c
	}
	if e.value.Kind != yaml.SequenceNode {
		d.errorf(d.pos(e.value), "type", e.name, "expect must be a list of alerts", "write expect: [] for a near miss")
		return c
	}
	c.Expect = []ir.Alert{}
	for j, item := range e.value.Content {
		w := fmt.Sprintf("%s[%d]", e.name, j)
		am := d.mapping(item, w, expectKeys)
		if am == nil {
			continue
		}
		var a ir.Alert
		if f := am["event"]; f != nil {
			a.EventID, _ = d.nonEmpty(f)
		}
		if f := am["terms"]; f != nil {
			a.Terms = d.strings(f)
		}
		if f := am["count"]; f != nil {
			a.Count, _ = d.integer(f, 1, int(^uint(0)>>1))
		}
		if a.EventID == "" && len(a.Terms) == 0 {
			d.errorf(d.pos(item), "empty", w, "an expected alert needs an event or terms", "")
		}
		c.Expect = append(c.Expect, a)
	}
	return c
}

// writeJSON renders a YAML node as JSON, keeping key order and the types
// YAML gave the scalars (so `false` stays a JSON boolean and "false" a
// string).
func writeJSON(buf *bytes.Buffer, n *yaml.Node) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			writeJSON(buf, n.Content[0])
		}
	case yaml.AliasNode:
		writeJSON(buf, n.Alias)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			key, _ := json.Marshal(n.Content[i].Value)
			buf.Write(key)
			buf.WriteByte(':')
			writeJSON(buf, n.Content[i+1])
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSON(buf, c)
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			buf.WriteString("null")
		case "!!bool":
			if b, err := strconv.ParseBool(strings.ToLower(n.Value)); err == nil && b {
				buf.WriteString("true")
			} else {
				buf.WriteString("false")
			}
		case "!!int", "!!float":
			if json.Valid([]byte(n.Value)) {
				buf.WriteString(n.Value)
				return
			}
			s, _ := json.Marshal(n.Value)
			buf.Write(s)
		default:
			s, _ := json.Marshal(n.Value)
			buf.Write(s)
		}
	}
}
