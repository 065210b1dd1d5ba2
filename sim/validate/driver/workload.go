package main

// workload.go: the program's own objects and the references that keep them alive.
//
// Objects are real heap objects: a pointer-free object is a []byte of the drawn size, a
// pointer object a []unsafe.Pointer of size/8 (rounded up) elements. The program writes one
// byte (or pointer) in every 4 KiB page of the first ceil(size x touch) bytes, and the last
// one, as a real program writes its data: the runtime does not zero memory fresh from the OS
// (Go 1.19 malloc.go: mallocgc only clears when span.needzero), so unwritten pages never become
// resident, the same pages gomemsim's OS model touches.
// References are held as unsafe.Pointer to the first element; an interior pointer keeps the
// whole object alive (Go 1.19 mbitmap.go: findObject). They live in:
//   - pools: named live sets (and one anonymous pool for lifetime "forever"), chunked so that
//     growing a pool never copies it;
//   - a wheel of 1 ms buckets for timed lifetimes (ring of 16384 ms, later deaths in a map);
//   - growables: the slices that append steps grow with the real append/growslice.
// The reference structures themselves are heap memory: 8 B per pooled object, which gomemsim
// allocates too for its named live sets (sim/engine/simulation.h: the same 1020-pointer chunks);
// what gomemsim does not model is the anonymous pool (lifetime "forever" without a set) and the
// wheel: 8 B per object plus at most one partly filled 256 B chunk per 1 ms bucket
// (tests/fidelity/README.md has the measured figures).

import (
	"math"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"unsafe"
)

const osPage = 4096

// sentinel is what pointer objects point to.
var sentinel byte

// allocObject allocates one object and writes its touched pages.
func allocObject(size int64, pointers bool, touch float64) unsafe.Pointer {
	tb := int64(math.Ceil(float64(size) * touch))
	if tb > size {
		tb = size
	}
	if pointers {
		s := make([]unsafe.Pointer, (size+7)/8)
		if tb > 0 {
			for off := int64(0); off < tb; off += osPage {
				s[off/8] = unsafe.Pointer(&sentinel)
			}
			s[(tb-1)/8] = unsafe.Pointer(&sentinel)
		}
		return unsafe.Pointer(&s[0])
	}
	b := make([]byte, size)
	if tb > 0 {
		for off := int64(0); off < tb; off += osPage {
			b[off] = 1
		}
		b[tb-1] = 1
	}
	return unsafe.Pointer(&b[0])
}

// ---------------------------------------------------------------------------------------------
// Draws (math/rand seeded from the scenario; gomemsim's own draws differ, their distributions
// do not).

type sizeDrawer func(r *rand.Rand) int64

func newSizeDrawer(d *SizeDist) sizeDrawer {
	switch d.Kind {
	case "choice":
		cum := make([]float64, len(d.Choices))
		total := 0.0
		for i, c := range d.Choices {
			total += c.Weight
			cum[i] = total
		}
		choices := d.Choices
		return func(r *rand.Rand) int64 {
			x := r.Float64() * total
			i := sort.SearchFloat64s(cum, x)
			if i >= len(choices) {
				i = len(choices) - 1
			}
			return choices[i].Bytes
		}
	case "uniform":
		lo, hi := d.MinBytes, d.MaxBytes
		return func(r *rand.Rand) int64 { return lo + r.Int63n(hi-lo+1) }
	case "lognormal":
		med, sigma, lo, hi := float64(d.MedianBytes), d.Sigma, d.MinBytes, d.MaxBytes
		if lo < 1 {
			lo = 1
		}
		return func(r *rand.Rand) int64 {
			b := int64(math.Round(med * math.Exp(sigma*r.NormFloat64())))
			if b < lo {
				b = lo
			}
			if hi > 0 && b > hi {
				b = hi
			}
			return b
		}
	default: // fixed
		b := d.Bytes
		return func(*rand.Rand) int64 { return b }
	}
}

// lifetimeDrawer returns a lifetime in ns, or -1 for forever.
type lifetimeDrawer func(r *rand.Rand) int64

func newLifetimeDrawer(l *LifetimeDist) lifetimeDrawer {
	switch l.Kind {
	case "zero":
		return func(*rand.Rand) int64 { return 0 }
	case "fixed":
		ns := l.Ns
		return func(*rand.Rand) int64 { return ns }
	case "exponential":
		mean := float64(l.MeanNs)
		return func(r *rand.Rand) int64 { return int64(r.ExpFloat64() * mean) }
	case "lognormal":
		med, sigma := float64(l.MedianNs), l.Sigma
		return func(r *rand.Rand) int64 { return int64(med * math.Exp(sigma*r.NormFloat64())) }
	default: // forever
		return func(*rand.Rand) int64 { return -1 }
	}
}

// ---------------------------------------------------------------------------------------------
// Pools

// 1020 references and their count make an 8168 B chunk (the 8192 B size class).
const chunkLen = 1020

// A chunk holds references only, so a pool costs 8 B per object, what any program holding its
// objects pays. The objects' sizes are not stored (they only feed the trace's reachable
// column): the pool keeps their sum, and a fraction drop of a pool whose sizes differ counts
// the dropped objects at the pool's mean size (dropFraction).
type chunk struct {
	ptr [chunkLen]unsafe.Pointer
	n   int
}

type pool struct {
	chunks  []*chunk
	uniform int64 // the size of every object added, while !mixed
	mixed   bool  // sizes differ
	count   int64 // references held (non-nil entries)
	bytes   int64 // their requested sizes (see dropFraction)
}

func (p *pool) add(o unsafe.Pointer, size int64) {
	if len(p.chunks) == 0 { // the first object since the pool was made or dropped whole
		p.uniform = size
	} else if size != p.uniform {
		p.mixed = true
	}
	if len(p.chunks) == 0 || p.chunks[len(p.chunks)-1].n == chunkLen {
		p.chunks = append(p.chunks, new(chunk))
	}
	c := p.chunks[len(p.chunks)-1]
	c.ptr[c.n] = o
	c.n++
	p.count++
	p.bytes += size
}

// dropAll forgets every reference; returns the bytes they held.
func (p *pool) dropAll() int64 {
	b := p.bytes
	*p = pool{}
	return b
}

// dropFraction forgets round(f x count) references chosen uniformly (selection sampling,
// Knuth's algorithm S, as gomemsim's MHeap::retag does) and keeps the chunks (the emptied
// slots are not reused, as gomemsim keeps the set's chunks); returns their bytes: exact while
// the pool's objects have one size, else the dropped count at the pool's mean size (an
// unbiased estimate of a uniform sample's bytes).
func (p *pool) dropFraction(f float64, r *rand.Rand) int64 {
	if f >= 1 {
		return p.dropAll()
	}
	if p.count == 0 {
		return 0
	}
	dropped := int64(math.Round(f * float64(p.count)))
	need, remaining := dropped, p.count
	for _, c := range p.chunks {
		for i := 0; i < c.n && need > 0; i++ {
			if c.ptr[i] == nil {
				continue
			}
			take := need == remaining || r.Int63n(remaining) < need
			remaining--
			if !take {
				continue
			}
			need--
			c.ptr[i] = nil
		}
	}
	freed := dropped * p.uniform
	if p.mixed {
		freed = int64(math.Round(float64(p.bytes) * float64(dropped) / float64(p.count)))
	}
	p.bytes -= freed
	p.count -= dropped
	return freed
}

// ---------------------------------------------------------------------------------------------
// The lifetime wheel: bucket k holds the objects whose lifetime ends in ((k-1) ms, k ms].

const wheelLen = 1 << 14

// Entries per wheel chunk: 30 pointers, a count and a link make 256 B, a size class, so a chunk
// wastes nothing. A bucket is a list of chunks (only the first one partly filled), so the
// objects' references cost 8 B each plus at most one partly filled chunk per bucket. (An
// append-grown array per bucket, reused across buckets, kept ~14 MiB of arrays reachable at
// 100 MB/s of 0.5 s lifetimes: heap the program does not have and gomemsim does not model.)
const wheelChunkLen = 30

type wheelChunk struct {
	objs [wheelChunkLen]unsafe.Pointer
	n    int
	next *wheelChunk
}

type bucket struct {
	head  *wheelChunk // the chunk being filled; full ones follow through next
	bytes int64
}

// Expired chunks go to a free list for the next buckets to fill (so steady allocation makes no
// garbage of its own); the list keeps at most maxFreeChunks (1 MiB).
type wheel struct {
	ring  [wheelLen]bucket
	far   map[int64]*bucket
	free  *wheelChunk
	nfree int
	next  int64 // the next bucket to expire
	count int64 // objects held
}

const maxFreeChunks = 4096

func newWheel() *wheel { return &wheel{far: map[int64]*bucket{}} }

// add holds o until bucket tick expires (tick < next: it is already dead and not held).
func (w *wheel) add(tick int64, o unsafe.Pointer, size int64) bool {
	if tick < w.next {
		return false
	}
	var b *bucket
	if tick-w.next < wheelLen {
		b = &w.ring[tick%wheelLen]
	} else if b = w.far[tick]; b == nil {
		b = &bucket{}
		w.far[tick] = b
	}
	if b.head == nil || b.head.n == wheelChunkLen {
		c := w.free
		if c != nil {
			w.free, w.nfree = c.next, w.nfree-1
		} else {
			c = new(wheelChunk)
		}
		c.next = b.head
		b.head = c
	}
	b.head.objs[b.head.n] = o
	b.head.n++
	b.bytes += size
	w.count++
	return true
}

// release forgets b's objects; returns their bytes.
func (w *wheel) release(b *bucket) int64 {
	for c := b.head; c != nil; {
		next := c.next
		for i := 0; i < c.n; i++ {
			c.objs[i] = nil
		}
		w.count -= int64(c.n)
		c.n, c.next = 0, nil
		if w.nfree < maxFreeChunks {
			c.next, w.free = w.free, c
			w.nfree++
		}
		c = next
	}
	freed := b.bytes
	b.head, b.bytes = nil, 0
	return freed
}

// expire drops every bucket up to and including tick; returns the bytes released.
func (w *wheel) expire(tick int64) int64 {
	var freed int64
	for ; w.next <= tick; w.next++ {
		if w.count == 0 {
			w.next = tick + 1
			break
		}
		if f := w.far[w.next]; f != nil {
			freed += w.release(f)
			delete(w.far, w.next)
		}
		if b := &w.ring[w.next%wheelLen]; b.head != nil {
			freed += w.release(b)
		}
	}
	return freed
}

// ---------------------------------------------------------------------------------------------
// Slices grown by append steps: s = append(s, make([]T, n)...) with a real element type, so the
// real growslice (Go 1.19 slice.go) picks the capacity and clears the new memory.

type growable interface {
	grow(addBytes int64)
	capBytes() int64
}

type byteSlice struct{ s []byte }

func (b *byteSlice) grow(add int64)  { b.s = append(b.s, make([]byte, add)...) }
func (b *byteSlice) capBytes() int64 { return int64(cap(b.s)) }

type typedSlice[T any] struct{ s []T }

func (g *typedSlice[T]) grow(add int64) {
	var zero T
	n := add / int64(unsafe.Sizeof(zero))
	g.s = append(g.s, make([]T, n)...)
}
func (g *typedSlice[T]) capBytes() int64 {
	var zero T
	return int64(cap(g.s)) * int64(unsafe.Sizeof(zero))
}

var noPointerElems = map[int64]func() growable{
	1:    func() growable { return &byteSlice{} },
	2:    func() growable { return &typedSlice[[2]byte]{} },
	4:    func() growable { return &typedSlice[[4]byte]{} },
	8:    func() growable { return &typedSlice[[8]byte]{} },
	16:   func() growable { return &typedSlice[[16]byte]{} },
	32:   func() growable { return &typedSlice[[32]byte]{} },
	64:   func() growable { return &typedSlice[[64]byte]{} },
	128:  func() growable { return &typedSlice[[128]byte]{} },
	256:  func() growable { return &typedSlice[[256]byte]{} },
	512:  func() growable { return &typedSlice[[512]byte]{} },
	1024: func() growable { return &typedSlice[[1024]byte]{} },
	4096: func() growable { return &typedSlice[[4096]byte]{} },
}

var pointerElems = map[int64]func() growable{
	8:  func() growable { return &typedSlice[unsafe.Pointer]{} },
	16: func() growable { return &typedSlice[[2]unsafe.Pointer]{} },
	32: func() growable { return &typedSlice[[4]unsafe.Pointer]{} },
	64: func() growable { return &typedSlice[[8]unsafe.Pointer]{} },
}

func newGrowable(elem int64, pointers bool) (growable, bool) {
	m := noPointerElems
	if pointers {
		m = pointerElems
	}
	f, ok := m[elem]
	if !ok {
		return nil, false
	}
	return f(), true
}

func supportedElems() string {
	list := func(m map[int64]func() growable) string {
		var ks []int
		for k := range m {
			ks = append(ks, int(k))
		}
		sort.Ints(ks)
		var ss []string
		for _, k := range ks {
			ss = append(ss, strconv.Itoa(k))
		}
		return strings.Join(ss, ", ")
	}
	return "pointer-free elements of " + list(noPointerElems) + " B and pointer elements of " + list(pointerElems) + " B"
}
