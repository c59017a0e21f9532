package prove

import (
	"time"

	"github.com/detc/detc/backends/cloudwatch/cwproof"
	"github.com/detc/detc/backends/elastic"
	"github.com/detc/detc/backends/elastic/readback"
	"github.com/detc/detc/ir"
)

// ElasticReadBack renders the rule as Kibana JSON, reads the rule back
// from that JSON alone (its query re-parsed, new_terms and threshold taken
// from the emitted fields) and evaluates it like the reference.
var ElasticReadBack = Engine{
	Name:  "elastic",
	About: "the rule read back from its rendered Kibana JSON, evaluated",
	Alerts: func(rule *ir.Rule, raw [][]byte, at time.Time) ([]ir.Alert, error) {
		body, err := elastic.Render(rule)
		if err != nil {
			return nil, err
		}
		back, err := readback.Rule(body)
		if err != nil {
			return nil, err
		}
		return evalAlerts(back, raw, at)
	},
}

// CloudWatch renders the Logs Insights query and runs it with detc's
// independent Logs Insights interpreter over the StartQuery window.
var CloudWatch = Engine{
	Name:   "cloudwatch",
	About:  "the rendered Logs Insights query, run by the insights interpreter",
	Alerts: cwproof.Alerts,
}

// extraEngines are engines that only some builds carry (DuckDB, behind
// the duckdb build tag).
var extraEngines []Engine

// Engines returns every engine this build carries, the reference first.
func Engines() []Engine {
	return append([]Engine{Reference, ElasticReadBack, CloudWatch}, extraEngines...)
}
