package jsondoc

import (
	"bytes"
	"sync"
	"testing"

	"github.com/detc/detc/internal/ctgen"
	"github.com/valyala/fastjson"
)

var benchLines = sync.OnceValues(func() ([][]byte, error) {
	var buf bytes.Buffer
	err := ctgen.Generate(&buf, 10_000, 1)
	return bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")), err
})

func benchParse(b *testing.B, parse func([]byte) error) {
	lines, err := benchLines()
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			if err := parse(l); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkParse parses 10,000 generated CloudTrail records (about 15 MB)
// one by one; BenchmarkParseFastjson is the same with the parser detc
// used before, in the same run.
func BenchmarkParse(b *testing.B) {
	var p Parser
	benchParse(b, func(l []byte) error { _, err := p.ParseBytes(l); return err })
}

func BenchmarkParseFastjson(b *testing.B) {
	var p fastjson.Parser
	benchParse(b, func(l []byte) error { _, err := p.ParseBytes(l); return err })
}
