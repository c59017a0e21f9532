package cloudwatch

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Logs Insights documents single- and double-quoted strings but not how to
// escape inside them, and saved queries treat `{{name}}` as a parameter.
// So a value is written as a quoted string only when that needs no escape
// at all: it lacks one of the two quote characters, holds no backslash, no
// control character and no `{{`. Any other value is written as a regex
// literal, whose escapes are the regex engine's own.

// quoteString returns v as a string literal that needs no escape, or ok
// false when none exists.
func quoteString(v string) (lit string, ok bool) {
	if strings.ContainsRune(v, '\\') || strings.Contains(v, "{{") || strings.Contains(v, "}}") {
		return "", false
	}
	for _, r := range v {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "", false
		}
	}
	switch {
	case !strings.ContainsRune(v, '"'):
		return `"` + v + `"`, true
	case !strings.ContainsRune(v, '\''):
		return "'" + v + "'", true
	}
	return "", false
}

// regexMeta are the characters escaped with a backslash inside a regex
// literal: the regex metacharacters, the literal's delimiter `/`, `#` (a
// comment outside literals) and braces (query parameters are `{{name}}`).
const regexMeta = `\.+*?()[]{}|^$/#`

// escapeRegex writes s so that a regex matches it literally: metacharacters
// get a backslash, control and invisible characters become \x{HHHH}.
func escapeRegex(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case strings.ContainsRune(regexMeta, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || !unicode.IsPrint(r) && r != ' ':
			fmt.Fprintf(&b, `\x{%X}`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// regexLiteral wraps a pattern in `/.../`. The pattern must come from
// escapeRegex pieces (every `/` escaped).
func regexLiteral(pattern string) string { return "/" + pattern + "/" }

// wholeValueRegex is a regex that matches exactly the text v (dot-all, so
// wildcard `.*` crosses newlines).
func wholeValueRegex(v string) string { return regexLiteral("^" + escapeRegex(v) + "$") }

// wildcardRegex turns KQL wildcard pieces (literal text between `*`s) into
// an anchored regex: `*` becomes `.*` with the s flag so it spans newlines.
func wildcardRegex(pieces []string) string {
	var b strings.Builder
	b.WriteString("(?s)^")
	for i, p := range pieces {
		if i > 0 {
			b.WriteString(".*")
		}
		b.WriteString(escapeRegex(p))
	}
	b.WriteString("$")
	return regexLiteral(b.String())
}

// canonicalNumber matches the text of a JSON number as Elasticsearch
// indexes it on a keyword: an integer or a decimal without exponent.
var canonicalNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?$`)

// numberLiteral returns v as a Logs Insights number when it is written the
// way a JSON number would be (so a JSON number with that text compares
// equal).
func numberLiteral(v string) (string, bool) {
	if !canonicalNumber.MatchString(v) || strings.HasPrefix(v, "-") {
		// A negative number needs unary minus, which the docs do not
		// show in comparisons; such values are matched as text only.
		return "", false
	}
	if _, err := strconv.ParseFloat(v, 64); err != nil {
		return "", false
	}
	return v, true
}

// fieldRef writes a field name, in backticks when it holds anything but
// letters, digits, `_`, `@` and `.` (the documented rule).
func fieldRef(name string) string {
	plain := name != ""
	for i, r := range name {
		if !(r == '_' || r == '.' || r == '@' || r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			plain = false
			break
		}
		if i == 0 && unicode.IsDigit(r) {
			plain = false
		}
	}
	if plain {
		return name
	}
	// Quote each dot-separated segment that needs it.
	parts := strings.Split(name, ".")
	for i, p := range parts {
		ok := p != ""
		for _, r := range p {
			if !(r == '_' || r == '@' || r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
				ok = false
			}
		}
		if !ok {
			parts[i] = "`" + p + "`"
		}
	}
	return strings.Join(parts, ".")
}
