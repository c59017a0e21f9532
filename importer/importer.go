// Package importer turns Elastic detection rules (detection-rules TOML files
// and Kibana `_export` ndjson) into detc's YAML rule files.
package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Result is the outcome of importing one rule.
type Result struct {
	// Source names where the rule came from: a file, with ":N" for the
	// line of an ndjson export.
	Source string
	// RuleID and Name identify the rule when the input has them.
	RuleID, Name string
	// FileName is a suggested file name for the YAML ("name.yml"): the TOML
	// file's base name, or the rule name in snake case for a Kibana export.
	FileName string
	// YAML is the rule file; nil when the rule was skipped.
	YAML []byte
	// Skipped says why the rule was not imported; empty when it was.
	Skipped string
	// Dropped lists the input keys that have no counterpart in detc's rule
	// format and were left out, each with what that means for the rule.
	Dropped []string
}

// OK reports whether the rule was imported.
func (r Result) OK() bool { return r.Skipped == "" }

// Skip reasons, stable so that reports can group by them.
const (
	SkipLanguage    = "query language is not KQL"
	SkipType        = "rule type is not supported"
	SkipFilters     = "filters other than phrase/exists cannot be folded into the query"
	SkipMissing     = "a required key is missing"
	SkipNotRule     = "not a detection rule"
	SkipMalformed   = "malformed value"
	SkipInputFormat = "unreadable input"
)

// File imports every rule of a file: a detection-rules TOML file (.toml), a
// Kibana export (.ndjson, one rule or other saved object per line) or a
// single Kibana rule (.json). An error means the file could not be read at
// all; problems with single rules are in the results.
func File(path string) ([]Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".toml":
		return []Result{FromTOML(data, path)}, nil
	case ".ndjson", ".jsonl":
		return FromNDJSON(bytes.NewReader(data), path)
	case ".json":
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		return []Result{FromKibana(m, path)}, nil
	}
	return nil, fmt.Errorf("%s: unknown file type %q (want .toml, .ndjson or .json)", path, filepath.Ext(path))
}

// FromTOML imports a detection-rules TOML file.
func FromTOML(data []byte, source string) Result {
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return Result{Source: source, Skipped: SkipInputFormat, Dropped: []string{err.Error()}}
	}
	return FromTOMLData(doc, source)
}

// FromTOMLData imports a detection-rules rule given as the decoded TOML
// document: a map with "metadata" and "rule" tables (the shape of
// corpus/rules/elastic_aws_rules.jsonl lines, where numbers are float64).
func FromTOMLData(doc map[string]any, source string) Result {
	rule, ok := doc["rule"].(map[string]any)
	if !ok {
		return Result{Source: source, Skipped: SkipNotRule, Dropped: []string{"no [rule] table"}}
	}
	api := map[string]any{}
	for k, v := range rule {
		api[k] = v
	}
	// The TOML-only new_terms shape: {field = "new_terms_fields", value =
	// [...], history_window_start = [{field, value}]}.
	if nt, ok := rule["new_terms"].(map[string]any); ok {
		delete(api, "new_terms")
		if f, _ := nt["field"].(string); f == "new_terms_fields" {
			api["new_terms_fields"] = nt["value"]
		}
		for _, h := range asList(nt["history_window_start"]) {
			if hm, ok := h.(map[string]any); ok && hm["field"] == "history_window_start" {
				api["history_window_start"] = hm["value"]
			}
		}
	}
	r := fromAPI(api, source)
	if _, ok := doc["transform"]; ok && r.OK() {
		r.Dropped = append(r.Dropped, droppedWhy["transform"])
	}
	base := filepath.Base(source)
	if strings.HasSuffix(strings.ToLower(base), ".toml") {
		r.FileName = strings.TrimSuffix(base, filepath.Ext(base)) + ".yml"
	}
	return r
}

// FromNDJSON imports a Kibana export: each line that is a detection rule
// becomes a result; exception lists, connectors and the export summary are
// reported as skipped.
func FromNDJSON(rd io.Reader, source string) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		src := fmt.Sprintf("%s:%d", source, line)
		var m map[string]any
		if err := json.Unmarshal(text, &m); err != nil {
			out = append(out, Result{Source: src, Skipped: SkipInputFormat, Dropped: []string{err.Error()}})
			continue
		}
		out = append(out, FromKibana(m, src))
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("%s: %v", source, err)
	}
	return out, nil
}

// FromKibana imports one rule in Kibana's API shape (an `_export` line or a
// create body).
func FromKibana(m map[string]any, source string) Result {
	if _, ok := m["rule_id"]; !ok {
		what := "saved object"
		switch {
		case m["item_id"] != nil:
			what = "exception list item"
		case m["list_id"] != nil:
			what = "exception list"
		case m["exported_count"] != nil:
			what = "export summary"
		case m["attributes"] != nil && m["type"] == "action":
			what = "action connector"
		case m["type"] != nil:
			what = fmt.Sprintf("saved object of type %v", m["type"])
		}
		return Result{Source: source, Skipped: SkipNotRule, Dropped: []string{what}}
	}
	r := fromAPI(m, source)
	if r.Name != "" {
		r.FileName = snakeCase(r.Name) + ".yml"
	}
	return r
}

// fromAPI converts a rule in Kibana's API shape (new_terms_fields,
// history_window_start and threshold at the top level) to YAML.
func fromAPI(m map[string]any, source string) Result {
	r := Result{Source: source}
	r.RuleID, _ = m["rule_id"].(string)
	r.Name, _ = m["name"].(string)
	typ, _ := m["type"].(string)
	lang, _ := m["language"].(string)
	switch {
	case typ == "eql" || typ == "esql" || lang == "eql" || lang == "esql" || lang == "lucene":
		if lang == "" {
			lang = typ
		}
		r.Skipped = SkipLanguage
		r.Dropped = append(r.Dropped, "language "+lang)
		return r
	case typ != "query" && typ != "new_terms" && typ != "threshold":
		r.Skipped = SkipType
		r.Dropped = append(r.Dropped, "type "+typ)
		return r
	}
	for _, k := range []string{"rule_id", "name", "description", "query", "severity", "risk_score"} {
		if _, ok := m[k]; !ok {
			r.Skipped = SkipMissing
			r.Dropped = append(r.Dropped, "key "+k)
			return r
		}
	}
	b := &builder{src: m, result: &r}
	doc := b.build(typ)
	if r.Skipped != "" {
		return r
	}
	var buf bytes.Buffer
	buf.WriteString(header(source))
	enc := newEncoder(&buf)
	if err := enc.Encode(doc); err != nil {
		r.Skipped = SkipMalformed
		r.Dropped = append(r.Dropped, err.Error())
		return r
	}
	r.YAML = buf.Bytes()
	sort.Strings(r.Dropped)
	return r
}

// header is the comment that opens an imported file.
func header(source string) string {
	return "# Imported by `detc import elastic` from " + filepath.Base(source) + ".\n"
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// snakeCase makes a file name from a rule name: "AWS S3 Bucket Deleted" →
// "aws_s3_bucket_deleted".
func snakeCase(name string) string {
	s := strings.Trim(nonWord.ReplaceAllString(strings.ToLower(name), "_"), "_")
	if s == "" {
		s = "rule"
	}
	if len(s) > 100 {
		s = strings.TrimRight(s[:100], "_")
	}
	return s
}

func asList(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case []map[string]any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = x
		}
		return out
	case []string:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = x
		}
		return out
	case nil:
		return nil
	}
	return []any{v}
}

// FileNames returns a distinct file name for each imported result (empty for
// skipped ones): the suggested FileName, with the rule id's first eight
// characters appended when two rules would share a name.
func FileNames(results []Result) []string {
	names := make([]string, len(results))
	seen := map[string]bool{}
	for i, r := range results {
		if !r.OK() {
			continue
		}
		name := r.FileName
		if name == "" {
			name = "rule.yml"
		}
		if seen[name] {
			id := strings.ReplaceAll(r.RuleID, "-", "")
			if len(id) > 8 {
				id = id[:8]
			}
			name = strings.TrimSuffix(name, ".yml") + "_" + id + ".yml"
			for n := 2; seen[name]; n++ {
				name = fmt.Sprintf("%s_%d.yml", strings.TrimSuffix(r.FileName, ".yml"), n)
			}
		}
		seen[name] = true
		names[i] = name
	}
	return names
}
