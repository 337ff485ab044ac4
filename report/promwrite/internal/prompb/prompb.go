// Package prompb holds the Prometheus remote-write 1.0 messages that
// perfplan sends (WriteRequest, TimeSeries, Label, Sample, MetricMetadata,
// as declared in prometheus/prompb's types.proto and remote.proto) and their
// protobuf encoding, written with google.golang.org/protobuf's protowire.
//
// Only the fields perfplan uses are declared; exemplars and native
// histograms are not. Encoding follows proto3: fields in number order,
// scalars at their zero value left out. Unmarshal decodes the same
// messages, skipping fields it does not know; the tests' receivers use it.
package prompb

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// MetricMetadata_MetricType is a metric family's type.
type MetricMetadata_MetricType int32 // named as in the generated code

// The metric types perfplan sends (the protocol has more).
const (
	MetricMetadata_UNKNOWN MetricMetadata_MetricType = 0
	MetricMetadata_COUNTER MetricMetadata_MetricType = 1
	MetricMetadata_GAUGE   MetricMetadata_MetricType = 2
)

// WriteRequest is the body of one remote-write push.
type WriteRequest struct {
	Timeseries []TimeSeries     // field 1
	Metadata   []MetricMetadata // field 3
}

// TimeSeries is one series: its labels, sorted by name, and its samples in
// time order.
type TimeSeries struct {
	Labels  []Label  // field 1
	Samples []Sample // field 2
}

// Label is one label of a series; __name__ holds the metric name.
type Label struct {
	Name  string // field 1
	Value string // field 2
}

// Sample is one value at a time in milliseconds since the Unix epoch.
type Sample struct {
	Value     float64 // field 1, double
	Timestamp int64   // field 2, int64
}

// MetricMetadata describes a metric family.
type MetricMetadata struct {
	Type             MetricMetadata_MetricType // field 1, enum
	MetricFamilyName string                    // field 2
	Help             string                    // field 4
	Unit             string                    // field 5
}

// Marshal encodes the request in protobuf's wire format.
func (m *WriteRequest) Marshal() ([]byte, error) {
	size := 0
	for i := range m.Timeseries {
		size += sizeMessage(1, m.Timeseries[i].size())
	}
	for i := range m.Metadata {
		size += sizeMessage(3, m.Metadata[i].size())
	}
	b := make([]byte, 0, size)
	for i := range m.Timeseries {
		b = appendMessage(b, 1, m.Timeseries[i].size())
		b = m.Timeseries[i].append(b)
	}
	for i := range m.Metadata {
		b = appendMessage(b, 3, m.Metadata[i].size())
		b = m.Metadata[i].append(b)
	}
	if len(b) != size {
		return nil, fmt.Errorf("prompb: encoded %d bytes, want %d", len(b), size)
	}
	return b, nil
}

// sizeMessage is the size of an embedded message field of n bytes.
func sizeMessage(num protowire.Number, n int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(n)
}

// appendMessage appends the tag and length of an embedded message of n
// bytes, which the caller appends next.
func appendMessage(b []byte, num protowire.Number, n int) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(n))
}

func sizeString(num protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeBytes(len(s))
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func (m *TimeSeries) size() int {
	n := 0
	for i := range m.Labels {
		n += sizeMessage(1, m.Labels[i].size())
	}
	for i := range m.Samples {
		n += sizeMessage(2, m.Samples[i].size())
	}
	return n
}

func (m *TimeSeries) append(b []byte) []byte {
	for i := range m.Labels {
		b = appendMessage(b, 1, m.Labels[i].size())
		b = m.Labels[i].append(b)
	}
	for i := range m.Samples {
		b = appendMessage(b, 2, m.Samples[i].size())
		b = m.Samples[i].append(b)
	}
	return b
}

func (m *Label) size() int { return sizeString(1, m.Name) + sizeString(2, m.Value) }

func (m *Label) append(b []byte) []byte {
	return appendString(appendString(b, 1, m.Name), 2, m.Value)
}

func (m *Sample) size() int {
	n := 0
	if math.Float64bits(m.Value) != 0 {
		n += protowire.SizeTag(1) + protowire.SizeFixed64()
	}
	if m.Timestamp != 0 {
		n += protowire.SizeTag(2) + protowire.SizeVarint(uint64(m.Timestamp))
	}
	return n
}

func (m *Sample) append(b []byte) []byte {
	if math.Float64bits(m.Value) != 0 {
		b = protowire.AppendTag(b, 1, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(m.Value))
	}
	if m.Timestamp != 0 {
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(m.Timestamp))
	}
	return b
}

func (m *MetricMetadata) size() int {
	n := 0
	if m.Type != 0 {
		n += protowire.SizeTag(1) + protowire.SizeVarint(uint64(m.Type))
	}
	return n + sizeString(2, m.MetricFamilyName) + sizeString(4, m.Help) + sizeString(5, m.Unit)
}

func (m *MetricMetadata) append(b []byte) []byte {
	if m.Type != 0 {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(m.Type))
	}
	b = appendString(b, 2, m.MetricFamilyName)
	b = appendString(b, 4, m.Help)
	return appendString(b, 5, m.Unit)
}

// errWireType is a known field sent with another wire type than declared.
var errWireType = errors.New("prompb: field of an unexpected wire type")

// fields calls f with each field of a message; f returns how many bytes of
// the value it consumed, or -1 to have the field skipped.
func fields(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte) (int, error)) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		used, err := f(num, typ, b)
		if err != nil {
			return err
		}
		if used < 0 {
			used = protowire.ConsumeFieldValue(num, typ, b)
			if used < 0 {
				return protowire.ParseError(used)
			}
		}
		b = b[used:]
	}
	return nil
}

// embedded returns the bytes of a length-delimited field and their size
// with the length, checking the wire type.
func embedded(typ protowire.Type, b []byte) ([]byte, int, error) {
	if typ != protowire.BytesType {
		return nil, 0, errWireType
	}
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return nil, 0, protowire.ParseError(n)
	}
	return v, n, nil
}

// varint returns a varint field's value and size, checking the wire type.
func varint(typ protowire.Type, b []byte) (uint64, int, error) {
	if typ != protowire.VarintType {
		return 0, 0, errWireType
	}
	v, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return 0, 0, protowire.ParseError(n)
	}
	return v, n, nil
}

// decoder is a message that decodes itself.
type decoder[T any] interface {
	*T
	unmarshal(b []byte) error
}

// appendEmbedded decodes the message of a length-delimited field and
// appends it to list; it returns the field's size.
func appendEmbedded[T any, P decoder[T]](list *[]T, typ protowire.Type, b []byte) (int, error) {
	v, n, err := embedded(typ, b)
	if err != nil {
		return 0, err
	}
	var x T
	if err := P(&x).unmarshal(v); err != nil {
		return 0, err
	}
	*list = append(*list, x)
	return n, nil
}

// Unmarshal decodes a request in protobuf's wire format into m.
func (m *WriteRequest) Unmarshal(b []byte) error {
	*m = WriteRequest{}
	return fields(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		switch num {
		case 1:
			n, err := appendEmbedded(&m.Timeseries, typ, b)
			if err != nil {
				return 0, fmt.Errorf("timeseries %d: %w", len(m.Timeseries), err)
			}
			return n, nil
		case 3:
			n, err := appendEmbedded(&m.Metadata, typ, b)
			if err != nil {
				return 0, fmt.Errorf("metadata %d: %w", len(m.Metadata), err)
			}
			return n, nil
		}
		return -1, nil
	})
}

func (m *TimeSeries) unmarshal(b []byte) error {
	return fields(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		switch num {
		case 1:
			return appendEmbedded(&m.Labels, typ, b)
		case 2:
			return appendEmbedded(&m.Samples, typ, b)
		}
		return -1, nil
	})
}

func (m *Label) unmarshal(b []byte) error {
	return fields(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		if num != 1 && num != 2 {
			return -1, nil
		}
		v, n, err := embedded(typ, b)
		if num == 1 {
			m.Name = string(v)
		} else {
			m.Value = string(v)
		}
		return n, err
	})
}

func (m *Sample) unmarshal(b []byte) error {
	return fields(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		switch num {
		case 1:
			if typ != protowire.Fixed64Type {
				return 0, errWireType
			}
			v, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				return 0, protowire.ParseError(n)
			}
			m.Value = math.Float64frombits(v)
			return n, nil
		case 2:
			v, n, err := varint(typ, b)
			m.Timestamp = int64(v)
			return n, err
		}
		return -1, nil
	})
}

func (m *MetricMetadata) unmarshal(b []byte) error {
	return fields(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		switch num {
		case 1:
			v, n, err := varint(typ, b)
			m.Type = MetricMetadata_MetricType(int32(v))
			return n, err
		case 2, 4, 5:
			v, n, err := embedded(typ, b)
			switch num {
			case 2:
				m.MetricFamilyName = string(v)
			case 4:
				m.Help = string(v)
			default:
				m.Unit = string(v)
			}
			return n, err
		}
		return -1, nil
	})
}
