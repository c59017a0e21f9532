package cloudwatch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
	"gopkg.in/yaml.v3"
)

// startQueryRequest is the StartQuery request body (times in epoch
// seconds, both inclusive).
type startQueryRequest struct {
	QueryLanguage string   `json:"queryLanguage"`
	LogGroupNames []string `json:"logGroupNames"`
	StartTime     int64    `json:"startTime"`
	EndTime       int64    `json:"endTime"`
	QueryString   string   `json:"queryString"`
	Limit         int      `json:"limit"`
}

// queryDefinitionRequest is the PutQueryDefinition request body.
type queryDefinitionRequest struct {
	Name          string   `json:"name"`
	QueryLanguage string   `json:"queryLanguage"`
	QueryString   string   `json:"queryString"`
	LogGroupNames []string `json:"logGroupNames,omitempty"`
}

type cfnTemplate struct {
	Version     string                 `yaml:"AWSTemplateFormatVersion"`
	Description string                 `yaml:"Description"`
	Resources   map[string]cfnResource `yaml:"Resources"`
}

type cfnResource struct {
	Type       string        `yaml:"Type"`
	Properties cfnProperties `yaml:"Properties"`
}

type cfnProperties struct {
	Name          string   `yaml:"Name"`
	QueryLanguage string   `yaml:"QueryLanguage"`
	LogGroupNames []string `yaml:"LogGroupNames,omitempty"`
	QueryString   string   `yaml:"QueryString"`
}

// definitionName is the query definition name: prefix + rule name, at
// most 255 characters ("/" makes console folders).
func definitionName(rule *ir.Rule, opts Options) string {
	prefix := opts.NamePrefix
	if prefix == "" {
		prefix = "detc/"
	}
	name := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '/' {
			return ' '
		}
		return r
	}, rule.Name)
	if name == "" {
		name = rule.ID
	}
	n := []rune(prefix + name)
	if len(n) > 255 {
		n = n[:255]
	}
	return string(n)
}

func (a *Artifacts) build(rule *ir.Rule, opts Options) error {
	var hdr strings.Builder
	comment := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		line = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, line)
		hdr.WriteString("# " + strings.ReplaceAll(line, "{{", "{ {") + "\n")
	}
	comment("detc rule %s: %s", rule.ID, rule.Name)
	switch rule.Type {
	case ir.NewTerms:
		comment("new_terms on %s: run StartQuery over [history_window_start %s, now]; a row is a new term", strings.Join(rule.NewTerms.Fields, ", "), rule.NewTerms.HistoryWindowStart)
	case ir.Threshold:
		comment("threshold: run StartQuery over [from %s, now]; a row is a group at or above %d", orDefault(rule.From, "now-6m"), rule.Threshold.Value)
	default:
		comment("query: run StartQuery over [from %s, now]; a row is an alert (eventID)", orDefault(rule.From, "now-6m"))
	}
	a.CWLI = []byte(hdr.String() + a.Query + "\n")

	def := queryDefinitionRequest{Name: definitionName(rule, opts), QueryLanguage: "CWLI", QueryString: a.Query, LogGroupNames: opts.LogGroups}
	var err error
	if a.QueryDefinition, err = marshalJSON(def); err != nil {
		return err
	}
	if !opts.At.IsZero() && len(opts.LogGroups) > 0 {
		start := a.Window.Start
		if rule.Type == ir.NewTerms {
			start = a.Window.HistoryStart
		}
		req := startQueryRequest{QueryLanguage: "CWLI", LogGroupNames: opts.LogGroups,
			StartTime: start.Unix(), EndTime: a.Window.End.Unix(), QueryString: a.PinnedQuery, Limit: 10000}
		if a.StartQuery, err = marshalJSON(req); err != nil {
			return err
		}
	}
	tmpl := cfnTemplate{
		Version:     "2010-09-09",
		Description: "detc: Logs Insights query definition for rule " + rule.ID,
		Resources: map[string]cfnResource{logicalID(rule): {
			Type:       "AWS::Logs::QueryDefinition",
			Properties: cfnProperties{Name: def.Name, QueryLanguage: "CWLI", LogGroupNames: opts.LogGroups, QueryString: a.Query},
		}},
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(tmpl); err != nil {
		return err
	}
	a.CloudFormation = buf.Bytes()
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// logicalID is the CloudFormation logical id: alphanumeric only.
func logicalID(rule *ir.Rule) string {
	var b strings.Builder
	b.WriteString("DetcRule")
	for _, r := range rule.ID {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	s := b.String()
	if len(s) > 255 {
		s = s[:255]
	}
	return s
}

func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Files renders every rule and returns the artefacts by path
// (cloudwatch/<rule_id>.cwli, .start_query.json, .query_definition.json,
// .cfn.yaml), with the diagnostics of the rules that could not be
// rendered. StartQuery requests are written only when opts.At and
// opts.LogGroups are set; otherwise a warning says so once.
func Files(rules []*ir.Rule, opts Options) (map[string][]byte, diag.List) {
	files := map[string][]byte{}
	var diags diag.List
	for _, r := range rules {
		art, err := Render(r, opts)
		if err != nil {
			if l, ok := err.(diag.List); ok {
				diags = append(diags, l...)
			} else {
				diags = append(diags, diag.Diagnostic{Pos: r.KeyPos("query"), Code: "render", RuleID: ruleID(r), Msg: "cloudwatch: " + err.Error()})
			}
			continue
		}
		base := "cloudwatch/" + fileStem(r)
		files[base+".cwli"] = art.CWLI
		files[base+".query_definition.json"] = art.QueryDefinition
		files[base+".cfn.yaml"] = art.CloudFormation
		if art.StartQuery != nil {
			files[base+".start_query.json"] = art.StartQuery
		}
	}
	if len(rules) > 0 && (opts.At.IsZero() || len(opts.LogGroups) == 0) {
		diags = append(diags, diag.Diagnostic{Severity: diag.Warning, Code: "no-start-query",
			Msg:  "cloudwatch: StartQuery requests need a run time and at least one log group; none were written",
			Hint: "give --log-group and a run time to get <rule>.start_query.json"})
	}
	return files, diags
}

// fileStem is the rule id made safe as a file name.
func fileStem(r *ir.Rule) string {
	id := ruleID(r)
	return strings.Map(func(c rune) rune {
		if c < 128 && (unicode.IsLetter(c) || unicode.IsDigit(c) || c == '-' || c == '_' || c == '.') {
			return c
		}
		return '_'
	}, id)
}
