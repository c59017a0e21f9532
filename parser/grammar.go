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
//	NotQuery       = Not? ( "(" OrQuery ")" | Expression )
//	Expression     = Literal ( ":" ( "{" OrQuery "}" | "(" OrValues ")" | Literal )
//	                         | Range Literal )?
//	OrValues       = AndValues (Or AndValues)*
//	AndValues      = NotValues (And NotValues)*
//	NotValues      = Not? ( "(" OrValues ")" | Literal )
//	Literal        = Quoted | Unquoted
//
// (Kibana's SubQuery and ListOfValues are folded into the rules that use
// them, which saves participle a struct per node.)

type gQuery struct {
	Or *gOr `parser:"@@?"`
}

type gOr struct {
	X []*gAnd `parser:"@@ ( Or @@ )*"`
}

type gAnd struct {
	X []*gNot `parser:"@@ ( And @@ )*"`
}

// gNot is NotQuery with SubQuery folded in.
type gNot struct {
	Not   *gKeyword `parser:"@@?"`
	Group *gOr      `parser:"( LParen @@ RParen"`
	Expr  *gExpr    `parser:"| @@ )"`
}

// gExpr is NestedQuery and Expression, with ListOfValues folded in.
type gExpr struct {
	Left      *gLiteral  `parser:"@@"`
	Nested    *gOr       `parser:"( Colon ( LBrace @@ RBrace"`
	ListGroup *gOrValues `parser:"        | LParen @@ RParen"`
	Value     *gLiteral  `parser:"        | @@ )"`
	RangeOp   string     `parser:"| @Range"`
	RangeVal  *gLiteral  `parser:"  @@ )?"`
}

type gOrValues struct {
	X []*gAndValues `parser:"@@ ( Or @@ )*"`
}

type gAndValues struct {
	X []*gNotValues `parser:"@@ ( And @@ )*"`
}

// gNotValues is NotListOfValues with ListOfValues folded in.
type gNotValues struct {
	Not   *gKeyword  `parser:"@@?"`
	Group *gOrValues `parser:"( LParen @@ RParen"`
	Value *gLiteral  `parser:"| @@ )"`
}

// gKeyword is a `not` token. Like gLiteral it parses itself, which keeps
// its position without participle injecting one into every gNot.
type gKeyword struct {
	tok lexer.Token
}

// Parse implements participle.Parseable.
func (g *gKeyword) Parse(lex *lexer.PeekingLexer) error {
	if lex.Peek().Type != tokNot {
		return participle.NextMatch
	}
	g.tok = *lex.Next()
	return nil
}

// gLiteral is Literal: one Quoted or Unquoted token. It parses itself
// (participle.Parseable), which spares participle a disjunction and a
// capture for the most frequent node of the grammar.
type gLiteral struct {
	tok lexer.Token
}

// Parse implements participle.Parseable.
func (g *gLiteral) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if t.Type != tokQuoted && t.Type != tokUnquoted {
		return participle.NextMatch
	}
	g.tok = *lex.Next()
	return nil
}

// grammar is the KQL parser. Lookahead 0 commits a group as soon as it has
// consumed a token, so participle reports an error at the token that broke
// the group (`f:(a or )` fails at ")", as in Kibana), not where the group
// began.
var grammar = participle.MustBuild[gQuery](
	participle.Lexer(kqlLexer{}),
	participle.UseLookahead(0),
)
