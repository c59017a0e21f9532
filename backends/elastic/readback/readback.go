// Package readback reads a Kibana create body that backends/elastic emitted
// back into an ir.Rule, so that tests can evaluate a rule as Elastic receives it.
//
// It is a subpackage, not part of backends/elastic, because it re-parses the
// query: it depends on parser and lower, which a backend never does
// (docs/internals.md). Only tests and the golden suite import it.
package readback

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
	"github.com/detc/detc/parser"
)

// body is the create body as Kibana reads it. It is declared here, apart
// from the renderer's own type, so that a key the renderer misspells is an
// unknown key here rather than a silent agreement.
type body struct {
	RuleID             string     `json:"rule_id"`
	Name               string     `json:"name"`
	Description        string     `json:"description"`
	Type               string     `json:"type"`
	Language           string     `json:"language"`
	Index              []string   `json:"index"`
	Query              *string    `json:"query"`
	NewTermsFields     []string   `json:"new_terms_fields"`
	HistoryWindowStart string     `json:"history_window_start"`
	Threshold          *threshold `json:"threshold"`
	Severity           string     `json:"severity"`
	RiskScore          int        `json:"risk_score"`
	Interval           string     `json:"interval"`
	From               string     `json:"from"`
	To                 string     `json:"to"`
	MaxSignals         int        `json:"max_signals"`
	TimestampOverride  string     `json:"timestamp_override"`
	Version            int        `json:"version"`
	Tags               []string   `json:"tags"`
	Author             []string   `json:"author"`
	License            string     `json:"license"`
	References         []string   `json:"references"`
	FalsePositives     []string   `json:"false_positives"`
	Threat             []threat   `json:"threat"`
	Note               string     `json:"note"`
	Setup              string     `json:"setup"`
}

type threshold struct {
	// Field is a string or a list of strings in Kibana's schema.
	Field       json.RawMessage `json:"field"`
	Value       int             `json:"value"`
	Cardinality []struct {
		Field string `json:"field"`
		Value int    `json:"value"`
	} `json:"cardinality"`
}

type threat struct {
	Framework string `json:"framework"`
	Tactic    ref    `json:"tactic"`
	Technique []struct {
		ref
		Subtechnique []ref `json:"subtechnique"`
	} `json:"technique"`
}

type ref struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Reference string `json:"reference"`
}

// Rule reads a create body (or one import line) into an ir.Rule: its
// metadata, its new_terms or threshold settings, and its query parsed and
// lowered as rule files are. Keys that Kibana defines but an ir.Rule does not
// hold are refused, as are unknown keys.
func Rule(data []byte) (*ir.Rule, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b body
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("readback: %w", err)
	}
	if dec.More() {
		return nil, errors.New("readback: more than one JSON value")
	}
	if b.Query == nil {
		return nil, errors.New("readback: the body has no query")
	}
	r := &ir.Rule{
		ID:                b.RuleID,
		Name:              b.Name,
		Description:       b.Description,
		Type:              ir.RuleType(b.Type),
		Index:             b.Index,
		Language:          b.Language,
		Query:             *b.Query,
		Severity:          b.Severity,
		RiskScore:         b.RiskScore,
		Interval:          b.Interval,
		From:              b.From,
		To:                b.To,
		MaxSignals:        b.MaxSignals,
		Tags:              b.Tags,
		Author:            b.Author,
		License:           b.License,
		Version:           b.Version,
		References:        b.References,
		FalsePositives:    b.FalsePositives,
		Note:              b.Note,
		Setup:             b.Setup,
		TimestampOverride: b.TimestampOverride,
	}
	for _, t := range b.Threat {
		it := ir.Threat{Framework: t.Framework, Tactic: ir.ThreatRef(t.Tactic)}
		for _, tech := range t.Technique {
			itech := ir.Technique{ThreatRef: ir.ThreatRef(tech.ref)}
			for _, sub := range tech.Subtechnique {
				itech.Subtechniques = append(itech.Subtechniques, ir.ThreatRef(sub))
			}
			it.Techniques = append(it.Techniques, itech)
		}
		r.Threat = append(r.Threat, it)
	}
	if b.NewTermsFields != nil || b.HistoryWindowStart != "" {
		r.NewTerms = &ir.NewTermsSpec{Fields: b.NewTermsFields, HistoryWindowStart: b.HistoryWindowStart}
	}
	if b.Threshold != nil {
		fields, err := thresholdFields(b.Threshold.Field)
		if err != nil {
			return nil, err
		}
		r.Threshold = &ir.ThresholdSpec{Fields: fields, Value: b.Threshold.Value}
		for _, c := range b.Threshold.Cardinality {
			r.Threshold.Cardinality = append(r.Threshold.Cardinality, ir.Cardinality{Field: c.Field, Value: c.Value})
		}
	}
	expr, err := Query(r.Query)
	if err != nil {
		return nil, err
	}
	r.Expr = expr
	return r, nil
}

// Query parses and lowers a query read back from a body. Warnings (fields
// the catalog does not know) are not errors here: the rule file reported
// them already.
func Query(text string) (ir.Expr, error) {
	q, err := parser.Parse(text)
	if err != nil {
		return nil, fmt.Errorf("readback: query: %w", err)
	}
	expr, diags := lower.Lower(q, lower.Options{})
	if diags.HasErrors() {
		return nil, fmt.Errorf("readback: query: %w", diag.List(diags.Errors()))
	}
	return expr, nil
}

func thresholdFields(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("readback: threshold has no field")
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		if one == "" {
			return nil, nil
		}
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("readback: threshold.field is neither a string nor a list of strings")
	}
	return many, nil
}
