package cloudtrail

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/detc/detc/ir"
)

const corpusRules = "../../../shared/corpus/rules/elastic_aws_rules.jsonl"

func TestResolve(t *testing.T) {
	tests := []struct {
		field string
		want  string // compact description of the mapping
	}{
		{"event.action", "direct eventName keyword"},
		{"@timestamp", "direct eventTime date"},
		{"cloud.account.id", "direct userIdentity.accountId keyword"},
		{"aws.cloudtrail.read_only", "direct readOnly boolean"},
		{"aws.cloudtrail.user_identity.session_context.session_issuer.arn", "direct userIdentity.sessionContext.sessionIssuer.arn keyword"},
		{"user_agent.original.text", "direct userAgent text"},
		{"aws.cloudtrail.resources.arn", "direct resources[].ARN keyword"},
		{"aws.cloudtrail.flattened.request_parameters.dryRun", "direct requestParameters.dryRun keyword flattened json-text"},
		{"aws.cloudtrail.flattened.request_parameters", "direct requestParameters keyword flattened json-text"},
		{"aws.cloudtrail.flattened.response_elements.documentDescription.documentType", "direct responseElements.documentDescription.documentType keyword flattened json-text"},
		{"user.target.name", "direct requestParameters.userName keyword json-text"},
		{"aws.cloudtrail.console_login.additional_eventdata.login_to", "direct additionalEventData.LoginTo keyword json-text when ConsoleLogin"},
		{"event.dataset", "constant aws.cloudtrail keyword"},
		{"data_stream.dataset", "constant aws.cloudtrail keyword"},
		{"event.outcome", "derived outcome(errorCode,errorMessage,responseElements.ConsoleLogin) keyword json-text"},
		{"user.name", "derived coalesce(userIdentity.userName,userIdentity.sessionContext.sessionIssuer.userName) keyword"},
		{"source.ip", "derived ip-only(sourceIPAddress) ip"},
		{"aws.cloudtrail.console_login.additional_eventdata.mfa_used", "derived yes-no(additionalEventData.MFAUsed) boolean json-text when ConsoleLogin"},
		{"tls.version", "derived tls-version(tlsDetails.tlsVersion) keyword"},
	}
	for _, tt := range tests {
		m, err := Resolve(tt.field)
		if err != nil {
			t.Errorf("Resolve(%s): %v", tt.field, err)
			continue
		}
		if got := describe(m); got != tt.want {
			t.Errorf("Resolve(%s) = %s\n\twant %s", tt.field, got, tt.want)
		}
	}
}

func describe(m Mapping) string {
	var b strings.Builder
	b.WriteString(m.Kind.String())
	b.WriteByte(' ')
	switch m.Kind {
	case Direct:
		if len(m.Array) > 0 {
			b.WriteString(PathString(m.Array) + "[].")
		}
		b.WriteString(PathString(m.Path))
	case Constant:
		b.WriteString(m.Constant)
	case Derived:
		var srcs []string
		for _, s := range m.Sources {
			srcs = append(srcs, PathString(s))
		}
		b.WriteString(m.Derived.String() + "(" + strings.Join(srcs, ",") + ")")
	}
	b.WriteString(" " + m.Type.String())
	if m.Flattened {
		b.WriteString(" flattened")
	}
	if m.JSONText {
		b.WriteString(" json-text")
	}
	if m.EventName != "" {
		b.WriteString(" when " + m.EventName)
	}
	return b.String()
}

func TestResolveErrors(t *testing.T) {
	tests := []struct{ field, reason, suggestion string }{
		{"source.geo.country_iso_code", "GeoIP", ""},
		{"source.as.organization.name", "GeoIP/ASN", ""},
		{"user_agent.name", "user_agent processor", ""},
		{"event.type", "lookup table", ""},
		{"related.entity", "entity sub-pipeline", ""},
		{"aws.cloudtrail.request_parameters", "Map.toString()", ""},
		{"aws.cloudtrail.request_parameters.text", "Map.toString()", ""},
		{"host.name", "does not set this field", ""},
		{"event.actoin", "not an ECS field", "event.action"},
	}
	for _, tt := range tests {
		_, err := Resolve(tt.field)
		var ue *UnavailableError
		if !errors.As(err, &ue) {
			t.Errorf("Resolve(%s) = %v, want *UnavailableError", tt.field, err)
			continue
		}
		if ue.Field != tt.field || !strings.Contains(ue.Reason, tt.reason) || ue.Suggestion != tt.suggestion {
			t.Errorf("Resolve(%s): %+v; want reason containing %q, suggestion %q", tt.field, ue, tt.reason, tt.suggestion)
		}
	}
}

func TestUnavailableList(t *testing.T) {
	list := Unavailable()
	names := map[string]bool{}
	for _, m := range list {
		if m.Kind != NotAvailable || m.Reason == "" {
			t.Errorf("%s: kind %v reason %q", m.Field, m.Kind, m.Reason)
		}
		if _, err := Resolve(m.Field); err == nil {
			t.Errorf("%s is listed as unavailable but resolves", m.Field)
		}
		names[m.Field] = true
	}
	for _, want := range []string{"source.geo.city_name", "source.as.number", "user_agent.os.name", "event.category", "aws.cloudtrail.request_parameters"} {
		if !names[want] {
			t.Errorf("%s missing from Unavailable()", want)
		}
	}
	if names["user_agent.original"] || names["user_agent.original.text"] {
		t.Error("user_agent.original is produced, yet listed as unavailable")
	}
	t.Logf("%d unavailable fields", len(list))
}

// TestFieldsResolve checks that every produced field resolves to its kind
// and that the catalog knows it.
func TestFieldsResolve(t *testing.T) {
	for _, m := range Fields() {
		if m.Type == ir.Unknown {
			t.Errorf("%s: not in the catalog", m.Field)
		}
		if m.Kind == Direct && len(m.Path) == 0 || m.Kind == Derived && len(m.Sources) == 0 {
			t.Errorf("%s: incomplete mapping %+v", m.Field, m)
		}
	}
}

// fieldRE finds the field of `name:` and `name <`-style terms in a KQL
// query from which quoted strings have been removed.
var fieldRE = regexp.MustCompile(`([A-Za-z@_][A-Za-z0-9_.@\-]*)\s*(?::|<=|>=|<|>)`)
var quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// corpusFields returns every field the kuery rules of the Elastic AWS
// corpus use in their query, new_terms fields, threshold fields and
// cardinality, with the number of rules using each.
func corpusFields(t *testing.T) map[string]int {
	t.Helper()
	f, err := os.Open(corpusRules)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rule struct {
		Rule struct {
			Language  string                    `json:"language"`
			Query     string                    `json:"query"`
			NewTerms  *struct{ Value []string } `json:"new_terms"`
			Threshold *struct {
				Field       []string `json:"field"`
				Cardinality []struct {
					Field string `json:"field"`
				} `json:"cardinality"`
			} `json:"threshold"`
		} `json:"rule"`
	}
	fields := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	rules := 0
	for sc.Scan() {
		rule.Rule.NewTerms, rule.Rule.Threshold = nil, nil
		if err := json.Unmarshal(sc.Bytes(), &rule); err != nil {
			t.Fatal(err)
		}
		r := rule.Rule
		if r.Language != "kuery" {
			continue
		}
		rules++
		seen := map[string]bool{}
		for _, m := range fieldRE.FindAllStringSubmatch(quotedRE.ReplaceAllString(r.Query, `""`), -1) {
			seen[m[1]] = true
		}
		if r.NewTerms != nil {
			for _, f := range r.NewTerms.Value {
				seen[f] = true
			}
		}
		if r.Threshold != nil {
			for _, f := range r.Threshold.Field {
				seen[f] = true
			}
			for _, c := range r.Threshold.Cardinality {
				seen[c.Field] = true
			}
		}
		for f := range seen {
			fields[f]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rules != 156 {
		t.Errorf("%d kuery rules in the corpus, want 156", rules)
	}
	return fields
}

// TestCorpusFieldsCovered checks that every field used by the kuery rules
// of the Elastic AWS corpus either resolves or is listed by Unavailable()
// with a reason.
func TestCorpusFieldsCovered(t *testing.T) {
	unavailable := map[string]string{}
	for _, m := range Unavailable() {
		unavailable[m.Field] = m.Reason
	}
	fields := corpusFields(t)
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	kinds := map[Kind]int{}
	var missing []string
	for _, f := range names {
		m, err := Resolve(f)
		if err == nil {
			kinds[m.Kind]++
			continue
		}
		reason, listed := unavailable[f]
		if !listed {
			missing = append(missing, f+": "+err.Error())
			continue
		}
		kinds[NotAvailable]++
		t.Logf("unavailable %-45s (%d rules): %s", f, fields[f], reason)
	}
	for _, m := range missing {
		t.Errorf("corpus field neither resolves nor is listed as unavailable: %s", m)
	}
	t.Logf("corpus fields: %d; direct %d, constant %d, derived %d, unavailable %d",
		len(names), kinds[Direct], kinds[Constant], kinds[Derived], kinds[NotAvailable])
	if len(names) != 48 {
		t.Errorf("%d fields found, want 48 (42 in queries, 6 more in new_terms)", len(names))
	}
	if !slices.Contains(names, "aws.cloudtrail.flattened.request_parameters.dryRun") && !slices.Contains(names, "event.action") {
		t.Error("expected fields not extracted")
	}
}
