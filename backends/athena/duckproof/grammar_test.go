package duckproof

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/detc/detc/backends/athena"
	"github.com/detc/detc/ir"
)

// trinoBundle returns the trino-parse bundle. In CI (CI=true) a missing
// node or bundle fails the test; elsewhere it skips, loudly.
func trinoBundle(t *testing.T) string {
	t.Helper()
	bundle, err := TrinoParseBundle(".")
	if err == nil {
		_, err = CheckSQL(bundle, "trino", []string{"SELECT 1"})
	}
	if err != nil {
		msg := "TRINO GRAMMAR CHECK NOT RUN: " + err.Error() + " (tools/trino-parse/install.sh needs node and npm)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bundle
}

// emittedSQL renders every agreement case at a fixed run time and with T
// left as current_timestamp, plus the scenario rule.
func emittedSQL(t *testing.T) map[string]string {
	out := map[string]string{}
	for _, c := range append(agreementCases(), flattenedArrayCases()...) {
		for _, at := range []time.Time{{}, agreeAt} {
			sql, err := athena.Render(c.rule, athena.Options{At: at})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			name := c.name
			if at.IsZero() {
				name += " (current_timestamp)"
			}
			out[name] = sql
		}
	}
	files, errs := athena.Files([]*ir.Rule{
		{ID: "nt", Name: "DynamoDB export", Type: ir.NewTerms, From: "now-6m", Expr: dynamoExport(),
			NewTerms: &ir.NewTermsSpec{Fields: []string{"cloud.account.id", "user.name"}, HistoryWindowStart: "now-14d"}},
	}, athena.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for name, data := range files {
		if strings.HasSuffix(name, ".sql") && name != athena.TableFile {
			out[name] = string(data)
		}
	}
	return out
}

// TestTrinoGrammar parses every emitted statement with dt-sql-parser's
// Trino grammar, and the table DDL with its Hive grammar (Athena runs DDL
// on Hive).
func TestTrinoGrammar(t *testing.T) {
	bundle := trinoBundle(t)
	stmts := emittedSQL(t)
	var names, texts []string
	for n, s := range stmts {
		names = append(names, n)
		texts = append(texts, s)
	}
	results, err := CheckSQL(bundle, "trino", texts)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, errs := range results {
		if len(errs) > 0 {
			t.Errorf("%s: Trino grammar: %+v\n%s", names[i], errs, texts[i])
			bad++
		}
	}
	t.Logf("%d of %d emitted statements parse with the Trino grammar", len(texts)-bad, len(texts))

	ddl, err := athena.TableDDL("cloudtrail_logs_pp", "s3://amzn-s3-demo-bucket/AWSLogs/111122223333/CloudTrail/us-east-1", "2020/01/01")
	if err != nil {
		t.Fatal(err)
	}
	results, err = CheckSQL(bundle, "hive", []string{ddl})
	if err != nil {
		t.Fatal(err)
	}
	if len(results[0]) > 0 {
		t.Errorf("DDL: Hive grammar: %+v\n%s", results[0], ddl)
	}

	// The checker is not a rubber stamp: broken SQL is rejected.
	broken := []string{"SELECT eventid FROM t WHERE eventname = 'x", "SELECT FROM t", "SELECT a FROM t WHERE x LIKE 'a' ESCAPE"}
	results, err = CheckSQL(bundle, "trino", broken)
	if err != nil {
		t.Fatal(err)
	}
	for i, errs := range results {
		if len(errs) == 0 {
			t.Errorf("the Trino grammar accepted broken SQL %q", broken[i])
		}
	}
}

func isCI() bool { return os.Getenv("CI") == "true" }
