package lint

import (
	"slices"
	"strings"
	"testing"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
)

// Builders for hand-written expressions. Each leaf gets a distinct line so
// that a test can tell which clause a warning points at.

var line int

func pos() diag.Pos { line++; return diag.Pos{Line: line, Col: 3} }

func term(field, value string) *ir.Term {
	return &ir.Term{Pos: pos(), Field: ir.Field{Name: field, Type: ir.Keyword}, Value: ir.Value{Text: value}}
}

// pattern is a wildcard term; stars split the pieces.
func pattern(field, value string) *ir.Term {
	return &ir.Term{Pos: pos(), Field: ir.Field{Name: field, Type: ir.Keyword},
		Value: ir.Value{Text: value, Wildcard: strings.Split(value, "*")}}
}

func exists(field string) *ir.Exists {
	return &ir.Exists{Pos: pos(), Field: ir.Field{Name: field, Type: ir.Keyword}}
}

func and(x ...ir.Expr) *ir.And { return &ir.And{Pos: x[0].Position(), X: x} }
func or(x ...ir.Expr) *ir.Or   { return &ir.Or{Pos: x[0].Position(), X: x} }
func not(x ir.Expr) *ir.Not    { return &ir.Not{Pos: x.Position(), X: x} }

func provider(v string) *ir.Term { return term("event.provider", v) }
func action(v string) *ir.Term   { return term("event.action", v) }
func param(p, v string) *ir.Term {
	return term("aws.cloudtrail.flattened.request_parameters."+p, v)
}

func rule(e ir.Expr) *ir.Rule {
	return &ir.Rule{ID: "r1", File: "rules/aws/x.yml", Expr: e}
}

// TestSeedRule: the seed rule's one defect, at its clause, with the
// parameters the API has (as listed in issue 9 from the API reference).
func TestSeedRule(t *testing.T) {
	dry := &ir.Term{Pos: diag.Pos{Line: 16, Col: 7},
		Field: ir.Field{Name: "aws.cloudtrail.flattened.request_parameters.dryRun", Type: ir.Boolean},
		Value: ir.Value{Text: "false"}}
	e := and(term("event.dataset", "aws.cloudtrail"), provider("dynamodb.amazonaws.com"),
		action("ExportTableToPointInTime"), dry)
	got := Check(rule(e))
	if len(got) != 1 {
		t.Fatalf("got %d diagnostics, want 1: %v", len(got), got)
	}
	d := got[0]
	if d.Code != CodeUnknownParameter || d.Severity != diag.Warning || d.RuleID != "r1" {
		t.Errorf("diagnostic = %+v", d)
	}
	if want := (diag.Pos{File: "rules/aws/x.yml", Line: 16, Col: 7}); d.Pos != want {
		t.Errorf("pos = %v, want %v", d.Pos, want)
	}
	for _, p := range []string{"tableArn", "exportTime", "clientToken", "s3Bucket", "s3BucketOwner", "s3Prefix",
		"s3SseAlgorithm", "s3SseKmsKeyId", "exportFormat", "exportType", "incrementalExportSpecification"} {
		if !strings.Contains(d.Msg, p) {
			t.Errorf("message lacks parameter %s: %s", p, d.Msg)
		}
	}
	for _, s := range []string{`"dryRun"`, "ExportTableToPointInTime", "can never be true"} {
		if !strings.Contains(d.Msg, s) {
			t.Errorf("message lacks %q: %s", s, d.Msg)
		}
	}
}

func TestUnknownOperation(t *testing.T) {
	typo := action("ExportTableToPointIntime")
	e := and(provider("dynamodb.amazonaws.com"), typo, param("dryRun", "false"))
	got := Check(rule(e))
	// The parameter is not judged against an operation that does not exist.
	if len(got) != 1 || got[0].Code != CodeUnknownOperation {
		t.Fatalf("got %v", got)
	}
	if got[0].Pos.Line != typo.Pos.Line {
		t.Errorf("pos %v, want line %d", got[0].Pos, typo.Pos.Line)
	}
	if !strings.HasPrefix(got[0].Hint, `did you mean "ExportTableToPointInTime"?`) {
		t.Errorf("hint = %q", got[0].Hint)
	}
}

// codes runs Check and returns the codes with the lines they point at.
func codes(e ir.Expr) []string {
	var out []string
	for _, d := range Check(rule(e)) {
		out = append(out, d.Code+"@"+strings.TrimPrefix(d.Pos.String(), "rules/aws/x.yml:"))
	}
	return out
}

func at(code string, x ir.Expr) string {
	p := x.Position()
	return code + "@" + strings.TrimPrefix(p.String(), "")
}

func TestLogic(t *testing.T) {
	ddb := "dynamodb.amazonaws.com"
	type tc struct {
		name string
		e    ir.Expr
		want func() []string
	}
	var cases []tc
	add := func(name string, e ir.Expr, want ...ir.Expr) {
		cases = append(cases, tc{name, e, func() []string {
			var out []string
			for _, w := range want {
				code := CodeUnknownParameter
				if t, ok := w.(*ir.Term); ok && t.Field.Name == "event.action" {
					code = CodeUnknownOperation
				}
				out = append(out, at(code, w))
			}
			return out
		}})
	}

	add("existing parameter, other case", and(provider(ddb), action("ExportTableToPointInTime"), param("TableArn", "x")))
	add("parameter under not is true on every event",
		and(provider(ddb), action("ExportTableToPointInTime"), not(param("dryRun", "true"))))
	p := param("dryRun", "true")
	add("double negation is positive", and(provider(ddb), action("ExportTableToPointInTime"), not(not(p))), p)
	add("one of the actions has it", and(provider(ddb), or(action("ExportTableToPointInTime"), action("Scan")), param("tableName", "t")))
	p = param("exportTime", "x")
	add("none of the actions has it", and(provider(ddb), or(action("Scan"), action("GetItem")), p), p)
	add("an unchecked provider among the alternatives",
		and(or(provider(ddb), provider("s3.amazonaws.com")), action("GetObject"), param("exportTime", "x")))
	add("provider without action: every operation counts", and(provider(ddb), param("tableName", "x")))
	p = param("noSuchParameterAnywhere", "x")
	add("provider without action, unknown everywhere", and(provider(ddb), p), p)
	add("no provider", and(action("ExportTableToPointInTime"), param("dryRun", "x")))
	add("contradictory providers", and(provider(ddb), provider("kms.amazonaws.com"), param("dryRun", "x")))
	p = param("keyId", "x")
	add("per-branch context",
		or(and(provider(ddb), action("Scan"), param("tableName", "x")),
			and(provider(ddb), action("GetItem"), p)), p)
	add("per-branch context, other branch has it",
		and(provider(ddb), or(and(action("Scan"), param("segment", "1")), and(action("GetItem"), param("consistentRead", "true")))))
	add("action or-ed with the parameter test is no constraint",
		and(provider(ddb), or(action("Scan"), param("exportTime", "x"))))
	add("ec2 parameters are not checked", and(provider("ec2.amazonaws.com"), action("DescribeImages"), param("includeDeprecated", "true")))
	a := action("DescribeImagez")
	add("ec2 operations are", and(provider("ec2.amazonaws.com"), a), a)
	a = action("ReplaceIamInstanceProfile")
	add("start of an operation name", and(provider("ec2.amazonaws.com"), a), a)
	a = action("describeimages")
	add("eventName is case-sensitive", and(provider("ec2.amazonaws.com"), a), a)
	add("a name far from every operation may be a service event",
		and(provider("backup.amazonaws.com"), action("BackupJobCompleted")))
	add("lambda version suffix", and(provider("lambda.amazonaws.com"), action("CreateFunction20150331")))
	add("unknown eventSource", and(provider("signin.amazonaws.com"), action("ConsoleLoginn")))
	add("CloudTrail's own keys", and(provider("kms.amazonaws.com"), param("reason", "requestParameters too large"), param("omitted", "true")))
	a = action("DescribeOrgnanizationalUnit")
	add("typo checked against every provider",
		and(or(provider("organizations.amazonaws.com"), provider("iam.amazonaws.com")), or(action("ListRoots"), a)), a)
	add("action of the other provider", and(or(provider("organizations.amazonaws.com"), provider("iam.amazonaws.com")), action("ListUsers")))
	e := &ir.Exists{Pos: pos(), Field: ir.Field{Name: "aws.cloudtrail.flattened.request_parameters.dryRun"}}
	add("exists test", and(provider(ddb), action("Scan"), e), e)
	r := &ir.Range{Pos: pos(), Field: ir.Field{Name: "aws.cloudtrail.flattened.request_parameters.limit", Type: ir.Number}, Op: ir.Gt, Value: ir.Value{Text: "5"}}
	add("range on an existing parameter", and(provider(ddb), action("Scan"), r))
	add("nested path checks the first key", and(provider(ddb), action("ExportTableToPointInTime"),
		exists("aws.cloudtrail.flattened.request_parameters.incrementalExportSpecification.exportViewType")))
	// Export* leaves every dynamodb operation possible: Scan has tableName.
	add("wildcard value on action is no constraint", and(provider(ddb), pattern("event.action", "Export*"), param("tableName", "x")))
	p = param("keyId", "x")
	add("wildcard value on action, unknown everywhere", and(provider(ddb), pattern("event.action", "Export*"), p), p)

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, want := codes(c.e), c.want()
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v (%s)", got, want, Check(rule(c.e)))
			}
		})
	}
}

func TestPattern(t *testing.T) {
	kms := "kms.amazonaws.com"
	sp := "aws.cloudtrail.request_parameters"
	bogus := pattern(sp, "*bogusKey=*")
	cases := []struct {
		name string
		e    ir.Expr
		want int
	}{
		{"existing key", and(provider(kms), action("DisableKey"), pattern(sp, "*keyId=*")), 0},
		{"missing key", and(provider(kms), action("DisableKey"), bogus), 1},
		{"missing key under not", and(provider(kms), action("DisableKey"), not(pattern(sp, "*bogusKey=*"))), 0},
		{"suffix of an existing key", and(provider(kms), action("DisableKey"), pattern(sp, "*Id=*")), 0},
		{"no key named", and(provider(kms), action("DisableKey"), pattern(sp, "*alias/secret*")), 0},
		// SendCommand has a map (Parameters): any key may appear in it.
		{"open keys", and(provider("ssm.amazonaws.com"), action("SendCommand"), pattern(sp, "*bogusKey=*")), 0},
		{"nested member", and(provider("dynamodb.amazonaws.com"), action("ExportTableToPointInTime"), pattern(sp, "*exportViewType=NEW_IMAGE*")), 0},
	}
	for _, c := range cases {
		got := Check(rule(c.e))
		if len(got) != c.want {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
	got := Check(rule(and(provider(kms), action("DisableKey"), bogus)))
	if len(got) == 1 && (got[0].Pos.Line != bogus.Pos.Line || !strings.Contains(got[0].Msg, `"bogusKey"`) || !strings.Contains(got[0].Msg, "keyId")) {
		t.Errorf("diagnostic = %v", got[0])
	}
}

func TestPatternKeys(t *testing.T) {
	cases := []struct {
		pattern string
		want    []patternKey
	}{
		{"*add=*", []patternKey{{"add", true}}},
		{"*logging*enabled=false*", []patternKey{{"enabled", true}}},
		{"*{attribute=userData*", []patternKey{{"attribute", false}}},
		{"*, name=x, other=y*", []patternKey{{"name", false}, {"other", false}}},
		{"*a.b=*", nil},                // not a key start
		{"*AdministratorAccess*", nil}, // no key
		{"*=x*", nil},
	}
	for _, c := range cases {
		if got := patternKeys(strings.Split(c.pattern, "*")); !slices.Equal(got, c.want) {
			t.Errorf("patternKeys(%q) = %v, want %v", c.pattern, got, c.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	ops := []string{"CreateCacheSecurityGroup", "DescribeOrganization", "DescribeOrganizationalUnit", "Scan", "PutEventSelectors"}
	cases := map[string]string{
		"Create Cache Security Group":    "CreateCacheSecurityGroup",
		"CreateCacheSecurityGroupResult": "",
		"DescribeOrganizationalUnitt":    "DescribeOrganizationalUnit",
		"CreateCacheGroup":               "",
		"CreateSecurityCacheGroup":       "",
		"CreateCache":                    "CreateCacheSecurityGroup",
		"Create":                         "",
		"DescribeOrgnanizationalUnit":    "DescribeOrganizationalUnit",
		"scan":                           "Scan",
		"Query":                          "",
	}
	for in, want := range cases {
		if got := suggest(in, ops); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"PutAdvancedEventSelectors": "PutEventSelectors",
		"PutEventSelectorsAdvanced": "",
		"AdvancedPutEventSelectors": "",
	} {
		if got := suggest(in, ops); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if got := camelWords("CreateIPSet"); !slices.Equal(got, []string{"create", "ip", "set"}) {
		t.Errorf("camelWords = %q", got)
	}
}

func TestServiceEvent(t *testing.T) {
	kms := "kms.amazonaws.com"
	// DeleteKey is no KMS API operation, but CloudTrail logs it when a
	// scheduled deletion completes.
	if got := Check(rule(and(provider(kms), action("DeleteKey"), param("keyId", "x")))); len(got) != 0 {
		t.Errorf("service event: %v", got)
	}
	// Its parameters are unknown, so a provider-wide test stays quiet too.
	if got := Check(rule(and(provider(kms), param("noSuchKey", "x")))); len(got) != 0 {
		t.Errorf("provider-wide test with service events: %v", got)
	}
}
