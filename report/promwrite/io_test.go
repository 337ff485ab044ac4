package promwrite

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/perfplan/perfplan/executor"
)

// TestPushesIO: an interval's I/O rates are pushed by direction; an
// interval whose network was not measured pushes no network sample.
func TestPushesIO(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	p, err := Start(Options{URL: srv.URL, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	obs := p.Observer("plan", nil).(executor.IntervalObserver)
	iv := interval(100)
	iv.Resources.IO = &executor.IO{Process: &executor.ProcessIO{ReadBytesPerSec: 10, WriteBytesPerSec: 20, ReadOpsPerSec: 1, WriteOpsPerSec: 2, DiskReadBytesPerSec: 30, DiskWriteBytesPerSec: 40}}
	obs.Interval(iv)
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir string
		want      float64
	}{
		{"perfplan_process_io_bytes_per_second", "read", 10}, {"perfplan_process_io_bytes_per_second", "write", 20},
		{"perfplan_process_io_calls_per_second", "write", 2}, {"perfplan_process_disk_bytes_per_second", "write", 40},
	} {
		got := rc.find(tc.name, map[string]string{"scenario": "s", "direction": tc.dir})
		if len(got) != 1 || got[0].Value != tc.want {
			t.Errorf("%s %s: %+v, want %v", tc.name, tc.dir, got, tc.want)
		}
	}
	if got := rc.find("perfplan_network_bytes_per_second", map[string]string{"scenario": "s"}); len(got) != 0 {
		t.Errorf("network not measured, yet pushed: %+v", got)
	}
}
