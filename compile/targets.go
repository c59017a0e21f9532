package compile

import (
	"errors"

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
