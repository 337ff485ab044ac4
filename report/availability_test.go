package report

import "testing"

func TestAvailabilityPercent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    float64
		want string
	}{
		{1, "100%"}, {0.995, "99.5%"}, {0.999999999, "99.9999%"}, {0.99, "99%"}, {0.5, "50%"}, {0, "0%"}, {0.123456, "12.3456%"},
	} {
		if got := AvailabilityPercent(tc.r); got != tc.want {
			t.Errorf("AvailabilityPercent(%v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}
