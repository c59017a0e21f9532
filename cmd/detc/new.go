package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/pflag"

	"github.com/detc/detc/rulefmt"
)

func init() {
	var (
		ruleType string
		outDir   string
	)
	register(&command{
		Name:    "new",
		Summary: "scaffold a rule file and its test file",
		Usage: `Usage: detc new --type query|new_terms|threshold NAME [-o DIR]

Creates DIR/NAME.yml, a rule of the given type with a fresh UUID and
placeholders that already pass detc check, and DIR/NAME.test.yml beside it
with two cases in the format of docs/rules.md: one that alerts and a near
miss that does not. detc test passes on them as created; replace the
placeholders (the query, description, note, threat, and the events of the
tests) with your detection, keeping the tests green. Existing files are
never overwritten.

The placeholders per type:
  query      an IAM user's new access key (event.action: CreateAccessKey)
  new_terms  an identity reading a Secrets Manager secret for the first time
             in 14 days (new_terms.fields: aws.cloudtrail.user_identity.arn)
  threshold  5 or more failed console logins from one source.ip

Examples:
  detc new --type new_terms -o rules/aws secret_read_by_new_identity
  detc test rules/aws/secret_read_by_new_identity.yml`,
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVarP(&ruleType, "type", "t", "query", "rule type: query, new_terms or threshold")
			fs.StringVarP(&outDir, "output", "o", ".", "directory to create the files in")
		},
		Run: func(env *runEnv, args []string) int {
			if len(args) != 1 {
				fmt.Fprintln(env.Stderr, "detc new: give one NAME (the file name without .yml)\nrun 'detc new --help' for usage")
				return exitUsage
			}
			return scaffold(env, ruleType, outDir, args[0])
		},
	})
}

var ruleNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

func scaffold(env *runEnv, ruleType, dir, name string) int {
	name = strings.TrimSuffix(strings.TrimSuffix(name, ".yml"), ".yaml")
	if !ruleNameRE.MatchString(name) || strings.HasSuffix(name, ".test") {
		fmt.Fprintf(env.Stderr, "detc new: %q is not a usable file name: use letters, digits, _, - and . (for example iam_access_key_created)\n", name)
		return exitUsage
	}
	s, ok := scaffolds[ruleType]
	if !ok {
		fmt.Fprintf(env.Stderr, "detc new: unknown --type %q: use query, new_terms or threshold\n", ruleType)
		return exitUsage
	}
	rulePath := filepath.Join(dir, name+".yml")
	testPath := filepath.Join(dir, name+".test.yml")
	for _, p := range []string{rulePath, testPath} {
		if _, err := os.Lstat(p); err == nil {
			fmt.Fprintf(env.Stderr, "detc new: %s exists; detc new never overwrites a file\n", p)
			return exitFail
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(env.Stderr, "detc new:", err)
		return exitFail
	}
	ruleText := s.rule(uuid.NewString(), name)
	// Scaffolds are born formatted: detc fmt --check passes on them.
	if res, err := rulefmt.Format([]byte(ruleText), rulefmt.Options{}); err == nil {
		ruleText = string(res.Out)
	}
	testText := s.tests(name)
	if err := createNew(rulePath, ruleText); err != nil {
		fmt.Fprintln(env.Stderr, "detc new:", err)
		return exitFail
	}
	if err := createNew(testPath, testText); err != nil {
		os.Remove(rulePath)
		fmt.Fprintln(env.Stderr, "detc new:", err)
		return exitFail
	}
	fmt.Fprintf(env.Stdout, "created %s (%s rule) and %s\nnext: edit the placeholders, then  detc check %s && detc test %s\n",
		rulePath, ruleType, testPath, rulePath, rulePath)
	return exitOK
}

// createNew writes a file that must not exist yet (O_EXCL), so that a file
// created meanwhile is not overwritten either.
func createNew(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists; detc new never overwrites a file", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// scaffoldAt is the run time T of the scaffolded test cases.
var scaffoldAt = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

type scaffoldKind struct {
	rule  func(id, name string) string
	tests func(name string) string
}

var scaffolds = map[string]scaffoldKind{
	"query":     {rule: queryRuleText, tests: queryTestText},
	"new_terms": {rule: newTermsRuleText, tests: newTermsTestText},
	"threshold": {rule: thresholdRuleText, tests: thresholdTestText},
}

// title turns a file name into a rule name: iam_key_created → Iam Key Created.
func title(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// ruleHeader is the part of every scaffolded rule up to the query.
func ruleHeader(id, name, ruleType, description string) string {
	return fmt.Sprintf(`# Scaffolded by detc new. Replace the placeholders (description, query,
# note, threat) with your detection and the events of the test file beside
# it (%s.test.yml) with yours, then run detc check and detc test on it.
id: %s
name: %s
description: >-
  TODO: what the rule detects and why it matters. %s
type: %s
index:
  - logs-aws.cloudtrail-*
language: kuery
`, name, id, title(name), description, ruleType)
}

const ruleCommon = `severity: medium
risk_score: 47
interval: 5m
from: now-6m
max_signals: 100
version: 1
author:
  - TODO
tags:
  - "Domain: Cloud"
  - "Data Source: AWS"
  - "Use Case: Threat Detection"
`

const ruleNote = `note: |
  ## Triage and analysis

  TODO: what an analyst should check first (who acted, from where, on what),
  the usual false positives, and how to respond.
`

func queryRuleText(id, name string) string {
	return ruleHeader(id, name, "query", "The placeholder query alerts when an IAM user gets a new access key.") + `query: |
  event.dataset: "aws.cloudtrail"
  and event.provider: "iam.amazonaws.com"
  and event.action: "CreateAccessKey"
  and event.outcome: success
` + ruleCommon + `threat:
  - framework: MITRE ATT&CK
    tactic:
      id: TA0003
      name: Persistence
      reference: https://attack.mitre.org/tactics/TA0003/
    technique:
      - id: T1098
        name: Account Manipulation
        reference: https://attack.mitre.org/techniques/T1098/
        subtechnique:
          - id: T1098.001
            name: Additional Cloud Credentials
            reference: https://attack.mitre.org/techniques/T1098/001/
` + ruleNote
}

func newTermsRuleText(id, name string) string {
	return ruleHeader(id, name, "new_terms", "The placeholder query alerts when an identity reads a Secrets Manager secret for the first time in 14 days.") + `query: |
  event.dataset: "aws.cloudtrail"
  and event.provider: "secretsmanager.amazonaws.com"
  and event.action: "GetSecretValue"
  and event.outcome: success
` + ruleCommon + `new_terms:
  fields:
    - aws.cloudtrail.user_identity.arn
  history_window_start: now-14d
threat:
  - framework: MITRE ATT&CK
    tactic:
      id: TA0006
      name: Credential Access
      reference: https://attack.mitre.org/tactics/TA0006/
    technique:
      - id: T1555
        name: Credentials from Password Stores
        reference: https://attack.mitre.org/techniques/T1555/
        subtechnique:
          - id: T1555.006
            name: Cloud Secrets Management Stores
            reference: https://attack.mitre.org/techniques/T1555/006/
` + ruleNote
}

func thresholdRuleText(id, name string) string {
	return ruleHeader(id, name, "threshold", "The placeholder query alerts on 5 or more failed console logins from one address.") + `query: |
  event.dataset: "aws.cloudtrail"
  and event.provider: "signin.amazonaws.com"
  and event.action: "ConsoleLogin"
  and event.outcome: failure
` + ruleCommon + `threshold:
  field:
    - source.ip
  value: 5
threat:
  - framework: MITRE ATT&CK
    tactic:
      id: TA0006
      name: Credential Access
      reference: https://attack.mitre.org/tactics/TA0006/
    technique:
      - id: T1110
        name: Brute Force
        reference: https://attack.mitre.org/techniques/T1110/
` + ruleNote
}

// record is a raw CloudTrail record of a scaffolded test, built from the
// fields a placeholder query reads.
type record map[string]any

func ctRecord(id string, at time.Time, source, action string, identity record) record {
	return record{
		"eventVersion": "1.11", "eventID": id, "eventTime": at.Format(time.RFC3339),
		"eventSource": source, "eventName": action, "awsRegion": "us-east-1",
		"sourceIPAddress": "198.51.100.23", "userAgent": "aws-cli/2.24.10",
		"userIdentity": identity, "eventType": "AwsApiCall", "recipientAccountId": "111122223333",
		"requestID": "00000000-0000-4000-8000-" + fmt.Sprintf("%012x", len(id)*7919+at.Second()),
	}
}

func iamUser(name string) record {
	return record{"type": "IAMUser", "principalId": "AIDAEXAMPLE" + strings.ToUpper(name),
		"arn": "arn:aws:iam::111122223333:user/" + name, "accountId": "111122223333", "userName": name}
}

func assumedRole(session string) record {
	return record{"type": "AssumedRole", "principalId": "AROAEXAMPLEROLEID:" + session,
		"arn": "arn:aws:sts::111122223333:assumed-role/AppRole/" + session, "accountId": "111122223333"}
}

// testCase is one case of a scaffolded test file.
type testCase struct {
	name, comment string
	events        []record
	expect        []string // YAML flow lines; none: expect []
}

func testFileText(name, header string, cases []testCase) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Cases for %s.yml, scaffolded by detc new (format: docs/rules.md).\n# %s\n", name, header)
	b.WriteString("cases:\n")
	for _, c := range cases {
		fmt.Fprintf(&b, "  - name: %q\n", c.name)
		fmt.Fprintf(&b, "    # %s\n", c.comment)
		fmt.Fprintf(&b, "    at: %s\n", scaffoldAt.Format(time.RFC3339))
		b.WriteString("    events:\n")
		for _, e := range c.events {
			j, err := json.Marshal(e)
			if err != nil {
				panic(err) // records are built from strings and maps only
			}
			fmt.Fprintf(&b, "      - %s\n", j)
		}
		if len(c.expect) == 0 {
			b.WriteString("    expect: []\n")
			continue
		}
		b.WriteString("    expect:\n")
		for _, x := range c.expect {
			fmt.Fprintf(&b, "      - %s\n", x)
		}
	}
	return b.String()
}

func queryTestText(name string) string {
	t := scaffoldAt
	created := ctRecord("key-1", t.Add(-2*time.Minute), "iam.amazonaws.com", "CreateAccessKey", iamUser("alice"))
	created["requestParameters"] = record{"userName": "alice"}
	denied := ctRecord("key-2", t.Add(-2*time.Minute), "iam.amazonaws.com", "CreateAccessKey", iamUser("mallory"))
	denied["errorCode"] = "AccessDenied"
	denied["errorMessage"] = "User: arn:aws:iam::111122223333:user/mallory is not authorized to perform: iam:CreateAccessKey"
	return testFileText(name, "Run time T = 2026-03-10T12:00:00Z; window [T-6m, T].", []testCase{
		{name: "a new access key alerts", comment: "CreateAccessKey succeeded 2 minutes before T.",
			events: []record{created}, expect: []string{`{event: key-1}`}},
		{name: "a denied CreateAccessKey does not alert", comment: "Near miss: the call failed (errorCode), so event.outcome is failure.",
			events: []record{denied}},
	})
}

func newTermsTestText(name string) string {
	t := scaffoldAt
	read := func(id string, ago time.Duration, session string) record {
		r := ctRecord(id, t.Add(-ago), "secretsmanager.amazonaws.com", "GetSecretValue", assumedRole(session))
		r["requestParameters"] = record{"secretId": "prod/db/password"}
		return r
	}
	arn := "arn:aws:sts::111122223333:assumed-role/AppRole/"
	return testFileText(name, "Run time T = 2026-03-10T12:00:00Z; window [T-6m, T]; history [T-14d, T-6m).", []testCase{
		{name: "an identity reading a secret for the first time alerts",
			comment: "bob read the secret 3 days ago; alice never did, so her read in the window is a new term.",
			events:  []record{read("sec-1", 72*time.Hour, "bob"), read("sec-2", 2*time.Minute, "alice")},
			expect:  []string{fmt.Sprintf(`{event: sec-2, terms: [%q]}`, arn+"alice")}},
		{name: "an identity that read the secret in the history does not alert",
			comment: "Near miss: alice already read it 3 days ago, inside the 14-day history.",
			events:  []record{read("sec-3", 72*time.Hour, "alice"), read("sec-4", 2*time.Minute, "alice")}},
	})
}

func thresholdTestText(name string) string {
	t := scaffoldAt
	failures := func(prefix string, n int) []record {
		var out []record
		for i := 0; i < n; i++ {
			r := ctRecord(fmt.Sprintf("%s-%d", prefix, i+1), t.Add(-time.Duration(5-i)*time.Minute), "signin.amazonaws.com", "ConsoleLogin", iamUser("alice"))
			r["eventType"] = "AwsConsoleSignIn"
			r["sourceIPAddress"] = "203.0.113.7"
			r["userAgent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0"
			r["errorMessage"] = "Failed authentication"
			r["responseElements"] = record{"ConsoleLogin": "Failure"}
			r["additionalEventData"] = record{"MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com/console/home"}
			out = append(out, r)
		}
		return out
	}
	return testFileText(name, "Run time T = 2026-03-10T12:00:00Z; window [T-6m, T]; threshold: 5 matching events per source.ip.", []testCase{
		{name: "five failed logins from one address alert", comment: "5 failures from 203.0.113.7 in the window reach the threshold.",
			events: failures("login", 5), expect: []string{`{terms: ["203.0.113.7"], count: 5}`}},
		{name: "four failed logins do not alert", comment: "Near miss: 4 failures stay below the threshold of 5.",
			events: failures("near", 4)},
	})
}
