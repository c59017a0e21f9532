package main

import (
	"io"
	"path/filepath"
	"sort"

	"github.com/detc/detc/compile"
	"github.com/detc/detc/diag"
)

// writeSARIF writes diagnostics as a SARIF 2.1.0 log, the format GitHub
// code scanning reads. Each diagnostic code is a rule of the tool.
func writeSARIF(w io.Writer, diags diag.List) error {
	type region struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
	}
	type physical struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region *region `json:"region,omitempty"`
	}
	type location struct {
		PhysicalLocation physical `json:"physicalLocation"`
	}
	type message struct {
		Text string `json:"text"`
	}
	type result struct {
		RuleID    string     `json:"ruleId"`
		Level     string     `json:"level"`
		Message   message    `json:"message"`
		Locations []location `json:"locations,omitempty"`
	}
	type reportingRule struct {
		ID               string  `json:"id"`
		ShortDescription message `json:"shortDescription"`
	}
	codes := map[string]bool{}
	results := []result{}
	for _, d := range diags {
		codes[d.Code] = true
		level := "error"
		if d.Severity == diag.Warning {
			level = "warning"
		}
		text := d.Msg
		if d.RuleID != "" {
			text += " (rule " + d.RuleID + ")"
		}
		if d.Hint != "" {
			text += ". Hint: " + d.Hint
		}
		r := result{RuleID: d.Code, Level: level, Message: message{text}}
		if d.Pos.File != "" {
			var loc location
			loc.PhysicalLocation.ArtifactLocation.URI = filepath.ToSlash(d.Pos.File)
			if d.Pos.Line > 0 {
				loc.PhysicalLocation.Region = &region{StartLine: d.Pos.Line, StartColumn: d.Pos.Col}
			}
			r.Locations = []location{loc}
		}
		results = append(results, r)
	}
	var rules []reportingRule
	for c := range codes {
		rules = append(rules, reportingRule{ID: c, ShortDescription: message{"detc " + c}})
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	type driver struct {
		Name           string          `json:"name"`
		InformationURI string          `json:"informationUri,omitempty"`
		Rules          []reportingRule `json:"rules"`
	}
	log := map[string]any{
		"version": "2.1.0",
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"runs": []any{map[string]any{
			"tool":    map[string]any{"driver": driver{Name: "detc", Rules: rules}},
			"results": results,
		}},
	}
	b, err := compile.MarshalIndent(log)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func marshalIndent(v any) ([]byte, error) { return compile.MarshalIndent(v) }
