package prompb

import (
	"bytes"
	"encoding/hex"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

// request is the message whose encoding testdata/writerequest.hex holds.
// That file was written by github.com/prometheus/prometheus/prompb
// v0.315.0's generated Marshal for the same message (the module perfplan
// used before), so the test compares this package with an independent
// encoder: proto3 zero values left out, NaN-free edge values, an empty
// series and an empty metadata entry.
func request() *WriteRequest {
	return &WriteRequest{
		Timeseries: []TimeSeries{
			{Labels: []Label{{Name: "__name__", Value: "perfplan_latency_seconds"}, {Name: "empty", Value: ""}, {Name: "operation", Value: "gét ✓"}, {Name: "quantile", Value: "0.99"}},
				Samples: []Sample{{Value: 0.0042, Timestamp: 1767225600123}, {Value: 0, Timestamp: 1767225600124}, {Value: math.Inf(1), Timestamp: 0}, {Value: -1.5, Timestamp: -5}, {Value: math.MaxFloat64, Timestamp: math.MaxInt64}}},
			{Labels: []Label{{Name: "__name__", Value: "perfplan_operations_total"}}},
			{},
		},
		Metadata: []MetricMetadata{
			{Type: MetricMetadata_COUNTER, MetricFamilyName: "perfplan_operations_total", Help: "Operations completed."},
			{Type: MetricMetadata_GAUGE, MetricFamilyName: "perfplan_latency_seconds", Help: "", Unit: "seconds"},
			{},
		},
	}
}

func golden(t *testing.T) []byte {
	t.Helper()
	h, err := os.ReadFile("testdata/writerequest.hex")
	if err != nil {
		t.Fatal(err)
	}
	want, err := hex.DecodeString(strings.TrimSpace(string(h)))
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// TestMarshalGolden: the encoding is byte for byte the one of Prometheus's
// own generated code.
func TestMarshalGolden(t *testing.T) {
	t.Parallel()
	got, err := request().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := golden(t); !bytes.Equal(got, want) {
		t.Errorf("encoding differs from prometheus/prompb's:\n got %x\nwant %x", got, want)
	}
}

// TestUnmarshalGolden: decoding Prometheus's encoding gives the message
// back (empty series and metadata decode as empty, as in the original).
func TestUnmarshalGolden(t *testing.T) {
	t.Parallel()
	var got WriteRequest
	if err := got.Unmarshal(golden(t)); err != nil {
		t.Fatal(err)
	}
	if want := request(); !reflect.DeepEqual(&got, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, *want)
	}
}

// TestUnmarshalErrors: truncated input and known fields of the wrong wire
// type are errors; unknown fields are skipped.
func TestUnmarshalErrors(t *testing.T) {
	t.Parallel()
	full := golden(t)
	for _, tc := range []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"truncated", full[:len(full)-3], false},
		{"series as varint", []byte{0x08, 0x01}, false},
		{"sample value as varint", []byte{0x0a, 0x04, 0x12, 0x02, 0x08, 0x01}, false},
		{"label name as varint", []byte{0x0a, 0x04, 0x0a, 0x02, 0x08, 0x01}, false},
		{"unknown field", []byte{0x10, 0x05, 0x0a, 0x00}, true},
	} {
		var m WriteRequest
		err := m.Unmarshal(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%s: error %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// FuzzUnmarshal: any input decodes or fails without a panic, and what
// decodes encodes to bytes that decode to the same message.
func FuzzUnmarshal(f *testing.F) {
	b, _ := request().Marshal()
	f.Add(b)
	f.Add([]byte{0x0a, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		var m WriteRequest
		if m.Unmarshal(in) != nil {
			return
		}
		out, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var back WriteRequest
		if err := back.Unmarshal(out); err != nil {
			t.Fatal(err)
		}
		out2, _ := back.Marshal()
		if !bytes.Equal(out, out2) {
			t.Fatalf("re-encoding differs: %x vs %x", out, out2)
		}
	})
}
