package eval

import (
	"sync"
	"testing"

	"github.com/detc/detc/jsondoc"
)

// TestSharedConstantsAreReadOnly: the constant values derived fields
// yield (event.outcome's success and failure, the source's constants) are
// shared by every goroutine; reading them must not write (go test -race
// would report any write).
func TestSharedConstantsAreReadOnly(t *testing.T) {
	m, err := Compile(kql(t, `event.outcome: success and data_stream.dataset: aws.cloudtrail`, nil), WithForm(RawCloudTrail))
	if err != nil {
		t.Fatal(err)
	}
	v := constString("fresh")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p jsondoc.Parser
			doc, err := p.Parse(`{"eventName":"ListBuckets"}`)
			if err != nil {
				t.Error(err)
				return
			}
			if !m.Match(doc) {
				t.Error("a record without error code is not a success")
			}
			if v.Type() != jsondoc.TypeString || string(v.GetStringBytes()) != "fresh" {
				t.Error("constString does not read back")
			}
		}()
	}
	wg.Wait()
}
