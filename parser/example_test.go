package parser_test

import (
	"fmt"

	"github.com/detc/detc/parser"
)

func ExampleParse() {
	q, err := parser.Parse(`event.provider: "dynamodb.amazonaws.com" and event.action: (Export* or not DescribeTable)`)
	if err != nil {
		panic(err)
	}
	fmt.Println(parser.Dump(q.Expr))
	fmt.Println(parser.Format(q))
	fmt.Println(parser.Pretty(q, 28))
	// Output:
	// and("event.provider":q"dynamodb.amazonaws.com", "event.action":or(w"Export*", not("DescribeTable")))
	// event.provider: "dynamodb.amazonaws.com" and event.action: (Export* or not DescribeTable)
	// event.provider: "dynamodb.amazonaws.com"
	// and event.action: (
	//   Export*
	//   or not DescribeTable
	// )
}

func ExampleSyntaxError() {
	_, err := parser.Parse("event.action:(a or )")
	se := err.(*parser.SyntaxError)
	fmt.Println(se.Offset, se)
	// Output:
	// 19 1:20: expected a value, "(" or "not" after "or" but found ")"
}
