package insights

import (
	"testing"
	"time"
)

// FuzzParse: any text either fails to parse with a SyntaxError or runs
// without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`stats count(*) by eventSource, eventName, awsRegion`,
		`filter (eventName="StartInstances" or eventName="StopInstances") and awsRegion="us-east-2"`,
		`fields @timestamp, @message | filter requestParameters.instancesSet.items.0.instanceId="i-abcde123" | sort @timestamp desc`,
		`filter a like /x\/y/ and b not in ["a", 'b', 1] | limit 5`,
		"fields jsonParse(@message) as e | unnest e.resources into r | display r.ARN",
		`filter parseDate(d, "yyyy-MM-dd'T'HH:mm:ssX") < (now() - 60) * 1000`,
		"filter `weird-name` = \"x\" # comment",
	} {
		f.Add(s)
	}
	ev := []Event{{Timestamp: time.Unix(5, 0), Message: []byte(`{"a":"x","b":1,"d":"2025-01-01T00:00:00Z","resources":[{"ARN":"y"}]}`)}}
	f.Fuzz(func(t *testing.T, src string) {
		q, err := Parse(src)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("Parse(%q): error %T is not a *SyntaxError: %v", src, err, err)
			}
			return
		}
		q.Run(ev, time.Unix(0, 0), time.Unix(10, 0))
	})
}
