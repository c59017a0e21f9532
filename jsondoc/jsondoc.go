// Package jsondoc parses JSON documents into a read-only tree for the
// evaluator, as fast as a scan needs: one pass over the input, no copy of
// it, no allocation once a Parser has warmed up.
//
// It reads RFC 8259 JSON strictly (a document that is not valid JSON is
// an error naming the offset), with three documented choices:
//
//   - Strings are not checked for valid UTF-8 (as encoding/json, which
//     replaces invalid bytes on decoding, but unlike it here they are
//     kept as they are).
//   - Escaped surrogates that do not pair decode as U+FFFD, as
//     encoding/json decodes them.
//   - Nesting deeper than MaxDepth is an error.
//
// Keys are unescaped as the document is parsed: Object.Get compares the
// decoded key, and the first of duplicate keys wins.
//
// A parsed Value refers to the parsed bytes and to its Parser's memory: it
// is valid until the Parser parses again, and the bytes must not change
// meanwhile.
package jsondoc

import (
	"strconv"
	"unsafe"
)

// MaxDepth is how deeply arrays and objects may nest.
const MaxDepth = 300

// Type is the type of a JSON value.
type Type uint8

// The JSON types. TypeNull is the zero Type.
const (
	TypeNull Type = iota
	TypeObject
	TypeArray
	TypeString
	TypeNumber
	TypeTrue
	TypeFalse
)

// String names the type ("object", "string", ...).
func (t Type) String() string {
	switch t {
	case TypeObject:
		return "object"
	case TypeArray:
		return "array"
	case TypeString:
		return "string"
	case TypeNumber:
		return "number"
	case TypeTrue:
		return "true"
	case TypeFalse:
		return "false"
	}
	return "null"
}

// Value is one JSON value of a parsed document.
type Value struct {
	t Type
	// s is a string's decoded text or a number's text.
	s string
	// An object's members are members[first], then members[m.next], ...
	// (members of nested objects are interleaved with them in the
	// parser's list); n counts them.
	first, n int32
	members  *[]member
	// a holds an array's elements.
	a []*Value
}

// member is one key and value of an object.
type member struct {
	key  string
	v    *Value
	next int32 // index of the object's next member, -1 at the end
}

// Object is a JSON object: the same Value, seen through its members.
type Object Value

// Type returns v's type; a nil Value is null.
func (v *Value) Type() Type {
	if v == nil {
		return TypeNull
	}
	return v.t
}

// Get returns the value at the path of keys (array elements by their
// decimal index), or nil when a key is missing or a value on the way is
// neither an object nor an array.
func (v *Value) Get(keys ...string) *Value {
	for _, k := range keys {
		switch v.Type() {
		case TypeObject:
			v = (*Object)(v).Get(k)
		case TypeArray:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(v.a) {
				return nil
			}
			v = v.a[i]
		default:
			return nil
		}
		if v == nil {
			return nil
		}
	}
	return v
}

// GetObject returns the object at the path of keys, or nil if there is
// none.
func (v *Value) GetObject(keys ...string) *Object {
	v = v.Get(keys...)
	if v.Type() != TypeObject {
		return nil
	}
	return (*Object)(v)
}

// GetArray returns the elements of the array at the path of keys, or nil
// if there is none.
func (v *Value) GetArray(keys ...string) []*Value {
	v = v.Get(keys...)
	if v.Type() != TypeArray {
		return nil
	}
	return v.a
}

// GetStringBytes returns the decoded text of the string at the path of
// keys, or nil if there is none. The bytes must not be modified.
func (v *Value) GetStringBytes(keys ...string) []byte {
	v = v.Get(keys...)
	if v.Type() != TypeString {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(v.s), len(v.s))
}

// Text returns a number's text as written, or a string's decoded text;
// "" for other values.
func (v *Value) Text() string {
	if t := v.Type(); t != TypeString && t != TypeNumber {
		return ""
	}
	return v.s
}

// Float64 returns the value of a number.
func (v *Value) Float64() (float64, error) {
	if v.Type() != TypeNumber {
		return 0, &strconv.NumError{Func: "Float64", Num: v.Type().String(), Err: strconv.ErrSyntax}
	}
	return strconv.ParseFloat(v.s, 64)
}

// MarshalTo appends v as JSON text to dst: numbers as written, strings
// escaped as encoding/json escapes them (without HTML escaping).
func (v *Value) MarshalTo(dst []byte) []byte {
	switch v.Type() {
	case TypeObject:
		dst = append(dst, '{')
		o := (*Object)(v)
		i := 0
		o.Visit(func(key []byte, x *Value) {
			if i > 0 {
				dst = append(dst, ',')
			}
			i++
			dst = appendQuoted(dst, b2s(key))
			dst = append(dst, ':')
			dst = x.MarshalTo(dst)
		})
		return append(dst, '}')
	case TypeArray:
		dst = append(dst, '[')
		for i, x := range v.a {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = x.MarshalTo(dst)
		}
		return append(dst, ']')
	case TypeString:
		return appendQuoted(dst, v.s)
	case TypeNumber:
		return append(dst, v.s...)
	case TypeTrue:
		return append(dst, "true"...)
	case TypeFalse:
		return append(dst, "false"...)
	}
	return append(dst, "null"...)
}

// String returns v as JSON text.
func (v *Value) String() string { return string(v.MarshalTo(nil)) }

func appendQuoted(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// Get returns the value of the first member named key, or nil.
func (o *Object) Get(key string) *Value {
	if o == nil || o.n == 0 {
		return nil
	}
	ms := *o.members
	for j := o.first; j >= 0; j = ms[j].next {
		if ms[j].key == key {
			return ms[j].v
		}
	}
	return nil
}

// Visit calls f with each member, in order. key must not be modified nor
// kept after f returns.
func (o *Object) Visit(f func(key []byte, v *Value)) {
	if o == nil || o.n == 0 {
		return
	}
	ms := *o.members
	for j := o.first; j >= 0; j = ms[j].next {
		f(unsafe.Slice(unsafe.StringData(ms[j].key), len(ms[j].key)), ms[j].v)
	}
}

// Len returns the number of members.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return int(o.n)
}

// NewString returns a string Value that belongs to no parser: it stays
// valid, and may be shared between goroutines (nothing writes to it).
func NewString(s string) *Value { return &Value{t: TypeString, s: s} }

// NewBool returns true or false as a Value that belongs to no parser (see
// NewString).
func NewBool(b bool) *Value {
	if b {
		return &Value{t: TypeTrue}
	}
	return &Value{t: TypeFalse}
}

func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
