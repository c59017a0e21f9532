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
		Summary: "Kibana detection-engine rule JSON and the _import ndjson",
		Render: func(rules []*ir.Rule, _ Options) (map[string][]byte, diag.List) {
			files, err := elastic.Files(rules)
			return files, asDiags(err, "elastic")
		},
	})
	Register(&Target{
		Name:    "elastic-dsl",
		Summary: "the Elasticsearch Query DSL Kibana builds for each query (elastic/dsl/<rule_id>.json)",
		Render: func(rules []*ir.Rule, _ Options) (map[string][]byte, diag.List) {
			files, err := elastic.DSLFiles(rules)
			return files, asDiags(err, "elastic-dsl")
		},
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
