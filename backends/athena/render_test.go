package athena

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
)

func term(name, value string, typ ir.Type) *ir.Term {
	return &ir.Term{Pos: diag.Pos{File: "r.yml", Line: 3, Col: 8}, Field: ir.Field{Name: name, Type: typ}, Value: ir.Value{Text: value}}
}

// TestUntranslatable checks that what the target cannot express is an
// error naming the rule, the field, the target and the reason.
func TestUntranslatable(t *testing.T) {
	cases := []struct {
		expr        ir.Expr
		field, want string
	}{
		{term("source.geo.country_iso_code", "RU", ir.Keyword), "source.geo.country_iso_code", "GeoIP"},
		{term("event.category", "iam", ir.Keyword), "event.category", "lookup table"},
		{term("aws.cloudtrail.management_event", "true", ir.Keyword), "aws.cloudtrail.management_event", "not a column of the Athena CloudTrail table"},
		{term("aws.cloudtrail.flattened.request_parameters", "x", ir.Keyword), "aws.cloudtrail.flattened.request_parameters", "root matches any leaf"},
		{&ir.FreeText{Value: ir.Value{Text: "x"}}, "", "free text"},
		{term("aws.cloudtrail.flattened.request_parameters.a..b", "x", ir.Keyword), "aws.cloudtrail.flattened.request_parameters.a..b", "empty key"},
		{term("user_agent.name", "Chrome", ir.Keyword), "user_agent.name", "user_agent processor"},
	}
	for _, c := range cases {
		rule := &ir.Rule{ID: "rule-1", Type: ir.Query, From: "now-6m", Expr: c.expr, File: "r.yml"}
		_, err := Render(rule, Options{})
		l, ok := err.(diag.List)
		if !ok || len(l) != 1 {
			t.Fatalf("%s: got %v, want one diagnostic", ir.String(c.expr), err)
		}
		d := l[0]
		if d.RuleID != "rule-1" || d.Key != c.field || d.Code != "untranslatable" ||
			!strings.Contains(d.Msg, "athena") || !strings.Contains(d.Msg, c.want) || (c.field != "" && !strings.Contains(d.Msg, c.field)) {
			t.Errorf("%s: diagnostic %q (rule %q key %q), want rule rule-1, key %q, athena and %q in the message", ir.String(c.expr), d.Msg, d.RuleID, d.Key, c.field, c.want)
		}
	}
}

// TestRenderShapes pins the forms the issue asks for.
func TestRenderShapes(t *testing.T) {
	at := time.Date(2025, 3, 13, 18, 35, 0, 0, time.UTC)
	rule := &ir.Rule{ID: "r", Type: ir.Query, From: "now-6m", Expr: &ir.And{X: []ir.Expr{
		term("user_agent.original", "it's", ir.Keyword),
		&ir.Term{Field: ir.Field{Name: "user_agent.original", Type: ir.Keyword}, Value: ir.Value{Text: "a%_\\*", Wildcard: []string{"a%_\\", ""}}},
		&ir.Not{X: term("aws.cloudtrail.error_code", "AccessDenied", ir.Keyword)},
		&ir.Term{Field: ir.Field{Name: "aws.cloudtrail.flattened.request_parameters.a-b", Type: ir.Keyword}, Value: ir.Value{Text: "false"}},
		term("aws.cloudtrail.resources.arn", "x", ir.Keyword),
		term(`aws.cloudtrail.flattened.request_parameters.q"k\`, "v", ir.Keyword),
	}}}
	sql, err := Render(rule, Options{Table: "db.trail", At: at})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"FROM db.trail",
		"useragent = 'it''s'",
		`useragent LIKE 'a\%\_\\%' ESCAPE '\'`,
		"errorcode IS DISTINCT FROM 'AccessDenied'",
		`json_query(requestparameters, 'lax $."a-b"[*][*]' WITH ARRAY WRAPPER)`,
		`i -> json_extract_scalar(json_query(requestparameters, 'lax $."a-b"[*][*]' WITH ARRAY WRAPPER), '$[' || CAST(i - 1 AS VARCHAR) || ']') = 'false'`,
		"cardinality(filter(resources, r -> r.arn = 'x')) > 0",
		`json_query(requestparameters, 'lax $."q""k\"[*][*]' WITH ARRAY WRAPPER)`,
		`"timestamp" >= date_format(TIMESTAMP '2025-03-13 18:35:00 UTC' - INTERVAL '6' MINUTE - INTERVAL '1' DAY, '%Y/%m/%d')`,
		"from_iso8601_timestamp(eventtime) >= TIMESTAMP '2025-03-13 18:35:00 UTC' - INTERVAL '6' MINUTE",
	} {
		if !strings.Contains(sql, want) {
			t.Errorf("SQL lacks %q:\n%s", want, sql)
		}
	}
	sql, err = Render(rule, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sql, "current_timestamp - INTERVAL '6' MINUTE") || strings.Contains(sql, "TIMESTAMP '") {
		t.Errorf("without Options.At, T must be current_timestamp:\n%s", sql)
	}
	if _, err := Render(rule, Options{Table: "x; DROP TABLE y"}); err == nil {
		t.Error("a table name with SQL in it was accepted")
	}
}

// documentedColumns reads the column tree of the documented
// partition-projection DDL: name -> nested names, lower-cased.
func documentedColumns(t *testing.T) []string {
	data, err := os.ReadFile("../../../shared/aws/athena_cloudtrail_ddl.sql")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "CREATE EXTERNAL TABLE cloudtrail_logs_pp(")
	end := strings.Index(text[start:], "PARTITIONED BY")
	return columnPaths(text[start+len("CREATE EXTERNAL TABLE cloudtrail_logs_pp(") : start+end])
}

// columnPaths lists dotted member paths of a Hive column list.
func columnPaths(body string) []string {
	tok := regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*\s*:?|[<>,()]`)
	var out, stack []string
	var last string
	for _, m := range tok.FindAllString(body, -1) {
		m = strings.TrimSpace(m)
		switch {
		case m == "<":
			stack = append(stack, last)
		case m == ">":
			stack = stack[:len(stack)-1]
		case m == "," || m == "(" || m == ")":
		default:
			name := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(m, ":")), " "))
			switch strings.ToUpper(name) {
			case "STRING", "STRUCT", "ARRAY", "MAP":
				continue
			}
			last = name
			var prefix []string
			for _, s := range stack {
				if s != "" {
					prefix = append(prefix, s)
				}
			}
			out = append(out, strings.Join(append(prefix, name), "."))
		}
	}
	return out
}

// TestTableMatchesDocumentation compares our column tree, and the DDL we
// write, with the DDL in the Athena user guide.
func TestTableMatchesDocumentation(t *testing.T) {
	doc := documentedColumns(t)
	ddl, err := TableDDL("cloudtrail_logs_pp", "s3://bucket-name/AWSLogs/111122223333/CloudTrail/us-east-1", "2020/01/01")
	if err != nil {
		t.Fatal(err)
	}
	head := "CREATE EXTERNAL TABLE IF NOT EXISTS cloudtrail_logs_pp ("
	body := ddl[strings.Index(ddl, head)+len(head) : strings.Index(ddl, "PARTITIONED BY")]
	ours := columnPaths(body)
	if strings.Join(doc, " ") != strings.Join(ours, " ") {
		t.Errorf("columns differ from the documented DDL:\n ours %v\n doc  %v", ours, doc)
	}
	if len(doc) < 50 {
		t.Errorf("only %d documented column paths read; the reader is broken", len(doc))
	}
	for _, want := range []string{"PARTITIONED BY (`timestamp` STRING)", "'projection.timestamp.format'='yyyy/MM/dd'",
		"'storage.location.template'='s3://bucket-name/AWSLogs/111122223333/CloudTrail/us-east-1/${timestamp}'"} {
		if !strings.Contains(ddl, want) {
			t.Errorf("DDL lacks %q", want)
		}
	}
	if _, err := TableDDL("t", "s3://b/x'y", "2020/01/01"); err == nil {
		t.Error("a location with a quote was accepted")
	}
}

// TestFiles checks the artefacts: one .sql per rule, the DDL, and a
// CloudFormation template whose QueryString is the rendered SQL.
func TestFiles(t *testing.T) {
	good := &ir.Rule{ID: "11111111-2222-3333-4444-555555555555", Name: "Export", Description: "d", Type: ir.Query, From: "now-6m",
		Expr: term("event.action", "ExportTableToPointInTime", ir.Keyword)}
	bad := &ir.Rule{ID: "bad", Type: ir.Query, From: "now-6m", Expr: term("source.geo.city_name", "x", ir.Keyword)}
	files, errs := Files([]*ir.Rule{good, bad}, Options{})
	if len(errs) != 1 || errs[0].RuleID != "bad" {
		t.Fatalf("diagnostics %v, want one for rule bad", errs)
	}
	sql, err := Render(good, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(files["athena/11111111-2222-3333-4444-555555555555.sql"]); !strings.HasSuffix(got, sql+";\n") {
		t.Errorf("rule file %q does not end with the rendered SQL", got)
	}
	if _, ok := files["athena/bad.sql"]; ok {
		t.Error("an untranslatable rule was written")
	}
	if !strings.HasPrefix(string(files[TableFile]), "-- CloudTrail logs") {
		t.Error("DDL missing")
	}
	var cfn struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				Name        string `yaml:"Name"`
				Database    string `yaml:"Database"`
				QueryString string `yaml:"QueryString"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(files[NamedQueriesCFN], &cfn); err != nil {
		t.Fatal(err)
	}
	res, ok := cfn.Resources["DetcRule11111111222233334444555555555555"]
	if !ok || len(cfn.Resources) != 1 {
		t.Fatalf("resources %v", cfn.Resources)
	}
	if res.Type != "AWS::Athena::NamedQuery" || res.Properties.QueryString != sql+"\n" || res.Properties.Database != "default" || res.Properties.Name != "Export" {
		t.Errorf("named query %+v", res)
	}
	if RuleFile(&ir.Rule{ID: "../../etc/passwd"}) != "athena/.._.._etc_passwd.sql" {
		t.Errorf("RuleFile let a path through: %s", RuleFile(&ir.Rule{ID: "../../etc/passwd"}))
	}
}

// TestFlattenedCardinalityRefused checks that a threshold cardinality on a
// flattened field, which may hold a list, is a clear error.
func TestFlattenedCardinalityRefused(t *testing.T) {
	const f = "aws.cloudtrail.flattened.request_parameters.valuesToAdd"
	rule := &ir.Rule{ID: "rule-1", Type: ir.Threshold, From: "now-6m", Expr: &ir.MatchAll{}, File: "r.yml",
		Threshold: &ir.ThresholdSpec{Fields: []string{"event.action"}, Value: 2, Cardinality: []ir.Cardinality{{Field: f, Value: 2}}}}
	_, err := Render(rule, Options{})
	l, ok := err.(diag.List)
	if !ok || len(l) != 1 || l[0].Code != "untranslatable" || l[0].Key != f || !strings.Contains(l[0].Msg, "distinct count") {
		t.Fatalf("got %v, want one untranslatable diagnostic on %s about the distinct count", err, f)
	}
}
