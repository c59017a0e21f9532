package cloudwatch

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/insights"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
	"gopkg.in/yaml.v3"
)

func mustLower(t *testing.T, query string, _ any) ir.Expr {
	t.Helper()
	e, diags := lower.Query(query, lower.Options{})
	if diags.HasErrors() {
		t.Fatalf("%q: %v", query, diags)
	}
	return e
}

func queryRule(t *testing.T, kql string) *ir.Rule {
	return &ir.Rule{ID: "r1", Name: "Rule one", Type: ir.Query, From: "now-6m", Expr: mustLower(t, kql, nil)}
}

// filterOf returns the filter command's condition of a rendered query.
func filterOf(t *testing.T, r *ir.Rule) string {
	t.Helper()
	art, err := Render(r, Options{})
	if err != nil {
		t.Fatalf("%s: %v", r.Query, err)
	}
	first, _, _ := strings.Cut(art.Query, "\n| ")
	if !strings.HasPrefix(first, "filter ") {
		return ""
	}
	return strings.TrimPrefix(first, "filter ")
}

// TestRenderedFilters pins the shape of the translation of each construct
// (its meaning is proven in cwproof against the evaluator).
func TestRenderedFilters(t *testing.T) {
	cases := []struct{ kql, want string }{
		{`event.dataset: aws.cloudtrail`, ``},
		{`event.dataset: "aws.other"`, `1 = 0`},
		{`event.action: ExportTableToPointInTime`, `eventName = "ExportTableToPointInTime"`},
		{`not event.action: X`, `(not ispresent(eventName) or eventName != "X")`},
		{`event.action: (A or B)`, `eventName in ["A", "B"]`},
		{`not event.action: (A or B)`, `(not ispresent(eventName) or eventName not in ["A", "B"])`},
		{`aws.cloudtrail.read_only: false`, `readOnly in [0, "false"]`},
		{`aws.cloudtrail.management_event: true`, `managementEvent in ["true", 1]`},
		{`aws.cloudtrail.flattened.request_parameters.durationSeconds: 3600`, `requestParameters.durationSeconds in ["3600", 3600] or requestParameters.durationSeconds.0 in ["3600", 3600] or requestParameters.durationSeconds.1 in ["3600", 3600] or requestParameters.durationSeconds.2 in ["3600", 3600] or requestParameters.durationSeconds.3 in ["3600", 3600] or requestParameters.durationSeconds.4 in ["3600", 3600] or requestParameters.durationSeconds.5 in ["3600", 3600] or requestParameters.durationSeconds.6 in ["3600", 3600] or requestParameters.durationSeconds.7 in ["3600", 3600] or requestParameters.durationSeconds.8 in ["3600", 3600] or requestParameters.durationSeconds.9 in ["3600", 3600]`},
		{`event.action: *Item*`, `eventName like "Item"`},
		{`event.action: Put*`, `eventName like /(?s)^Put.*$/`},
		{`event.action: "a/b.c"`, `eventName = "a/b.c"`},
		{`source.ip: 10.0.0.0/8`, `isIpInSubnet(sourceIPAddress, "10.0.0.0/8")`},
		{`aws.cloudtrail.error_code: *`, `(ispresent(errorCode) and errorCode != "")`},
	}
	for _, c := range cases {
		r := queryRule(t, c.kql)
		r.Query = c.kql
		if got := filterOf(t, r); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.kql, got, c.want)
		}
	}
}

func TestQuoting(t *testing.T) {
	for v, want := range map[string]string{
		`plain`:      `"plain"`,
		`say "hi"`:   `'say "hi"'`,
		`it's "x"`:   ``,
		`back\slash`: ``,
		"new\nline":  ``,
		`a{{b}}`:     ``,
	} {
		got, ok := quoteString(v)
		if want == "" {
			if ok {
				t.Errorf("quoteString(%q) = %s, want no quoted form", v, got)
			}
			continue
		}
		if got != want {
			t.Errorf("quoteString(%q) = %s, want %s", v, got, want)
		}
	}
	if got := wholeValueRegex("it's \"x\"/\\.*\n"); got != `/^it's "x"\/\\\.\*\x{A}$/` {
		t.Errorf("wholeValueRegex = %s", got)
	}
}

func TestUntranslatableNamesRuleFieldTarget(t *testing.T) {
	r := queryRule(t, `event.action: X and source.geo.country_iso_code: US`)
	r.File = "rules/x.yml"
	_, err := Render(r, Options{})
	list, ok := err.(diag.List)
	if !ok || len(list) != 1 {
		t.Fatalf("err = %v", err)
	}
	d := list[0]
	if d.Code != "untranslatable" || d.RuleID != "r1" || d.Key != "source.geo.country_iso_code" ||
		!strings.Contains(d.Msg, "cloudwatch") || !strings.Contains(d.Msg, "GeoIP") || d.Pos.File != "rules/x.yml" {
		t.Errorf("diagnostic %+v", d)
	}
}

func TestQueryTooLong(t *testing.T) {
	var vals []string
	for i := 0; i < 900; i++ {
		vals = append(vals, fmt.Sprintf("SomeLongEventName%d", i))
	}
	r := queryRule(t, `not event.action: (`+strings.Join(vals, " or ")+`) or not cloud.region: (`+strings.Join(vals, " or ")+`)`)
	art, err := Render(r, Options{})
	if err == nil {
		t.Fatalf("no error for a query of %d characters", len(art.Query))
	}
	list, ok := err.(diag.List)
	if !ok || len(list) != 1 || list[0].Code != "query-too-long" || !strings.Contains(list[0].Msg, "rule r1") {
		t.Fatalf("err = %v", err)
	}
}

func TestArtifacts(t *testing.T) {
	at := time.Date(2025, 3, 13, 18, 35, 0, 0, time.UTC)
	r := &ir.Rule{ID: "e8ea6f58-0040", Name: "DynamoDB export / new", Type: ir.NewTerms, From: "now-6m",
		Expr:     mustLower(t, `event.provider: dynamodb.amazonaws.com and event.outcome: success`, nil),
		NewTerms: &ir.NewTermsSpec{Fields: []string{"cloud.account.id", "user.name"}, HistoryWindowStart: "now-14d"}}
	opts := Options{LogGroups: []string{"aws-cloudtrail-logs"}, At: at}
	art, err := Render(r, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := insights.Parse(art.Query); err != nil {
		t.Fatalf("interpreter rejects the query: %v\n%s", err, art.Query)
	}
	if !strings.Contains(art.Query, "filter detcFirstSeen >= (now() - 360) * 1000") ||
		!strings.Contains(art.Query, "coalesce(userIdentity.userName, userIdentity.sessionContext.sessionIssuer.userName) as detcTerm1") {
		t.Errorf("query:\n%s", art.Query)
	}
	var sq struct {
		QueryLanguage string   `json:"queryLanguage"`
		LogGroupNames []string `json:"logGroupNames"`
		StartTime     int64    `json:"startTime"`
		EndTime       int64    `json:"endTime"`
		QueryString   string   `json:"queryString"`
	}
	if err := json.Unmarshal(art.StartQuery, &sq); err != nil {
		t.Fatal(err)
	}
	if sq.StartTime != at.AddDate(0, 0, -14).Unix() || sq.EndTime != at.Unix() || sq.QueryString != art.PinnedQuery ||
		!strings.Contains(sq.QueryString, fmt.Sprintf("filter detcFirstSeen >= %d\n", at.Add(-6*time.Minute).UnixMilli())) ||
		sq.QueryLanguage != "CWLI" || len(sq.LogGroupNames) != 1 {
		t.Errorf("StartQuery %+v", sq)
	}
	var def struct {
		Name, QueryString string
	}
	if err := json.Unmarshal(art.QueryDefinition, &def); err != nil || def.Name != "detc/DynamoDB export   new" || def.QueryString != art.Query {
		t.Errorf("QueryDefinition %s (%v)", art.QueryDefinition, err)
	}
	var cfn struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				QueryString   string   `yaml:"QueryString"`
				LogGroupNames []string `yaml:"LogGroupNames"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(art.CloudFormation, &cfn); err != nil {
		t.Fatal(err)
	}
	res, ok := cfn.Resources["DetcRulee8ea6f580040"]
	if !ok || res.Type != "AWS::Logs::QueryDefinition" || res.Properties.QueryString != art.Query {
		t.Errorf("CloudFormation:\n%s", art.CloudFormation)
	}
	files, diags := Files([]*ir.Rule{r, queryRule(t, `source.as.number: 1`)}, opts)
	if len(files) != 4 || files["cloudwatch/e8ea6f58-0040.cwli"] == nil || len(diags) != 1 || diags[0].RuleID != "r1" {
		t.Errorf("Files: %d files, diags %v", len(files), diags)
	}
}

func TestItemsExpansions(t *testing.T) {
	tr := &translator{}
	got := tr.itemsExpansions(strings.Split("requestParameters.ipPermissions.items.ipRanges.items.cidrIp", "."))
	// Three candidate levels (items, items, the leaf): 2 indexes each.
	if len(got) != 27 || got[0] != "requestParameters.ipPermissions.items.ipRanges.items.cidrIp" ||
		got[len(got)-1] != "requestParameters.ipPermissions.items.1.ipRanges.items.1.cidrIp.1" {
		t.Errorf("expansions %d: %v", len(got), got)
	}
	got = tr.itemsExpansions([]string{"requestParameters", "valuesToAdd"})
	if len(got) != 11 || got[1] != "requestParameters.valuesToAdd.0" || got[10] != "requestParameters.valuesToAdd.9" {
		t.Errorf("a leaf list: %v", got)
	}
}

// TestPresenceTakesAField: ispresent is only ever given a field name.
func TestPresenceTakesAField(t *testing.T) {
	for _, kql := range []string{`event.outcome: *`, `event.outcome: * and not event.outcome: fail*`, `user.name: *`, `source.ip: *`} {
		r := queryRule(t, kql)
		art, err := Render(r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(art.Query, "ispresent(tolower") || strings.Contains(art.Query, "ispresent(coalesce") {
			t.Errorf("%s: ispresent of a computed value:\n%s", kql, art.Query)
		}
	}
}

func TestUnwritableKeys(t *testing.T) {
	for _, key := range []string{"a{{b}}", "a`b"} {
		name := "aws.cloudtrail.flattened.request_parameters." + key
		r := &ir.Rule{ID: "r1", Type: ir.Query, Expr: &ir.Term{Field: ir.Field{Name: name, Type: ir.Keyword}, Value: ir.Value{Text: "x"}}}
		_, err := Render(r, Options{})
		if list, ok := err.(diag.List); !ok || len(list) != 1 || list[0].Code != "untranslatable" || list[0].Key != name {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
