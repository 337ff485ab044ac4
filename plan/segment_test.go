package plan

import "testing"

func TestSegmentShare(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 10} {
		for _, v := range []int64{0, 1, 2, 9, 10, 11, 1000, 1001} {
			var sum int64
			for i := range n {
				s := Segment{Index: i, Count: n}
				share := s.Share(v)
				var owned int64
				for j := range v {
					if s.Owns(j) {
						owned++
					}
				}
				if owned != share {
					t.Fatalf("%v of %d: Share %d, owns %d", s, v, share, owned)
				}
				sum += share
			}
			if sum != v {
				t.Fatalf("%d over %d segments adds up to %d", v, n, sum)
			}
		}
	}
	if got := [3]int64{Segment{0, 3}.Share(10), Segment{1, 3}.Share(10), Segment{2, 3}.Share(10)}; got != [3]int64{4, 3, 3} {
		t.Errorf("10 over 3 = %v, want 4 3 3", got)
	}
}

func TestParseSegment(t *testing.T) {
	s, err := ParseSegment("2/5")
	if err != nil || s != (Segment{Index: 2, Count: 5}) || s.String() != "2/5" {
		t.Errorf("2/5: %v, %v", s, err)
	}
	for _, bad := range []string{"", "1", "3/3", "-1/2", "0/0", "a/b", "1/20000"} {
		if _, err := ParseSegment(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
