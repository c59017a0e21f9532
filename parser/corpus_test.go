package parser

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// sharedDir is the reference data beside the repository (../shared).
var sharedDir = filepath.Join("..", "..", "shared")

// corpusQuery is one line of elastic_rule_queries.jsonl.
type corpusQuery struct {
	Path  string `json:"path"`
	Query string `json:"query"`
}

// loadCorpus reads the 792 KQL queries of Elastic's detection rules.
func loadCorpus(tb testing.TB) []corpusQuery {
	tb.Helper()
	f, err := os.Open(filepath.Join(sharedDir, "corpus", "kql", "elastic_rule_queries.jsonl"))
	if err != nil {
		tb.Fatalf("corpus: %v", err)
	}
	defer f.Close()
	var out []corpusQuery
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		var q corpusQuery
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			tb.Fatalf("corpus line %d: %v", len(out)+1, err)
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestParseCorpus(t *testing.T) {
	corpus := loadCorpus(t)
	if len(corpus) != 792 {
		t.Fatalf("corpus has %d queries, want 792", len(corpus))
	}
	ok := 0
	for _, q := range corpus {
		if _, err := Parse(q.Query); err != nil {
			t.Errorf("%s: %v\n%s", q.Path, err, q.Query)
			continue
		}
		ok++
	}
	summary := fmt.Sprintf("parsed %d/%d Elastic rule queries", ok, len(corpus))
	t.Log(summary)
	fmt.Println(summary)
}
