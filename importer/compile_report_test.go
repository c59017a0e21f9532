package importer

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/detc/detc/compile"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/rulefile"
)

// TestCorpusCompileReport imports every rule of Elastic's AWS corpus, loads
// each, and compiles it for each target. It prints how many import, load
// and compile per target, and groups the failures by reason. For the AWS
// targets the only acceptable failures are fields that exist only in
// Elastic (enrichments the source profile cannot produce); the test fails
// on any other reason, naming the rules.
func TestCorpusCompileReport(t *testing.T) {
	lines := readCorpus(t)
	var kuery, imported int
	var rules []*ir.Rule
	loadFailures := map[string][]string{}
	for _, l := range lines {
		res := FromTOMLData(l.Doc, l.Path)
		if res.Skipped != "" {
			continue
		}
		kuery++
		imported++
		r, diags := rulefile.Parse(l.Path+".yml", res.YAML, rulefile.Options{})
		if r == nil {
			reason := "load: " + firstCode(diags.Errors().Error())
			loadFailures[reason] = append(loadFailures[reason], res.Name)
			continue
		}
		rules = append(rules, r)
	}
	fmt.Printf("import report: %d kuery AWS rules, %d imported, %d load\n", kuery, imported, len(rules))
	printGroups("  load failures", loadFailures)
	if float64(len(rules)) < 0.95*float64(kuery) {
		t.Errorf("only %d of %d kuery rules import and load; the target is 95%%", len(rules), kuery)
	}
	for _, target := range []string{"elastic", "cloudwatch", "athena"} {
		failures := map[string][]string{}
		ok := 0
		for _, r := range rules {
			_, diags := compile.Run([]*ir.Rule{r}, []string{target}, compile.Options{})
			if errs := diags.Errors(); len(errs) > 0 {
				reason := reasonOf(errs[0].Msg)
				failures[reason] = append(failures[reason], r.Name)
				continue
			}
			ok++
		}
		fmt.Printf("import report: %s compiles %d/%d loaded rules\n", target, ok, len(rules))
		printGroups("  "+target+" failures", failures)
		if target == "elastic" && float64(ok) < 0.95*float64(kuery) {
			t.Errorf("elastic compiles %d of %d kuery rules; the target is 95%%", ok, kuery)
		}
		if target != "elastic" {
			for reason, names := range failures {
				if !elasticOnly.MatchString(reason) {
					t.Errorf("%s: %d rules fail for a reason other than Elastic-only data: %s (%s)", target, len(names), reason, strings.Join(names, "; "))
				}
			}
		}
	}
}

// elasticOnly matches the reasons that name data only Elastic has.
var elasticOnly = regexp.MustCompile(`(?i)enrich|geoip|asn|user agent|user_agent|entity|toString|Map\.toString|pipeline|not produced|cannot produce|not available|unavailable`)

var ruleSpecific = regexp.MustCompile(`"[^"]*"|\brule [0-9a-f-]{36}\b`)

// reasonOf removes the rule-specific parts of a message so failures group.
func reasonOf(msg string) string { return ruleSpecific.ReplaceAllString(msg, `"…"`) }

func firstCode(s string) string {
	if i := strings.Index(s, "error["); i >= 0 {
		s = s[i:]
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return reasonOf(s)
}

func printGroups(title string, groups map[string][]string) {
	if len(groups) == 0 {
		return
	}
	reasons := make([]string, 0, len(groups))
	for r := range groups {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if len(groups[reasons[i]]) != len(groups[reasons[j]]) {
			return len(groups[reasons[i]]) > len(groups[reasons[j]])
		}
		return reasons[i] < reasons[j]
	})
	fmt.Println(title + ":")
	for _, r := range reasons {
		names := groups[r]
		sort.Strings(names)
		fmt.Printf("    %3d × %s\n", len(names), r)
		for _, n := range names {
			fmt.Printf("          - %s\n", n)
		}
	}
}
