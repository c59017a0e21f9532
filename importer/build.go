package importer

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// keyOrder is the order of a rule file's top-level keys, as docs/rules.md
// and rulefile.KeyOrder give it (a test keeps the two equal).
var keyOrder = []string{
	"id", "name", "description", "type", "index", "language", "query",
	"severity", "risk_score", "interval", "from", "max_signals", "version",
	"author", "license", "tags", "references", "false_positives",
	"timestamp_override", "new_terms", "threshold", "threat", "setup", "note",
}

// apiKey maps a rule-file key to the Kibana API key it comes from, where
// the names differ.
var apiKey = map[string]string{"id": "rule_id"}

// bookkeeping are Kibana keys that describe a saved object rather than the
// detection (ids, timestamps, integration hints); they are left out quietly.
var bookkeeping = map[string]bool{
	"id": true, "created_at": true, "created_by": true, "updated_at": true,
	"updated_by": true, "revision": true, "immutable": true, "rule_source": true,
	"execution_summary": true, "output_index": true, "meta": true,
	"related_integrations": true, "required_fields": true, "enabled": true,
	"new_terms_fields": true, "history_window_start": true, "filters": true,
}

// droppedWhy explains, for Kibana keys detc does not carry, what leaving
// them out changes.
var droppedWhy = map[string]string{
	"alert_suppression":       "alert_suppression: detc raises every alert, without suppression",
	"investigation_fields":    "investigation_fields: a Kibana UI hint only",
	"building_block_type":     "building_block_type: the rule's alerts are no longer hidden as building blocks",
	"event_category_override": "event_category_override: only meaningful for EQL",
	"exceptions_list":         "exceptions_list: exception items are not imported, the rule may alert more",
	"severity_mapping":        "severity_mapping: severity no longer depends on event fields",
	"risk_score_mapping":      "risk_score_mapping: risk score no longer depends on event fields",
	"rule_name_override":      "rule_name_override: alerts carry the rule name",
	"timeline_id":             "timeline_id: no investigation timeline template",
	"timeline_title":          "timeline_title: no investigation timeline template",
	"actions":                 "actions: notifications are not part of a rule file",
	"throttle":                "throttle: notifications are not part of a rule file",
	"to":                      "to: detc runs up to the run time (now)",
	"note_plugins":            "note_plugins: investigation guide plugins are not imported",
	"transform":               "transform: investigation guide plugins are not imported",
}

// builder assembles the YAML document of one rule.
type builder struct {
	src    map[string]any
	result *Result
	used   map[string]bool
}

func (b *builder) fail(key string, format string, args ...any) {
	if b.result.Skipped == "" {
		b.result.Skipped = SkipMalformed
		b.result.Dropped = append(b.result.Dropped, key+": "+fmt.Sprintf(format, args...))
	}
}

// build returns the rule-file mapping node, or nil after fail.
func (b *builder) build(typ string) *yaml.Node {
	b.used = map[string]bool{}
	query, ok := b.queryWithFilters()
	if !ok {
		return nil
	}
	doc := &yaml.Node{Kind: yaml.MappingNode}
	for _, key := range keyOrder {
		var v *yaml.Node
		switch key {
		case "id", "name", "severity", "type", "interval", "from", "license", "timestamp_override":
			v = b.stringNode(key, strings.TrimSpace)
		case "language":
			v = b.stringNode(key, strings.TrimSpace)
			if v == nil {
				v = str("kuery")
			}
		case "description", "setup", "note":
			v = b.stringNode(key, cleanText)
		case "query":
			b.used["query"] = true
			v = text(query)
		case "index", "author", "tags", "references":
			v = b.listNode(key, strings.TrimSpace)
		case "false_positives":
			v = b.listNode(key, cleanParagraph)
		case "risk_score", "max_signals", "version":
			v = b.intNode(key)
			if v == nil && key == "version" {
				v = integer(1)
			}
		case "new_terms":
			if typ == "new_terms" {
				v = b.newTerms()
			}
		case "threshold":
			if typ == "threshold" {
				v = b.threshold()
			}
		case "threat":
			v = b.threat()
		}
		if b.result.Skipped != "" {
			return nil
		}
		if v != nil {
			doc.Content = append(doc.Content, str(key), v)
		}
	}
	b.noteDropped()
	return doc
}

// noteDropped records the input keys that were not carried over.
func (b *builder) noteDropped() {
	for k, v := range b.src {
		if b.used[k] || bookkeeping[k] || isEmpty(v) {
			continue
		}
		if k == "to" && v == "now" {
			continue
		}
		why, ok := droppedWhy[k]
		if !ok {
			why = k + ": no counterpart in detc's rule format"
		}
		b.result.Dropped = append(b.result.Dropped, why)
	}
}

func (b *builder) get(key string) (any, bool) {
	src := key
	if a, ok := apiKey[key]; ok {
		src = a
	}
	b.used[src] = true
	v, ok := b.src[src]
	if !ok || v == nil {
		return nil, false
	}
	return v, true
}

func (b *builder) stringNode(key string, clean func(string) string) *yaml.Node {
	v, ok := b.get(key)
	if !ok {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		b.fail(key, "want a string, got %T", v)
		return nil
	}
	s = clean(s)
	if s == "" {
		return nil
	}
	if strings.Contains(s, "\n") {
		return text(s)
	}
	return str(s)
}

func (b *builder) listNode(key string, clean func(string) string) *yaml.Node {
	v, ok := b.get(key)
	if !ok {
		return nil
	}
	items, ok := stringList(v)
	if !ok {
		b.fail(key, "want a list of strings, got %T", v)
		return nil
	}
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, s := range items {
		if s = clean(s); s == "" {
			continue
		}
		if strings.Contains(s, "\n") {
			n.Content = append(n.Content, text(s))
		} else {
			n.Content = append(n.Content, str(s))
		}
	}
	if len(n.Content) == 0 {
		return nil
	}
	if key == "index" || key == "author" {
		n.Style = yaml.FlowStyle
	}
	return n
}

func (b *builder) intNode(key string) *yaml.Node {
	v, ok := b.get(key)
	if !ok {
		return nil
	}
	n, ok := toInt(v)
	if !ok {
		b.fail(key, "want an integer, got %v", v)
		return nil
	}
	return integer(n)
}

func (b *builder) newTerms() *yaml.Node {
	fv, ok := b.src["new_terms_fields"]
	if !ok {
		b.result.Skipped = SkipMissing
		b.result.Dropped = append(b.result.Dropped, "new_terms fields")
		return nil
	}
	fields, ok := stringList(fv)
	if !ok {
		b.fail("new_terms_fields", "want a list of field names")
		return nil
	}
	hv, _ := b.src["history_window_start"].(string)
	if hv == "" {
		b.result.Skipped = SkipMissing
		b.result.Dropped = append(b.result.Dropped, "new_terms history_window_start")
		return nil
	}
	return mapping("fields", flowList(fields), "history_window_start", str(hv))
}

func (b *builder) threshold() *yaml.Node {
	v, ok := b.get("threshold")
	m, isMap := v.(map[string]any)
	if !ok || !isMap {
		b.result.Skipped = SkipMissing
		b.result.Dropped = append(b.result.Dropped, "threshold")
		return nil
	}
	var fields []string
	switch f := m["field"].(type) {
	case string:
		if f != "" {
			fields = []string{f}
		}
	case nil:
	default:
		if fields, ok = stringList(f); !ok {
			b.fail("threshold.field", "want a field name or a list of them")
			return nil
		}
	}
	value, ok := toInt(m["value"])
	if !ok {
		b.fail("threshold.value", "want an integer, got %v", m["value"])
		return nil
	}
	out := mapping("field", flowList(fields), "value", integer(value))
	var card []*yaml.Node
	for _, c := range asList(m["cardinality"]) {
		cm, ok := c.(map[string]any)
		f, _ := cm["field"].(string)
		n, nok := toInt(cm["value"])
		if !ok || f == "" || !nok {
			b.fail("threshold.cardinality", "want {field, value}")
			return nil
		}
		cn := mapping("field", str(f), "value", integer(n))
		cn.Style = yaml.FlowStyle
		card = append(card, cn)
	}
	if len(card) > 0 {
		out.Content = append(out.Content, str("cardinality"), &yaml.Node{Kind: yaml.SequenceNode, Content: card})
	}
	return out
}

func (b *builder) threat() *yaml.Node {
	v, ok := b.get("threat")
	if !ok {
		return nil
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, t := range asList(v) {
		tm, ok := t.(map[string]any)
		if !ok {
			b.fail("threat", "want a list of tactics")
			return nil
		}
		tactic := b.ref("threat.tactic", tm["tactic"])
		if tactic == nil {
			return nil
		}
		tactic.Style = yaml.FlowStyle
		framework, _ := tm["framework"].(string)
		if framework == "" {
			framework = "MITRE ATT&CK"
		}
		entry := mapping("framework", str(framework), "tactic", tactic)
		var techs []*yaml.Node
		for _, tech := range asList(tm["technique"]) {
			n := b.ref("threat.technique", tech)
			if n == nil {
				return nil
			}
			var subs []*yaml.Node
			for _, sub := range asList(tech.(map[string]any)["subtechnique"]) {
				s := b.ref("threat.technique.subtechnique", sub)
				if s == nil {
					return nil
				}
				subs = append(subs, s)
			}
			if len(subs) > 0 {
				n.Content = append(n.Content, str("subtechnique"), &yaml.Node{Kind: yaml.SequenceNode, Content: subs})
			}
			techs = append(techs, n)
		}
		if len(techs) > 0 {
			entry.Content = append(entry.Content, str("technique"), &yaml.Node{Kind: yaml.SequenceNode, Content: techs})
		}
		seq.Content = append(seq.Content, entry)
	}
	if len(seq.Content) == 0 {
		return nil
	}
	return seq
}

// ref reads a MITRE {id, name, reference} entry.
func (b *builder) ref(key string, v any) *yaml.Node {
	m, ok := v.(map[string]any)
	if !ok {
		b.fail(key, "want {id, name, reference}")
		return nil
	}
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range []string{"id", "name", "reference"} {
		s, ok := m[k].(string)
		if !ok {
			b.fail(key, "missing %s", k)
			return nil
		}
		n.Content = append(n.Content, str(k), str(strings.TrimSpace(s)))
	}
	return n
}

// newEncoder returns a YAML encoder with the indentation detc's rule files
// use.
func newEncoder(w io.Writer) *yaml.Encoder {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	return enc
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// text is a multi-line string, written as a literal block when YAML allows.
func text(s string) *yaml.Node {
	n := str(s)
	if strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

func integer(n int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(n)}
}

func flowList(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range items {
		n.Content = append(n.Content, str(s))
	}
	return n
}

func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, str(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}

func toInt(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<31 {
			return int(v), true
		}
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		return n, err == nil
	}
	return 0, false
}

func stringList(v any) ([]string, bool) {
	switch v := v.(type) {
	case []string:
		return v, true
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case []map[string]any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	case bool:
		return !v
	}
	return false
}
