package ctgen

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/detc/detc/source/cloudtrail"
)

func generate(t testing.TB, n int, seed int64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Generate(&b, n, seed); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDeterministic(t *testing.T) {
	a, b := generate(t, 500, 7), generate(t, 500, 7)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different output")
	}
	if bytes.Equal(a, generate(t, 500, 8)) {
		t.Fatal("different seeds, same output")
	}
	// A shorter run is a prefix of a longer one.
	if !bytes.HasPrefix(a, generate(t, 100, 7)) {
		t.Error("the first 100 records depend on n")
	}
}

// TestRecords reads a generated file back through the source profile and
// checks size, validity, time order and the mix of actions.
func TestRecords(t *testing.T) {
	const n = 20000
	data := generate(t, n, 1)
	suspicious := map[string]bool{}
	for _, s := range Suspicious() {
		suspicious[s] = true
	}
	var (
		hits, failures, withResources, services int
		ids                                     = map[string]bool{}
		actors                                  = map[string]bool{}
		last                                    string
		outOfOrder                              int
	)
	st, err := cloudtrail.ReadRecords(bytes.NewReader(data), "gen", func(rec []byte, line int) error {
		doc, err := cloudtrail.ToECS(rec)
		if err != nil {
			return err
		}
		var r struct {
			EventSource, EventName, EventTime, EventID, ErrorCode string
			Resources                                             []json.RawMessage
			UserIdentity                                          struct{ ARN string }
		}
		if err := json.Unmarshal(rec, &r); err != nil {
			return err
		}
		if doc["event"].(map[string]any)["outcome"] == "failure" {
			failures++
		}
		relevant := suspicious[r.EventSource+":"+r.EventName]
		if r.EventName == "PutObject" {
			// Everyday uploads too; the rules look for SSE-C ones.
			relevant = bytes.Contains(rec, []byte("x-amz-server-side-encryption-customer-algorithm"))
		}
		if relevant && r.ErrorCode == "" {
			hits++
		}
		if len(r.Resources) > 0 {
			withResources++
		}
		ids[r.EventID] = true
		actors[r.UserIdentity.ARN] = true
		services++
		if r.EventTime < last {
			outOfOrder++
		}
		last = max(last, r.EventTime)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	avg := float64(len(data)) / n
	rate := float64(hits) / n
	t.Logf("%d records, %.0f bytes average, %.1f%% rule-relevant, %.1f%% failures, %.0f%% with resources, %d actors, %d out of order",
		st.Records, avg, 100*rate, 100*float64(failures)/n, 100*float64(withResources)/n, len(actors), outOfOrder)
	if st.Records != n || st.Unreadable != 0 || len(ids) != n {
		t.Errorf("stats %+v, %d distinct event ids", st, len(ids))
	}
	if avg < 1300 || avg > 1700 {
		t.Errorf("average record size %.0f bytes, want about 1500", avg)
	}
	if rate < 0.04 || rate > 0.06 {
		t.Errorf("rule-relevant share %.3f, want about %.2f", rate, SuspiciousRate)
	}
	if failures < n/50 || failures > n/10 {
		t.Errorf("%d failures of %d", failures, n)
	}
	if len(actors) < 40 || withResources < n/5 {
		t.Errorf("too little variety: %d actors, %d records with resources", len(actors), withResources)
	}
	if outOfOrder == 0 {
		t.Error("event times are strictly ordered; CloudTrail delivery is not")
	}
	if !slices.Contains(Suspicious(), "dynamodb.amazonaws.com:ExportTableToPointInTime") {
		t.Error("the seed rule's action is not generated")
	}
}

func BenchmarkGenerate(b *testing.B) {
	var buf bytes.Buffer
	if err := Generate(&buf, 1000, 1); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Generate(&buf, 1000, 1); err != nil {
			b.Fatal(err)
		}
	}
}
