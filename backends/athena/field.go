package athena

import (
	"errors"
	"fmt"
	"strings"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/source/cloudtrail"
)

// access is how one ECS field is read in the CloudTrail table.
type access struct {
	field string
	typ   ir.Type
	// value is a VARCHAR expression for a scalar field; empty for the
	// other shapes.
	value string
	// raw is set when value is a table column or a JSON extraction as
	// stored, so that '' can occur; the integration drops empty strings,
	// so '' counts as absent and presence tests must exclude it.
	raw bool
	// array and member are set for a field read from each element of an
	// array of structs: the array column and the member's name.
	array, member string
	// jsonRoot and jsonKeys describe a flattened field below its root:
	// the JSON-text column and the keys under it. Any of them may hold an
	// array, which the SQL crosses (jsonAny).
	jsonRoot string
	jsonKeys []string
	// union lists the scalar sources of a multi-valued field (related.user):
	// a test matches when it matches any of them.
	union []access
	// constant is set for a field that holds the same value on every row.
	constant *string
	// ipText is the raw text behind an IP-only field (source.ip), which
	// CIDR tests cast to IPADDRESS.
	ipText string
	// guard is a condition the row must meet for the field to exist at
	// all (eventname = 'ConsoleLogin'); empty when none.
	guard string
}

// untranslatable is a reason a field or construct cannot be expressed.
type untranslatable struct{ field, reason string }

func (u *untranslatable) Error() string { return u.field + ": " + u.reason }

func fail(field, format string, args ...any) error {
	return &untranslatable{field: field, reason: fmt.Sprintf(format, args...)}
}

// resolveField maps an ECS field onto the CloudTrail table through the
// source profile.
func resolveField(name string) (access, error) {
	m, err := cloudtrail.Resolve(name)
	if err != nil {
		var ue *cloudtrail.UnavailableError
		if errors.As(err, &ue) {
			reason := ue.Reason
			if ue.Suggestion != "" {
				reason += " (did you mean " + ue.Suggestion + "?)"
			}
			return access{}, fail(name, "%s", reason)
		}
		return access{}, fail(name, "%v", err)
	}
	a := access{field: name, typ: m.Type}
	if m.EventName != "" {
		a.guard = "eventname = " + quoteLiteral(m.EventName)
	}
	switch m.Kind {
	case cloudtrail.Constant:
		c := m.Constant
		a.constant = &c
		return a, nil
	case cloudtrail.Direct:
		if m.Array != nil {
			col, err := columnPath(name, m.Array)
			if err != nil {
				return access{}, err
			}
			arr, ok := findColumn(m.Array)
			if !ok || arr.Kind != ArrayOfStruct || len(m.Path) != 1 {
				return access{}, fail(name, "raw path %s is not an array of structs in the Athena table", cloudtrail.PathString(m.Array))
			}
			member := strings.ToLower(m.Path[0])
			if !hasField(arr.Fields, member) {
				return access{}, fail(name, "the Athena table's %s has no member %s", col, member)
			}
			a.array, a.member = col, member
			return a, nil
		}
		if m.Flattened && len(m.Path) == 1 {
			return access{}, fail(name, "a flattened field's root matches any leaf of the object, which json_extract_scalar cannot express; name a leaf (%s.<key>)", name)
		}
		if m.Flattened {
			return jsonValuesAccess(a, m.Path)
		}
		v, err := scalarPath(name, m.Path)
		if err != nil {
			return access{}, err
		}
		a.value, a.raw = v, true
		return a, nil
	case cloudtrail.Derived:
		return derivedAccess(a, m)
	}
	return access{}, fail(name, "the source profile gives no way to read it (%s)", m.Kind)
}

// derivedAccess renders the computation the profile documents for a
// Derived field.
func derivedAccess(a access, m cloudtrail.Mapping) (access, error) {
	srcs := make([]string, len(m.Sources))
	for i, s := range m.Sources {
		v, err := scalarPath(a.field, s)
		if err != nil {
			return access{}, err
		}
		srcs[i] = v
	}
	present := func(v string) string { return fmt.Sprintf("coalesce(%s, '') <> ''", v) }
	switch m.Derived {
	case cloudtrail.Outcome:
		a.value = fmt.Sprintf("(CASE WHEN %s THEN lower(%s) WHEN %s OR %s THEN 'failure' ELSE 'success' END)",
			present(srcs[2]), srcs[2], present(srcs[0]), present(srcs[1]))
	case cloudtrail.Coalesce:
		parts := make([]string, len(srcs))
		for i, s := range srcs {
			parts[i] = fmt.Sprintf("nullif(%s, '')", s)
		}
		a.value = "coalesce(" + strings.Join(parts, ", ") + ")"
	case cloudtrail.IPOnly:
		// '::/0' holds every address in Trino, which keeps IPv4 addresses
		// as IPv4-mapped IPv6; the test is NULL when the text is no address.
		a.value = fmt.Sprintf("(CASE WHEN %s THEN %s END)", isIP(srcs[0]), srcs[0])
		a.typ = ir.IP
		a.ipText = srcs[0]
	case cloudtrail.YesNo:
		a.value = fmt.Sprintf("(CASE WHEN %s THEN (CASE WHEN %s = 'No' THEN 'false' ELSE 'true' END) END)", present(srcs[0]), srcs[0])
	case cloudtrail.TLSProtocol, cloudtrail.TLSVersion:
		s := srcs[0]
		ok := fmt.Sprintf("strpos(%s, 'v') > 1 AND strpos(%s, 'v') < length(%s)", s, s, s)
		if m.Derived == cloudtrail.TLSProtocol {
			a.value = fmt.Sprintf("(CASE WHEN %s THEN lower(substr(%s, 1, strpos(%s, 'v') - 1)) END)", ok, s, s)
		} else {
			a.value = fmt.Sprintf("(CASE WHEN %s THEN substr(%s, strpos(%s, 'v') + 1) END)", ok, s, s)
		}
	case cloudtrail.Union:
		for _, s := range srcs {
			a.union = append(a.union, access{field: a.field, typ: a.typ, value: s, raw: true})
		}
	default:
		return access{}, fail(a.field, "derived field kind %s has no SQL form", m.Derived)
	}
	return a, nil
}

// scalarPath renders a raw scalar path: a (nested struct) column, or a
// json_extract_scalar over a JSON-text column.
func scalarPath(field string, path []string) (string, error) {
	top, ok := findColumn(path[:1])
	if !ok {
		return "", fail(field, "raw key %s is not a column of the Athena CloudTrail table (documented DDL)", path[0])
	}
	if top.JSONText {
		if len(path) == 1 {
			return "", fail(field, "%s is a JSON object held as text; only its leaves can be tested", path[0])
		}
		jp, bad, ok := jsonPath(path[1:])
		if !ok {
			return "", fail(field, "JSON key %q cannot be written in Trino's JSONPath (an empty key)", bad)
		}
		return fmt.Sprintf("json_extract_scalar(%s, %s)", top.Name, quoteLiteral(jp)), nil
	}
	return columnPath(field, path)
}

// columnPath renders a path of struct members as a column reference.
func columnPath(field string, path []string) (string, error) {
	cols := CloudTrailColumns()
	var names []string
	for i, key := range path {
		name := strings.ToLower(key)
		var found *Column
		for j := range cols {
			if cols[j].Name == name {
				found = &cols[j]
				break
			}
		}
		if found == nil {
			return "", fail(field, "raw path %s is not in the Athena CloudTrail table (documented DDL)", cloudtrail.PathString(path))
		}
		names = append(names, found.Name)
		if i < len(path)-1 {
			if found.Kind != Struct {
				return "", fail(field, "raw path %s does not lead through structs in the Athena table", cloudtrail.PathString(path))
			}
			cols = found.Fields
		} else if found.Kind == Struct || found.Kind == MapOfString {
			return "", fail(field, "raw path %s is a struct or map in the Athena table, not a value", cloudtrail.PathString(path))
		}
	}
	return strings.Join(names, "."), nil
}

func findColumn(path []string) (Column, bool) {
	cols := CloudTrailColumns()
	var c Column
	for _, key := range path {
		name := strings.ToLower(key)
		found := false
		for _, x := range cols {
			if x.Name == name {
				c, found = x, true
				break
			}
		}
		if !found {
			return Column{}, false
		}
		cols = c.Fields
	}
	return c, true
}

func hasField(cols []Column, name string) bool {
	for _, c := range cols {
		if c.Name == name {
			return true
		}
	}
	return false
}

// isIP is true when text is an IPv4 or IPv6 address and NULL otherwise.
func isIP(text string) string {
	return fmt.Sprintf("contains('::/0', try(CAST(%s AS IPADDRESS)))", text)
}

// jsonValuesAccess reads a flattened field below its root. Elastic's
// flattened field makes arrays transparent at any depth, so the path is
// not read with json_extract_scalar (which gives NULL for an array) but
// with an SQL/JSON path in lax mode that crosses them: see flattenedValues.
func jsonValuesAccess(a access, path []string) (access, error) {
	top, ok := findColumn(path[:1])
	if !ok || !top.JSONText {
		return access{}, fail(a.field, "raw key %s is not a JSON-text column of the Athena CloudTrail table", path[0])
	}
	for _, k := range path[1:] {
		if k == "" {
			return access{}, fail(a.field, "the name holds an empty key (two dots in a row), which no JSON path can name")
		}
	}
	a.jsonRoot, a.jsonKeys = top.Name, path[1:]
	return a, nil
}

// sqlJSONPath writes the lax SQL/JSON path that reaches every value of a
// flattened field: each key quoted ($."key", so that no key is read as a
// path keyword; Trino's path parser reads "" inside the quotes as one "
// and nothing else as an escape), each followed by [*]. In lax mode [*]
// yields the elements of an array and a non-array item itself, and a
// member accessor applied to an array applies to each element, so one
// level of array nesting is crossed by the accessor and one by [*]; the
// leaf gets a second [*] for lists of lists.
func sqlJSONPath(keys []string) string {
	var b strings.Builder
	b.WriteString("lax $")
	for _, k := range keys {
		b.WriteString(`."`)
		b.WriteString(strings.ReplaceAll(k, `"`, `""`))
		b.WriteString(`"[*]`)
	}
	b.WriteString("[*]")
	return b.String()
}

// flattenedValues is a VARCHAR holding a JSON array of every value a
// flattened field reaches (Trino's json_query WITH ARRAY WRAPPER); NULL
// when there is none (json_query's default NULL ON EMPTY and NULL ON
// ERROR).
func flattenedValues(root string, keys []string) string {
	return fmt.Sprintf("json_query(%s, %s WITH ARRAY WRAPPER)", root, quoteLiteral(sqlJSONPath(keys)))
}

// flattenedPositions is the array 1..n over the n values of a flattened
// field, or [1] when there is none (sequence(1, 0) is [1, 0] in Trino).
func flattenedPositions(values string) string {
	return fmt.Sprintf("sequence(1, greatest(coalesce(json_array_length(%s), 0), 1))", values)
}

// flattenedElement is the canonical text of value number i (from 1) of a
// flattened field: json_extract_scalar gives a string's text, a number
// as written and true/false for booleans, and NULL for an object, an
// array, a JSON null or a position past the end, which no test matches.
func flattenedElement(values, i string) string {
	return fmt.Sprintf("json_extract_scalar(%s, '$[' || CAST(%s - 1 AS VARCHAR) || ']')", values, i)
}

// jsonAny renders test over every value of a flattened field: true when
// any value passes. It is never NULL (an empty filter has cardinality 0),
// so its negation is plain NOT: KQL's `not f:v` holds when no value is v,
// and when the field is missing.
func jsonAny(a access, test func(access) pred) pred {
	values := flattenedValues(a.jsonRoot, a.jsonKeys)
	elem := flattenedElement(values, "i")
	inner := test(access{field: a.field, typ: a.typ, value: elem, raw: true})
	switch inner.sql {
	case "FALSE":
		return predFalse
	case "TRUE":
		// A test that holds for any value still needs a value.
		inner.sql = elem + " IS NOT NULL"
	}
	return pred{sql: fmt.Sprintf("cardinality(filter(%s, i -> %s)) > 0", flattenedPositions(values), inner.sql)}
}
