package elastic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/detc/detc/catalog"
	"github.com/detc/detc/ir"
)

// DSLField is one concrete field that a field name of the query stands
// for, as an index pattern lists it.
type DSLField struct {
	Name string
	Type ir.Type
	// NestedPath is the path of the nested object the field lies in, or
	// "" when it is not inside a nested field.
	NestedPath string
}

// DSLOptions tunes RenderDSL like Kibana's KQL options.
type DSLOptions struct {
	// Fields expands a wildcard field name (`file.hash.*`) into the fields
	// it names, as Kibana expands it against the index pattern. Nil means
	// the detc field catalog (ECS and aws.cloudtrail.*). A pattern that
	// names no field is sent through as it is, as Kibana does.
	Fields func(pattern string) []DSLField
	// CaseInsensitive, when non-nil, sets case_insensitive on every term
	// and wildcard query (Kibana's caseInsensitive option).
	CaseInsensitive *bool
	// TimeZone, when set, is the time_zone of date range queries (Kibana's
	// dateFormatTZ).
	TimeZone string
	// NestedIgnoreUnmapped, when non-nil, sets ignore_unmapped on the
	// nested queries added for wildcard field names.
	NestedIgnoreUnmapped *bool
}

// RenderDSL returns the Elasticsearch Query DSL that Kibana builds for a
// lowered KQL expression (kbn-es-query's toElasticsearchQuery), pretty
// printed with a trailing newline. It is the query clause only: send it as
// {"query": ...} to the _search API. Fields are typed by the detc field
// catalog, as lowering typed them.
func RenderDSL(expr ir.Expr) ([]byte, error) {
	return RenderDSLWith(expr, DSLOptions{})
}

// RenderDSLWith is RenderDSL with options.
//
// The mapping follows Kibana:
//   - and → bool.filter, or → bool.should with minimum_should_match 1,
//     not → bool.must_not, `f:{...}` → nested (score_mode none);
//   - every field comparison is a bool.should (minimum_should_match 1)
//     with one query per field the name stands for;
//   - keyword fields: term, or wildcard for a value with `*`;
//   - date fields: range with gte = lte = the value;
//   - other and unknown fields: match, match_phrase for a quoted value,
//     query_string for a value with `*`;
//   - `f:*` → exists, `*` or `*:*` → match_all, a value without a field →
//     multi_match (lenient) or query_string;
//   - ranges → range with gt, gte, lt or lte (and time_zone on dates).
func RenderDSLWith(expr ir.Expr, opts DSLOptions) ([]byte, error) {
	if opts.Fields == nil {
		opts.Fields = catalogFields
	}
	if bad, found := ir.InvalidUTF8(expr); found {
		return nil, fmt.Errorf("%q is not valid UTF-8, so the Query DSL (JSON) cannot carry it unchanged", bad)
	}
	q, err := dslExpr(expr, opts, false)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(q); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// object is a JSON object whose keys keep their insertion order, so the
// DSL reads like Kibana's (bool.should before minimum_should_match).
type object []member

type member struct {
	Key   string
	Value any
}

func obj(kv ...any) object {
	o := make(object, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		o = append(o, member{kv[i].(string), kv[i+1]})
	}
	return o
}

// MarshalJSON writes the members in order.
func (o object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := marshalNoEscape(m.Key)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		v, err := marshalNoEscape(m.Value)
		if err != nil {
			return nil, err
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// dslExpr renders one node. inNested is set inside `path:{...}`, where
// Kibana does not add nested queries of its own.
func dslExpr(e ir.Expr, opts DSLOptions, inNested bool) (any, error) {
	switch e := e.(type) {
	case *ir.MatchAll:
		return obj("match_all", object{}), nil
	case *ir.And:
		xs, err := dslList(e.X, opts, inNested)
		if err != nil {
			return nil, err
		}
		return obj("bool", obj("filter", xs)), nil
	case *ir.Or:
		xs, err := dslList(e.X, opts, inNested)
		if err != nil {
			return nil, err
		}
		return obj("bool", obj("should", xs, "minimum_should_match", 1)), nil
	case *ir.Not:
		x, err := dslExpr(e.X, opts, inNested)
		if err != nil {
			return nil, err
		}
		return obj("bool", obj("must_not", x)), nil
	case *ir.Nested:
		x, err := dslExpr(e.X, opts, true)
		if err != nil {
			return nil, err
		}
		return obj("nested", obj("path", e.Path, "query", x, "score_mode", "none")), nil
	case *ir.FreeText:
		if e.Value.IsWildcard() {
			return obj("query_string", obj("query", queryStringWildcard(e.Value))), nil
		}
		kind := "best_fields"
		if e.Value.Quoted {
			kind = "phrase"
		}
		return obj("multi_match", obj("type", kind, "query", literal(e.Value), "lenient", true)), nil
	case *ir.Exists:
		if e.Field.Name == "*" {
			return obj("match_all", object{}), nil
		}
		return shouldPerField(e.Field, opts, inNested, func(f DSLField) any {
			return obj("exists", obj("field", f.Name))
		}), nil
	case *ir.Term:
		return shouldPerField(e.Field, opts, inNested, func(f DSLField) any {
			return termQuery(f, e.Value, opts)
		}), nil
	case *ir.Range:
		op, ok := rangeOps[e.Op]
		if !ok {
			return nil, fmt.Errorf("elastic: range on %s has no operator", e.Field.Name)
		}
		return shouldPerField(e.Field, opts, inNested, func(f DSLField) any {
			params := obj(op, literal(e.Value))
			if f.Type == ir.Date && opts.TimeZone != "" {
				params = append(params, member{"time_zone", opts.TimeZone})
			}
			return obj("range", obj(f.Name, params))
		}), nil
	case nil:
		return nil, fmt.Errorf("elastic: no expression to render")
	}
	return nil, fmt.Errorf("elastic: unknown expression %T", e)
}

var rangeOps = map[ir.Op]string{ir.Lt: "lt", ir.Lte: "lte", ir.Gt: "gt", ir.Gte: "gte"}

func dslList(xs []ir.Expr, opts DSLOptions, inNested bool) ([]any, error) {
	out := make([]any, 0, len(xs))
	for _, x := range xs {
		q, err := dslExpr(x, opts, inNested)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// shouldPerField wraps one query per concrete field in bool.should, as
// Kibana's `is` and `range` functions do. A wildcard field name is expanded
// with opts.Fields; a field found inside a nested object is wrapped in a
// nested query unless the expression already is inside one.
func shouldPerField(field ir.Field, opts DSLOptions, inNested bool, query func(DSLField) any) any {
	fields := []DSLField{{Name: field.Name, Type: field.Type}}
	if field.Wildcard {
		if expanded := opts.Fields(field.Name); len(expanded) > 0 {
			fields = expanded
		} else {
			// Kibana sends an unmatched name through as it is.
			fields[0].Type = ir.Unknown
		}
	}
	should := make([]any, 0, len(fields))
	for _, f := range fields {
		q := query(f)
		if field.Wildcard && f.NestedPath != "" && !inNested {
			nested := obj("path", f.NestedPath, "query", q, "score_mode", "none")
			if opts.NestedIgnoreUnmapped != nil {
				nested = append(nested, member{"ignore_unmapped", *opts.NestedIgnoreUnmapped})
			}
			q = obj("nested", nested)
		}
		should = append(should, q)
	}
	return obj("bool", obj("should", should, "minimum_should_match", 1))
}

// termQuery is the query for `f:value` on one concrete field.
func termQuery(f DSLField, v ir.Value, opts DSLOptions) any {
	keyword := f.Type == ir.Keyword
	switch {
	case v.IsWildcard() && keyword:
		params := obj("value", queryStringWildcard(v))
		if opts.CaseInsensitive != nil {
			params = append(params, member{"case_insensitive", *opts.CaseInsensitive})
		}
		return obj("wildcard", obj(f.Name, params))
	case v.IsWildcard():
		query := queryStringWildcard(v)
		if f.Type != ir.Text {
			// query_string splits its query at whitespace; Kibana leaves
			// the spaces bare, which turns `f: *foo bar*` into `*foo` OR
			// `bar*`. On a field that is not analysed (the catalog does
			// not know it, so detc matches it as a keyword) the value is
			// one pattern, so the spaces are escaped.
			query = escapeWhitespace(query)
		}
		return obj("query_string", obj("fields", []string{f.Name}, "query", query))
	case f.Type == ir.Date:
		params := obj("gte", literal(v), "lte", literal(v))
		if opts.TimeZone != "" {
			params = append(params, member{"time_zone", opts.TimeZone})
		}
		return obj("range", obj(f.Name, params))
	case keyword:
		params := obj("value", literal(v))
		if opts.CaseInsensitive != nil {
			params = append(params, member{"case_insensitive", *opts.CaseInsensitive})
		}
		return obj("term", obj(f.Name, params))
	case v.Quoted:
		return obj("match_phrase", obj(f.Name, literal(v)))
	default:
		return obj("match", obj(f.Name, literal(v)))
	}
}

// literal is a value as Kibana's KQL literal holds it: unquoted true and
// false are booleans, everything else (numbers included) is the text.
func literal(v ir.Value) any {
	if !v.Quoted {
		switch v.Text {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return v.Text
}

// queryStringWildcard writes a wildcard value for a query_string or
// wildcard query: each literal piece escaped, pieces joined by `*`.
func queryStringWildcard(v ir.Value) string {
	var b strings.Builder
	for i, piece := range v.Wildcard {
		if i > 0 {
			b.WriteByte('*')
		}
		escapeQueryString(&b, piece)
	}
	return b.String()
}

// escapeQueryString backslash-escapes the characters Kibana escapes in a
// query_string value: + - = & | > < ! ( ) { } [ ] ^ " ~ * ? : \ /, and,
// because Kibana writes its character class as `[+-=...]`, every character
// from '+' to '=' (so also , . ; and the digits). A backslash before any
// character is a literal in query_string and wildcard queries, so the
// extra escapes do not change what matches.
func escapeQueryString(b *strings.Builder, s string) {
	for _, c := range s {
		if c >= '+' && c <= '=' || strings.ContainsRune(`&|>!(){}[]^"~*?:\/`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
}

// escapeWhitespace backslash-escapes spaces and tabs, which query_string
// would otherwise take as separators between terms.
func escapeWhitespace(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c == ' ' || c == '\t' || c == '\u00a0' {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// catalogFields expands a wildcard field name against the detc field
// catalog, finding the nested object each field lies in.
func catalogFields(pattern string) []DSLField {
	matched := catalog.Match(pattern)
	out := make([]DSLField, 0, len(matched))
	for _, f := range matched {
		out = append(out, DSLField{Name: f.Name, Type: f.Type, NestedPath: nestedPath(f.Name)})
	}
	return out
}

// nestedPath returns the innermost nested field that name lies under.
func nestedPath(name string) string {
	for i := strings.LastIndexByte(name, '.'); i > 0; i = strings.LastIndexByte(name[:i], '.') {
		if f, ok := catalog.Lookup(name[:i]); ok && f.ESType == "nested" {
			return name[:i]
		}
	}
	return ""
}
