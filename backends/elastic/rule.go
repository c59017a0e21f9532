// Package elastic renders detc rules for Elastic Security: the Kibana
// detection-engine create body, its ndjson import line, and the
// Elasticsearch Query DSL that Kibana builds for a rule's KQL.
//
// # Create body
//
// Render writes one JSON object per rule, pretty-printed with two-space
// indentation and a trailing newline, in this fixed key order:
//
//	rule_id, name, description, type, language, index, query,
//	new_terms_fields, history_window_start   (new_terms rules)
//	threshold {field, value, cardinality}    (threshold rules)
//	severity, risk_score, interval, from, to, max_signals,
//	timestamp_override, version, tags, author, license, references,
//	false_positives, threat, note, setup
//
// Defaults are written out, not omitted: every key that the rule file can
// set is present, with Kibana's default when the rule leaves it unset
// (language "kuery", interval "5m", from "now-6m", to "now", max_signals
// 100, version 1, and [] for tags, author, references, false_positives and
// threat). The body then says exactly what the rule does without relying
// on the defaults of a given Kibana version. Keys that have no default in
// Kibana (index, license, timestamp_override, note, setup) are left out
// when the rule does not set them; Kibana's defaults for keys the rule file
// cannot set at all (enabled, actions, exceptions_list, ...) are left to
// Kibana.
//
// The query is the author's KQL text, byte for byte.
package elastic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
)

// Target is the target name used in diagnostics.
const Target = "elastic"

// Kibana's defaults for keys the rule file may leave unset; Render writes
// them out.
const (
	DefaultLanguage   = "kuery"
	DefaultInterval   = "5m"
	DefaultFrom       = "now-6m"
	DefaultTo         = "now"
	DefaultMaxSignals = 100
	DefaultVersion    = 1
)

// createBody is the Kibana create body. The field order of the struct is
// the key order of the output.
type createBody struct {
	RuleID             string         `json:"rule_id"`
	Name               string         `json:"name"`
	Description        string         `json:"description"`
	Type               string         `json:"type"`
	Language           string         `json:"language"`
	Index              []string       `json:"index,omitempty"`
	Query              string         `json:"query"`
	NewTermsFields     []string       `json:"new_terms_fields,omitempty"`
	HistoryWindowStart string         `json:"history_window_start,omitempty"`
	Threshold          *thresholdJSON `json:"threshold,omitempty"`
	Severity           string         `json:"severity"`
	RiskScore          int            `json:"risk_score"`
	Interval           string         `json:"interval"`
	From               string         `json:"from"`
	To                 string         `json:"to"`
	MaxSignals         int            `json:"max_signals"`
	TimestampOverride  string         `json:"timestamp_override,omitempty"`
	Version            int            `json:"version"`
	Tags               []string       `json:"tags"`
	Author             []string       `json:"author"`
	License            string         `json:"license,omitempty"`
	References         []string       `json:"references"`
	FalsePositives     []string       `json:"false_positives"`
	Threat             []threatJSON   `json:"threat"`
	Note               string         `json:"note,omitempty"`
	Setup              string         `json:"setup,omitempty"`
}

type thresholdJSON struct {
	Field       []string          `json:"field"`
	Value       int               `json:"value"`
	Cardinality []cardinalityJSON `json:"cardinality,omitempty"`
}

type cardinalityJSON struct {
	Field string `json:"field"`
	Value int    `json:"value"`
}

type threatJSON struct {
	Framework string          `json:"framework"`
	Tactic    threatRefJSON   `json:"tactic"`
	Technique []techniqueJSON `json:"technique,omitempty"`
}

type threatRefJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Reference string `json:"reference"`
}

type techniqueJSON struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Reference    string          `json:"reference"`
	Subtechnique []threatRefJSON `json:"subtechnique,omitempty"`
}

// Render returns the Kibana detection-engine create body of rule
// (POST /api/detection_engine/rules), pretty-printed, keys in the order
// given in the package documentation, with a trailing newline. A rule that
// the target cannot express yields a diag.List naming the rule, the key
// and the reason.
func Render(rule *ir.Rule) ([]byte, error) {
	body, err := buildBody(rule)
	if err != nil {
		return nil, err
	}
	return encode(body, "  ")
}

// RenderImportLine returns rule as one line of an ndjson file for
// POST /api/detection_engine/rules/_import: the create body on a single
// line, ending in a newline. Kibana's import needs rule_id and version on
// every line; both are always present (version defaults to 1).
func RenderImportLine(rule *ir.Rule) ([]byte, error) {
	body, err := buildBody(rule)
	if err != nil {
		return nil, err
	}
	return encode(body, "")
}

func encode(body *createBody, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Markdown in note and setup keeps its <, > and & readable.
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(body); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// buildBody maps the rule onto the create body, collecting every problem.
func buildBody(r *ir.Rule) (*createBody, error) {
	if r == nil {
		return nil, fmt.Errorf("elastic: nil rule")
	}
	var errs diag.List
	fail := func(key, hint, format string, args ...any) {
		errs.Add(diag.Diagnostic{
			Pos:    r.KeyPos(key),
			Code:   "untranslatable",
			RuleID: ruleName(r),
			Key:    key,
			Msg:    "target " + Target + ": " + fmt.Sprintf(format, args...),
			Hint:   hint,
		})
	}

	b := &createBody{
		RuleID:            r.ID,
		Name:              r.Name,
		Description:       r.Description,
		Type:              string(r.Type),
		Language:          orDefault(r.Language, DefaultLanguage),
		Index:             r.Index,
		Query:             r.Query,
		Severity:          r.Severity,
		RiskScore:         r.RiskScore,
		Interval:          orDefault(r.Interval, DefaultInterval),
		From:              orDefault(r.From, DefaultFrom),
		To:                orDefault(r.To, DefaultTo),
		MaxSignals:        r.MaxSignals,
		TimestampOverride: r.TimestampOverride,
		Version:           r.Version,
		Tags:              nonNil(r.Tags),
		Author:            nonNil(r.Author),
		License:           r.License,
		References:        nonNil(r.References),
		FalsePositives:    nonNil(r.FalsePositives),
		Threat:            threatsJSON(r.Threat),
		Note:              r.Note,
		Setup:             r.Setup,
	}
	if b.MaxSignals == 0 {
		b.MaxSignals = DefaultMaxSignals
	}
	if b.Version == 0 {
		b.Version = DefaultVersion
	}

	for _, f := range []struct{ key, value string }{
		{"id", r.ID}, {"name", r.Name}, {"description", r.Description}, {"query", r.Query},
		{"license", r.License}, {"note", r.Note}, {"setup", r.Setup},
	} {
		if !utf8.ValidString(f.value) {
			fail(f.key, "save the rule file as UTF-8",
				"%s is not valid UTF-8, so JSON cannot carry it unchanged", f.key)
		}
	}
	if r.ID == "" {
		fail("id", "give the rule an id (a UUID); Kibana's import matches rules by rule_id",
			"the rule has no rule_id")
	}
	if b.Language != DefaultLanguage {
		fail("language", "write the query in KQL and set language: kuery",
			"language %q is not supported; detc renders KQL (kuery) only", b.Language)
	}
	switch r.Type {
	case ir.Query:
	case ir.NewTerms:
		nt := r.NewTerms
		if nt == nil || len(nt.Fields) == 0 {
			fail("new_terms", "add new_terms: {fields: [...], history_window_start: now-14d}",
				"a new_terms rule needs new_terms.fields")
			break
		}
		if len(nt.Fields) > 3 {
			fail("new_terms.fields", "keep at most three fields",
				"Kibana accepts 1 to 3 new_terms_fields, the rule has %d", len(nt.Fields))
		}
		if nt.HistoryWindowStart == "" {
			fail("new_terms.history_window_start", "set history_window_start, for example now-14d",
				"a new_terms rule needs history_window_start")
		}
		b.NewTermsFields = nt.Fields
		b.HistoryWindowStart = nt.HistoryWindowStart
	case ir.Threshold:
		th := r.Threshold
		if th == nil {
			fail("threshold", "add threshold: {field: [...], value: N}",
				"a threshold rule needs a threshold")
			break
		}
		if len(th.Fields) > 5 {
			fail("threshold.field", "group by at most five fields",
				"Kibana groups a threshold by at most 5 fields, the rule has %d", len(th.Fields))
		}
		if th.Value < 1 {
			fail("threshold.value", "use a value of 1 or more",
				"threshold.value must be at least 1, it is %d", th.Value)
		}
		t := &thresholdJSON{Field: nonNil(th.Fields), Value: th.Value}
		for _, c := range th.Cardinality {
			t.Cardinality = append(t.Cardinality, cardinalityJSON{Field: c.Field, Value: c.Value})
		}
		b.Threshold = t
	default:
		fail("type", "use query, new_terms or threshold",
			"rule type %q is not supported", r.Type)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return b, nil
}

func threatsJSON(ts []ir.Threat) []threatJSON {
	out := make([]threatJSON, 0, len(ts))
	for _, t := range ts {
		tj := threatJSON{Framework: t.Framework, Tactic: refJSON(t.Tactic)}
		for _, tech := range t.Techniques {
			tech2 := techniqueJSON{ID: tech.ID, Name: tech.Name, Reference: tech.Reference}
			for _, sub := range tech.Subtechniques {
				tech2.Subtechnique = append(tech2.Subtechnique, refJSON(sub))
			}
			tj.Technique = append(tj.Technique, tech2)
		}
		out = append(out, tj)
	}
	return out
}

func refJSON(r ir.ThreatRef) threatRefJSON {
	return threatRefJSON{ID: r.ID, Name: r.Name, Reference: r.Reference}
}

// ruleName names the rule in diagnostics: its id, else its name.
func ruleName(r *ir.Rule) string {
	if r.ID != "" {
		return r.ID
	}
	return r.Name
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
