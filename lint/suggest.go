package lint

import (
	"slices"
	"strings"

	textdist "github.com/detc/detc/internal/suggest"
)

// suggest returns the candidate that name looks like a misspelling of, or
// "". Close means, in this order:
//
//   - equal ignoring case, spaces and underscores (Create Cache Security
//     Group, describeimages);
//   - the start of a candidate, at least 8 characters
//     (ReplaceIamInstanceProfile for ReplaceIamInstanceProfileAssociation);
//   - a candidate with one CamelCase word inserted before its last word
//     (PutAdvancedEventSelectors for PutEventSelectors);
//   - within max(2, len/8) edits (ExportTableToPointIntime).
//
// A name made of a candidate followed by more words (CreateAccountResult
// after CreateAccount) gets no suggestion: that is how services name the
// events they log themselves, which the table may not list.
func suggest(name string, candidates []string) string {
	lower := strings.ToLower(name)
	squeezed := strings.NewReplacer(" ", "", "_", "").Replace(lower)
	sorted := slices.Sorted(slices.Values(candidates))
	for _, c := range sorted {
		if strings.ToLower(c) == squeezed {
			return c
		}
	}
	for _, c := range sorted {
		if len(name) > len(c) && strings.EqualFold(name[:len(c)], c) && isUpper(name[len(c)]) {
			return ""
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
	words := camelWords(name)
	for _, c := range sorted {
		if insertedWord(words, camelWords(c)) {
			return c
		}
	}
	best, bestDist := "", -1
	for _, c := range sorted {
		if d := textdist.Distance(lower, strings.ToLower(c)); bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 || bestDist > max(2, len(name)/8) {
		return ""
	}
	return best
}

func isUpper(b byte) bool { return b >= 'A' && b <= 'Z' }

// camelWords splits a CamelCase name into lower-cased words; a run of
// capitals is one word (IPSet is ip, set).
func camelWords(s string) []string {
	var words []string
	start := 0
	for i := 1; i < len(s); i++ {
		boundary := isUpper(s[i]) && (!isUpper(s[i-1]) || i+1 < len(s) && !isUpper(s[i+1]) && s[i+1] != ' ')
		if boundary {
			words = append(words, strings.ToLower(s[start:i]))
			start = i
		}
	}
	if start < len(s) {
		words = append(words, strings.ToLower(s[start:]))
	}
	return words
}

// insertedWord reports whether long is short with one word inserted
// before short's last word.
func insertedWord(long, short []string) bool {
	if len(long) != len(short)+1 || len(short) < 2 {
		return false
	}
	for i := 0; i < len(short); i++ {
		if long[i] != short[i] {
			return i > 0 && slices.Equal(long[i+1:], short[i:])
		}
	}
	return false
}
