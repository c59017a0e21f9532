package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/detc/detc/compile"
	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/prove"
	"github.com/detc/detc/rulefile"
	"github.com/detc/detc/source/cloudtrail"
)

func init() {
	var (
		junitPath string
		verbose   bool
	)
	register(&command{
		Name:    "test",
		Summary: "run each rule's test cases through every engine",
		Usage: `Usage: detc test [flags] [PATH...]

Runs the test cases beside each rule (NAME.test.yml next to NAME.yml; the
format is in docs/rules.md) under PATH (default: rules/). Each case holds raw
CloudTrail records, a run time and the alerts the rule must raise then, and
runs through every engine built into this binary:

  eval        the reference evaluator, on the ECS documents that the
              aws.cloudtrail source profile derives from the records
  elastic     the rule read back from its rendered Kibana JSON and evaluated
  cloudwatch  the rendered Logs Insights query run by detc's interpreter
  athena      the rendered SQL run by DuckDB (binaries built with -tags duckdb)

A case fails when any engine's alerts differ from the expected ones. The
exit code is 1 on any failure or invalid rule. --junit writes a JUnit XML
report for CI; under GitHub Actions (GITHUB_ACTIONS=true) failures are also
printed as ::error annotations on the test file's line.

Examples:
  detc test
  detc test rules/aws --junit test-results.xml
  detc test -v rules/aws/dynamodb_table_exported_to_s3.yml`,
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&junitPath, "junit", "", "write a JUnit XML report to this file")
			fs.BoolVarP(&verbose, "verbose", "v", false, "list every case, not only failures")
		},
		Run: func(env *runEnv, args []string) int {
			return runTests(env, pathsOrDefault(args), junitPath, verbose)
		},
	})
}

type ruleTests struct {
	rule    *ir.Rule
	file    string
	results []*prove.CaseResult
	diags   diag.List
}

func runTests(env *runEnv, paths []string, junitPath string, verbose bool) int {
	rules, diags := rulefile.LoadAll(paths, rulefile.Options{})
	diags = append(diags, lintRules(rules, false)...)
	engines := prove.Engines()
	annotate := os.Getenv("GITHUB_ACTIONS") == "true"
	var all []ruleTests
	cases, failed, untested := 0, 0, 0
	for _, r := range rules {
		path := rulefile.TestPathFor(r.File)
		if _, err := os.Stat(path); err != nil {
			untested++
			diags.Add(diag.Diagnostic{Pos: diag.Pos{File: r.File}, Severity: diag.Warning, Code: "no-tests", RuleID: r.ID,
				Msg: "the rule has no test file", Hint: "add " + path + " with a case that alerts and a near miss (docs/rules.md)"})
			continue
		}
		tf, tdiags := rulefile.LoadTests(path, readEventsFile)
		rt := ruleTests{rule: r, file: path, diags: tdiags}
		if tf != nil {
			for _, c := range tf.Cases {
				res := prove.Run(r, c, engines)
				rt.results = append(rt.results, res)
				cases++
				if !res.Pass() {
					failed++
				}
			}
		}
		all = append(all, rt)
		diags = append(diags, tdiags...)
	}
	diags.Sort()
	printDiags(env.Stderr, diags)
	for _, rt := range all {
		for _, res := range rt.results {
			if res.Pass() {
				if verbose {
					fmt.Fprintf(env.Stdout, "ok    %s: %s\n", rt.rule.Name, res.Case.Name)
				}
				continue
			}
			fmt.Fprintf(env.Stdout, "FAIL  %s: %s (%s)\n", rt.rule.Name, res.Case.Name, res.Case.Pos)
			for _, o := range res.Outcomes {
				if o.Pass {
					continue
				}
				msg := failureText(o, res.Want)
				fmt.Fprintf(env.Stdout, "      %s\n", msg)
				if annotate {
					fmt.Fprintf(env.Stdout, "::error file=%s,line=%d,title=%s::%s\n", res.Case.Pos.File, res.Case.Pos.Line,
						ghEscape("detc test: "+rt.rule.Name), ghEscape(res.Case.Name+": "+msg))
				}
			}
		}
	}
	if annotate {
		for _, d := range diags.Errors() {
			fmt.Fprintf(env.Stdout, "::error file=%s,line=%d,col=%d::%s\n", d.Pos.File, d.Pos.Line, d.Pos.Col, ghEscape(d.Error()))
		}
	}
	names := make([]string, len(engines))
	for i, e := range engines {
		names[i] = e.Name
	}
	fmt.Fprintf(env.Stdout, "%d passed, %d failed: %s × %d engines (%s), %s without tests\n",
		cases-failed, failed, plural(cases, "case"), len(engines), strings.Join(names, ", "), plural(untested, "rule"))
	if junitPath != "" {
		if err := writeJUnit(junitPath, all); err != nil {
			fmt.Fprintln(env.Stderr, "detc test:", err)
			return exitFail
		}
	}
	if failed > 0 || diags.HasErrors() {
		return exitFail
	}
	return exitOK
}

func readEventsFile(path string, fn func(raw []byte, line int)) error {
	stats, err := cloudtrail.ReadFile(path, func(rec []byte, line int) error {
		fn(rec, line)
		return nil
	})
	if err != nil {
		return err
	}
	if stats.Unreadable > 0 {
		return fmt.Errorf("%d unreadable records (first: %s)", stats.Unreadable, stats.Bad[0])
	}
	return nil
}

func failureText(o prove.Outcome, want []ir.Alert) string {
	if o.Err != nil {
		return fmt.Sprintf("%s: error: %v", o.Engine, o.Err)
	}
	return fmt.Sprintf("%s: got %s, want %s", o.Engine, alertsText(o.Got), alertsText(want))
}

func alertsText(as []ir.Alert) string {
	if len(as) == 0 {
		return "no alerts"
	}
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return strings.Join(parts, " ")
}

// ghEscape escapes a GitHub Actions workflow-command value.
func ghEscape(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func writeJUnit(path string, all []ruleTests) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		File      string   `xml:"file,attr,omitempty"`
		Line      int      `xml:"line,attr,omitempty"`
		Time      string   `xml:"time,attr"`
		Failure   *failure `xml:"failure,omitempty"`
	}
	type suite struct {
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	type suites struct {
		XMLName xml.Name `xml:"testsuites"`
		Suites  []suite  `xml:"testsuite"`
	}
	var doc suites
	for _, rt := range all {
		s := suite{Name: rt.rule.Name + " (" + rt.rule.ID + ")"}
		for _, res := range rt.results {
			for _, o := range res.Outcomes {
				tc := testcase{Name: res.Case.Name + " [" + o.Engine + "]", Classname: rt.rule.ID, File: rt.file, Line: res.Case.Pos.Line, Time: "0"}
				if !o.Pass {
					msg := failureText(o, res.Want)
					tc.Failure = &failure{Message: msg, Text: msg}
					s.Failures++
				}
				s.Tests++
				s.Cases = append(s.Cases, tc)
			}
		}
		doc.Suites = append(doc.Suites, s)
	}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return compile.WriteFileAtomic(path, append([]byte(xml.Header), append(b, '\n')...))
}
