// Package catalog is detc's field catalog: every ECS field and every
// aws.cloudtrail.* field of Elastic's AWS integration, with its
// Elasticsearch mapping type and the ir.Type it is matched as.
package catalog

//go:generate go run ./gen -ecs ../../shared/schema/ecs_fields.tsv -mapping ../../shared/aws/ecs_cloudtrail_mapping.tsv -out fields_gen.go

import (
	"sort"
	"strings"

	"github.com/detc/detc/ir"
)

// Field is one field of the catalog.
type Field struct {
	// Name is the full dotted name, for example "event.action".
	Name string
	// ESType is the Elasticsearch mapping type ("keyword", "flattened",
	// "match_only_text", "object", "nested", ...). A leaf under a flattened
	// field reports "flattened".
	ESType string
	// Type is how a query value is matched against the field. It is
	// ir.Unknown for object, nested and geo_point fields, which hold no
	// single matchable value.
	Type ir.Type
	// Array is set when the field normally holds several values (ECS
	// "normalize: array", or a keyword[] of the integration).
	Array bool
	// Integration is set for fields that come from Elastic's AWS
	// integration (aws.cloudtrail.*) rather than from ECS.
	Integration bool
}

// Len reports how many fields the catalog holds (flattened leaves are not
// counted: they are open-ended).
func Len() int { return len(fields) }

// All returns every field of the catalog, sorted by name.
func All() []Field { return append([]Field(nil), fields[:]...) }

func find(name string) (Field, bool) {
	i := sort.Search(len(fields), func(i int) bool { return fields[i].Name >= name })
	if i < len(fields) && fields[i].Name == name {
		return fields[i], true
	}
	return Field{}, false
}

// Lookup returns the field called name. Besides exact names (multi-fields
// such as "user_agent.original.text" included) it knows every name under a
// field of type flattened: "aws.cloudtrail.flattened.request_parameters.dryRun"
// is a keyword leaf whose ESType is "flattened".
func Lookup(name string) (Field, bool) {
	if f, ok := find(name); ok {
		return f, true
	}
	if root, ok := FlattenedRoot(name); ok {
		return Field{Name: name, ESType: "flattened", Type: ir.Keyword, Integration: root.Integration}, true
	}
	return Field{}, false
}

// FlattenedRoot returns the flattened field that name lies under, if any:
// for "aws.cloudtrail.flattened.request_parameters.a.b" it is
// "aws.cloudtrail.flattened.request_parameters". A flattened field itself
// is not under itself.
func FlattenedRoot(name string) (Field, bool) {
	for i := strings.LastIndexByte(name, '.'); i > 0; i = strings.LastIndexByte(name[:i], '.') {
		if f, ok := find(name[:i]); ok {
			if f.ESType == "flattened" {
				return f, true
			}
			if f.ESType != "object" {
				// A keyword with multi-fields: its children are
				// multi-fields, which are listed themselves.
				return Field{}, false
			}
		}
	}
	return Field{}, false
}

// Match returns the fields whose names match a KQL wildcard field name such
// as "file.hash.*", where `*` stands for any run of characters (dots
// included), as Kibana expands a field pattern against the index's fields.
// Object and nested fields are left out; the result is sorted by name.
func Match(pattern string) []Field {
	pieces := strings.Split(pattern, "*")
	var out []Field
	for _, f := range fields {
		if f.ESType == "object" || f.ESType == "nested" {
			continue
		}
		if matchPieces(f.Name, pieces) {
			out = append(out, f)
		}
	}
	return out
}

// matchPieces reports whether s is pieces[0] * pieces[1] * ... pieces[n-1].
func matchPieces(s string, pieces []string) bool {
	if len(pieces) == 1 {
		return s == pieces[0]
	}
	first, last := pieces[0], pieces[len(pieces)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, p := range pieces[1 : len(pieces)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

// Suggest returns the known field name closest to name (by edit distance),
// for a "did you mean" hint, or "" when none is close enough. A name whose
// leading part is close to a flattened field keeps the author's leaf path:
// "aws.cloudtrail.flattened.request_parameter.dryRun" suggests
// "aws.cloudtrail.flattened.request_parameters.dryRun".
func Suggest(name string) string {
	for i := strings.IndexByte(name, '.'); i > 0; i = nextDot(name, i) {
		if root, d := closest(name[:i], true); root != "" && d <= 2 {
			return root + name[i:]
		}
	}
	best, _ := closest(name, false)
	return best
}

// closest returns the catalog name nearest to name, and its distance,
// within a third of name's length in edit distance, or "". With
// onlyFlattened it considers flattened fields only.
func closest(name string, onlyFlattened bool) (string, int) {
	best, bestDist := "", -1
	limit := len(name)/3 + 1
	for _, f := range fields {
		if onlyFlattened && f.ESType != "flattened" || abs(len(f.Name)-len(name)) > limit {
			continue
		}
		d := editDistance(name, f.Name, limit)
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = f.Name, d
		}
	}
	return best, bestDist
}

func nextDot(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '.')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// editDistance is the Levenshtein distance between a and b in bytes; it
// stops early and returns limit+1 once the distance must exceed limit.
func editDistance(a, b string, limit int) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
