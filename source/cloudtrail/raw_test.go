package cloudtrail

import "testing"

// TestDecodeRawRejectsTrailingData: a record followed by anything but
// whitespace is unreadable, as the scan reader counts it ({}} included,
// which json.Decoder.More does not notice).
func TestDecodeRawRejectsTrailingData(t *testing.T) {
	for _, in := range []string{`{}}`, `{"a":1} x`, `{} {}`, `{"a":1}]`} {
		if _, err := DecodeRaw([]byte(in)); err == nil {
			t.Errorf("DecodeRaw(%q) accepted trailing data", in)
		}
	}
	for _, in := range []string{`{}`, "{\"a\":1}\n", " {} \r\n"} {
		if _, err := DecodeRaw([]byte(in)); err != nil {
			t.Errorf("DecodeRaw(%q): %v", in, err)
		}
	}
}
