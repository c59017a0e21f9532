package parser

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The participle grammar follows Kibana's PEG grammar (kuery grammar.peggy)
// rule for rule. The lexer has already applied the rules about whitespace
// and keywords, so every choice below is decided by the next token and the
// parser never backtracks.
//
//	Query          = OrQuery?
//	OrQuery        = AndQuery (Or AndQuery)*
//	AndQuery       = NotQuery (And NotQuery)*
//	NotQuery       = Not? SubQuery
//	SubQuery       = "(" OrQuery ")" | Expression
//	Expression     = Literal ( ":" ( "{" OrQuery "}" | ListOfValues ) | Range Literal )?
//	ListOfValues   = "(" OrValues ")" | Literal
//	OrValues       = AndValues (Or AndValues)*
//	AndValues      = NotValues (And NotValues)*
//	NotValues      = Not? ListOfValues
//	Literal        = Quoted | Unquoted

type gQuery struct {
	Or *gOr `parser:"@@?"`
}

type gOr struct {
	Pos lexer.Position
	X   []*gAnd `parser:"@@ ( Or @@ )*"`
}

type gAnd struct {
	Pos lexer.Position
	X   []*gNot `parser:"@@ ( And @@ )*"`
}

type gNot struct {
	Pos lexer.Position
	Not bool  `parser:"@Not?"`
	Sub *gSub `parser:"@@"`
}

type gSub struct {
	Group *gOr   `parser:"  LParen @@ RParen"`
	Expr  *gExpr `parser:"| @@"`
}

type gExpr struct {
	Pos      lexer.Position
	Left     *gLiteral `parser:"@@"`
	Nested   *gOr      `parser:"( Colon ( LBrace @@ RBrace"`
	List     *gList    `parser:"        | @@ )"`
	RangeOp  string    `parser:"| @Range"`
	RangeVal *gLiteral `parser:"  @@ )?"`
}

type gList struct {
	Group *gOrValues `parser:"  LParen @@ RParen"`
	Value *gLiteral  `parser:"| @@"`
}

type gOrValues struct {
	Pos lexer.Position
	X   []*gAndValues `parser:"@@ ( Or @@ )*"`
}

type gAndValues struct {
	Pos lexer.Position
	X   []*gNotValues `parser:"@@ ( And @@ )*"`
}

type gNotValues struct {
	Pos  lexer.Position
	Not  bool   `parser:"@Not?"`
	List *gList `parser:"@@"`
}

type gLiteral struct {
	Pos      lexer.Position
	Quoted   string `parser:"  @Quoted"`
	Unquoted string `parser:"| @Unquoted"`
}

var grammar = participle.MustBuild[gQuery](
	participle.Lexer(kqlLexer{}),
	participle.UseLookahead(0),
)
