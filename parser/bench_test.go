package parser

import (
	"testing"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// corpusBench runs parse over the 792 corpus queries per iteration and
// reports queries per second.
func corpusBench(b *testing.B, parse func(string) error) {
	corpus := loadCorpus(b)
	size := 0
	for _, q := range corpus {
		size += len(q.Query)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, q := range corpus {
			if err := parse(q.Query); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(corpus))/b.Elapsed().Seconds(), "queries/s")
}

// BenchmarkParseCorpus is Parse (lex, participle, AST) over the corpus.
func BenchmarkParseCorpus(b *testing.B) {
	corpus := func(q string) error {
		_, err := Parse(q)
		return err
	}
	b.Run("Parse", func(b *testing.B) { corpusBench(b, corpus) })
	// Baselines in the same run:
	// LexOnly is the hand-written lexer alone: the floor under Parse.
	b.Run("LexOnly", func(b *testing.B) {
		corpusBench(b, func(q string) error {
			lx := &lexState{src: q, line: 1, col: 1, operand: true}
			for {
				t, err := lx.Next()
				if err != nil || t.Type == tokEOF {
					return err
				}
			}
		})
	})
	// KibanaShaped is participle with the grammar written rule for rule as
	// Kibana's (SubQuery and ListOfValues as their own nodes, literals
	// captured by participle, lookahead 1), on the same lexer, without
	// building the AST: what Parse's folded grammar and self-parsing
	// literals save.
	b.Run("KibanaShaped", func(b *testing.B) {
		corpusBench(b, func(q string) error {
			_, err := kibanaShaped.ParseString("", q)
			return err
		})
	})
}

type ksQuery struct {
	Or *ksOr `parser:"@@?"`
}

type ksOr struct {
	Pos lexer.Position
	X   []*ksAnd `parser:"@@ ( Or @@ )*"`
}

type ksAnd struct {
	Pos lexer.Position
	X   []*ksNot `parser:"@@ ( And @@ )*"`
}

type ksNot struct {
	Pos lexer.Position
	Not bool   `parser:"@Not?"`
	Sub *ksSub `parser:"@@"`
}

type ksSub struct {
	Group *ksOr   `parser:"  LParen @@ RParen"`
	Expr  *ksExpr `parser:"| @@"`
}

type ksExpr struct {
	Pos      lexer.Position
	Left     *ksLiteral `parser:"@@"`
	Nested   *ksOr      `parser:"( Colon ( LBrace @@ RBrace"`
	List     *ksList    `parser:"        | @@ )"`
	RangeOp  string     `parser:"| @Range"`
	RangeVal *ksLiteral `parser:"  @@ )?"`
}

type ksList struct {
	Group *ksOrValues `parser:"  LParen @@ RParen"`
	Value *ksLiteral  `parser:"| @@"`
}

type ksOrValues struct {
	Pos lexer.Position
	X   []*ksAndValues `parser:"@@ ( Or @@ )*"`
}

type ksAndValues struct {
	Pos lexer.Position
	X   []*ksNotValues `parser:"@@ ( And @@ )*"`
}

type ksNotValues struct {
	Pos  lexer.Position
	Not  bool    `parser:"@Not?"`
	List *ksList `parser:"@@"`
}

type ksLiteral struct {
	Pos      lexer.Position
	Quoted   string `parser:"  @Quoted"`
	Unquoted string `parser:"| @Unquoted"`
}

var kibanaShaped = participle.MustBuild[ksQuery](
	participle.Lexer(kqlLexer{}),
	participle.UseLookahead(1),
)
