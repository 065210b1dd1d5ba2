package main

// steps.go: how each workload step runs on the real runtime.
//
// Pacing (as the project's first real Go 1.19 recordings were made): allocation is paced by debt. Every 1 ms tick a
// stream allocates until its bytes reach rate x elapsed time (capped at its total); the loop
// then drops the references whose lifetime ended and sleeps to the next 1 ms boundary. A step
// that cannot keep up keeps allocating until it has paid its debt (the step then ends late, and
// steps.csv says by how much). Steps "as fast as possible" (live_set without over, append) run
// flat out, dropping expired references every ~1 ms.

import (
	"math"
	"time"
	"unsafe"
)

const tick = time.Millisecond

type streamState struct {
	st    *Stream
	size  sizeDrawer
	life  lifetimeDrawer
	pool  *pool // nil: timed lifetime (wheel) or forever
	done  int64
	limit int64 // total bytes, or MaxInt64
}

func (d *driver) poolFor(name string) *pool {
	p := d.pools[name]
	if p == nil {
		p = &pool{}
		d.pools[name] = p
	}
	return p
}

// expire drops the references whose lifetime has ended by now.
func (d *driver) expire() {
	if freed := d.wheel.expire(int64(d.now() / tick)); freed > 0 {
		d.reachable.Add(-freed)
	}
}

// keep holds o as the stream says: in its set, until its death tick, or forever. now is the
// batch's clock reading (ns since start).
func (d *driver) keep(s *streamState, o unsafe.Pointer, size int64, now int64) {
	if s.pool != nil {
		s.pool.add(o, size)
		d.reachable.Add(size)
		return
	}
	life := s.life(d.rng)
	if life < 0 {
		d.forever.add(o, size)
		d.reachable.Add(size)
		return
	}
	// Dead at now+life: held by the bucket that expires at the first tick >= that instant.
	death := now + life
	if d.wheel.add((death+int64(tick)-1)/int64(tick), o, size) {
		d.reachable.Add(size)
	}
}

// runStreams paces the streams for dur; returns how far behind schedule it ended.
func (d *driver) runStreams(dur time.Duration, streams []Stream) time.Duration {
	states := make([]streamState, len(streams))
	for i := range streams {
		s := &streams[i]
		states[i] = streamState{st: s, size: newSizeDrawer(&s.Size), life: newLifetimeDrawer(&s.Lifetime),
			limit: math.MaxInt64}
		if s.Set != "" {
			states[i].pool = d.poolFor(s.Set)
		}
		if s.TotalBytes != nil {
			states[i].limit = *s.TotalBytes
		}
	}
	t0 := d.now()
	for {
		el := d.now() - t0
		if el > dur {
			el = dur
		}
		for i := range states {
			d.payDebt(&states[i], el)
		}
		d.expire()
		if el >= dur {
			return d.now() - t0 - dur
		}
		// Sleep to the next tick boundary of the step (not past its end).
		next := (el/tick + 1) * tick
		if next > dur {
			next = dur
		}
		if wait := next - (d.now() - t0); wait > 0 {
			time.Sleep(wait)
		}
	}
}

// payDebt allocates until s has allocated rate x el bytes (or its total), reading the clock
// again every 1024 objects so the wheel keeps up.
func (d *driver) payDebt(s *streamState, el time.Duration) {
	target := int64(s.st.RateBytesPerS * el.Seconds())
	if target > s.limit {
		target = s.limit
	}
	now := int64(d.now())
	for n := 0; s.done < target; n++ {
		size := s.size(d.rng)
		o := allocObject(size, s.st.Pointers, s.st.Touch)
		d.keep(s, o, size, now)
		s.done += size
		if n%1024 == 1023 {
			d.expire()
			now = int64(d.now())
		}
	}
}

// liveSet adds grow_to bytes of objects to the named set: paced over `over` as one stream
// (as gomemsim does), or as fast as possible.
func (d *driver) liveSet(st *Step) (time.Duration, time.Duration) {
	if st.OverNs > 0 {
		total := st.GrowToBytes
		s := Stream{Name: "live_set:" + st.Name, Size: *st.Size, Lifetime: LifetimeDist{Kind: "forever"}, Set: st.Name,
			Touch: st.Touch, Pointers: st.Pointers, TotalBytes: &total,
			RateBytesPerS: float64(st.GrowToBytes) / (float64(st.OverNs) / 1e9)}
		return time.Duration(st.OverNs), d.runStreams(time.Duration(st.OverNs), []Stream{s})
	}
	p := d.poolFor(st.Name)
	draw := newSizeDrawer(st.Size)
	var done int64
	for n := 0; done < st.GrowToBytes; n++ {
		size := draw(d.rng)
		p.add(allocObject(size, st.Pointers, st.Touch), size)
		d.reachable.Add(size)
		done += size
		if n%1024 == 1023 {
			d.expire()
		}
	}
	return 0, 0
}

// appendTo runs s = append(s, make([]T, add/elem)...) `times` times.
func (d *driver) appendTo(st *Step) {
	g := d.slices[st.Slice]
	if g == nil {
		g, _ = newGrowable(st.ElemBytes, st.Pointers) // refusals() checked the element type
		d.slices[st.Slice] = g
	}
	for i := int64(0); i < st.Times; i++ {
		before := g.capBytes()
		g.grow(st.AddBytes)
		d.reachable.Add(g.capBytes() - before) // the old array is garbage, the new one reachable
		d.expire()
	}
}

// drop forgets a set's (or slice's) references, a fraction of them, or all of the program's
// named references (sets and slices; timed objects keep their lifetimes, as in gomemsim).
func (d *driver) drop(st *Step) {
	if st.All {
		for _, p := range d.pools {
			d.reachable.Add(-p.dropAll())
		}
		for name, g := range d.slices {
			d.reachable.Add(-g.capBytes())
			delete(d.slices, name)
		}
		return
	}
	if p := d.pools[st.Set]; p != nil {
		d.reachable.Add(-p.dropFraction(st.Fraction, d.rng))
	}
	if g := d.slices[st.Set]; g != nil {
		d.reachable.Add(-g.capBytes())
		delete(d.slices, st.Set)
	}
}

// idle sleeps for dur, waking every tick only while timed objects remain to be dropped.
func (d *driver) idle(dur time.Duration) {
	end := d.now() + dur
	for {
		now := d.now()
		if now >= end {
			return
		}
		d.expire()
		wait := end - now
		if d.wheel.count > 0 && wait > tick {
			wait = (now/tick+1)*tick - now
		}
		time.Sleep(wait)
	}
}
