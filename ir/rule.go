package ir

import "github.com/detc/detc/diag"

// RuleType is the detection-engine rule type.
type RuleType string

const (
	Query     RuleType = "query"
	NewTerms  RuleType = "new_terms"
	Threshold RuleType = "threshold"
)

// Rule is one detection rule: the metadata of its rule file and its lowered
// query. Field names and meanings follow Kibana's detection-engine rule
// schema.
type Rule struct {
	ID          string   `json:"rule_id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Type        RuleType `json:"type"`
	Index       []string `json:"index,omitempty"`
	Language    string   `json:"language"`
	// Query is the KQL text exactly as the author wrote it.
	Query             string   `json:"query"`
	Severity          string   `json:"severity"`
	RiskScore         int      `json:"risk_score"`
	Interval          string   `json:"interval"`
	From              string   `json:"from"`
	To                string   `json:"to"`
	MaxSignals        int      `json:"max_signals"`
	Tags              []string `json:"tags,omitempty"`
	Author            []string `json:"author,omitempty"`
	License           string   `json:"license,omitempty"`
	Version           int      `json:"version"`
	References        []string `json:"references,omitempty"`
	FalsePositives    []string `json:"false_positives,omitempty"`
	Note              string   `json:"note,omitempty"`
	Setup             string   `json:"setup,omitempty"`
	TimestampOverride string   `json:"timestamp_override,omitempty"`
	Threat            []Threat `json:"threat,omitempty"`
	// NewTerms is set when Type is NewTerms.
	NewTerms *NewTermsSpec `json:"new_terms,omitempty"`
	// Threshold is set when Type is Threshold.
	Threshold *ThresholdSpec `json:"threshold,omitempty"`

	// Expr is the lowered query.
	Expr Expr `json:"expr"`

	// File is the rule file the rule came from.
	File string `json:"-"`
	// Keys maps each top-level key of the rule file (and dotted sub-keys
	// such as "new_terms.fields") to its position, for diagnostics.
	Keys map[string]diag.Pos `json:"-"`
}

// KeyPos returns the position of a rule-file key, or the file itself when
// the key is absent.
func (r *Rule) KeyPos(key string) diag.Pos {
	if p, ok := r.Keys[key]; ok {
		return p
	}
	return diag.Pos{File: r.File}
}

// Threat is one MITRE ATT&CK entry: a tactic and its techniques.
type Threat struct {
	Framework  string      `json:"framework"`
	Tactic     ThreatRef   `json:"tactic"`
	Techniques []Technique `json:"technique,omitempty"`
}

// ThreatRef names a MITRE ATT&CK tactic, technique or subtechnique.
type ThreatRef struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Reference string `json:"reference"`
}

// Technique is a MITRE ATT&CK technique with its subtechniques.
type Technique struct {
	ThreatRef
	Subtechniques []ThreatRef `json:"subtechnique,omitempty"`
}

// NewTermsSpec configures a new_terms rule: a document alerts when the
// tuple of Fields was not seen in [HistoryWindowStart, From).
type NewTermsSpec struct {
	Fields             []string `json:"fields"`
	HistoryWindowStart string   `json:"history_window_start"`
}

// ThresholdSpec configures a threshold rule: matching documents grouped by
// Fields alert when their count reaches Value (and, if set, when each
// Cardinality field holds at least that many distinct values).
type ThresholdSpec struct {
	Fields      []string      `json:"field"`
	Value       int           `json:"value"`
	Cardinality []Cardinality `json:"cardinality,omitempty"`
}

// Cardinality is a threshold's distinct-count condition.
type Cardinality struct {
	Field string `json:"field"`
	Value int    `json:"value"`
}
