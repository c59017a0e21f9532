package insights

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// samples loads the five CloudTrail records of the shared samples.
func samples(t testing.TB, name string) []Event {
	t.Helper()
	f, err := os.Open("../../shared/aws/samples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	evs, err := ReadEvents(f)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

var (
	allTime = time.Unix(0, 0)
	farEnd  = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

func run(t *testing.T, evs []Event, q string) Result {
	t.Helper()
	res, err := Run(q, evs, allTime, farEnd)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res
}

// column returns one column of the result, row by row ("<nil>" if absent).
func column(res Result, col string) []string {
	var out []string
	for _, r := range res.Rows {
		v, ok := r[col]
		if !ok {
			v = "<nil>"
		}
		out = append(out, v)
	}
	return out
}

// TestDocumentedExamples runs the AWS CloudTrail sample queries
// (REFERENCE.md §1.8) on the shared samples.
func TestDocumentedExamples(t *testing.T) {
	evs := samples(t, "all_events.ndjson")

	res := run(t, evs, `stats count(*) by eventSource, eventName, awsRegion`)
	if want := []string{"eventSource", "eventName", "awsRegion", "count(*)"}; !slices.Equal(res.Columns, want) {
		t.Errorf("columns %v, want %v", res.Columns, want)
	}
	var groups []string
	for _, r := range res.Rows {
		groups = append(groups, r["eventSource"]+" "+r["eventName"]+" "+r["awsRegion"]+" "+r["count(*)"])
	}
	slices.Sort(groups)
	want := []string{
		"dynamodb.amazonaws.com ExportTableToPointInTime us-east-1 1",
		"dynamodb.amazonaws.com UpdateItem us-west-2 1",
		"ec2.amazonaws.com StartInstances us-east-2 1",
		"signin.amazonaws.com ConsoleLogin us-east-2 1",
		"sts.amazonaws.com AssumeRole us-east-2 1",
	}
	if !slices.Equal(groups, want) {
		t.Errorf("groups\n%v\nwant\n%v", groups, want)
	}

	res = run(t, evs, `filter (eventName="StartInstances" or eventName="StopInstances") and awsRegion="us-east-2"`)
	if len(res.Rows) != 1 || !strings.Contains(res.Rows[0]["@message"], `"i-ebeaf9e2"`) {
		t.Errorf("StartInstances filter: %v", res.Rows)
	}
	if !slices.Equal(res.Columns, []string{"@timestamp", "@message"}) {
		t.Errorf("default columns %v", res.Columns)
	}
	if got := res.Rows[0]["@timestamp"]; got != "2014-03-06 21:22:54.000" {
		t.Errorf("@timestamp shown as %q", got)
	}

	res = run(t, evs, `filter eventName="CreateUser" | fields awsRegion, requestParameters.userName, responseElements.user.arn`)
	if len(res.Rows) != 0 || len(res.Columns) != 3 {
		t.Errorf("CreateUser: %v %v", res.Columns, res.Rows)
	}

	res = run(t, evs, `filter eventName="UpdateItem" and ispresent(errorCode) | stats count(*) by errorCode, errorMessage`)
	if len(res.Rows) != 1 || res.Rows[0]["errorCode"] != "ConditionalCheckFailedException" || res.Rows[0]["count(*)"] != "1" {
		t.Errorf("errorCode stats: %v", res.Rows)
	}

	res = run(t, evs, `fields @timestamp, @message | filter requestParameters.instancesSet.items.0.instanceId="i-ebeaf9e2" | sort @timestamp desc`)
	if len(res.Rows) != 1 {
		t.Errorf("array index field: %v", res.Rows)
	}
}

// TestFilterSemantics pins one documented (or, where AWS is silent, chosen
// and documented) behaviour per case; each row is the eventIDs matched.
func TestFilterSemantics(t *testing.T) {
	evs := samples(t, "all_events.ndjson")
	ids := map[string]string{
		"0d9a5c8e-8a3b-4f51-9a8c-2b6f0e1d4c77": "export",
		"a954451c-c2fc-4561-8aea-7a30ba1fdf52": "update",
		"11ea990b-4678-4bcd-8fbe-625EXAMPLE":   "login",
	}
	name := func(r Row) string {
		if n, ok := ids[r["eventID"]]; ok {
			return n
		}
		if r["eventName"] == "StartInstances" {
			return "start"
		}
		return "assume"
	}
	cases := []struct {
		filter string
		want   string
	}{
		// JSON booleans read as 1 and 0; strings never equal numbers.
		{`readOnly = 0`, "export update"},
		{`managementEvent = 1`, "export"},
		{`readOnly = "false"`, ""},
		{`readOnly = "0"`, ""},
		{`readOnly = false`, ""}, // a bare word is a field name: missing
		// A missing field makes = and != both false.
		{`errorCode = "x"`, ""},
		{`errorCode != "x"`, "update"},
		{`not ispresent(errorCode) or errorCode != "x"`, "assume export login start update"},
		{`not (errorCode = "x")`, "assume export login start update"},
		// Strings: case-sensitive equality, like substring and regex.
		{`eventName = "consolelogin"`, ""},
		{`eventName like "Login"`, "login"},
		{`eventName like "login"`, ""},
		{`eventName like 'Login'`, "login"},
		{`eventName like /(?i)login/`, "login"},
		{`eventName =~ /^Assume/`, "assume"},
		{`eventName not like /Item|Instances/`, "assume export login"},
		{`eventSource like "."`, "assume export login start update"},
		{`eventName in ["UpdateItem", "AssumeRole"]`, "assume update"},
		{`eventName not in ["UpdateItem", "AssumeRole"]`, "export login start"},
		{`errorCode not in ["x"]`, "update"},
		// Numbers compare numerically.
		{`requestParameters.durationSeconds >= 3600`, "assume"},
		{`requestParameters.durationSeconds = 3600`, "assume"},
		{`requestParameters.durationSeconds = "3600"`, ""},
		{`requestParameters.durationSeconds / 60 = 60`, "assume"},
		// Arrays are reached by index only.
		{`resources.0.ARN like ":table/Music"`, "update"},
		{`requestParameters.tags.1.key = "CostCenter"`, "assume"},
		// Backtick-quoted names.
		{"requestParameters.expressionAttributeNames.`#Y` = \"Year\"", "update"},
		{"`eventName` = \"AssumeRole\"", "assume"},
		// Functions.
		{`isIpInSubnet(sourceIPAddress, "192.0.2.0/24")`, "update"},
		{`isIpInSubnet(sourceIPAddress, "81.2.0.0/16") or isIpv4InSubnet(sourceIPAddress, "89.160.20.156/32")`, "assume login"},
		{`tolower(eventName) = "consolelogin"`, "login"},
		{`toupper(awsRegion) = "US-WEST-2"`, "update"},
		{`strcontains(eventName, "Item") = 1`, "update"},
		{`strcontains(eventName, "item", 1)`, "update"},
		{`isempty(errorMessage)`, "assume export start"},
		{`ispresent(userIdentity.userName) and eventName != "StartInstances"`, "login"},
		{`toMillis(@timestamp) > 1590000000000`, "export update"},
		// and binds tighter than or.
		{`eventName = "AssumeRole" or eventName = "UpdateItem" and awsRegion = "x"`, "assume"},
		{`FILTER eventName = "AssumeRole"`, "assume"},
		{`where eventName = "AssumeRole"`, "assume"}, // documented alias
	}
	for _, c := range cases {
		q := c.filter
		if !strings.HasPrefix(q, "FILTER") && !strings.HasPrefix(q, "where") {
			q = "filter " + q
		}
		res := run(t, evs, q+" | fields eventID, eventName")
		var got []string
		for _, r := range res.Rows {
			got = append(got, name(r))
		}
		slices.Sort(got)
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s\n got %q\nwant %q", c.filter, strings.Join(got, " "), c.want)
		}
	}
}

// TestJSONParseAlias reaches array elements through a jsonParse alias.
func TestJSONParseAlias(t *testing.T) {
	evs := samples(t, "all_events.ndjson")
	res := run(t, evs, `fields jsonParse(@message) as e | filter e.requestParameters.tags.0.key = "Email" | display eventName`)
	if got := column(res, "eventName"); !slices.Equal(got, []string{"AssumeRole"}) {
		t.Errorf("got %v", got)
	}
}

// TestTimeWindow checks that StartQuery bounds are inclusive, at second
// granularity, and applied to @timestamp.
func TestTimeWindow(t *testing.T) {
	at := time.Date(2025, 3, 13, 18, 0, 0, 0, time.UTC)
	evs := []Event{
		{Timestamp: at.Add(-time.Second), Message: []byte(`{"n":"before"}`)},
		{Timestamp: at, Message: []byte(`{"n":"start"}`)},
		{Timestamp: at.Add(time.Minute + 500*time.Millisecond), Message: []byte(`{"n":"end"}`)},
		{Timestamp: at.Add(time.Minute + time.Second), Message: []byte(`{"n":"after"}`)},
	}
	res, err := Run(`fields n`, evs, at, at.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got := column(res, "n"); !slices.Equal(got, []string{"end", "start"}) {
		t.Errorf("window kept %v (newest first), want [end start]", got)
	}
}

func TestStatsAggregates(t *testing.T) {
	evs := samples(t, "newterms_scenario.ndjson")
	q := `filter eventName = "ExportTableToPointInTime"
| stats min(toMillis(@timestamp)) as first, max(toMillis(@timestamp)) as last, count(*) as hits,
        earliest(eventID) as firstID, latest(eventID) as lastID, count_distinct(sourceIPAddress) as ips
  by userIdentity.arn
| sort userIdentity.arn`
	res := run(t, evs, q)
	var lines []string
	for _, r := range res.Rows {
		first, last := r["first"], r["last"]
		lines = append(lines, fmt.Sprintf("%s %s %s %s %s",
			r["userIdentity.arn"][strings.LastIndexByte(r["userIdentity.arn"], '/')+1:], r["hits"], r["firstID"], r["lastID"], r["ips"]))
		if first > last {
			t.Errorf("min %s > max %s", first, last)
		}
	}
	want := []string{"alice 2 nt-a-old nt-a-now 1", "bob 2 nt-b-hist nt-b-now 1", "carol 1 nt-c-fail nt-c-fail 1", "dave 2 nt-d-1 nt-d-2 1"}
	slices.Sort(lines)
	if !slices.Equal(lines, want) {
		t.Errorf("groups\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	res2 := run(t, evs, `stats count(*) as n`)
	if res2.Rows[0]["n"] != "7" {
		t.Errorf("count over all events = %v, want 7", res2.Rows)
	}
}

func TestSortLimitDedup(t *testing.T) {
	evs := samples(t, "all_events.ndjson")
	res := run(t, evs, `fields eventName, awsRegion | sort eventName desc | limit 3`)
	got := column(res, "eventName")
	if want := []string{"UpdateItem", "StartInstances", "ExportTableToPointInTime"}; !slices.Equal(got, want) {
		t.Errorf("sort/limit %v, want %v", got, want)
	}
	res = run(t, evs, `fields awsRegion, errorCode | dedup awsRegion`)
	if got := column(res, "awsRegion"); len(got) != 3 {
		t.Errorf("dedup kept %v", got)
	}
	// A null dedup field always keeps the row.
	res = run(t, evs, `fields errorCode | dedup errorCode`)
	if len(res.Rows) != 5 {
		t.Errorf("dedup on a mostly-null field kept %d rows, want 5", len(res.Rows))
	}
}

func TestSyntaxErrors(t *testing.T) {
	cases := []struct{ q, want string }{
		{`filter eventName = "x`, `1:20: unterminated string`},
		{`filter eventName like /x`, `1:23: unterminated regex literal`},
		{`filter x = 1 | stats count(*) | stats count(*) | stats count(*)`, `1:50: a query may hold at most two stats commands`},
		{`filter a not = 1`, "`not` before"},
		{`filter a =~ "x"`, `=~ needs a /regex/ literal`},
		{`filter a in "x"`, `in needs a list`},
		{`filter nosuch(a)`, `unknown or unsupported function nosuch()`},
		{`filter ispresent(tolower(a))`, `ispresent() takes a field name`},
		{`dedup a | sort a`, `only limit may follow dedup`},
		{`sort a, b`, `sort takes one field`},
		{`stats ispresent(a)`, `stats needs aggregate functions`},
		{`filter a like /(/`, `bad regex`},
		{`filter a = 1 |`, `1:`},
	}
	for _, c := range cases {
		_, err := Parse(c.q)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want error containing %q", c.q, err, c.want)
		}
	}
}

func TestRegexLiteralEscapes(t *testing.T) {
	evs := []Event{{Timestamp: time.Unix(1, 0), Message: []byte(`{"p":"a/b.c\\d"}`)}}
	for q, want := range map[string]int{
		`filter p like /a\/b\.c\\d/`: 1,
		`filter p like /a\/bxc/`:     0,
		`filter p like "b.c\\d"`:     1,
		`filter p = 'a/b.c\\d'`:      1,
	} {
		res := run(t, evs, q)
		if len(res.Rows) != want {
			t.Errorf("%s: %d rows, want %d", q, len(res.Rows), want)
		}
	}
}

// TestLiteralsThatLookLikeSyntax is the regression test for string
// literals holding an operator or a keyword, which once matched grammar
// literals.
func TestLiteralsThatLookLikeSyntax(t *testing.T) {
	for _, v := range []string{"-", "and", "|", "not", "(", "like", "*", "in"} {
		msg, _ := json.Marshal(map[string]string{"p": v})
		evs := []Event{{Timestamp: time.Unix(1, 0), Message: msg}}
		q := "filter p = " + strconv.Quote(v) + " and p like " + strconv.Quote(v)
		if res := run(t, evs, q); len(res.Rows) != 1 {
			t.Errorf("%s: %d rows, want 1", q, len(res.Rows))
		}
	}
}

// TestUnnest follows the documented example: one record per list element,
// other fields kept.
func TestUnnest(t *testing.T) {
	evs := []Event{
		{Timestamp: time.Unix(2, 0), Message: []byte(`{"id":"a","events":[{"name":"exception"},{"name":"user action"}]}`)},
		{Timestamp: time.Unix(1, 0), Message: []byte(`{"id":"b","events":{"name":"single"}}`)},
		{Timestamp: time.Unix(1, 0), Message: []byte(`{"id":"c"}`)},
	}
	res := run(t, evs, `fields jsonParse(@message) as json_message | unnest json_message.events into event | display id, event.name`)
	var got []string
	for _, r := range res.Rows {
		got = append(got, r["id"]+":"+r["event.name"])
	}
	if want := []string{"a:exception", "a:user action", "b:single"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	res = run(t, evs, `fields jsonParse(@message) as js | unnest js.events into e | stats count(*) as n by e.name | sort e.name`)
	if len(res.Rows) != 3 || res.Rows[0]["e.name"] != "exception" || res.Rows[0]["n"] != "1" {
		t.Errorf("stats after unnest: %v", res.Rows)
	}
}

func TestParseDate(t *testing.T) {
	evs := []Event{{Timestamp: time.Unix(1, 0), Message: []byte(`{"d":"2025-03-13T17:58:02Z","e":"13/03/2025 17:58:02.250","f":"garbage"}`)}}
	res := run(t, evs, `fields parseDate(d, "yyyy-MM-dd'T'HH:mm:ssX") as a, parseDate(e, "dd/MM/yyyy HH:mm:ss.SSS", "UTC") as b, parseDate(f, "yyyy") as c`)
	r := res.Rows[0]
	if r["a"] != "1741888682000" || r["b"] != "1741888682250" || r["c"] != "" {
		t.Errorf("parseDate: %v", r)
	}
}

// TestNaturalSort reproduces the ascending order the sort command's
// documentation shows.
func TestNaturalSort(t *testing.T) {
	want := []string{"!:", "#", "*%04", "0#", "5A", "111A", "2345_", "@", "@_", "A", "A9876fghj", "a12345hfh", "0"}
	var evs []Event
	for i := len(want) - 1; i >= 0; i-- {
		msg, _ := json.Marshal(map[string]string{"v": want[i]})
		evs = append(evs, Event{Timestamp: time.Unix(int64(i), 0), Message: msg})
	}
	got := column(run(t, evs, `fields v | sort v asc`), "v")
	if !slices.Equal(got, want) {
		t.Errorf("sort v asc:\n got %q\nwant %q", got, want)
	}
	got = column(run(t, evs, `fields v | sort v desc`), "v")
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Errorf("sort v desc:\n got %q\nwant %q", got, want)
	}
}
