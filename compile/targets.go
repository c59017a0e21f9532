package compile

import (
	"errors"

	"github.com/detc/detc/backends/athena"
	"github.com/detc/detc/backends/cloudwatch"
	"github.com/detc/detc/backends/elastic"
	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
)

func init() {
	Register(&Target{
		Name:    "elastic",
		Summary: "Kibana detection-engine rule JSON, the _import ndjson, and (with --format dsl) the Query DSL",
		Render:  renderElastic,
	})
	Register(&Target{
		Name:    "cloudwatch",
		Summary: "CloudWatch Logs Insights queries, StartQuery and PutQueryDefinition requests, CloudFormation",
		Render: func(rules []*ir.Rule, opts Options) (map[string][]byte, diag.List) {
			return cloudwatch.Files(rules, cloudwatch.Options{LogGroups: opts.LogGroups, At: opts.At})
		},
	})
	Register(&Target{
		Name:    "athena",
		Summary: "Athena (Trino) SQL over the CloudTrail table, its DDL, CloudFormation NamedQuery",
		Render: func(rules []*ir.Rule, opts Options) (map[string][]byte, diag.List) {
			return athena.Files(rules, athena.Options{Table: opts.AthenaTable, At: opts.At, Location: opts.AthenaLocation})
		},
	})
}

// ElasticFormats are the forms of the elastic target.
var ElasticFormats = []string{"json", "ndjson", "dsl"}

// renderElastic writes the elastic forms opts.ElasticFormats asks for:
// json (elastic/<rule_id>.json), ndjson (elastic/rules.ndjson), dsl
// (elastic/dsl/<rule_id>.json).
func renderElastic(rules []*ir.Rule, opts Options) (map[string][]byte, diag.List) {
	formats := opts.ElasticFormats
	if len(formats) == 0 {
		formats = []string{"json", "ndjson"}
	}
	want := map[string]bool{}
	for _, f := range formats {
		want[f] = true
	}
	out := map[string][]byte{}
	var diags diag.List
	if want["json"] || want["ndjson"] {
		files, err := elastic.Files(rules)
		diags = append(diags, asDiags(err, "elastic")...)
		for p, b := range files {
			if (p == elastic.ImportFile && want["ndjson"]) || (p != elastic.ImportFile && want["json"]) {
				out[p] = b
			}
		}
	}
	if want["dsl"] {
		files, err := elastic.DSLFiles(rules)
		diags = append(diags, asDiags(err, "elastic")...)
		for p, b := range files {
			out[p] = b
		}
	}
	return out, diags
}

// asDiags turns a backend's error into diagnostics: a diag.List stays as
// it is, anything else becomes one diagnostic naming the target.
func asDiags(err error, target string) diag.List {
	if err == nil {
		return nil
	}
	var l diag.List
	if errors.As(err, &l) {
		return l
	}
	return diag.List{{Code: "render", Msg: target + ": " + err.Error()}}
}
