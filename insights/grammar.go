package insights

import (
	"errors"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The grammar below follows the Logs Insights QL reference: a pipeline of
// commands joined by `|`; boolean expressions with and/or/not; comparisons,
// like, =~ and in; arithmetic; function calls.

type queryAST struct {
	Commands []*commandAST `parser:"@@ ( '|':Punct @@ )*"`
}

type commandAST struct {
	Pos     lexer.Position
	Fields  []*namedExprAST `parser:"(  'fields':Ident @@ ( ',':Punct @@ )*"`
	Filter  *orAST          `parser:" | ( 'filter':Ident | 'where':Ident ) @@"`
	Stats   *statsAST       `parser:" | 'stats':Ident @@"`
	Sort    []*sortKeyAST   `parser:" | 'sort':Ident @@ ( ',':Punct @@ )*"`
	Limit   *string         `parser:" | 'limit':Ident @Number"`
	Display []*arithAST     `parser:" | 'display':Ident @@ ( ',':Punct @@ )*"`
	Dedup   []*arithAST     `parser:" | 'dedup':Ident @@ ( ',':Punct @@ )*"`
	Unnest  *unnestAST      `parser:" | 'unnest':Ident @@ )"`
}

type namedExprAST struct {
	Pos    lexer.Position
	EndPos lexer.Position
	X      *orAST  `parser:"@@"`
	Alias  *string `parser:"( 'as':Ident @(Ident | QIdent) )?"`
}

type unnestAST struct {
	X    *arithAST `parser:"@@"`
	Into string    `parser:"'into':Ident @(Ident | QIdent)"`
}

type statsAST struct {
	Aggs []*namedExprAST `parser:"@@ ( ',':Punct @@ )*"`
	By   []*namedExprAST `parser:"( 'by':Ident @@ ( ',':Punct @@ )* )?"`
}

type sortKeyAST struct {
	X   *arithAST `parser:"@@"`
	Dir string    `parser:"@( 'asc':Ident | 'desc':Ident )?"`
}

type orAST struct {
	X []*andAST `parser:"@@ ( 'or':Ident @@ )*"`
}

type andAST struct {
	X []*notAST `parser:"@@ ( 'and':Ident @@ )*"`
}

type notAST struct {
	Not *notAST        `parser:"  'not':Ident @@"`
	Cmp *comparisonAST `parser:"| @@"`
}

type comparisonAST struct {
	Pos   lexer.Position
	Left  *arithAST `parser:"@@"`
	Not   bool      `parser:"( @'not':Ident?"`
	Op    string    `parser:"  @( '=':Punct | '!=':Punct | '<=':Punct | '>=':Punct | '<':Punct | '>':Punct | '=~':Punct | 'like':Ident | 'in':Ident )"`
	Right *arithAST `parser:"  @@ )?"`
}

type arithAST struct {
	Left *termAST    `parser:"@@"`
	Ops  []*addOpAST `parser:"@@*"`
}

type addOpAST struct {
	Op    string   `parser:"@( '+':Punct | '-':Punct )"`
	Right *termAST `parser:"@@"`
}

type termAST struct {
	Left *unaryAST   `parser:"@@"`
	Ops  []*mulOpAST `parser:"@@*"`
}

type mulOpAST struct {
	Op    string    `parser:"@( '*':Punct | '/':Punct | '%':Punct )"`
	Right *unaryAST `parser:"@@"`
}

type unaryAST struct {
	Neg bool        `parser:"@'-':Punct?"`
	X   *primaryAST `parser:"@@"`
	Pow *unaryAST   `parser:"( '^':Punct @@ )?"`
}

type primaryAST struct {
	Pos    lexer.Position
	Call   *callAST `parser:"  @@"`
	Field  *string  `parser:"| @(Ident | QIdent)"`
	Number *string  `parser:"| @Number"`
	String *string  `parser:"| @String"`
	Regex  *string  `parser:"| @Regex"`
	List   *listAST `parser:"| '[':Punct @@ ']':Punct"`
	Sub    *orAST   `parser:"| '(':Punct @@ ')':Punct"`
}

type listAST struct {
	X []*arithAST `parser:"( @@ ( ',':Punct @@ )* )?"`
}

type callAST struct {
	Name string   `parser:"@Ident '(':Punct"`
	Star bool     `parser:"( @'*':Punct"`
	Args []*orAST `parser:"| @@ ( ',':Punct @@ )* )? ')':Punct"`
}

var queryParser = participle.MustBuild[queryAST](
	participle.Lexer(queryLexer{}),
	participle.CaseInsensitive("Ident"),
	participle.UseLookahead(3),
)

// parseAST parses a query into its syntax tree.
func parseAST(src string) (*queryAST, error) {
	q, err := queryParser.ParseString("", src)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return nil, se
		}
		var pe participle.Error
		if errors.As(err, &pe) {
			p := pe.Position()
			return nil, &SyntaxError{Line: p.Line, Col: p.Column, Msg: pe.Message()}
		}
		return nil, err
	}
	return q, nil
}

// sourceText returns the query text between two positions, trimmed, which
// is how Logs Insights names an unaliased computed column (`count(*)`).
func sourceText(src string, from, to lexer.Position) string {
	if from.Offset < 0 || to.Offset > len(src) || from.Offset > to.Offset {
		return ""
	}
	return strings.TrimSpace(src[from.Offset:to.Offset])
}
