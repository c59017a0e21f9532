package elastic_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hexops/autogold/v2"

	"github.com/detc/detc/backends/elastic"
	"github.com/detc/detc/backends/elastic/readback"
	"github.com/detc/detc/importer"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/rulefile"
)

const (
	rulesDir = "../../rules"
	seedFile = "../../rules/aws/dynamodb_table_exported_to_s3.yml"
)

func loadSeed(t *testing.T) *ir.Rule {
	t.Helper()
	rule, diags := rulefile.Load(seedFile, rulefile.Options{})
	if diags.HasErrors() {
		t.Fatalf("seed rule: %v", diags)
	}
	return rule
}

// TestSeedRuleFile renders the seed rule file and compares the body with
// the seed document field by field.
func TestSeedRuleFile(t *testing.T) {
	rule := loadSeed(t)
	out, err := elastic.Render(rule)
	if err != nil {
		t.Fatal(err)
	}
	elastic.CheckSeedFields(t, out, rule)
	for _, want := range []string{"aws.cloudtrail.user_identity.arn", "source.address", "aws.cloudtrail.request_parameters", "aws.cloudtrail.user_identity.access_key_id", "False positive analysis", "Response and remediation"} {
		if !strings.Contains(rule.Note, want) {
			t.Errorf("note lacks %q", want)
		}
	}
}

// TestSeedRuleSnapshot pins the seed rule's create body; `go test -update`
// rewrites testdata/TestSeedRuleSnapshot.golden.
func TestSeedRuleSnapshot(t *testing.T) {
	out, err := elastic.Render(loadSeed(t))
	if err != nil {
		t.Fatal(err)
	}
	autogold.ExpectFile(t, autogold.Raw(out))
}

// TestRuleFiles renders every rule file of rules/: each body and import line
// validates, and each reads back to the same rule.
func TestRuleFiles(t *testing.T) {
	paths, err := rulefile.Discover([]string{rulesDir})
	if err != nil {
		t.Fatal(err)
	}
	rules, diags := rulefile.LoadAll(paths, rulefile.Options{})
	if diags.HasErrors() {
		t.Fatalf("rules/: %v", diags)
	}
	if len(rules) == 0 {
		t.Fatal("no rules in rules/")
	}
	for _, r := range rules {
		checkEmitted(t, r)
	}
	t.Logf("%d rule files render, validate and read back", len(rules))
}

// checkEmitted renders r, validates the body and the import line, and reads
// the body back: the query text is the same, it lowers to an equal
// expression, and the metadata survives.
func checkEmitted(t *testing.T, r *ir.Rule) bool {
	t.Helper()
	body, err := elastic.Render(r)
	if err != nil {
		t.Errorf("%s: %v", r.File, err)
		return false
	}
	ok := true
	if err := elastic.ValidateCreate(t, body); err != nil {
		t.Errorf("%s: create body does not validate: %v", r.File, err)
		ok = false
	}
	line, err := elastic.RenderImportLine(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := elastic.ValidateImport(t, line); err != nil {
		t.Errorf("%s: import line does not validate: %v", r.File, err)
		ok = false
	}
	back, err := readback.Rule(body)
	if err != nil {
		t.Errorf("%s: read back: %v", r.File, err)
		return false
	}
	if back.Query != r.Query {
		t.Errorf("%s: query text changed:\n got %q\nwant %q", r.File, back.Query, r.Query)
		ok = false
	}
	if !ir.Equal(back.Expr, r.Expr) {
		t.Errorf("%s: query does not round-trip:\n got %s\nwant %s", r.File, ir.String(back.Expr), ir.String(r.Expr))
		ok = false
	}
	if want, got := metadata(r), metadata(back); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: metadata does not read back:\n got %+v\nwant %+v", r.File, got, want)
		ok = false
	}
	return ok
}

// metadata is the rule without its expression and file bookkeeping, with
// Kibana's defaults filled in as the renderer writes them and empty lists
// as nil.
func metadata(r *ir.Rule) ir.Rule {
	m := *r
	m.Expr, m.File, m.Keys = nil, "", nil
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&m.Language, elastic.DefaultLanguage)
	def(&m.Interval, elastic.DefaultInterval)
	def(&m.From, elastic.DefaultFrom)
	def(&m.To, elastic.DefaultTo)
	if m.MaxSignals == 0 {
		m.MaxSignals = elastic.DefaultMaxSignals
	}
	if m.Version == 0 {
		m.Version = elastic.DefaultVersion
	}
	for _, l := range []*[]string{&m.Index, &m.Tags, &m.Author, &m.References, &m.FalsePositives} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	if len(m.Threat) == 0 {
		m.Threat = nil
	}
	if m.Threshold != nil && len(m.Threshold.Fields) == 0 {
		th := *m.Threshold
		th.Fields = nil
		m.Threshold = &th
	}
	return m
}

// TestElasticAWSRules renders every kuery AWS rule of Elastic's
// detection-rules (imported to detc YAML by the importer, then loaded as a
// rule file): each validates and reads back.
func TestElasticAWSRules(t *testing.T) {
	f, err := os.Open("../../../shared/corpus/rules/elastic_aws_rules.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	imported, loaded, good := 0, 0, 0
	byType := map[ir.RuleType]int{}
	for sc.Scan() {
		var doc map[string]any
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		path, _ := doc["path"].(string)
		res := importer.FromTOMLData(doc, path)
		if !res.OK() {
			continue
		}
		imported++
		r, diags := rulefile.Parse(filepath.Base(path)+".yml", res.YAML, rulefile.Options{})
		if diags.HasErrors() {
			continue // the importer's and rulefile's own tests cover these
		}
		loaded++
		if checkEmitted(t, r) {
			good++
			byType[r.Type]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Elastic AWS rules: %d imported, %d load, %d render, validate and read back (%v)", imported, loaded, good, byType)
	if loaded == 0 || good != loaded {
		t.Errorf("%d of %d loaded rules fail", loaded-good, loaded)
	}
}
