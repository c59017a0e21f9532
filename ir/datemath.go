package ir

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

var intervalRE = regexp.MustCompile(`^(\d+)([smhd])$`)

// ParseInterval reads a rule interval such as "5m" (Kibana's `^\d+[smhd]$`).
func ParseInterval(s string) (time.Duration, error) {
	m := intervalRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("interval %q is not a number followed by s, m, h or d (for example 5m)", s)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("interval %q must be a positive number of units", s)
	}
	return time.Duration(n) * unitDuration(m[2][0]), nil
}

func unitDuration(u byte) time.Duration {
	switch u {
	case 's':
		return time.Second
	case 'm':
		return time.Minute
	case 'h', 'H':
		return time.Hour
	case 'd':
		return 24 * time.Hour
	case 'w':
		return 7 * 24 * time.Hour
	}
	return 0
}

// DateMath resolves Elasticsearch date math relative to now: "now",
// "now-14d", "now-1h/d" (then rounded down to the day), and absolute
// ISO 8601 times optionally followed by "||" and operations.
// Units are y, M, w, d, h (or H), m, s.
func DateMath(s string, now time.Time) (time.Time, error) {
	var t time.Time
	var ops string
	switch {
	case len(s) >= 3 && s[:3] == "now":
		t, ops = now, s[3:]
	default:
		anchor, rest := s, ""
		for i := 0; i+1 < len(s); i++ {
			if s[i] == '|' && s[i+1] == '|' {
				anchor, rest = s[:i], s[i+2:]
				break
			}
		}
		parsed, err := ParseTime(anchor)
		if err != nil {
			return time.Time{}, fmt.Errorf("date %q is neither date math (now-14d) nor an ISO 8601 time", s)
		}
		t, ops = parsed, rest
	}
	for i := 0; i < len(ops); {
		op := ops[i]
		i++
		switch op {
		case '+', '-':
			j := i
			for j < len(ops) && ops[j] >= '0' && ops[j] <= '9' {
				j++
			}
			n := 1
			if j > i {
				v, err := strconv.Atoi(ops[i:j])
				if err != nil {
					return time.Time{}, fmt.Errorf("date math %q: bad number", s)
				}
				n = v
			}
			if j >= len(ops) {
				return time.Time{}, fmt.Errorf("date math %q: missing unit after %c%d", s, op, n)
			}
			if op == '-' {
				n = -n
			}
			unit := ops[j]
			i = j + 1
			switch unit {
			case 'y':
				t = t.AddDate(n, 0, 0)
			case 'M':
				t = t.AddDate(0, n, 0)
			case 'w':
				t = t.AddDate(0, 0, 7*n)
			case 'd':
				t = t.AddDate(0, 0, n)
			case 'h', 'H', 'm', 's':
				t = t.Add(time.Duration(n) * unitDuration(unit))
			default:
				return time.Time{}, fmt.Errorf("date math %q: unknown unit %q (use y, M, w, d, h, m or s)", s, unit)
			}
		case '/':
			if i >= len(ops) {
				return time.Time{}, fmt.Errorf("date math %q: missing unit after /", s)
			}
			unit := ops[i]
			i++
			t = roundDown(t, unit)
			if t.IsZero() {
				return time.Time{}, fmt.Errorf("date math %q: unknown rounding unit %q", s, unit)
			}
		default:
			return time.Time{}, fmt.Errorf("date math %q: expected +, - or / at %q", s, ops[i-1:])
		}
	}
	return t, nil
}

func roundDown(t time.Time, unit byte) time.Time {
	y, mo, d := t.Date()
	loc := t.Location()
	switch unit {
	case 'y':
		return time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	case 'M':
		return time.Date(y, mo, 1, 0, 0, 0, 0, loc)
	case 'w':
		wd := (int(t.Weekday()) + 6) % 7 // Monday first, as Elasticsearch
		return time.Date(y, mo, d-wd, 0, 0, 0, 0, loc)
	case 'd':
		return time.Date(y, mo, d, 0, 0, 0, 0, loc)
	case 'h', 'H':
		return t.Truncate(time.Hour)
	case 'm':
		return t.Truncate(time.Minute)
	case 's':
		return t.Truncate(time.Second)
	}
	return time.Time{}
}

// RelativeOffset returns how far before now a "now-N<unit>" expression lies
// (a positive duration), for targets that need a fixed window length.
// Months and years are not fixed lengths and are rejected.
func RelativeOffset(s string) (time.Duration, error) {
	ref := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	t, err := DateMath(s, ref)
	if err != nil {
		return 0, err
	}
	if len(s) < 3 || s[:3] != "now" {
		return 0, fmt.Errorf("date %q is absolute; a relative value such as now-14d is needed", s)
	}
	for i := 3; i < len(s); i++ {
		if s[i] == 'M' || s[i] == 'y' || s[i] == '/' {
			return 0, fmt.Errorf("date math %q uses months, years or rounding, which have no fixed length", s)
		}
	}
	return ref.Sub(t), nil
}

// ParseTime reads an ISO 8601 time as CloudTrail and Elasticsearch write
// it: RFC 3339 with or without fractional seconds, or a bare date.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 time", s)
}
