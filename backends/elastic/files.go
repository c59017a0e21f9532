package elastic

import (
	"bytes"
	"errors"
	"path"
	"sort"
	"strings"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
)

// Output paths of Files, relative to the output directory.
const (
	Dir        = "elastic"
	ImportFile = Dir + "/rules.ndjson"
)

// Files renders rules for `detc compile --target elastic`: one create body
// per rule at elastic/<rule_id>.json, and every rule's import line in
// elastic/rules.ndjson, sorted by rule_id so that the file does not depend
// on the order the rules were loaded in.
//
// A rule that cannot be rendered is reported in the returned error (a
// diag.List) and left out; the other rules are still rendered, so the
// caller can report every problem of a run at once. Two rules with the same
// rule_id are an error for both, since Kibana's import would keep only one.
func Files(rules []*ir.Rule) (map[string][]byte, error) {
	out := map[string][]byte{}
	var errs diag.List

	byID := map[string][]*ir.Rule{}
	for _, r := range rules {
		if r != nil {
			byID[r.ID] = append(byID[r.ID], r)
		}
	}

	type line struct {
		id   string
		text []byte
	}
	var lines []line
	for _, r := range rules {
		if r == nil {
			continue
		}
		if same := byID[r.ID]; r.ID != "" && len(same) > 1 {
			var others []string
			for _, o := range same {
				if o != r {
					others = append(others, o.KeyPos("id").String())
				}
			}
			errs.Add(diag.Diagnostic{
				Pos: r.KeyPos("id"), Code: "duplicate-id", RuleID: ruleName(r), Key: "id",
				Msg:  "target " + Target + ": rule_id " + r.ID + " is also used at " + strings.Join(others, ", "),
				Hint: "give every rule its own id (a new UUID)",
			})
			continue
		}
		if r.ID != "" && !safeFileName(r.ID) {
			errs.Add(diag.Diagnostic{
				Pos: r.KeyPos("id"), Code: "untranslatable", RuleID: ruleName(r), Key: "id",
				Msg:  "target " + Target + ": rule_id " + r.ID + " cannot be a file name",
				Hint: "use a UUID as the rule id",
			})
			continue
		}
		body, err := Render(r)
		if err != nil {
			errs = appendErr(errs, r, err)
			continue
		}
		imp, err := RenderImportLine(r)
		if err != nil {
			errs = appendErr(errs, r, err)
			continue
		}
		out[path.Join(Dir, r.ID+".json")] = body
		lines = append(lines, line{r.ID, imp})
	}

	sort.Slice(lines, func(i, j int) bool { return lines[i].id < lines[j].id })
	var nd bytes.Buffer
	for _, l := range lines {
		nd.Write(l.text)
	}
	out[ImportFile] = nd.Bytes()

	if len(errs) > 0 {
		errs.Sort()
		return out, errs
	}
	return out, nil
}

// appendErr adds err to errs, keeping its diagnostics when it is a list.
func appendErr(errs diag.List, r *ir.Rule, err error) diag.List {
	var l diag.List
	if errors.As(err, &l) {
		return append(errs, l...)
	}
	return append(errs, diag.Diagnostic{
		Pos: diag.Pos{File: r.File}, Code: "untranslatable", RuleID: ruleName(r),
		Msg: "target " + Target + ": " + err.Error(),
	})
}

// safeFileName reports whether id can be used as a file name on every
// platform: letters, digits, '-', '_' and '.', not starting with a dot.
func safeFileName(id string) bool {
	if id == "" || id[0] == '.' || len(id) > 200 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// DSLDir holds the Query DSL files of DSLFiles.
const DSLDir = Dir + "/dsl"

// DSLFiles renders each rule's query as Elasticsearch Query DSL at
// elastic/dsl/<rule_id>.json (for `--format dsl`), with the same error
// handling as Files.
func DSLFiles(rules []*ir.Rule) (map[string][]byte, error) {
	out := map[string][]byte{}
	var errs diag.List
	for _, r := range rules {
		if r == nil {
			continue
		}
		if !safeFileName(r.ID) {
			errs.Add(diag.Diagnostic{
				Pos: r.KeyPos("id"), Code: "untranslatable", RuleID: ruleName(r), Key: "id",
				Msg:  "target " + Target + ": rule_id " + r.ID + " cannot be a file name",
				Hint: "use a UUID as the rule id",
			})
			continue
		}
		dsl, err := RenderDSL(r.Expr)
		if err != nil {
			errs = appendErr(errs, r, err)
			continue
		}
		out[path.Join(DSLDir, r.ID+".json")] = dsl
	}
	if len(errs) > 0 {
		errs.Sort()
		return out, errs
	}
	return out, nil
}
