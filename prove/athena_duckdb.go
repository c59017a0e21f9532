//go:build duckdb

package prove

import "github.com/detc/detc/backends/athena/duckproof"

// With the duckdb build tag, detc test also runs the Athena SQL in DuckDB.
func init() { extraEngines = append(extraEngines, Athena) }

// Athena is the rendered Athena SQL executed by DuckDB over a twin of the
// CloudTrail table.
var Athena = Engine{
	Name:   "athena",
	About:  "the rendered Athena SQL, executed by DuckDB over a twin of the CloudTrail table",
	Alerts: duckproof.Alerts,
}
