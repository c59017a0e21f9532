package elastic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/detc/detc/ir"
)

// Our schemas (derived from ../shared/schema, see their $comment) and the
// shared new_terms schema, read in place.
const (
	createSchemaURL = "https://detc.invalid/elastic/rule_create_props.schema.json"
	importSchemaURL = "https://detc.invalid/elastic/rule_import.schema.json"
	sharedNewTerms  = "../../../shared/schema/new_terms_rule_create_props.flattened.schema.json"
)

type schemas struct {
	create, importLine, sharedNewTerms *jsonschema.Schema
}

var (
	schemasOnce   sync.Once
	schemasLoaded schemas
	schemasErr    error
)

// loadSchemas compiles the schemas once per test binary.
func loadSchemas(t testing.TB) schemas {
	t.Helper()
	schemasOnce.Do(func() { schemasLoaded, schemasErr = compileSchemas() })
	if schemasErr != nil {
		t.Fatal(schemasErr)
	}
	return schemasLoaded
}

func compileSchemas() (schemas, error) {
	c := jsonschema.NewCompiler()
	add := func(url, file string) error {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		return c.AddResource(url, doc)
	}
	sharedURL := "https://detc.invalid/shared/new_terms_rule_create_props.flattened.json"
	for url, file := range map[string]string{
		createSchemaURL: filepath.Join("testdata", "schema", "rule_create_props.schema.json"),
		importSchemaURL: filepath.Join("testdata", "schema", "rule_import.schema.json"),
		sharedURL:       sharedNewTerms,
	} {
		if err := add(url, file); err != nil {
			return schemas{}, err
		}
	}
	var s schemas
	var err error
	if s.create, err = c.Compile(createSchemaURL); err != nil {
		return s, err
	}
	if s.importLine, err = c.Compile(importSchemaURL); err != nil {
		return s, err
	}
	s.sharedNewTerms, err = c.Compile(sharedURL)
	return s, err
}

func validate(t testing.TB, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	return s.Validate(v)
}

// sampleRules is every rule the package tests emit: the seed rule, a
// threshold rule, a query rule with every optional key, and a bare one.
func sampleRules() []*ir.Rule {
	full := seedRuleByHand()
	full.ID = "11111111-2222-4333-8444-555555555555"
	full.Type, full.NewTerms = ir.Query, nil
	full.References = []string{"https://docs.aws.amazon.com/"}
	full.FalsePositives = []string{"Backups."}
	full.TimestampOverride = "event.ingested"
	full.To = "now"
	bare := &ir.Rule{
		ID: "00000000-0000-4000-8000-000000000001", Name: "n", Description: "d",
		Type: ir.Query, Severity: "critical", RiskScore: 99, Expr: &ir.MatchAll{},
	}
	return []*ir.Rule{seedRuleByHand(), thresholdRule(), full, bare}
}

func TestEmittedRulesValidate(t *testing.T) {
	s := loadSchemas(t)
	n := 0
	for _, r := range allEmittedRules(t) {
		body, err := Render(r)
		if err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		if err := validate(t, s.create, body); err != nil {
			t.Errorf("%s (%s): create body does not validate:\n%v\n%s", r.ID, r.Type, err, body)
		}
		line, err := RenderImportLine(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, s.importLine, line); err != nil {
			t.Errorf("%s (%s): import line does not validate:\n%v", r.ID, r.Type, err)
		}
		if r.Type == ir.NewTerms {
			if err := validate(t, s.sharedNewTerms, body); err != nil {
				t.Errorf("%s: does not validate against the shared new_terms schema:\n%v", r.ID, err)
			}
		}
		n++
	}
	t.Logf("%d emitted rules validate against the Kibana create and import schemas", n)
}

// TestSchemaRejects shows that the derived schemas are not vacuous: each
// change below breaks a Kibana constraint and must fail validation.
func TestSchemaRejects(t *testing.T) {
	s := loadSchemas(t)
	seed, _ := Render(seedRuleByHand())
	threshold, _ := Render(thresholdRule())
	tests := []struct {
		name   string
		base   []byte
		mutate func(map[string]any)
		schema *jsonschema.Schema
	}{
		{"unknown key", seed, func(m map[string]any) { m["new_terms_field"] = []any{"x"} }, s.create},
		{"no name", seed, func(m map[string]any) { delete(m, "name") }, s.create},
		{"empty description", seed, func(m map[string]any) { m["description"] = "" }, s.create},
		{"risk score above 100", seed, func(m map[string]any) { m["risk_score"] = 101 }, s.create},
		{"severity", seed, func(m map[string]any) { m["severity"] = "info" }, s.create},
		{"four new terms fields", seed, func(m map[string]any) { m["new_terms_fields"] = []any{"a", "b", "c", "d"} }, s.create},
		{"no history window", seed, func(m map[string]any) { delete(m, "history_window_start") }, s.create},
		{"interval", seed, func(m map[string]any) { m["interval"] = "5 minutes" }, s.create},
		{"max_signals 0", seed, func(m map[string]any) { m["max_signals"] = 0 }, s.create},
		{"tactic without reference", seed, func(m map[string]any) {
			delete(m["threat"].([]any)[0].(map[string]any)["tactic"].(map[string]any), "reference")
		}, s.create},
		{"new_terms key on a query rule", seed, func(m map[string]any) { m["type"] = "query" }, s.create},
		{"threshold value 0", threshold, func(m map[string]any) { m["threshold"].(map[string]any)["value"] = 0 }, s.create},
		{"threshold six fields", threshold, func(m map[string]any) {
			m["threshold"].(map[string]any)["field"] = []any{"a", "b", "c", "d", "e", "f"}
		}, s.create},
		{"threshold without query", threshold, func(m map[string]any) { delete(m, "query") }, s.create},
		{"import without rule_id", seed, func(m map[string]any) { delete(m, "rule_id") }, s.importLine},
		{"import without version", seed, func(m map[string]any) { delete(m, "version") }, s.importLine},
		{"import version 0", seed, func(m map[string]any) { m["version"] = 0 }, s.importLine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(tt.base, &m); err != nil {
				t.Fatal(err)
			}
			if err := validate(t, tt.schema, tt.base); err != nil {
				t.Fatalf("the unchanged body fails: %v", err)
			}
			tt.mutate(m)
			data, _ := json.Marshal(m)
			if err := validate(t, tt.schema, data); err == nil {
				t.Errorf("the schema accepts a body with %s", tt.name)
			}
		})
	}
}

// TestSchemaAcceptsRealExport checks the derived schema against Kibana's
// own output: the new_terms rule of a real export, without the keys that
// only a response carries.
func TestSchemaAcceptsRealExport(t *testing.T) {
	s := loadSchemas(t)
	data, err := os.ReadFile("../../../shared/schema/examples/kibana_export_new_terms_rule.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range responseOnlyKeys {
		delete(m, k)
	}
	// An export's required_fields carry "ecs", which create input does not.
	for _, f := range m["required_fields"].([]any) {
		delete(f.(map[string]any), "ecs")
	}
	clean, _ := json.Marshal(m)
	if err := validate(t, s.importLine, clean); err != nil {
		t.Errorf("the real export's rule does not validate as an import line: %v", err)
	}
}

// responseOnlyKeys are keys of a rule export that Kibana's import ignores
// (REFERENCE.md §4) and create input does not define.
var responseOnlyKeys = []string{
	"id", "updated_at", "updated_by", "created_at", "created_by", "revision",
	"immutable", "rule_source", "output_index", "execution_summary",
}

// TestImportLineMatchesRealExport compares our import line with the new_terms
// line of a real Kibana export: every key we write is a key Kibana writes
// for such a rule, with a value of the same JSON type.
func TestImportLineMatchesRealExport(t *testing.T) {
	data, err := os.ReadFile("../../../shared/schema/examples/kibana_export_example.custom-consolidated-rules.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	var export map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] == "new_terms" {
			export = m
			break
		}
	}
	if export == nil {
		t.Fatal("no new_terms rule in the export")
	}
	line, err := RenderImportLine(seedRuleByHand())
	if err != nil {
		t.Fatal(err)
	}
	var ours map[string]any
	if err := json.Unmarshal(line, &ours); err != nil {
		t.Fatal(err)
	}
	for k, v := range ours {
		ev, ok := export[k]
		if !ok {
			if k == "license" || k == "timestamp_override" {
				continue // optional keys this particular export leaves out
			}
			t.Errorf("key %q is not in Kibana's export", k)
			continue
		}
		if jsonKind(v) != jsonKind(ev) {
			t.Errorf("key %q: ours is a %s, Kibana's a %s", k, jsonKind(v), jsonKind(ev))
		}
	}
	for _, k := range []string{"rule_id", "version"} {
		if _, ok := ours[k]; !ok {
			t.Errorf("import line lacks %s", k)
		}
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}

// allEmittedRules is every rule the tests render: the hand-built samples.
func allEmittedRules(t testing.TB) []*ir.Rule {
	t.Helper()
	return sampleRules()
}
