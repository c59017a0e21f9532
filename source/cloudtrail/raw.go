package cloudtrail

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
)

// DecodeRaw decodes one raw CloudTrail record the way the profile reads it:
// a JSON object, numbers kept as json.Number so that their text is exactly
// what Elasticsearch indexes ("3600", "1.0").
func DecodeRaw(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var rec map[string]any
	if err := dec.Decode(&rec); err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, errNotObject
	}
	// More misses a stray closing bracket; only whitespace may follow.
	if rest := bytes.TrimSpace(raw[dec.InputOffset():]); len(rest) > 0 {
		return nil, errTrailing
	}
	return rec, nil
}

// RawValues returns the values m's field has on a raw record decoded by
// DecodeRaw, with the semantics a backend must reproduce: arrays are
// crossed (one value per element), null and "" are absent, Constant fields
// have their constant and Derived fields follow their DerivedKind. It is the
// reference reading of a Mapping; the values are string, bool or
// json.Number. A NotAvailable mapping has no values.
func RawValues(rec map[string]any, m Mapping) []any {
	if m.EventName != "" {
		if name, _ := rec["eventName"].(string); name != m.EventName {
			return nil
		}
	}
	switch m.Kind {
	case Constant:
		return []any{m.Constant}
	case Direct:
		var out []any
		if len(m.Array) > 0 {
			walk(rec, m.Array, false, func(elem any) {
				walk(elem, m.Path, m.Flattened, func(v any) { out = appendScalars(out, v, m.Flattened) })
			})
			return out
		}
		walk(rec, m.Path, m.Flattened, func(v any) { out = appendScalars(out, v, m.Flattened) })
		return out
	case Derived:
		return derive(rec, m)
	}
	return nil
}

// walk calls fn with each value found at path under v, crossing arrays at
// any level (Elasticsearch treats arrays of objects transparently).
func walk(v any, path []string, flattened bool, fn func(any)) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			walk(e, path, flattened, fn)
		}
	case map[string]any:
		if len(path) == 0 {
			fn(x)
			return
		}
		if next, ok := x[path[0]]; ok {
			walk(next, path[1:], flattened, fn)
		}
		if flattened {
			// In a flattened field a dot of the query path may be a dot
			// inside a JSON key: "a.b" reaches {"a.b": v} too.
			for i := 2; i <= len(path); i++ {
				if next, ok := x[strings.Join(path[:i], ".")]; ok {
					walk(next, path[i:], flattened, fn)
				}
			}
		}
	default:
		if len(path) == 0 {
			fn(x)
		}
	}
}

// appendScalars appends v when it is a present scalar; with leaves set it
// descends into objects and arrays and appends every leaf (a flattened
// field's root matches any of its leaves).
func appendScalars(out []any, v any, leaves bool) []any {
	switch x := v.(type) {
	case nil:
	case string:
		if x != "" {
			out = append(out, x)
		}
	case map[string]any:
		if leaves {
			for _, e := range x {
				out = appendScalars(out, e, true)
			}
		}
	case []any:
		for _, e := range x {
			out = appendScalars(out, e, leaves)
		}
	default:
		out = append(out, x)
	}
	return out
}

// firstValues returns the scalar values at path, or nil.
func firstValues(rec map[string]any, path []string) []any {
	var out []any
	walk(rec, path, false, func(v any) { out = appendScalars(out, v, false) })
	return out
}

// present reports whether path holds a value that survives the
// integration's clean-up (a non-empty scalar somewhere under it).
func present(rec map[string]any, path []string) bool {
	var leaves []any
	walk(rec, path, false, func(v any) { leaves = appendScalars(leaves, v, true) })
	return len(leaves) > 0
}

func derive(rec map[string]any, m Mapping) []any {
	switch m.Derived {
	case Outcome:
		for _, v := range firstValues(rec, m.Sources[2]) {
			if s, ok := v.(string); ok {
				return []any{strings.ToLower(s)}
			}
		}
		if present(rec, m.Sources[0]) || present(rec, m.Sources[1]) {
			return []any{"failure"}
		}
		return []any{"success"}
	case Coalesce:
		for _, src := range m.Sources {
			if vs := firstValues(rec, src); len(vs) > 0 {
				return vs
			}
		}
	case IPOnly:
		var out []any
		for _, v := range firstValues(rec, m.Sources[0]) {
			if s, ok := v.(string); ok && IsIP(s) {
				out = append(out, s)
			}
		}
		return out
	case YesNo:
		var out []any
		for _, v := range firstValues(rec, m.Sources[0]) {
			out = append(out, v != "No")
		}
		return out
	case TLSProtocol, TLSVersion:
		var out []any
		for _, v := range firstValues(rec, m.Sources[0]) {
			s, _ := v.(string)
			protocol, version, ok := SplitTLSVersion(s)
			switch {
			case !ok:
			case m.Derived == TLSProtocol:
				out = append(out, protocol)
			default:
				out = append(out, version)
			}
		}
		return out
	case Union:
		var out []any
		for _, src := range m.Sources {
			for _, v := range firstValues(rec, src) {
				if !containsValue(out, v) {
					out = append(out, v)
				}
			}
		}
		return out
	}
	return nil
}

func containsValue(vs []any, v any) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// IsIP reports whether s is an IPv4 or IPv6 address, as the integration's
// grok pattern ^%{IP}$ decides (no zone, no port, no brackets).
func IsIP(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == ""
}

// SplitTLSVersion splits tlsDetails.tlsVersion ("TLSv1.3") into the ECS
// tls.version_protocol ("tls") and tls.version ("1.3").
func SplitTLSVersion(s string) (protocol, version string, ok bool) {
	before, after, found := strings.Cut(s, "v")
	if !found || before == "" || after == "" {
		return "", "", false
	}
	return strings.ToLower(before), after, true
}
