package executor

import (
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/perfplan/perfplan/plan"
)

// Key distributions, resolved once per worker.
const (
	keyUniform = iota
	keySequential
	keyZipf
	keyHotspot
)

// keyGen draws keys from a workload's key space. Each worker owns one, fed by
// the worker's own PCG generator: no global rand and no locks.
type keyGen struct {
	kind  int
	count uint64
	// hotspot: the first hot keys receive hotRate (a fraction of 2^64) of
	// the accesses.
	hot, hotRate uint64
	seq          uint64
	zipf         *rand.Zipf
}

func newKeyGen(ks plan.KeySpace, id int, rng *rand.PCG) *keyGen {
	k := &keyGen{count: ks.Count}
	if k.count == 0 {
		k.count = 1
	}
	switch ks.Distribution {
	case plan.DistSequential:
		k.kind = keySequential
		// Workers walk the key space in order, each from its own offset.
		k.seq = uint64(id) * 0x9E3779B97F4A7C15 % k.count
	case plan.DistZipf:
		k.kind = keyZipf
		s, v := ks.ZipfS, ks.ZipfV
		if s <= 1 {
			s = 1.1
		}
		if v < 1 {
			v = 1
		}
		// Drawn from the worker's own generator.
		k.zipf = rand.NewZipf(rand.New(rng), s, v, k.count-1)
	case plan.DistHotspot:
		k.kind = keyHotspot
		hot := uint64(math.Floor(ks.HotFraction * float64(k.count)))
		if hot < 1 {
			hot = 1
		}
		if hot > k.count {
			hot = k.count
		}
		k.hot = hot
		r := ks.HotRate
		switch {
		case r >= 1:
			k.hotRate = math.MaxUint64
		case r > 0:
			k.hotRate = uint64(r * (1 << 63) * 2)
		}
	default:
		k.kind = keyUniform
	}
	return k
}

// below returns a number in [0, n) from a random word (Lemire's
// multiply-shift; its bias, at most n/2^64, is negligible for key spaces).
func below(x, n uint64) uint64 {
	hi, _ := bits.Mul64(x, n)
	return hi
}

// next draws a key.
func (k *keyGen) next(rng *rand.PCG) uint64 {
	switch k.kind {
	case keyUniform:
		return below(rng.Uint64(), k.count)
	case keySequential:
		v := k.seq
		k.seq++
		if k.seq >= k.count {
			k.seq = 0
		}
		return v
	case keyZipf:
		return k.zipf.Uint64()
	default: // hotspot
		if rng.Uint64() < k.hotRate || k.hot == k.count {
			return below(rng.Uint64(), k.hot)
		}
		return k.hot + below(rng.Uint64(), k.count-k.hot)
	}
}

// opPicker chooses an operation by weight.
type opPicker struct {
	// cum holds cumulative weights scaled to 2^64; the last is MaxUint64.
	cum []uint64
}

func newOpPicker(ops []plan.Op) *opPicker {
	p := &opPicker{}
	if len(ops) <= 1 {
		return p
	}
	var sum float64
	for _, o := range ops {
		sum += math.Max(o.Weight, 0)
	}
	var acc float64
	for i, o := range ops {
		acc += math.Max(o.Weight, 0)
		var th uint64
		if sum <= 0 {
			th = uint64(float64(i+1) / float64(len(ops)) * math.MaxUint64)
		} else {
			f := acc / sum
			if f >= 1 {
				th = math.MaxUint64
			} else {
				th = uint64(f * (1 << 63) * 2)
			}
		}
		p.cum = append(p.cum, th)
	}
	p.cum[len(p.cum)-1] = math.MaxUint64
	return p
}

// pick returns an operation index.
func (p *opPicker) pick(rng *rand.PCG) int {
	if len(p.cum) == 0 {
		return 0
	}
	x := rng.Uint64()
	for i, th := range p.cum {
		if x < th {
			return i
		}
	}
	return len(p.cum) - 1
}
