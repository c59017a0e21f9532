package rulefile

import (
	"strings"
	"testing"

	"github.com/detc/detc/ir"
)

// validRule is a minimal, correct rule; the bad inputs below each break it
// in one way.
const validRule = `id: 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10
name: CloudTrail logging stopped
description: Someone stopped a trail.
type: query
query: 'event.provider: "cloudtrail.amazonaws.com" and event.action: "StopLogging"'
severity: medium
risk_score: 47
`

func TestLoadValid(t *testing.T) {
	r, diags := Parse("ok.yml", []byte(validRule), Options{})
	if len(diags) != 0 {
		t.Fatalf("unexpected diagnostics:\n%v", diags)
	}
	if r.ID != "0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10" || r.Type != ir.Query || r.RiskScore != 47 {
		t.Errorf("metadata not read: %+v", r)
	}
	// Kibana's defaults are filled in.
	if r.Interval != "5m" || r.From != "now-6m" || r.MaxSignals != 100 || r.Version != 1 || r.Language != "kuery" {
		t.Errorf("defaults: interval %q from %q max_signals %d version %d language %q", r.Interval, r.From, r.MaxSignals, r.Version, r.Language)
	}
	want := `and(event.provider:"cloudtrail.amazonaws.com", event.action:"StopLogging")`
	if got := ir.String(r.Expr); got != want {
		t.Errorf("expr = %s, want %s", got, want)
	}
	if p := r.Expr.Position(); p.Line != 5 || p.Col != 9 {
		t.Errorf("expr position = %v, want 5:9", p)
	}
}

// TestLoadBadInputs pins the first diagnostic, with its position, for each
// kind of bad rule file.
func TestLoadBadInputs(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(validRule, old) {
			t.Fatalf("test setup: %q not in validRule", old)
		}
		return strings.Replace(validRule, old, new, 1)
	}
	cases := []struct {
		name, input, want string
	}{
		{"empty file", "", `bad.yml:1:1: error[empty-file]: the rule file is empty`},
		{"not a mapping", "- a\n- b\n", `bad.yml:1:1: error[type]: a rule file must be a mapping of keys to values, not a list`},
		{"yaml syntax", "id: [unclosed\n", `bad.yml:1:1: error[yaml]: invalid YAML: did not find expected ',' or ']'`},
		{"bad indentation", "id: x\n  name: y\n", `bad.yml:2:1: error[yaml]: invalid YAML: mapping values are not allowed in this context`},
		{"unknown key typo", replace("severity: medium", "severty: medium"), `bad.yml:1:1: error[missing-key]: required key "severity" is missing (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key severity)`},
		{"unknown key hint", replace("risk_score: 47", "risk_score: 47\nintervall: 5m"), `bad.yml:8:1: error[unknown-key]: unknown key "intervall" (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key intervall)`},
		{"duplicate key", replace("risk_score: 47", "risk_score: 47\nrisk_score: 21"), `bad.yml:8:1: error[duplicate-key]: key "risk_score" appears twice (first at line 7) (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key risk_score)`},
		{"missing name", replace("name: CloudTrail logging stopped\n", ""), `bad.yml:1:1: error[missing-key]: required key "name" is missing (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key name)`},
		{"id not uuid", replace("0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10", "stop-logging"), `bad.yml:1:5: error[bad-id]: id "stop-logging" is not a UUID (rule stop-logging, key id)`},
		{"empty name", replace("name: CloudTrail logging stopped", `name: ""`), `bad.yml:2:7: error[empty]: name must not be empty (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key name)`},
		{"name is a number", replace("name: CloudTrail logging stopped", "name: 42"), `bad.yml:2:7: error[type]: name must be a string, but "42" reads as int (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key name)`},
		{"bad type", replace("type: query", "type: eql"), `bad.yml:4:7: error[enum]: type "eql" is not allowed (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key type)`},
		{"bad severity", replace("severity: medium", "severity: hgih"), `bad.yml:6:11: error[enum]: severity "hgih" is not allowed (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key severity)`},
		{"risk score too high", replace("risk_score: 47", "risk_score: 101"), `bad.yml:7:13: error[range]: risk_score is 101; it must be between 0 and 100 (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key risk_score)`},
		{"risk score text", replace("risk_score: 47", "risk_score: high"), `bad.yml:7:13: error[type]: risk_score must be an integer, not the scalar "high" (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key risk_score)`},
		{"bad interval", replace("risk_score: 47", "risk_score: 47\ninterval: 5 minutes"), `bad.yml:8:11: error[bad-interval]: interval "5 minutes" is not a number followed by s, m, h or d (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key interval)`},
		{"bad from", replace("risk_score: 47", "risk_score: 47\nfrom: 9 minutes ago"), `bad.yml:8:7: error[bad-date-math]: from "9 minutes ago" is not relative date math (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key from)`},
		{"max_signals zero", replace("risk_score: 47", "risk_score: 47\nmax_signals: 0"), `bad.yml:8:14: error[range]: max_signals is 0; it must be at least 1 (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key max_signals)`},
		{"version zero", replace("risk_score: 47", "risk_score: 47\nversion: 0"), `bad.yml:8:10: error[range]: version is 0; it must be at least 1 (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key version)`},
		{"tags not a list", replace("risk_score: 47", "risk_score: 47\ntags: Domain Cloud"), `bad.yml:8:7: error[type]: tags must be a list of strings (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key tags)`},
		{"language lucene", replace("risk_score: 47", "risk_score: 47\nlanguage: lucene"), `bad.yml:8:11: error[enum]: language "lucene" is not supported (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key language)`},
		{"bad reference url", replace("risk_score: 47", "risk_score: 47\nreferences: [docs.aws.amazon.com/x]"), `bad.yml:8:14: error[bad-url]: references[0] "docs.aws.amazon.com/x" is not an http(s) URL (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key references[0])`},
		{"new_terms without block", replace("type: query", "type: new_terms"), `bad.yml:1:1: error[missing-key]: a new_terms rule needs a new_terms block (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key new_terms)`},
		{"new_terms four fields", replace("type: query", "type: new_terms") + "new_terms:\n  fields: [a, b, c, d]\n  history_window_start: now-14d\n", `bad.yml:9:11: error[range]: new_terms.fields has 4 fields; Kibana allows 1 to 3 (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key new_terms.fields)`},
		{"new_terms duplicate field", replace("type: query", "type: new_terms") + "new_terms:\n  fields: [user.name, user.name]\n  history_window_start: now-14d\n", `bad.yml:9:23: error[duplicate]: new_terms.fields lists "user.name" twice (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key new_terms.fields)`},
		{"new_terms bad history", replace("type: query", "type: new_terms") + "new_terms:\n  fields: [user.name]\n  history_window_start: 14 days\n", `bad.yml:10:25: error[bad-date-math]: new_terms.history_window_start "14 days" is not relative date math (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key new_terms.history_window_start)`},
		{"new_terms on query rule", validRule + "new_terms:\n  fields: [user.name]\n  history_window_start: now-14d\n", `bad.yml:8:1: error[misplaced-key]: new_terms is set but the rule's type is query (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key new_terms)`},
		{"threshold value zero", replace("type: query", "type: threshold") + "threshold:\n  field: [source.ip]\n  value: 0\n", `bad.yml:10:10: error[range]: threshold.value is 0; it must be at least 1 (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key threshold.value)`},
		{"threshold unknown key", replace("type: query", "type: threshold") + "threshold:\n  fields: [source.ip]\n  value: 5\n", `bad.yml:9:3: error[unknown-key]: unknown key "fields" (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key threshold.fields)`},
		{"tactic id malformed", validRule + "threat:\n  - framework: MITRE ATT&CK\n    tactic: {id: TA10, name: Exfiltration, reference: \"https://attack.mitre.org/tactics/TA10/\"}\n", `bad.yml:10:18: error[bad-mitre-id]: "TA10" is not a well-formed MITRE ATT&CK id (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key threat[0].tactic.id)`},
		{"tactic url mismatch", validRule + "threat:\n  - framework: MITRE ATT&CK\n    tactic: {id: TA0010, name: Exfiltration, reference: \"https://attack.mitre.org/tactics/TA0011/\"}\n", `bad.yml:10:57: error[bad-url]: threat[0].tactic.reference "https://attack.mitre.org/tactics/TA0011/" does not match its id (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key threat[0].tactic.reference)`},
		{"subtechnique of other technique", validRule + "threat:\n  - framework: MITRE ATT&CK\n    tactic: {id: TA0010, name: Exfiltration, reference: \"https://attack.mitre.org/tactics/TA0010/\"}\n    technique:\n      - id: T1567\n        name: Exfiltration Over Web Service\n        reference: https://attack.mitre.org/techniques/T1567/\n        subtechnique:\n          - {id: T1048.002, name: X, reference: \"https://attack.mitre.org/techniques/T1048/002/\"}\n", `bad.yml:16:13: error[bad-mitre-id]: subtechnique T1048.002 does not belong to technique T1567 (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key threat[0].technique[0].subtechnique[0])`},
		{"framework other", validRule + "threat:\n  - framework: D3FEND\n    tactic: {id: TA0010, name: Exfiltration, reference: \"https://attack.mitre.org/tactics/TA0010/\"}\n", `bad.yml:9:16: error[enum]: framework "D3FEND" is not supported (rule 0b1a8f0e-3c1d-4d57-9c8e-2f7f5a1e9b10, key threat[0].framework)`},
		{"kql syntax error plain", replace(`event.action: "StopLogging"`, `event.action: ("StopLogging"`), `bad.yml:5:84: error[kql-syntax]: expected "and", "or" or ")" but found end of query`},
		{"plain query holding a colon", strings.Replace(validRule, "'", "", 2), `bad.yml:5:1: error[yaml]: invalid YAML: mapping values are not allowed in this context`},
		{"kql syntax error block", replace(`query: 'event.provider: "cloudtrail.amazonaws.com" and event.action: "StopLogging"'`, "query: |\n  event.provider: \"cloudtrail.amazonaws.com\"\n    and event.action:"), `bad.yml:7:22: error[kql-syntax]:`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, diags := Parse("bad.yml", []byte(tc.input), Options{})
			if r != nil {
				t.Fatalf("a rule was returned for a bad input")
			}
			if len(diags) == 0 {
				t.Fatalf("no diagnostic")
			}
			got := diags[0].Error()
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("first diagnostic:\n got: %s\nwant: %s\n all:\n%v", got, tc.want, diags)
			}
			if diags[0].Pos.Line > 0 && diags[0].Line == "" && tc.input != "" {
				t.Errorf("diagnostic has no source line for the caret display")
			}
		})
	}
	if len(cases) < 30 {
		t.Errorf("only %d bad inputs; the hardening issue asks for at least 30", len(cases))
	}
}

func TestEveryErrorOfEveryRuleIsReported(t *testing.T) {
	input := strings.NewReplacer("severity: medium", "severity: hgih", "risk_score: 47", "risk_score: 400\nbogus: 1").Replace(validRule)
	_, diags := Parse("bad.yml", []byte(input), Options{})
	codes := map[string]bool{}
	for _, d := range diags {
		codes[d.Code] = true
	}
	for _, c := range []string{"enum", "range", "unknown-key"} {
		if !codes[c] {
			t.Errorf("missing a %s diagnostic in:\n%v", c, diags)
		}
	}
}

func TestUnknownKeySuggestion(t *testing.T) {
	_, diags := Parse("bad.yml", []byte(validRule+"false_positive: [x]\n"), Options{})
	if len(diags) != 1 || diags[0].Hint != `did you mean "false_positives"?` {
		t.Fatalf("got %v (hint %q)", diags, diags[0].Hint)
	}
}

func TestPrettyShowsCaret(t *testing.T) {
	_, diags := Parse("bad.yml", []byte(strings.Replace(validRule, "severity: medium", "severity: hgih", 1)), Options{})
	got := diags[0].Pretty()
	want := "    | severity: hgih\n    |           ^\n    = hint: did you mean \"high\"?"
	if !strings.Contains(got, want) {
		t.Errorf("pretty:\n%s\nwant it to contain:\n%s", got, want)
	}
}
