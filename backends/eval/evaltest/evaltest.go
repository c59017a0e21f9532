// Package evaltest lowers KQL for the evaluator's and the scan's tests
// while the lower package is being written: types from a schema or the
// catalog, value lists spread, nested names made absolute.
package evaltest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/detc/detc/catalog"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/parser"
)

// Lower parses and lowers a query: fields are typed from schema (test
// documents) or else the catalog.
func Lower(query string, schema map[string]ir.Type) (ir.Expr, error) {
	q, err := parser.Parse(query)
	if err != nil {
		return nil, err
	}
	if q.Expr == nil {
		return &ir.MatchAll{}, nil
	}
	return testLower(q.Expr, "", schema)
}

// MustLower is Lower for tests: it fails t on an error.
func MustLower(t testing.TB, query string, schema map[string]ir.Type) ir.Expr {
	t.Helper()
	e, err := Lower(query, schema)
	if err != nil {
		t.Fatalf("%q: %v", query, err)
	}
	return e
}

func testField(name string, schema map[string]ir.Type) ir.Field {
	f := ir.Field{Name: name, Wildcard: strings.Contains(name, "*")}
	if ty, ok := schema[name]; ok {
		f.Type = ty
		return f
	}
	if cf, ok := catalog.Lookup(name); ok {
		f.Type, f.ESType = cf.Type, cf.ESType
	}
	return f
}

func testValue(l *parser.Literal) ir.Value {
	return ir.Value{Text: l.Value, Quoted: l.Quoted, Wildcard: l.Pieces}
}

func testLower(e parser.Expr, prefix string, schema map[string]ir.Type) (ir.Expr, error) {
	switch e := e.(type) {
	case *parser.Or:
		var xs []ir.Expr
		for _, x := range e.X {
			y, err := testLower(x, prefix, schema)
			if err != nil {
				return nil, err
			}
			xs = append(xs, y)
		}
		return &ir.Or{X: xs}, nil
	case *parser.And:
		var xs []ir.Expr
		for _, x := range e.X {
			y, err := testLower(x, prefix, schema)
			if err != nil {
				return nil, err
			}
			xs = append(xs, y)
		}
		return &ir.And{X: xs}, nil
	case *parser.Not:
		x, err := testLower(e.X, prefix, schema)
		if err != nil {
			return nil, err
		}
		return &ir.Not{X: x}, nil
	case *parser.Literal:
		if e.IsStar() {
			return &ir.MatchAll{}, nil
		}
		return &ir.FreeText{Value: testValue(e)}, nil
	case *parser.Range:
		f := testField(prefix+e.Field.Value, schema)
		op := map[string]ir.Op{"<": ir.Lt, "<=": ir.Lte, ">": ir.Gt, ">=": ir.Gte}[e.Op]
		return &ir.Range{Field: f, Op: op, Value: testValue(e.Value)}, nil
	case *parser.Nested:
		path := prefix + e.Path.Value
		x, err := testLower(e.X, path+".", schema)
		if err != nil {
			return nil, err
		}
		return &ir.Nested{Path: path, X: x}, nil
	case *parser.Match:
		if e.Field.IsStar() {
			if l, ok := e.Value.(*parser.Literal); ok && l.IsStar() {
				return &ir.MatchAll{}, nil
			}
			return testValues(e.Value, func(l *parser.Literal) ir.Expr { return &ir.FreeText{Value: testValue(l)} })
		}
		f := testField(prefix+e.Field.Value, schema)
		return testValues(e.Value, func(l *parser.Literal) ir.Expr {
			if l.IsStar() {
				return &ir.Exists{Field: f}
			}
			return &ir.Term{Field: f, Value: testValue(l)}
		})
	}
	return nil, fmt.Errorf("unexpected %T", e)
}

func testValues(v parser.Expr, leaf func(*parser.Literal) ir.Expr) (ir.Expr, error) {
	switch v := v.(type) {
	case *parser.Literal:
		return leaf(v), nil
	case *parser.Or:
		var xs []ir.Expr
		for _, x := range v.X {
			y, err := testValues(x, leaf)
			if err != nil {
				return nil, err
			}
			xs = append(xs, y)
		}
		return &ir.Or{X: xs}, nil
	case *parser.And:
		var xs []ir.Expr
		for _, x := range v.X {
			y, err := testValues(x, leaf)
			if err != nil {
				return nil, err
			}
			xs = append(xs, y)
		}
		return &ir.And{X: xs}, nil
	case *parser.Not:
		x, err := testValues(v.X, leaf)
		if err != nil {
			return nil, err
		}
		return &ir.Not{X: x}, nil
	}
	return nil, fmt.Errorf("unexpected value %T", v)
}
