package eval

import (
	"bytes"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/jsondoc"
)

// b2s views b as a string without copying; the caller must not keep the
// string beyond b's lifetime.
func b2s(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// canonicalText returns the text an Elasticsearch keyword (or flattened)
// field indexes for a JSON scalar: a string as is, a number as written in
// the source, a boolean as "true" or "false". ok is false for objects,
// arrays and null. Only numbers allocate.
func canonicalText(v *jsondoc.Value) (text []byte, ok bool) {
	switch v.Type() {
	case jsondoc.TypeString:
		return v.GetStringBytes(), true
	case jsondoc.TypeNumber:
		return v.MarshalTo(nil), true
	case jsondoc.TypeTrue:
		return trueText, true
	case jsondoc.TypeFalse:
		return falseText, true
	}
	return nil, false
}

var (
	trueText  = []byte("true")
	falseText = []byte("false")
)

// CanonicalText is canonicalText for callers outside the hot path (terms
// of new_terms and threshold rules, alert output).
func CanonicalText(v *jsondoc.Value) (string, bool) {
	b, ok := canonicalText(v)
	return string(b), ok
}

// wildcardPattern matches text against pieces separated by `*`: the first
// piece is a prefix, the last a suffix, the others appear in order between
// them. It is specialised for the common shapes.
type wildcardPattern struct {
	pieces [][]byte
	match  func(s []byte) bool
}

func newWildcard(pieces []string) *wildcardPattern {
	w := &wildcardPattern{}
	for _, p := range pieces {
		w.pieces = append(w.pieces, []byte(p))
	}
	n := len(w.pieces)
	first, last := w.pieces[0], w.pieces[n-1]
	switch {
	case n == 2 && len(first) == 0 && len(last) == 0: // *
		w.match = func([]byte) bool { return true }
	case n == 2 && len(first) == 0: // *x
		w.match = func(s []byte) bool { return bytes.HasSuffix(s, last) }
	case n == 2 && len(last) == 0: // x*
		w.match = func(s []byte) bool { return bytes.HasPrefix(s, first) }
	case n == 3 && len(first) == 0 && len(last) == 0: // *x*
		mid := w.pieces[1]
		w.match = func(s []byte) bool { return bytes.Contains(s, mid) }
	default:
		w.match = w.piecewise
	}
	return w
}

func (w *wildcardPattern) piecewise(s []byte) bool {
	n := len(w.pieces)
	first, last := w.pieces[0], w.pieces[n-1]
	if len(s) < len(first)+len(last) || !bytes.HasPrefix(s, first) || !bytes.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, p := range w.pieces[1 : n-1] {
		i := bytes.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

// numberOf reads a document value as a number: JSON numbers, and strings
// that parse as numbers (Elasticsearch coerces them on numeric fields).
func numberOf(v *jsondoc.Value) (float64, bool) {
	switch v.Type() {
	case jsondoc.TypeNumber:
		f, err := v.Float64()
		return f, err == nil
	case jsondoc.TypeString:
		f, err := strconv.ParseFloat(strings.TrimSpace(b2s(v.GetStringBytes())), 64)
		return f, err == nil && !math.IsNaN(f)
	}
	return 0, false
}

// boolOf reads a document value as a boolean: JSON true/false and the
// strings "true"/"false" (what Elasticsearch accepts for boolean fields).
func boolOf(v *jsondoc.Value) (bool, bool) {
	switch v.Type() {
	case jsondoc.TypeTrue:
		return true, true
	case jsondoc.TypeFalse:
		return false, true
	case jsondoc.TypeString:
		switch b2s(v.GetStringBytes()) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// ipOf reads a document value as an IP address.
func ipOf(v *jsondoc.Value) (netip.Addr, bool) {
	if v.Type() != jsondoc.TypeString {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(b2s(v.GetStringBytes()))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// timeOf reads a document value as a point in time: an ISO 8601 string,
// or a number of milliseconds since the epoch (Elasticsearch's default
// date format is strict_date_optional_time||epoch_millis).
func timeOf(v *jsondoc.Value) (time.Time, bool) {
	switch v.Type() {
	case jsondoc.TypeString:
		t, err := ir.ParseTime(b2s(v.GetStringBytes()))
		return t, err == nil
	case jsondoc.TypeNumber:
		f, err := v.Float64()
		if err != nil {
			return time.Time{}, false
		}
		return time.UnixMilli(int64(f)).UTC(), true
	}
	return time.Time{}, false
}

// tokens splits text the way Elasticsearch's standard analyzer roughly
// does for ASCII and Latin text: runs of letters, digits and `_`, where a
// `.` or `'` between two such characters does not split ("example.com",
// "192.168.0.1", "don't" are one token); every token is lower-cased.
// It calls fn with each token and stops when fn returns true.
func tokens(s string, buf []byte, fn func(tok []byte) bool) bool {
	isWord := func(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
	tok := buf[:0]
	var prev rune = -1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isWord(r):
			tok = utf8.AppendRune(tok, unicode.ToLower(r))
		case (r == '.' || r == '\'') && prev >= 0 && isWord(prev) && i+size < len(s):
			next, _ := utf8.DecodeRuneInString(s[i+size:])
			if isWord(next) {
				tok = append(tok, byte(r))
			} else if len(tok) > 0 {
				if fn(tok) {
					return true
				}
				tok = tok[:0]
			}
		default:
			if len(tok) > 0 {
				if fn(tok) {
					return true
				}
				tok = tok[:0]
			}
		}
		prev = r
		i += size
	}
	if len(tok) > 0 {
		return fn(tok)
	}
	return false
}

// analyze returns the tokens of s as strings.
func analyze(s string) []string {
	var out []string
	tokens(s, nil, func(t []byte) bool {
		out = append(out, string(t))
		return false
	})
	return out
}
