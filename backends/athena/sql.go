package athena

import (
	"strings"
)

// reservedWords must be double-quoted when used as identifiers in Athena
// DML (Athena user guide, reserved words; UESCAPE as Trino spells it).
var reservedWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`ALTER AND AS BETWEEN BY CASE CAST CONSTRAINT CREATE CROSS CUBE
		CURRENT_DATE CURRENT_PATH CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DEALLOCATE DELETE
		DESCRIBE DISTINCT DROP ELSE END ESCAPE EXCEPT EXECUTE EXISTS EXTRACT FALSE FIRST FOR FROM
		FULL GROUP GROUPING HAVING IN INNER INSERT INTERSECT INTO IS JOIN LAST LEFT LIKE LOCALTIME
		LOCALTIMESTAMP NATURAL NORMALIZE NOT NULL OF ON OR ORDER OUTER PREPARE RECURSIVE RIGHT
		ROLLUP SELECT SKIP TABLE THEN TRUE UESCAPE UNESCAPE UNION UNNEST USING VALUES WHEN WHERE WITH`) {
		m[w] = true
	}
	return m
}()

// quoteLiteral writes s as a Trino string literal: single quotes, a quote
// doubled. A backslash is not an escape in Trino literals.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// likeEscape is the escape character of every LIKE the renderer emits.
const likeEscape = `\`

// likePattern turns a KQL wildcard (literal pieces between `*`s) into a
// LIKE pattern: each piece with %, _ and the escape character escaped,
// pieces joined by %.
func likePattern(pieces []string) string {
	var b strings.Builder
	for i, p := range pieces {
		if i > 0 {
			b.WriteByte('%')
		}
		for _, r := range p {
			switch r {
			case '%', '_', '\\':
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// jsonPath writes a Trino (legacy) JSONPath for keys: a key of
// [A-Za-z0-9_] characters as .key, any other as ["key"] with a backslash
// before each `\` and `"` (the escapes Trino's JsonPathTokenizer reads in
// a quoted subscript; DuckDB reads them the same way). ok is false for an
// empty key, which no KQL field name can hold.
func jsonPath(keys []string) (path string, bad string, ok bool) {
	var b strings.Builder
	b.WriteByte('$')
	for _, k := range keys {
		if k == "" {
			return "", k, false
		}
		if plainJSONKey(k) {
			b.WriteByte('.')
			b.WriteString(k)
			continue
		}
		b.WriteString(`["`)
		for _, r := range k {
			if r == '\\' || r == '"' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteString(`"]`)
	}
	return b.String(), "", true
}

// plainJSONKey reports whether Trino's JSONPath reads k unquoted. Trino
// also accepts ':' there, which DuckDB does not, so ':' goes in brackets.
func plainJSONKey(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
