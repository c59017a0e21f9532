// Package lower turns a parsed KQL query into detc's typed IR: it types
// each value by its field (field catalog), spreads value lists and flattens
// and/or, without changing what the query means.
package lower

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/detc/detc/catalog"
	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/parser"
)

// Options configures Lower. The zero value lowers against detc's field
// catalog and reports positions within the query.
type Options struct {
	// Strict makes an unknown field an error instead of a warning.
	Strict bool
	// Pos maps a byte offset in the query to a position in the rule file.
	// Default: line and column within the query.
	Pos func(offset int) diag.Pos
	// Lookup finds a field by its full name. Default: catalog.Lookup.
	Lookup func(name string) (catalog.Field, bool)
	// Match finds the fields a wildcard field name (file.hash.*) names.
	// Default: catalog.Match.
	Match func(pattern string) []catalog.Field
	// Suggest returns a known field name close to name, or "". Default:
	// catalog.Suggest.
	Suggest func(name string) string
}

// Diagnostic codes reported by Lower.
const (
	// CodeUnknownField: the catalog does not know the field (a warning,
	// an error with Strict).
	CodeUnknownField = "unknown-field"
	// CodeBadValue: a value does not fit its field's type (a number
	// field compared with text, a malformed IP, ...).
	CodeBadValue = "bad-value"
	// CodeMixedTypes: a field pattern names fields of several types, so
	// its values are compared as keyword (a warning).
	CodeMixedTypes = "mixed-types"
	// CodeSyntax: the query does not parse (reported by Query).
	CodeSyntax = "kql-syntax"
)

// Lower turns q into an IR expression. The empty query lowers to
// MatchAll. Diagnostics carry positions from opts.Pos and the field name
// as Key; the expression is nil when the list holds an error.
func Lower(q *parser.Query, opts Options) (ir.Expr, diag.List) {
	l := newLowerer(q.Text, opts)
	var e ir.Expr
	if q.Expr == nil {
		e = &ir.MatchAll{Pos: l.pos(parser.Pos{Line: 1, Col: 1})}
	} else {
		e = l.expr(q.Expr, "")
	}
	if l.diags.HasErrors() {
		return nil, l.diags
	}
	return e, l.diags
}

// Query parses and lowers query text in one step; a syntax error becomes a
// diagnostic with code kql-syntax at its position.
func Query(query string, opts Options) (ir.Expr, diag.List) {
	q, err := parser.Parse(query)
	if err != nil {
		l := newLowerer(query, opts)
		var se *parser.SyntaxError
		if errors.As(err, &se) {
			l.add(diag.Error, se.Pos, CodeSyntax, "", se.Msg, se.Hint)
		} else {
			l.add(diag.Error, parser.Pos{Line: 1, Col: 1}, CodeSyntax, "", err.Error(), "")
		}
		return nil, l.diags
	}
	return Lower(q, opts)
}

// suggestions caches catalog.Suggest, which compares a name with every
// field of the catalog (milliseconds per call); rules repeat field names.
var suggestions sync.Map // string → string

func cachedSuggest(name string) string {
	if s, ok := suggestions.Load(name); ok {
		return s.(string)
	}
	s := catalog.Suggest(name)
	suggestions.Store(name, s)
	return s
}

type lowerer struct {
	query  string
	opts   Options
	diags  diag.List
	warned map[string]bool // fields already reported
	// mixed holds, for field patterns whose fields differ in type, the
	// types' names.
	mixed map[string]string
}

func newLowerer(query string, opts Options) *lowerer {
	if opts.Lookup == nil {
		opts.Lookup = catalog.Lookup
	}
	if opts.Match == nil {
		opts.Match = catalog.Match
	}
	if opts.Suggest == nil {
		opts.Suggest = cachedSuggest
	}
	return &lowerer{query: query, opts: opts, warned: map[string]bool{}, mixed: map[string]string{}}
}

// pos maps a query position to a diagnostic position: through opts.Pos
// when set, else the line and column within the query.
func (l *lowerer) pos(p parser.Pos) diag.Pos {
	if l.opts.Pos != nil {
		return l.opts.Pos(p.Offset)
	}
	return diag.Pos{Line: p.Line, Col: p.Col}
}

func (l *lowerer) add(sev diag.Severity, at parser.Pos, code, key, msg, hint string) {
	d := diag.Diagnostic{Pos: l.pos(at), Severity: sev, Code: code, Key: key, Msg: msg, Hint: hint}
	if l.opts.Pos == nil {
		d.Line = lineAt(l.query, at.Offset)
	}
	l.diags.Add(d)
}

// lineAt returns the query line holding offset, for the caret display.
func lineAt(s string, offset int) string {
	if offset > len(s) {
		offset = len(s)
	}
	start := strings.LastIndexByte(s[:offset], '\n') + 1
	end := strings.IndexByte(s[offset:], '\n')
	if end < 0 {
		return s[start:]
	}
	return s[start : offset+end]
}

// expr lowers a query node. prefix is the nested path ("a.b." inside
// a.b:{...}), prepended to field names.
func (l *lowerer) expr(e parser.Expr, prefix string) ir.Expr {
	switch e := e.(type) {
	case *parser.Or:
		return l.flatten(e.Pos, true, e.X, func(x parser.Expr) ir.Expr { return l.expr(x, prefix) })
	case *parser.And:
		return l.flatten(e.Pos, false, e.X, func(x parser.Expr) ir.Expr { return l.expr(x, prefix) })
	case *parser.Not:
		return &ir.Not{Pos: l.pos(e.Pos), X: l.expr(e.X, prefix)}
	case *parser.Literal:
		return l.freeText(e, e)
	case *parser.Match:
		if e.Field.IsStar() && prefix == "" {
			// `*:v` searches every field: free text.
			return l.values(e.Value, func(v *parser.Literal) ir.Expr { return l.freeText(v, e.Field) })
		}
		f := l.field(e.Field, prefix)
		return l.values(e.Value, func(v *parser.Literal) ir.Expr { return l.term(f, v) })
	case *parser.Range:
		return l.rangeExpr(l.field(e.Field, prefix), e)
	case *parser.Nested:
		path := prefix + e.Path.Value
		l.checkNestedPath(e.Path, path)
		return &ir.Nested{Pos: l.pos(e.Pos), Path: path, X: l.expr(e.X, path+".")}
	}
	panic(fmt.Sprintf("lower: unknown node %T", e))
}

// values spreads a value list over its field: f:(a or b and not c) becomes
// or(f:a, and(f:b, not(f:c))); leaf lowers one value.
func (l *lowerer) values(v parser.Expr, leaf func(*parser.Literal) ir.Expr) ir.Expr {
	switch v := v.(type) {
	case *parser.Literal:
		return leaf(v)
	case *parser.Or:
		return l.flatten(v.Pos, true, v.X, func(x parser.Expr) ir.Expr { return l.values(x, leaf) })
	case *parser.And:
		return l.flatten(v.Pos, false, v.X, func(x parser.Expr) ir.Expr { return l.values(x, leaf) })
	case *parser.Not:
		return &ir.Not{Pos: l.pos(v.Pos), X: l.values(v.X, leaf)}
	}
	panic(fmt.Sprintf("lower: unknown value node %T", v))
}

// flatten lowers the operands of an or (isOr) or an and, splicing in the
// operands of lowered operands of the same kind.
func (l *lowerer) flatten(p parser.Pos, isOr bool, xs []parser.Expr, lower func(parser.Expr) ir.Expr) ir.Expr {
	out := make([]ir.Expr, 0, len(xs))
	for _, x := range xs {
		switch y := lower(x).(type) {
		case *ir.Or:
			if isOr {
				out = append(out, y.X...)
				continue
			}
			out = append(out, y)
		case *ir.And:
			if !isOr {
				out = append(out, y.X...)
				continue
			}
			out = append(out, y)
		default:
			out = append(out, y)
		}
	}
	if isOr {
		return &ir.Or{Pos: l.pos(p), X: out}
	}
	return &ir.And{Pos: l.pos(p), X: out}
}

// field resolves a field name (relative to a nested prefix) in the
// catalog.
func (l *lowerer) field(lit *parser.Literal, prefix string) ir.Field {
	f := l.fieldType(lit, prefix)
	f.Pos = l.pos(lit.Pos)
	return f
}

// fieldType resolves a field name against the catalog.
func (l *lowerer) fieldType(lit *parser.Literal, prefix string) ir.Field {
	name := prefix + lit.Value
	if lit.IsWildcard() {
		return l.wildcardField(lit, name)
	}
	if f, ok := l.opts.Lookup(name); ok {
		return ir.Field{Name: name, Type: f.Type, ESType: f.ESType}
	}
	l.unknownField(lit, name)
	return ir.Field{Name: name, Type: ir.Unknown}
}

// wildcardField resolves a field pattern such as file.hash.*: its type is
// the type its fields share.
func (l *lowerer) wildcardField(lit *parser.Literal, name string) ir.Field {
	f := ir.Field{Name: name, Wildcard: true}
	matches := l.opts.Match(name)
	if len(matches) == 0 {
		l.unknownField(lit, name)
		return f
	}
	types := map[ir.Type]bool{}
	esTypes := map[string]bool{}
	for _, m := range matches {
		types[m.Type] = true
		esTypes[m.ESType] = true
	}
	if len(types) == 1 {
		f.Type = matches[0].Type
		if len(esTypes) == 1 {
			f.ESType = matches[0].ESType
		}
		return f
	}
	names := make([]string, 0, len(esTypes))
	for t := range esTypes {
		names = append(names, t)
	}
	sort.Strings(names)
	l.mixed[name] = strings.Join(names, ", ")
	return f
}

// warnMixed reports, once, a value compared with a field pattern whose
// fields have several types.
func (l *lowerer) warnMixed(f ir.Field, v *parser.Literal) {
	types, ok := l.mixed[f.Name]
	if !ok || l.warned[f.Name] {
		return
	}
	l.warned[f.Name] = true
	l.add(diag.Warning, v.Pos, CodeMixedTypes, f.Name,
		fmt.Sprintf("field pattern %s names fields of several types (%s); the value is compared as keyword", f.Name, types),
		"name the field exactly, or narrow the pattern to fields of one type")
}

func (l *lowerer) unknownField(lit *parser.Literal, name string) {
	if l.warned[name] {
		return
	}
	l.warned[name] = true
	sev := diag.Warning
	if l.opts.Strict {
		sev = diag.Error
	}
	hint := "unknown fields are matched as keyword; check the spelling against ECS and the aws.cloudtrail fields"
	if s := l.opts.Suggest(name); s != "" && s != name {
		hint = fmt.Sprintf("did you mean %s?", s)
	}
	msg := fmt.Sprintf("unknown field %s", name)
	if lit.IsWildcard() {
		msg = fmt.Sprintf("field pattern %s matches no known field", name)
	}
	l.add(sev, lit.Pos, CodeUnknownField, name, msg, hint)
}

// checkNestedPath warns when a nested query's path is known but is not of
// type nested (Elasticsearch then rejects the query).
func (l *lowerer) checkNestedPath(lit *parser.Literal, path string) {
	f, ok := l.opts.Lookup(path)
	if !ok {
		l.unknownField(lit, path)
		return
	}
	if f.ESType != "nested" {
		l.add(diag.Warning, lit.Pos, CodeBadValue, path,
			fmt.Sprintf("%s is a %s field, not a nested one", path, f.ESType),
			"path:{...} applies to fields of type nested; write path.child:value instead")
	}
}

// freeText lowers a value without a field (at is the node to report it at).
func (l *lowerer) freeText(v *parser.Literal, at *parser.Literal) ir.Expr {
	p := l.pos(at.Pos)
	if v.IsStar() {
		return &ir.MatchAll{Pos: p}
	}
	return &ir.FreeText{Pos: p, Value: rawValue(v)}
}

// rawValue is a value before typing: its text, quoting and wildcard pieces.
func rawValue(v *parser.Literal) ir.Value {
	val := ir.Value{Text: v.Value, Quoted: v.Quoted}
	if v.IsWildcard() {
		val.Wildcard = append([]string(nil), v.Pieces...)
	}
	return val
}

// term lowers field:value.
func (l *lowerer) term(f ir.Field, v *parser.Literal) ir.Expr {
	p := l.pos(v.Pos)
	if v.IsStar() {
		return &ir.Exists{Pos: p, Field: f}
	}
	l.warnMixed(f, v)
	val, ok := l.typedValue(f, v, false)
	if !ok {
		return &ir.Term{Pos: p, Field: f, Value: rawValue(v)}
	}
	return &ir.Term{Pos: p, Field: f, Value: val}
}

var rangeOps = map[string]ir.Op{"<": ir.Lt, "<=": ir.Lte, ">": ir.Gt, ">=": ir.Gte}

func (l *lowerer) rangeExpr(f ir.Field, r *parser.Range) ir.Expr {
	p := l.pos(r.Pos)
	l.warnMixed(f, r.Value)
	val, ok := l.typedValue(f, r.Value, true)
	if !ok {
		val = rawValue(r.Value)
	}
	return &ir.Range{Pos: p, Field: f, Op: rangeOps[r.Op], Value: val}
}

// typedValue types a literal for field f. It reports false, after adding
// an error, when the value does not fit the field.
func (l *lowerer) typedValue(f ir.Field, v *parser.Literal, inRange bool) (ir.Value, bool) {
	val := rawValue(v)
	bad := func(msg, hint string) (ir.Value, bool) {
		l.add(diag.Error, v.Pos, CodeBadValue, f.Name, msg, hint)
		return val, false
	}
	if inRange && v.IsWildcard() {
		return bad(fmt.Sprintf("a range cannot compare %s with the wildcard %s", f.Name, v.Raw),
			`quote the value to compare with a literal "*", or escape it as \*`)
	}
	kind := typeName(f)
	switch f.Type {
	case ir.Number:
		if v.IsWildcard() {
			return bad(fmt.Sprintf("%s is a %s field; wildcards apply only to text values", f.Name, kind),
				"compare numbers with a value or a range: f >= 1000 and f < 2000")
		}
		n, err := strconv.ParseFloat(v.Value, 64)
		if err != nil || !isDecimal(v.Value) || math.IsInf(n, 0) {
			return bad(fmt.Sprintf("%s is a %s field and %s is not a number", f.Name, kind, v.Raw),
				"write a decimal number such as 443 or 0.5")
		}
		val.Number = n
	case ir.Boolean:
		if v.IsWildcard() || (v.Value != "true" && v.Value != "false") {
			return bad(fmt.Sprintf("%s is a boolean field and %s is neither true nor false", f.Name, v.Raw),
				"write true or false")
		}
		if inRange {
			return bad(fmt.Sprintf("%s is a boolean field and cannot be compared with %s", f.Name, "<, <=, > or >="),
				"write field: true or field: false")
		}
		val.Bool = v.Value == "true"
	case ir.IP:
		if v.IsWildcard() {
			return bad(fmt.Sprintf("%s is an ip field; wildcards do not apply to addresses", f.Name),
				"write an address or a CIDR range such as 10.0.0.0/8")
		}
		prefix, err := parseIPValue(v.Value, inRange)
		if err != nil {
			return bad(fmt.Sprintf("%s is an ip field and %s %v", f.Name, v.Raw, err),
				"write an IPv4 or IPv6 address, or a CIDR range such as 10.0.0.0/8 (quote IPv6 values: \"::1\")")
		}
		val.Prefix = prefix
	case ir.Date:
		if v.IsWildcard() {
			return bad(fmt.Sprintf("%s is a date field; wildcards do not apply to dates", f.Name),
				"compare dates with a range: @timestamp >= now-1d")
		}
		if _, err := ir.DateMath(v.Value, time.Unix(0, 0).UTC()); err != nil {
			return bad(fmt.Sprintf("%s is a date field and %s is not a date: %v", f.Name, v.Raw, err),
				"write an ISO 8601 date such as 2024-05-01T00:00:00Z, or date math such as now-7d")
		}
	}
	return val, true
}

// isDecimal reports whether s is a decimal number: an optional sign,
// digits with an optional fraction, and an optional exponent (no hex, no
// underscores, no inf or nan, which strconv would accept).
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// typeName names a field's type for messages: the Elasticsearch type when
// known.
func typeName(f ir.Field) string {
	if f.ESType != "" {
		return f.ESType
	}
	return f.Type.String()
}

// parseIPValue reads an address (as a single-address prefix) or a CIDR
// range, which a range comparison does not accept.
func parseIPValue(s string, inRange bool) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		if inRange {
			return netip.Prefix{}, errors.New("is a CIDR range, which cannot be compared with <, <=, > or >=")
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, errors.New("is not a valid CIDR range")
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, errors.New("is not an IP address")
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
