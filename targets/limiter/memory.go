package limiter

import (
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// memory is the in-memory backend. Its policy set is an immutable snapshot
// swapped atomically, so decisions never wait for a policy change.
type memory struct {
	clock func() time.Duration
	seed  maphash.Seed
	cur   atomic.Pointer[memSet]
	seq   atomic.Uint64 // numbers tables, which fixes the order of locking
	mu    sync.Mutex    // serialises set
}

// memSet is one snapshot of the policies.
type memSet struct {
	policies []*memPolicy // in the order of their tables' seq: the lock order
	byName   map[string]*memPolicy
}

// memPolicy is a policy with its derived parameters and its state table.
type memPolicy struct {
	Policy
	rate     float64 // events per period
	period   float64 // ns
	burst    float64
	perNs    float64 // token_bucket: tokens per ns
	interval float64 // gcra: ns per event
	tab      *table
}

// table holds a policy's state: one for global, one per key otherwise.
type table struct {
	seq    uint64
	global *state
	shards [numShards]shard
}

const numShards = 64

// shard maps keys to states. Like sync.Map, but typed so that a lookup with
// a string does not allocate: known keys are read from an immutable map
// without locking; new keys go to a dirty map under mu, which replaces the
// read map once it has cost as many misses as it has entries.
type shard struct {
	read   atomic.Pointer[map[string]*state]
	mu     sync.Mutex
	dirty  map[string]*state // nil, or a superset of *read
	misses int
	_      [24]byte
}

// missLocked counts a lookup that needed mu and promotes dirty when the
// misses have paid for copying it.
func (sh *shard) missLocked() {
	sh.misses++
	if sh.misses < len(sh.dirty) {
		return
	}
	d := sh.dirty
	sh.read.Store(&d)
	sh.dirty, sh.misses = nil, 0
}

// state is one key's (or the global) algorithm state.
type state struct {
	mu sync.Mutex
	v  vals
}

// vals is the algorithm state, copied out so that a multi-policy decision can
// check every policy before it commits any.
//
//	token_bucket:   t = time of last refill (ns), x = tokens
//	gcra:           t = theoretical arrival time (ns)
//	fixed_window:   t = window index, cur = count
//	sliding_window: t = window index, cur = count, prev = previous window's count
type vals struct {
	t, x, cur, prev float64
	init            bool
}

func newMemory(clock func() time.Duration) *memory {
	m := &memory{clock: clock, seed: maphash.MakeSeed()}
	m.cur.Store(&memSet{byName: map[string]*memPolicy{}})
	return m
}

func (m *memory) newTable(p Policy) *table {
	t := &table{seq: m.seq.Add(1)}
	if p.Match == MatchGlobal {
		t.global = new(state)
	} else {
		for i := range t.shards {
			t.shards[i].read.Store(&map[string]*state{})
		}
	}
	return t
}

// set installs a new policy set (already normalized, distinct names). A
// policy keeps its table when its algorithm, match and pattern are unchanged.
func (m *memory) set(ps []Policy) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.cur.Load()
	ns := &memSet{byName: make(map[string]*memPolicy, len(ps))}
	for _, p := range ps {
		mp := &memPolicy{
			Policy: p,
			rate:   p.Rate,
			period: float64(p.Period),
			burst:  float64(p.Burst),
		}
		mp.perNs = mp.rate / mp.period
		mp.interval = mp.period / mp.rate
		if o := old.byName[p.Name]; o != nil && o.Algorithm == p.Algorithm && o.Match == p.Match && o.Pattern == p.Pattern {
			mp.tab = o.tab
		} else {
			mp.tab = m.newTable(p)
		}
		ns.policies = append(ns.policies, mp)
		ns.byName[p.Name] = mp
	}
	slices.SortFunc(ns.policies, func(a, b *memPolicy) int {
		switch {
		case a.tab.seq < b.tab.seq:
			return -1
		case a.tab.seq > b.tab.seq:
			return 1
		}
		return 0
	})
	m.cur.Store(ns)
}

// lookup returns key's state for p, or nil when p does not apply to key.
func (m *memory) lookup(p *memPolicy, key string) *state {
	if p.tab.global != nil {
		return p.tab.global
	}
	sh := &p.tab.shards[maphash.String(m.seed, key)%numShards]
	// The map holds nil for a key that does not match the policy's
	// pattern, so the glob runs once per key.
	if st, ok := (*sh.read.Load())[key]; ok {
		return st
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	read := *sh.read.Load()
	if st, ok := read[key]; ok {
		return st
	}
	if st, ok := sh.dirty[key]; ok {
		sh.missLocked()
		return st
	}
	var st *state
	if p.Match != MatchPattern || globMatch(p.Pattern, key) {
		st = new(state)
	}
	if sh.dirty == nil {
		sh.dirty = make(map[string]*state, len(read)+1)
		for k, v := range read {
			sh.dirty[k] = v
		}
	}
	sh.dirty[strings.Clone(key)] = st
	sh.missLocked()
	return st
}

// allow decides one event of weight n for key.
func (m *memory) allow(key string, n int64) bool {
	set := m.cur.Load()
	switch len(set.policies) {
	case 0:
		return true
	case 1:
		p := set.policies[0]
		st := m.lookup(p, key)
		if st == nil {
			return true
		}
		now := float64(m.clock())
		st.mu.Lock()
		v := st.v
		ok := p.step(&v, now, float64(n))
		if ok {
			st.v = v
		}
		st.mu.Unlock()
		return ok
	}
	var (
		buf  [8]*state
		pbuf [8]*memPolicy
	)
	sts, pols := buf[:0], pbuf[:0]
	for _, p := range set.policies {
		if st := m.lookup(p, key); st != nil {
			sts = append(sts, st)
			pols = append(pols, p)
		}
	}
	if len(sts) == 0 {
		return true
	}
	now := float64(m.clock())
	// Lock in table order (set.policies is sorted by seq), check all, then
	// commit all: a denial by one policy consumes nothing from the others.
	for _, st := range sts {
		st.mu.Lock()
	}
	var vbuf [8]vals
	vs := vbuf[:0]
	ok := true
	for i, st := range sts {
		v := st.v
		if !pols[i].step(&v, now, float64(n)) {
			ok = false
			break
		}
		vs = append(vs, v)
	}
	if ok {
		for i, st := range sts {
			st.v = vs[i]
		}
	}
	for _, st := range sts {
		st.mu.Unlock()
	}
	return ok
}

// eps absorbs floating-point rounding in comparisons of budgets.
const eps = 1e-9

// step applies the policy's algorithm to v at time now (ns) for an event of
// weight n and reports whether it is admitted. On admission v holds the new
// state; on denial v is to be discarded.
func (p *memPolicy) step(v *vals, now, n float64) bool {
	switch p.Algorithm {
	case TokenBucket:
		if !v.init {
			v.x, v.t, v.init = p.burst, now, true
		}
		if now > v.t {
			v.x = math.Min(p.burst, v.x+(now-v.t)*p.perNs)
			v.t = now
		} else if v.x > p.burst {
			v.x = p.burst // the burst was lowered
		}
		if v.x+eps >= n {
			v.x -= n
			return true
		}
		return false
	case GCRA:
		tat := math.Max(v.t, now)
		next := tat + n*p.interval
		if next-now <= p.burst*p.interval*(1+eps) {
			v.t = next
			return true
		}
		return false
	case FixedWindow:
		w := math.Floor(now / p.period)
		if !v.init || w > v.t {
			v.t, v.cur, v.init = w, 0, true
		}
		if v.cur+n <= p.rate*(1+eps) {
			v.cur += n
			return true
		}
		return false
	case SlidingWindow:
		w := math.Floor(now / p.period)
		if !v.init {
			v.t, v.cur, v.prev, v.init = w, 0, 0, true
		}
		if w > v.t {
			if w == v.t+1 {
				v.prev = v.cur
			} else {
				v.prev = 0
			}
			v.cur, v.t = 0, w
		}
		frac := (now - v.t*p.period) / p.period
		frac = math.Min(1, math.Max(0, frac))
		// The previous window's weighted count is rounded down, so that a
		// steady stream gets the whole rate in each window rather than one
		// event less.
		if math.Floor(v.prev*(1-frac)+eps)+v.cur+n <= p.rate*(1+eps) {
			v.cur += n
			return true
		}
		return false
	}
	return false
}

// globMatch reports whether s matches pattern, where '*' matches any run of
// bytes (including none), '?' matches one byte and any other byte matches
// itself.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				starP, starS = px, sx
				px++
				continue
			case '?':
				px++
				sx++
				continue
			default:
				if c == s[sx] {
					px++
					sx++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		px = starP + 1
		starS++
		sx = starS
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
