package insights

import "testing"

// benchEvents repeats the five samples to 1,000 events.
func benchEvents(b *testing.B) ([]Event, int64) {
	base := samples(b, "all_events.ndjson")
	var evs []Event
	var size int64
	for i := 0; len(evs) < 1000; i++ {
		ev := base[i%len(base)]
		evs = append(evs, ev)
		size += int64(len(ev.Message))
	}
	return evs, size
}

const benchQuery = `filter eventSource = "dynamodb.amazonaws.com" and not ispresent(errorCode) and eventName like /Export/
| stats count(*) as n, earliest(eventID) as first by userIdentity.arn`

// BenchmarkRun discovers every event's fields on each run.
func BenchmarkRun(b *testing.B) {
	evs, size := benchEvents(b)
	q, err := Parse(benchQuery)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		q.Run(evs, allTime, farEnd)
	}
}

// BenchmarkRunDataset runs over fields discovered once (NewDataset), as
// the golden suite and the property test do.
func BenchmarkRunDataset(b *testing.B) {
	evs, size := benchEvents(b)
	q, err := Parse(benchQuery)
	if err != nil {
		b.Fatal(err)
	}
	ds := NewDataset(evs)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		q.RunDataset(ds, allTime, farEnd)
	}
}
