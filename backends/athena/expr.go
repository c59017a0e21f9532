package athena

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/detc/detc/catalog"
	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
)

// pred is a rendered boolean expression. nullable is set when it can be
// NULL (SQL's third value), which a negation must turn into false first:
// KQL's `not f:v` holds on a row without f.
type pred struct {
	sql      string
	nullable bool
	// distinct, when set, is the null-safe negation (x IS DISTINCT FROM v).
	distinct string
}

var (
	predTrue  = pred{sql: "TRUE"}
	predFalse = pred{sql: "FALSE"}
)

// exprRenderer renders an ir.Expr as a WHERE condition.
type exprRenderer struct {
	now string // the SQL of the run time T
	at  time.Time
	// elem, when set, is the array column whose element the lambda
	// variable r stands for (inside a Nested expression).
	elem string
	errs []exprError
}

type exprError struct {
	pos    diag.Pos
	field  string
	reason string
}

func (r *exprRenderer) errorf(pos diag.Pos, field, format string, args ...any) pred {
	r.errs = append(r.errs, exprError{pos: pos, field: field, reason: fmt.Sprintf(format, args...)})
	return predFalse
}

func (r *exprRenderer) failed(pos diag.Pos, err error) pred {
	if u, ok := err.(*untranslatable); ok {
		return r.errorf(pos, u.field, "%s", u.reason)
	}
	return r.errorf(pos, "", "%v", err)
}

func (r *exprRenderer) render(e ir.Expr) pred {
	switch e := e.(type) {
	case *ir.MatchAll:
		return predTrue
	case *ir.And:
		return r.list(e.X, " AND ")
	case *ir.Or:
		return r.list(e.X, " OR ")
	case *ir.Not:
		x := r.render(e.X)
		switch {
		case x.distinct != "":
			return pred{sql: x.distinct}
		case x.sql == "TRUE":
			return predFalse
		case x.sql == "FALSE":
			return predTrue
		case x.nullable:
			return pred{sql: "NOT coalesce(" + x.sql + ", FALSE)"}
		}
		return pred{sql: "NOT (" + x.sql + ")"}
	case *ir.Term:
		return r.field(e.Position(), e.Field, func(a access) pred { return r.term(e, a) })
	case *ir.Range:
		return r.field(e.Position(), e.Field, func(a access) pred { return r.rangeTest(e, a) })
	case *ir.Exists:
		return r.field(e.Position(), e.Field, func(a access) pred { return r.exists(a) })
	case *ir.Nested:
		return r.nested(e)
	case *ir.FreeText:
		return r.errorf(e.Position(), "", "free text (a value without a field) searches every field of the document, which has no SQL equivalent over the CloudTrail table")
	case nil:
		return predTrue
	}
	return r.errorf(e.Position(), "", "unknown expression %T", e)
}

func (r *exprRenderer) list(xs []ir.Expr, op string) pred {
	parts := make([]string, 0, len(xs))
	nullable := false
	for _, x := range xs {
		p := r.render(x)
		nullable = nullable || p.nullable
		s := p.sql
		if strings.Contains(s, " OR ") || strings.Contains(s, " AND ") {
			s = "(" + s + ")"
		}
		parts = append(parts, s)
	}
	return pred{sql: strings.Join(parts, op), nullable: nullable}
}

// field resolves f (expanding a wildcard name into the fields it names)
// and applies test to each.
func (r *exprRenderer) field(pos diag.Pos, f ir.Field, test func(access) pred) pred {
	if f.Wildcard {
		var ors []string
		nullable := false
		for _, cf := range catalog.Match(f.Name) {
			a, err := resolveField(cf.Name)
			if err != nil {
				continue
			}
			a.typ = cf.Type
			p := r.guarded(a, test)
			nullable = nullable || p.nullable
			ors = append(ors, "("+p.sql+")")
		}
		if len(ors) == 0 {
			return r.errorf(pos, f.Name, "the wildcard names no field that the CloudTrail table holds")
		}
		return pred{sql: strings.Join(ors, " OR "), nullable: nullable}
	}
	a, err := resolveField(f.Name)
	if err != nil {
		return r.failed(pos, err)
	}
	if f.Type != ir.Unknown {
		a.typ = f.Type
	}
	if r.elem != "" && a.array == r.elem {
		// Inside a nested expression over this array: the member of the
		// current element.
		a = access{field: a.field, typ: a.typ, value: "r." + a.member, raw: true, guard: a.guard}
	}
	return r.guarded(a, test)
}

// guarded applies test to every shape of access: constants at compile
// time, arrays through filter, unions as an OR.
func (r *exprRenderer) guarded(a access, test func(access) pred) pred {
	var p pred
	switch {
	case a.array != "":
		inner := test(access{field: a.field, typ: a.typ, value: "r." + a.member, raw: true})
		p = pred{sql: fmt.Sprintf("cardinality(filter(%s, r -> %s)) > 0", a.array, inner.sql), nullable: true}
	case a.jsonRoot != "":
		p = jsonAny(a, test)
	case a.union != nil:
		var ors []string
		for _, u := range a.union {
			ors = append(ors, test(u).sql)
		}
		p = pred{sql: "(" + strings.Join(ors, " OR ") + ")", nullable: true}
	default:
		p = test(a)
	}
	if a.guard != "" && p.sql != "FALSE" {
		p = pred{sql: a.guard + " AND " + wrap(p.sql), nullable: p.nullable}
	}
	return p
}

func wrap(s string) string {
	if strings.Contains(s, " OR ") || strings.Contains(s, " AND ") {
		return "(" + s + ")"
	}
	return s
}

// presence is the test that a scalar value exists: non-null, and not ”
// where the stored value can be ” (the integration drops empty strings).
func presence(a access) string {
	if a.raw {
		return fmt.Sprintf("%s IS NOT NULL AND %s <> ''", a.value, a.value)
	}
	return a.value + " IS NOT NULL"
}

func (r *exprRenderer) exists(a access) pred {
	if a.constant != nil {
		return predTrue
	}
	if a.ipText != "" {
		return pred{sql: isIP(a.ipText), nullable: true}
	}
	return pred{sql: presence(a)}
}

func (r *exprRenderer) term(e *ir.Term, a access) pred {
	v := e.Value
	if a.constant != nil {
		if constantMatches(*a.constant, v) {
			return predTrue
		}
		return predFalse
	}
	switch a.typ {
	case ir.IP:
		return r.ipTerm(e, a)
	case ir.Boolean:
		if v.IsWildcard() {
			return r.errorf(e.Position(), a.field, "a wildcard on a boolean field has no meaning")
		}
		lit := "'false'"
		if v.Bool {
			lit = "'true'"
		}
		return r.equal(a, lit)
	case ir.Number:
		if v.IsWildcard() {
			return r.errorf(e.Position(), a.field, "a wildcard on a number field has no meaning")
		}
		return pred{sql: fmt.Sprintf("try(CAST(%s AS DOUBLE)) = %s", a.value, number(v.Number)), nullable: true}
	case ir.Date:
		ts, err := r.timeValue(v.Text)
		if err != nil {
			return r.errorf(e.Position(), a.field, "%v", err)
		}
		return pred{sql: fmt.Sprintf("try(from_iso8601_timestamp(%s)) = %s", a.value, ts), nullable: true}
	case ir.Text:
		return r.errorf(e.Position(), a.field, "an analysed text field (tokenised, lower-cased) has no faithful SQL form; match the keyword field instead")
	}
	if v.IsWildcard() {
		pat := likePattern(v.Wildcard)
		s := fmt.Sprintf("%s LIKE %s ESCAPE '%s'", a.value, quoteLiteral(pat), likeEscape)
		if a.raw && strings.Trim(pat, "%") == "" {
			s = a.value + " <> '' AND " + s
		}
		return pred{sql: s, nullable: true}
	}
	if v.Text == "" {
		// The integration drops empty values, so no document holds "".
		return predFalse
	}
	return r.equal(a, quoteLiteral(v.Text))
}

// equal is value = lit, with its null-safe negation.
func (r *exprRenderer) equal(a access, lit string) pred {
	return pred{
		sql:      a.value + " = " + lit,
		nullable: true,
		distinct: a.value + " IS DISTINCT FROM " + lit,
	}
}

func (r *exprRenderer) ipTerm(e *ir.Term, a access) pred {
	text := a.ipText
	if text == "" {
		text = a.value
	}
	if e.Value.IsWildcard() {
		return r.errorf(e.Position(), a.field, "a wildcard on an IP field has no meaning")
	}
	if !e.Value.Prefix.IsValid() {
		return r.errorf(e.Position(), a.field, "%q is not an IP address or CIDR range", e.Value.Text)
	}
	return pred{sql: fmt.Sprintf("contains(%s, try(CAST(%s AS IPADDRESS)))", quoteLiteral(e.Value.Prefix.Masked().String()), text), nullable: true}
}

func (r *exprRenderer) rangeTest(e *ir.Range, a access) pred {
	op := e.Op.String()
	if a.constant != nil {
		return r.errorf(e.Position(), a.field, "a range on a constant field")
	}
	switch a.typ {
	case ir.Number:
		return pred{sql: fmt.Sprintf("try(CAST(%s AS DOUBLE)) %s %s", a.value, op, number(e.Value.Number)), nullable: true}
	case ir.Date:
		ts, err := r.timeValue(e.Value.Text)
		if err != nil {
			return r.errorf(e.Position(), a.field, "%v", err)
		}
		return pred{sql: fmt.Sprintf("try(from_iso8601_timestamp(%s)) %s %s", a.value, op, ts), nullable: true}
	case ir.Keyword, ir.Unknown:
		s := fmt.Sprintf("%s %s %s", a.value, op, quoteLiteral(e.Value.Text))
		if a.raw {
			s = a.value + " <> '' AND " + s
		}
		return pred{sql: s, nullable: true}
	}
	return r.errorf(e.Position(), a.field, "a range on a %s field has no SQL form in this backend", a.typ)
}

func (r *exprRenderer) nested(e *ir.Nested) pred {
	if r.elem != "" {
		return r.errorf(e.Position(), e.Path, "nested expressions inside nested expressions")
	}
	// The path names the array; find its column through any member field.
	var arr string
	for _, name := range ir.Fields(e.X) {
		a, err := resolveField(name)
		if err != nil {
			return r.failed(e.Position(), err)
		}
		if a.array == "" {
			return r.errorf(e.Position(), name, "field is not a member of the array %s", e.Path)
		}
		if arr != "" && a.array != arr {
			return r.errorf(e.Position(), name, "fields of two different arrays inside one nested expression")
		}
		arr = a.array
	}
	if arr == "" {
		return r.errorf(e.Position(), e.Path, "nested expression without fields")
	}
	r.elem = arr
	inner := r.render(e.X)
	r.elem = ""
	return pred{sql: fmt.Sprintf("cardinality(filter(%s, r -> %s)) > 0", arr, inner.sql), nullable: true}
}

// timeValue renders a date value: an ISO time as a timestamp literal,
// date math relative to now as an offset from the run time.
func (r *exprRenderer) timeValue(s string) (string, error) {
	if strings.HasPrefix(s, "now") {
		if !r.at.IsZero() {
			t, err := ir.DateMath(s, r.at)
			if err != nil {
				return "", err
			}
			return timestampLiteral(t), nil
		}
		d, err := ir.RelativeOffset(s)
		if err != nil {
			return "", err
		}
		return minus(r.now, d), nil
	}
	t, err := ir.DateMath(s, time.Time{})
	if err != nil {
		return "", err
	}
	return timestampLiteral(t), nil
}

func number(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if strings.ContainsAny(s, "e") {
		return "DOUBLE '" + s + "'"
	}
	return s
}

// constantMatches decides a term on a constant field at compile time.
func constantMatches(c string, v ir.Value) bool {
	if !v.IsWildcard() {
		return c == v.Text
	}
	rest := c
	for i, piece := range v.Wildcard {
		switch {
		case i == 0:
			if !strings.HasPrefix(rest, piece) {
				return false
			}
			rest = rest[len(piece):]
		case i == len(v.Wildcard)-1:
			return strings.HasSuffix(rest, piece) && len(rest) >= len(piece)
		default:
			j := strings.Index(rest, piece)
			if j < 0 {
				return false
			}
			rest = rest[j+len(piece):]
		}
	}
	return true
}

// timestampLiteral writes t as a Trino TIMESTAMP literal in UTC.
func timestampLiteral(t time.Time) string {
	return "TIMESTAMP '" + t.UTC().Format("2006-01-02 15:04:05.999999") + " UTC'"
}

// minus writes t − d with the largest whole unit.
func minus(t string, d time.Duration) string {
	return t + " - " + interval(d)
}

func interval(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("INTERVAL '%d' DAY", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("INTERVAL '%d' HOUR", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("INTERVAL '%d' MINUTE", d/time.Minute)
	}
	return fmt.Sprintf("INTERVAL '%d' SECOND", d/time.Second)
}
