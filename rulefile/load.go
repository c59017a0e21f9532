// Package rulefile reads detc's YAML rule files and the test files beside
// them, validates them with Kibana's constraints and reports every problem
// with file:line:col, the rule id, the key and a hint.
package rulefile

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/internal/suggest"
	"github.com/detc/detc/ir"
)

// MaxFileSize bounds a rule or test file; larger files are refused.
const MaxFileSize = 4 << 20

// Options adjust loading.
type Options struct {
	// Strict turns warnings (unknown fields) into errors.
	Strict bool
}

// Load reads, validates and lowers one rule file.
func Load(path string, opts Options) (*ir.Rule, diag.List) {
	data, err := readFile(path)
	if err != nil {
		return nil, diag.List{{Pos: diag.Pos{File: path}, Code: "read", Msg: err.Error()}}
	}
	return Parse(path, data, opts)
}

func readFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > MaxFileSize {
		return nil, fmt.Errorf("file is %d bytes, over the %d-byte limit for a rule file", info.Size(), MaxFileSize)
	}
	return os.ReadFile(path)
}

// Parse validates and lowers a rule file held in memory. The rule is nil
// when the file has errors; warnings may accompany a rule.
func Parse(path string, data []byte, opts Options) (*ir.Rule, diag.List) {
	d := &decoder{file: path, lines: splitLines(data), strict: opts.Strict}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		d.yamlError(err)
		return nil, d.diags
	}
	if len(doc.Content) == 0 {
		d.errorf(diag.Pos{File: path, Line: 1, Col: 1}, "empty-file", "", "the rule file is empty",
			"a rule needs at least id, name, description, type, query, severity and risk_score (see docs/rules.md)")
		return nil, d.diags
	}
	rule := d.rule(doc.Content[0])
	if rule.ID != "" {
		d.diags.WithRule(rule.ID)
	} else if rule.Name != "" {
		d.diags.WithRule(rule.Name)
	}
	if opts.Strict {
		d.diags.Promote()
	}
	d.diags.Sort()
	if d.diags.HasErrors() {
		return nil, d.diags
	}
	return rule, d.diags
}

type decoder struct {
	file   string
	lines  []string
	strict bool
	diags  diag.List
}

func splitLines(data []byte) []string {
	return strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
}

func (d *decoder) pos(n *yaml.Node) diag.Pos {
	return diag.Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) lineText(line int) string {
	if line >= 1 && line <= len(d.lines) {
		return d.lines[line-1]
	}
	return ""
}

func (d *decoder) add(sev diag.Severity, pos diag.Pos, code, key, msg, hint string) {
	d.diags.Add(diag.Diagnostic{Pos: pos, Severity: sev, Code: code, Key: key, Msg: msg, Hint: hint, Line: d.lineText(pos.Line)})
}

func (d *decoder) errorf(pos diag.Pos, code, key, msg, hint string) {
	d.add(diag.Error, pos, code, key, msg, hint)
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// yamlError turns a yaml.v3 error into diagnostics with positions.
func (d *decoder) yamlError(err error) {
	msgs := []string{err.Error()}
	if te, ok := err.(*yaml.TypeError); ok {
		msgs = te.Errors
	}
	for _, m := range msgs {
		line := 0
		if sm := yamlLineRE.FindStringSubmatch(m); sm != nil {
			line, _ = strconv.Atoi(sm[1])
			m = sm[2]
		}
		pos := diag.Pos{File: d.file, Line: line}
		if line > 0 {
			pos.Col = 1
		}
		d.errorf(pos, "yaml", "", "invalid YAML: "+m, "check indentation and quoting on this line; a value holding ': ' or starting with '*' or '{' needs quotes")
	}
}

// mapping checks that n is a mapping with only the allowed keys, no
// duplicates, and returns its entries by key.
func (d *decoder) mapping(n *yaml.Node, where string, allowed []string) map[string]*entry {
	if n.Kind != yaml.MappingNode {
		d.errorf(d.pos(n), "type", where, fmt.Sprintf("%s must be a mapping of keys to values, not %s", describe(where), kindName(n)), "")
		return nil
	}
	out := map[string]*entry{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		full := key
		if where != "" {
			full = where + "." + key
		}
		if prev, dup := out[key]; dup {
			d.errorf(d.pos(k), "duplicate-key", full, fmt.Sprintf("key %q appears twice (first at line %d)", key, prev.key.Line), "remove one of them")
			continue
		}
		if !slices.Contains(allowed, key) {
			hint := "allowed keys here: " + strings.Join(allowed, ", ")
			if s := suggest.Closest(key, allowed); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
			}
			d.errorf(d.pos(k), "unknown-key", full, fmt.Sprintf("unknown key %q", key), hint)
			continue
		}
		out[key] = &entry{key: k, value: v, name: full}
	}
	return out
}

type entry struct {
	key, value *yaml.Node
	name       string
}

func describe(where string) string {
	if where == "" {
		return "a rule file"
	}
	return where
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("the scalar %q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "an empty document"
}

// str reads a string scalar; YAML numbers and booleans are refused so that
// `version: "3"` and `name: yes` surprises are reported.
func (d *decoder) str(e *entry) (string, bool) {
	n := e.value
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(d.pos(n), "type", e.name, fmt.Sprintf("%s must be a string, not %s", e.name, kindName(n)), "")
		return "", false
	}
	if n.Tag != "!!str" && n.Style == 0 {
		d.errorf(d.pos(n), "type", e.name, fmt.Sprintf("%s must be a string, but %q reads as %s", e.name, n.Value, strings.TrimPrefix(n.Tag, "!!")),
			fmt.Sprintf("quote it: %s: %q", e.key.Value, n.Value))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) nonEmpty(e *entry) (string, bool) {
	s, ok := d.str(e)
	if ok && strings.TrimSpace(s) == "" {
		d.errorf(d.pos(e.value), "empty", e.name, e.name+" must not be empty", "")
		return "", false
	}
	return s, ok
}

func (d *decoder) integer(e *entry, lo, hi int) (int, bool) {
	n := e.value
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.errorf(d.pos(n), "type", e.name, fmt.Sprintf("%s must be an integer, not %s", e.name, kindName(n)), "")
		return 0, false
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v < lo || v > hi {
		rng := fmt.Sprintf("between %d and %d", lo, hi)
		if hi == int(^uint(0)>>1) {
			rng = fmt.Sprintf("at least %d", lo)
		}
		d.errorf(d.pos(n), "range", e.name, fmt.Sprintf("%s is %s; it must be %s", e.name, n.Value, rng), "")
		return 0, false
	}
	return v, true
}

func (d *decoder) strings(e *entry) []string {
	n := e.value
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		d.errorf(d.pos(n), "type", e.name, fmt.Sprintf("%s must be a list of strings", e.name),
			fmt.Sprintf("write it as a list: %s: [%s]", e.key.Value, n.Value))
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		if n.Tag == "!!null" {
			return nil
		}
		d.errorf(d.pos(n), "type", e.name, fmt.Sprintf("%s must be a list of strings, not %s", e.name, kindName(n)), "")
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		s, ok := d.str(&entry{key: e.key, value: item, name: fmt.Sprintf("%s[%d]", e.name, i)})
		if ok {
			out = append(out, s)
		}
	}
	return out
}

func (d *decoder) oneOf(e *entry, choices []string) (string, bool) {
	s, ok := d.str(e)
	if !ok {
		return "", false
	}
	if !slices.Contains(choices, s) {
		hint := "use one of: " + strings.Join(choices, ", ")
		if c := suggest.Closest(strings.ToLower(s), choices); c != "" {
			hint = fmt.Sprintf("did you mean %q? (one of: %s)", c, strings.Join(choices, ", "))
		}
		d.errorf(d.pos(e.value), "enum", e.name, fmt.Sprintf("%s %q is not allowed", e.name, s), hint)
		return "", false
	}
	return s, true
}

var (
	uuidRE      = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	intervalRE  = regexp.MustCompile(`^\d+[smhd]$`)
	tacticRE    = regexp.MustCompile(`^TA\d{4}$`)
	techniqueRE = regexp.MustCompile(`^T\d{4}$`)
	subtechRE   = regexp.MustCompile(`^T\d{4}\.\d{3}$`)
)

func (d *decoder) rule(root *yaml.Node) *ir.Rule {
	r := &ir.Rule{File: d.file, Keys: map[string]diag.Pos{}}
	m := d.mapping(root, "", keyOrder)
	if m == nil {
		return r
	}
	for k, e := range m {
		r.Keys[k] = d.pos(e.key)
	}
	for _, k := range requiredKeys {
		if m[k] == nil {
			d.errorf(d.pos(root), "missing-key", k, fmt.Sprintf("required key %q is missing", k), requiredHint(k))
		}
	}
	if e := m["id"]; e != nil {
		if s, ok := d.str(e); ok {
			if !uuidRE.MatchString(s) {
				d.errorf(d.pos(e.value), "bad-id", "id", fmt.Sprintf("id %q is not a UUID", s), "rule ids are UUIDs such as e8ea6f58-0040-11f0-a243-f661ea17fbcd; `detc new` makes one")
			}
			r.ID = s
		}
	}
	if e := m["name"]; e != nil {
		r.Name, _ = d.nonEmpty(e)
	}
	if e := m["description"]; e != nil {
		r.Description, _ = d.nonEmpty(e)
	}
	if e := m["type"]; e != nil {
		t, _ := d.oneOf(e, ruleTypes)
		r.Type = ir.RuleType(t)
	}
	if e := m["index"]; e != nil {
		r.Index = d.strings(e)
	}
	r.Language = DefaultLanguage
	if e := m["language"]; e != nil {
		if s, ok := d.str(e); ok {
			if s != "kuery" {
				d.errorf(d.pos(e.value), "enum", "language", fmt.Sprintf("language %q is not supported", s), "detc reads KQL rules: language: kuery")
			}
			r.Language = s
		}
	}
	if e := m["severity"]; e != nil {
		r.Severity, _ = d.oneOf(e, severities)
	}
	if e := m["risk_score"]; e != nil {
		r.RiskScore, _ = d.integer(e, 0, 100)
	}
	r.Interval = DefaultInterval
	if e := m["interval"]; e != nil {
		if s, ok := d.str(e); ok {
			if !intervalRE.MatchString(s) {
				d.errorf(d.pos(e.value), "bad-interval", "interval", fmt.Sprintf("interval %q is not a number followed by s, m, h or d", s), "for example interval: 5m")
			}
			r.Interval = s
		}
	}
	r.From = DefaultFrom
	if e := m["from"]; e != nil {
		if s, ok := d.str(e); ok {
			d.dateMath(e, s)
			r.From = s
		}
	}
	r.To = DefaultTo
	r.MaxSignals = DefaultMaxSignals
	if e := m["max_signals"]; e != nil {
		r.MaxSignals, _ = d.integer(e, 1, int(^uint(0)>>1))
	}
	r.Version = DefaultVersion
	if e := m["version"]; e != nil {
		r.Version, _ = d.integer(e, 1, int(^uint(0)>>1))
	}
	if e := m["author"]; e != nil {
		r.Author = d.strings(e)
	}
	if e := m["license"]; e != nil {
		r.License, _ = d.str(e)
	}
	if e := m["tags"]; e != nil {
		r.Tags = d.strings(e)
	}
	if e := m["references"]; e != nil {
		r.References = d.strings(e)
		for i, ref := range r.References {
			d.url(e.value.Content[i], fmt.Sprintf("references[%d]", i), ref, "")
		}
	}
	if e := m["false_positives"]; e != nil {
		r.FalsePositives = d.strings(e)
	}
	if e := m["timestamp_override"]; e != nil {
		r.TimestampOverride, _ = d.nonEmpty(e)
	}
	if e := m["setup"]; e != nil {
		r.Setup, _ = d.str(e)
	}
	if e := m["note"]; e != nil {
		r.Note, _ = d.str(e)
	}
	if e := m["threat"]; e != nil {
		r.Threat = d.threats(e)
	}
	d.typeSpecific(r, root, m)
	if e := m["query"]; e != nil {
		if s, ok := d.str(e); ok {
			r.Query = s
			r.Expr = d.query(e, s)
		}
	}
	return r
}

func requiredHint(key string) string {
	switch key {
	case "id":
		return "add id: <UUID>; `detc new` scaffolds a rule with a fresh one"
	case "type":
		return "add type: query (or new_terms, threshold)"
	case "query":
		return `add the KQL query, e.g. query: event.action: "StopLogging"`
	case "severity":
		return "add severity: low, medium, high or critical"
	case "risk_score":
		return "add risk_score: an integer from 0 to 100 (21 low, 47 medium, 73 high, 99 critical)"
	}
	return fmt.Sprintf("add %s: ...", key)
}

func (d *decoder) dateMath(e *entry, s string) {
	if _, err := ir.RelativeOffset(s); err != nil {
		d.errorf(d.pos(e.value), "bad-date-math", e.name, fmt.Sprintf("%s %q is not relative date math", e.name, s),
			"use now minus a duration, for example now-9m or now-14d")
	}
}

func (d *decoder) url(n *yaml.Node, key, s, wantPrefix string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		d.errorf(d.pos(n), "bad-url", key, fmt.Sprintf("%s %q is not an http(s) URL", key, s), "")
		return
	}
	if wantPrefix != "" && s != wantPrefix {
		d.errorf(d.pos(n), "bad-url", key, fmt.Sprintf("%s %q does not match its id", key, s), fmt.Sprintf("MITRE's page for it is %s", wantPrefix))
	}
}

func (d *decoder) typeSpecific(r *ir.Rule, root *yaml.Node, m map[string]*entry) {
	nt, th := m["new_terms"], m["threshold"]
	switch r.Type {
	case ir.NewTerms:
		if nt == nil {
			d.errorf(d.pos(root), "missing-key", "new_terms", "a new_terms rule needs a new_terms block", "add new_terms: {fields: [user.name], history_window_start: now-14d}")
		}
	case ir.Threshold:
		if th == nil {
			d.errorf(d.pos(root), "missing-key", "threshold", "a threshold rule needs a threshold block", "add threshold: {field: [source.ip], value: 10}")
		}
	}
	if nt != nil {
		if r.Type != ir.NewTerms && r.Type != "" {
			d.errorf(d.pos(nt.key), "misplaced-key", "new_terms", fmt.Sprintf("new_terms is set but the rule's type is %s", r.Type), "set type: new_terms, or remove the new_terms block")
		}
		r.NewTerms = d.newTerms(nt)
	}
	if th != nil {
		if r.Type != ir.Threshold && r.Type != "" {
			d.errorf(d.pos(th.key), "misplaced-key", "threshold", fmt.Sprintf("threshold is set but the rule's type is %s", r.Type), "set type: threshold, or remove the threshold block")
		}
		r.Threshold = d.threshold(th)
	}
}

func (d *decoder) newTerms(e *entry) *ir.NewTermsSpec {
	m := d.mapping(e.value, "new_terms", newTermsKeys)
	if m == nil {
		return nil
	}
	spec := &ir.NewTermsSpec{}
	if f := m["fields"]; f != nil {
		spec.Fields = d.strings(f)
		if len(spec.Fields) < 1 || len(spec.Fields) > 3 {
			d.errorf(d.pos(f.value), "range", f.name, fmt.Sprintf("new_terms.fields has %d fields; Kibana allows 1 to 3", len(spec.Fields)), "")
		}
		seen := map[string]bool{}
		for i, name := range spec.Fields {
			if strings.TrimSpace(name) == "" {
				d.errorf(d.pos(f.value.Content[i]), "empty", f.name, "new_terms.fields holds an empty field name", "")
			} else if seen[name] {
				d.errorf(d.pos(f.value.Content[i]), "duplicate", f.name, fmt.Sprintf("new_terms.fields lists %q twice", name), "each field may appear once")
			}
			seen[name] = true
		}
	} else {
		d.errorf(d.pos(e.value), "missing-key", "new_terms.fields", "new_terms needs fields", "add fields: [aws.cloudtrail.user_identity.arn]")
	}
	if h := m["history_window_start"]; h != nil {
		if s, ok := d.str(h); ok {
			d.dateMath(h, s)
			spec.HistoryWindowStart = s
		}
	} else {
		d.errorf(d.pos(e.value), "missing-key", "new_terms.history_window_start", "new_terms needs history_window_start", "add history_window_start: now-14d")
	}
	return spec
}

func (d *decoder) threshold(e *entry) *ir.ThresholdSpec {
	m := d.mapping(e.value, "threshold", thresholdKeys)
	if m == nil {
		return nil
	}
	spec := &ir.ThresholdSpec{}
	if f := m["field"]; f != nil {
		if f.value.Kind == yaml.ScalarNode && f.value.Tag == "!!str" {
			spec.Fields = []string{f.value.Value}
		} else {
			spec.Fields = d.strings(f)
		}
		if len(spec.Fields) > 5 {
			d.errorf(d.pos(f.value), "range", f.name, fmt.Sprintf("threshold.field has %d fields; Kibana allows at most 5", len(spec.Fields)), "")
		}
	}
	if v := m["value"]; v != nil {
		spec.Value, _ = d.integer(v, 1, int(^uint(0)>>1))
	} else {
		d.errorf(d.pos(e.value), "missing-key", "threshold.value", "threshold needs a value", "add value: 10")
	}
	if c := m["cardinality"]; c != nil {
		if c.value.Kind != yaml.SequenceNode {
			d.errorf(d.pos(c.value), "type", c.name, "threshold.cardinality must be a list of {field, value}", "")
		} else {
			for i, item := range c.value.Content {
				where := fmt.Sprintf("threshold.cardinality[%d]", i)
				cm := d.mapping(item, where, cardinalityKeys)
				if cm == nil {
					continue
				}
				var card ir.Cardinality
				if f := cm["field"]; f != nil {
					card.Field, _ = d.nonEmpty(f)
				} else {
					d.errorf(d.pos(item), "missing-key", where+".field", "cardinality needs a field", "")
				}
				if v := cm["value"]; v != nil {
					card.Value, _ = d.integer(v, 1, int(^uint(0)>>1))
				} else {
					d.errorf(d.pos(item), "missing-key", where+".value", "cardinality needs a value", "")
				}
				spec.Cardinality = append(spec.Cardinality, card)
			}
		}
	}
	return spec
}

func (d *decoder) threats(e *entry) []ir.Threat {
	if e.value.Kind != yaml.SequenceNode {
		d.errorf(d.pos(e.value), "type", "threat", "threat must be a list of tactics", "see the threat example in docs/rules.md")
		return nil
	}
	var out []ir.Threat
	for i, item := range e.value.Content {
		where := fmt.Sprintf("threat[%d]", i)
		m := d.mapping(item, where, threatKeys)
		if m == nil {
			continue
		}
		t := ir.Threat{Framework: "MITRE ATT&CK"}
		if f := m["framework"]; f != nil {
			if s, ok := d.str(f); ok {
				if s != "MITRE ATT&CK" {
					d.errorf(d.pos(f.value), "enum", f.name, fmt.Sprintf("framework %q is not supported", s), `use framework: MITRE ATT&CK`)
				}
				t.Framework = s
			}
		}
		if tac := m["tactic"]; tac != nil {
			t.Tactic = d.threatRef(tac, tacticRE, "TA0010", "https://attack.mitre.org/tactics/%s/")
		} else {
			d.errorf(d.pos(item), "missing-key", where+".tactic", "a threat entry needs a tactic", "add tactic: {id: TA0010, name: Exfiltration, reference: https://attack.mitre.org/tactics/TA0010/}")
		}
		if techs := m["technique"]; techs != nil {
			t.Techniques = d.techniques(techs)
		}
		out = append(out, t)
	}
	return out
}

func (d *decoder) threatRef(e *entry, idRE *regexp.Regexp, example, urlFormat string) ir.ThreatRef {
	m := d.mapping(e.value, e.name, refKeys)
	var ref ir.ThreatRef
	if m == nil {
		return ref
	}
	d.threatRefFields(e, m, &ref, idRE, example, urlFormat)
	return ref
}

func (d *decoder) threatRefFields(e *entry, m map[string]*entry, ref *ir.ThreatRef, idRE *regexp.Regexp, example, urlFormat string) {
	for _, k := range refKeys {
		if m[k] == nil {
			d.errorf(d.pos(e.value), "missing-key", e.name+"."+k, fmt.Sprintf("%s needs %s", e.name, k), "")
		}
	}
	if f := m["id"]; f != nil {
		if s, ok := d.str(f); ok {
			if !idRE.MatchString(s) {
				d.errorf(d.pos(f.value), "bad-mitre-id", f.name, fmt.Sprintf("%q is not a well-formed MITRE ATT&CK id", s), "ids look like "+example)
			}
			ref.ID = s
		}
	}
	if f := m["name"]; f != nil {
		ref.Name, _ = d.nonEmpty(f)
	}
	if f := m["reference"]; f != nil {
		if s, ok := d.str(f); ok {
			want := ""
			if idRE.MatchString(ref.ID) {
				want = fmt.Sprintf(urlFormat, strings.ReplaceAll(ref.ID, ".", "/"))
			}
			d.url(f.value, f.name, s, want)
			ref.Reference = s
		}
	}
}

func (d *decoder) techniques(e *entry) []ir.Technique {
	if e.value.Kind != yaml.SequenceNode {
		d.errorf(d.pos(e.value), "type", e.name, e.name+" must be a list of techniques", "")
		return nil
	}
	var out []ir.Technique
	for i, item := range e.value.Content {
		where := fmt.Sprintf("%s[%d]", e.name, i)
		m := d.mapping(item, where, techniqueKeys)
		if m == nil {
			continue
		}
		var t ir.Technique
		d.threatRefFields(&entry{key: e.key, value: item, name: where}, m, &t.ThreatRef, techniqueRE, "T1567", "https://attack.mitre.org/techniques/%s/")
		if subs := m["subtechnique"]; subs != nil {
			if subs.value.Kind != yaml.SequenceNode {
				d.errorf(d.pos(subs.value), "type", subs.name, subs.name+" must be a list", "")
			} else {
				for j, sub := range subs.value.Content {
					se := &entry{key: subs.key, value: sub, name: fmt.Sprintf("%s[%d]", subs.name, j)}
					ref := d.threatRef(se, subtechRE, "T1567.002", "https://attack.mitre.org/techniques/%s/")
					if ref.ID != "" && t.ID != "" && !strings.HasPrefix(ref.ID, t.ID+".") {
						d.errorf(d.pos(sub), "bad-mitre-id", se.name, fmt.Sprintf("subtechnique %s does not belong to technique %s", ref.ID, t.ID), "a subtechnique's id starts with its technique's id")
					}
					t.Subtechniques = append(t.Subtechniques, ref)
				}
			}
		}
		out = append(out, t)
	}
	return out
}
