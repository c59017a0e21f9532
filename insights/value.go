package insights

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// kind is the type of a value during evaluation.
type kind uint8

const (
	kNull kind = iota // a missing field, or a function result on one
	kString
	kNumber // JSON numbers, and JSON booleans read as 1 and 0
	kBool   // results of comparisons and predicate functions
	kTime   // @timestamp
	kObject // jsonParse result: map[string]any
	kList   // jsonParse result: []any
)

// value is one evaluated value.
type value struct {
	k kind
	s string  // kString; for kNumber from JSON, its literal text
	n float64 // kNumber
	b bool    // kBool
	t time.Time
	o any // kObject, kList
}

var null = value{}

func strVal(s string) value  { return value{k: kString, s: s} }
func numVal(n float64) value { return value{k: kNumber, n: n} }
func boolVal(b bool) value   { return value{k: kBool, b: b} }

// fromJSON converts a decoded JSON value (decoded with UseNumber).
func fromJSON(x any) value {
	switch x := x.(type) {
	case nil:
		return null
	case string:
		return strVal(x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return strVal(x.String())
		}
		return value{k: kNumber, n: f, s: x.String()}
	case bool:
		// Logs Insights reads JSON booleans as 1 and 0.
		if x {
			return value{k: kNumber, n: 1, s: "1"}
		}
		return value{k: kNumber, n: 0, s: "0"}
	case map[string]any:
		return value{k: kObject, o: x}
	case []any:
		return value{k: kList, o: x}
	}
	return null
}

// present reports whether the value is not null.
func (v value) present() bool { return v.k != kNull }

// text is the value as a string function sees it; ok is false for null,
// maps and lists (the docs: they are treated as null by string functions).
func (v value) text() (string, bool) {
	switch v.k {
	case kString:
		return v.s, true
	case kNumber:
		if v.s != "" {
			return v.s, true
		}
		return formatNumber(v.n), true
	case kBool:
		if v.b {
			return "1", true
		}
		return "0", true
	case kTime:
		return formatTime(v.t), true
	}
	return "", false
}

// number is the value as a number; ok is false for anything that is not a
// number, a boolean or a time (times are epoch milliseconds).
func (v value) number() (float64, bool) {
	switch v.k {
	case kNumber:
		return v.n, true
	case kBool:
		if v.b {
			return 1, true
		}
		return 0, true
	case kTime:
		return float64(v.t.UnixMilli()), true
	}
	return 0, false
}

// truth is how filter reads a value: true, or a non-zero number.
func (v value) truth() bool {
	switch v.k {
	case kBool:
		return v.b
	case kNumber:
		return v.n != 0
	}
	return false
}

// equal compares two values for `=`, `in` and `!=`. ok is false when the
// comparison has no answer (a null, a map or a list on either side): then
// both `=` and `!=` are false. Strings equal strings exactly (case
// sensitive); numbers equal numbers numerically. A string never equals a
// number: Logs Insights documents no coercion, and practitioners report
// that `readOnly = "0"` matches nothing.
func equal(a, b value) (eq, ok bool) {
	if !comparable(a) || !comparable(b) {
		return false, false
	}
	if a.k == kString || b.k == kString {
		if a.k != kString || b.k != kString {
			return false, true
		}
		return a.s == b.s, true
	}
	x, _ := a.number()
	y, _ := b.number()
	return x == y, true
}

func comparable(v value) bool {
	return v.k == kString || v.k == kNumber || v.k == kBool || v.k == kTime
}

// order compares two values for < <= > >=: numbers (and times)
// numerically, strings by bytes. ok is false for nulls and mixed kinds.
func order(a, b value) (c int, ok bool) {
	if !comparable(a) || !comparable(b) {
		return 0, false
	}
	if a.k == kString && b.k == kString {
		return strings.Compare(a.s, b.s), true
	}
	if a.k == kString || b.k == kString {
		return 0, false
	}
	x, _ := a.number()
	y, _ := b.number()
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	}
	return 0, true
}

// formatNumber prints a number as Logs Insights shows it: integers without
// a decimal point.
func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// formatTime prints @timestamp as the Logs Insights console does.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

// display renders a value for a result row; ok is false for null.
func (v value) display() (string, bool) {
	switch v.k {
	case kObject, kList:
		b, err := json.Marshal(v.o)
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	return v.text()
}

// child navigates into a jsonParse result by one key or list index.
func (v value) child(key string) value {
	switch v.k {
	case kObject:
		x, ok := v.o.(map[string]any)[key]
		if !ok {
			return null
		}
		return fromJSON(x)
	case kList:
		i, err := strconv.Atoi(key)
		l := v.o.([]any)
		if err != nil || i < 0 || i >= len(l) {
			return null
		}
		return fromJSON(l[i])
	}
	return null
}
