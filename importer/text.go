package importer

import (
	"fmt"
	"strings"
)

// cleanText normalises a markdown or prose value so that it can be written
// as a YAML literal block: CRLF becomes LF, trailing blanks are removed from
// every line, and leading and trailing blank lines are dropped.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// cleanParagraph is cleanText plus removing the indentation common to all
// lines, which TOML multi-line strings often carry (false_positives).
func cleanParagraph(s string) string {
	s = cleanText(s)
	lines := strings.Split(s, "\n")
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " "))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	for i, l := range lines {
		if len(l) >= indent && indent > 0 {
			lines[i] = l[indent:]
		}
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// cleanQuery removes trailing blanks at the end of KQL lines, where they are
// only whitespace between tokens: never inside a quoted string and never
// after a backslash that escapes them. CRLF becomes LF.
func cleanQuery(q string) string {
	q = strings.ReplaceAll(q, "\r\n", "\n")
	var b strings.Builder
	inQuote := false
	pending := 0 // start in q of a run of blanks not yet written
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\\':
			end := min(i+2, len(q))
			b.WriteString(q[pending:end])
			pending = end
			i = end - 1
			continue
		case c == '"':
			inQuote = !inQuote
		case (c == ' ' || c == '\t') && !inQuote:
			continue
		case c == '\n' && !inQuote:
			// Drop the blanks between the last token and the newline.
			b.WriteString(strings.TrimRight(q[pending:i], " \t"))
			b.WriteByte('\n')
			pending = i + 1
			continue
		}
		b.WriteString(q[pending : i+1])
		pending = i + 1
	}
	b.WriteString(q[pending:])
	return b.String()
}

// queryWithFilters returns the rule's KQL with Kibana's phrase and exists
// filters folded in as `and` clauses, as Kibana applies them.
func (b *builder) queryWithFilters() (string, bool) {
	q, _ := b.src["query"].(string)
	if _, ok := b.src["query"].(string); !ok && b.src["query"] != nil {
		b.fail("query", "want a string")
		return "", false
	}
	q = cleanQuery(q)
	var clauses []string
	for _, f := range asList(b.src["filters"]) {
		clause, ok := filterClause(f)
		if !ok {
			b.result.Skipped = SkipFilters
			b.result.Dropped = append(b.result.Dropped, fmt.Sprintf("filter %v", describeFilter(f)))
			return "", false
		}
		if clause != "" {
			clauses = append(clauses, clause)
		}
	}
	if len(clauses) == 0 {
		return q, true
	}
	body := strings.TrimSpace(q)
	if body != "" {
		clauses = append([]string{"(" + body + ")"}, clauses...)
	}
	return strings.Join(clauses, "\nand ") + "\n", true
}

// filterClause turns one Kibana filter into KQL; "" for a disabled filter.
func filterClause(f any) (string, bool) {
	fm, ok := f.(map[string]any)
	if !ok {
		return "", false
	}
	meta, ok := fm["meta"].(map[string]any)
	if !ok {
		return "", false
	}
	if d, _ := meta["disabled"].(bool); d {
		return "", true
	}
	key, _ := meta["key"].(string)
	if key == "" {
		return "", false
	}
	var clause string
	switch meta["type"] {
	case "phrase":
		params, _ := meta["params"].(map[string]any)
		v, ok := params["query"]
		if !ok {
			return "", false
		}
		clause = key + ": " + kqlQuote(fmt.Sprint(v))
	case "phrases":
		vals := asList(meta["params"])
		if len(vals) == 0 {
			return "", false
		}
		quoted := make([]string, len(vals))
		for i, v := range vals {
			quoted[i] = kqlQuote(fmt.Sprint(v))
		}
		clause = key + ": (" + strings.Join(quoted, " or ") + ")"
	case "exists":
		clause = key + ": *"
	default:
		return "", false
	}
	if n, _ := meta["negate"].(bool); n {
		clause = "not " + clause
	}
	return clause, true
}

func describeFilter(f any) string {
	if fm, ok := f.(map[string]any); ok {
		if meta, ok := fm["meta"].(map[string]any); ok {
			return fmt.Sprintf("of type %v on %v", meta["type"], meta["key"])
		}
	}
	return "without meta"
}

// kqlQuote writes s as a KQL quoted string.
func kqlQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}
