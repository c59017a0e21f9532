package insights

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
)

// Event is one CloudWatch Logs log event: its timestamp (the @timestamp
// system field, to which StartQuery's time range applies) and its message
// (@message), here a JSON object such as a CloudTrail record.
type Event struct {
	Timestamp time.Time
	Message   []byte
}

// record is an event with its discovered fields.
type record struct {
	ts     time.Time
	msg    []byte
	fields map[string]value
}

// discover flattens a JSON message the way Logs Insights discovers fields:
// nested keys joined with dots, array elements addressed by their index
// (`resources.0.ARN`). Only leaves become fields; JSON null is missing.
// A message that is not a JSON object has no fields besides the system
// ones.
func discover(ev Event) record {
	r := record{ts: ev.Timestamp, msg: ev.Message}
	p := parserPool.Get()
	defer parserPool.Put(p)
	doc, err := p.ParseBytes(ev.Message)
	if err != nil || doc.Type() != fastjson.TypeObject {
		r.fields = map[string]value{}
		return r
	}
	r.fields = make(map[string]value, 64)
	flatten(r.fields, nil, doc)
	return r
}

var parserPool fastjson.ParserPool

// flatten adds the leaves under v, named by the dotted path in key. Values
// are copied out of the parser's memory.
func flatten(out map[string]value, key []byte, v *fastjson.Value) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		o.Visit(func(k []byte, child *fastjson.Value) {
			flatten(out, joinKey(key, k), child)
		})
	case fastjson.TypeArray:
		for i, child := range v.GetArray() {
			flatten(out, joinKey(key, strconv.AppendInt(nil, int64(i), 10)), child)
		}
	case fastjson.TypeString:
		out[string(key)] = strVal(string(v.GetStringBytes()))
	case fastjson.TypeNumber:
		text := string(v.MarshalTo(nil))
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			out[string(key)] = strVal(text)
			return
		}
		out[string(key)] = value{k: kNumber, n: f, s: text}
	case fastjson.TypeTrue:
		// Logs Insights reads JSON booleans as 1 and 0.
		out[string(key)] = value{k: kNumber, n: 1, s: "1"}
	case fastjson.TypeFalse:
		out[string(key)] = value{k: kNumber, n: 0, s: "0"}
	}
}

// joinKey appends ".k" to key in a new slice (siblings must not share
// the backing array).
func joinKey(key, k []byte) []byte {
	out := make([]byte, 0, len(key)+1+len(k))
	if len(key) > 0 {
		out = append(append(out, key...), '.')
	}
	return append(out, k...)
}

// ReadEvents reads newline-delimited JSON objects, one log event per line.
// The event's @timestamp is taken from the object's "@timestamp" key (an
// ISO 8601 string or epoch milliseconds), else from CloudTrail's
// "eventTime". Blank lines are skipped; any other unreadable line is an
// error naming its line number.
func ReadEvents(r io.Reader) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1024*1024), 64*1024*1024)
	var out []Event
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		ev, err := ParseEvent(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, ev)
	}
	return out, sc.Err()
}

// ParseEvent reads one JSON object as a log event (see ReadEvents for where
// its timestamp comes from).
func ParseEvent(line []byte) (Event, error) {
	var head struct {
		Timestamp json.RawMessage `json:"@timestamp"`
		EventTime string          `json:"eventTime"`
	}
	if err := json.Unmarshal(line, &head); err != nil {
		return Event{}, fmt.Errorf("not a JSON object: %v", err)
	}
	msg := append([]byte(nil), line...)
	if len(head.Timestamp) > 0 {
		var s string
		if json.Unmarshal(head.Timestamp, &s) == nil {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return Event{}, fmt.Errorf("@timestamp %q is not an ISO 8601 time", s)
			}
			return Event{Timestamp: t, Message: msg}, nil
		}
		var ms int64
		if err := json.Unmarshal(head.Timestamp, &ms); err != nil {
			return Event{}, fmt.Errorf("@timestamp %s is neither an ISO 8601 string nor epoch milliseconds", head.Timestamp)
		}
		return Event{Timestamp: time.UnixMilli(ms).UTC(), Message: msg}, nil
	}
	if head.EventTime != "" {
		t, err := time.Parse(time.RFC3339Nano, head.EventTime)
		if err != nil {
			return Event{}, fmt.Errorf("eventTime %q is not an ISO 8601 time", head.EventTime)
		}
		return Event{Timestamp: t, Message: msg}, nil
	}
	return Event{}, fmt.Errorf("the event has neither @timestamp nor eventTime")
}
