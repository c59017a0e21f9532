package lint

import (
	"slices"
	"strings"
)

// suggest returns the candidate closest to name (ignoring case, spaces and
// underscores) when it is close enough to be a likely typo, else "". A
// candidate that name is the start of (ReplaceIamInstanceProfile for
// ReplaceIamInstanceProfileAssociation) counts as close.
func suggest(name string, candidates []string) string {
	lower := strings.ToLower(name)
	squeezed := strings.NewReplacer(" ", "", "_", "").Replace(lower)
	sorted := slices.Sorted(slices.Values(candidates))
	for _, c := range sorted {
		if strings.ToLower(c) == squeezed {
			return c
		}
	}
	prefixOf := ""
	for _, c := range sorted {
		lc := strings.ToLower(c)
		if len(squeezed) >= 8 && strings.HasPrefix(lc, squeezed) && (prefixOf == "" || len(c) < len(prefixOf)) {
			prefixOf = c
		}
	}
	if prefixOf != "" {
		return prefixOf
	}
	best, bestDist := "", -1
	for _, c := range sorted {
		if d := distance(lower, strings.ToLower(c)); bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := max(2, len(name)/3)
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

// distance is the Levenshtein edit distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
