package main

// sampler.go: one trace.csv row per sample, with gomemsim's column names (sim/observe/outputs.cc
// traceCsv). A goroutine samples every sample_every; the main goroutine also samples right
// after every step, as the simulator does. What each column is read from (Go 1.19):
//   rss                 VmRSS of /proc/self/status
//   heap_* stack_inuse sys num_gc gc_cpu_fraction   runtime.ReadMemStats (stops the world)
//   heap_goal           runtime/metrics /gc/heap/goal:bytes
//   pprof_inuse_sampled the sum of InUseBytes() over runtime.MemProfile records: the raw
//                       sampled bytes of the published profile (mprof.go)
//   pprof_inuse         the same records scaled as `go tool pprof` shows them: each record's
//                       in-use bytes divided by the probability 1 - exp(-avg/rate) that an
//                       object of its average size is sampled at MemProfileRate
//                       (runtime/pprof/protomem.go scaleHeapSample)
//   reachable           the bytes of the objects this program still references (requested
//                       sizes; the runtime rounds them up to a size class); after a fraction
//                       drop of a set whose sizes differ, the dropped objects count at the set's
//                       mean size (workload.go dropFraction: the pools keep no sizes). The
//                       references themselves are not counted.
//   lazy_free           LazyFree of /proc/self/smaps_rollup, read at most once a second (reading
//                       it costs ~20 us per resident MiB); empty in the other rows
//   rss_minus_lazyfree  rss - lazy_free, in the rows that have lazy_free
//   anon_huge_pages     AnonHugePages of /proc/self/smaps_rollup, in the rows that have lazy_free
//   gc_sys              MemStats.GCSys: the GC's metadata (heap bitmap, mark bits, ...)
//   gc_limiter_last_enabled  runtime/metrics /gc/limiter/last-enabled:gc-cycle (Go 1.19+; empty
//                       before): the last GC cycle during which the GC CPU limiter was on
//   cpu_*_s             runtime/metrics /cpu/classes/* in seconds (Go 1.20+; empty before): total,
//                       user, idle, gc/total, gc/mark/assist, gc/mark/dedicated, gc/mark/idle,
//                       gc/pause, scavenge/total. The runtime updates them at each mark
//                       termination only (mstats.go cpuStats.accumulate).
// unswept_garbage, span_free, retained_free, runtime_overhead, baseline, the per-path release
// counters (released_background, released_eager, released_forced: Go 1.19 exports only their
// sum) and gc_limiter_fill (the limiter's bucket is not exported) are what only the simulator
// knows; they are left empty.

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// traceColumns are gomemsim's trace.csv columns, in its order.
var traceColumns = []string{"time_s", "step", "rss", "heap_alloc", "heap_inuse", "heap_idle", "heap_released",
	"heap_sys", "heap_goal", "stack_inuse", "sys", "num_gc", "gc_cpu_fraction", "pprof_inuse", "pprof_inuse_sampled",
	"reachable", "unswept_garbage", "span_free", "retained_free", "lazy_free", "runtime_overhead", "baseline",
	"released_background", "released_eager", "released_forced", "rss_minus_lazyfree", "gc_limiter_fill",
	"anon_huge_pages", "gc_sys", "gc_limiter_last_enabled",
	"cpu_total_s", "cpu_user_s", "cpu_idle_s", "cpu_gc_s", "cpu_gc_assist_s", "cpu_gc_dedicated_s", "cpu_gc_idle_s",
	"cpu_gc_pause_s", "cpu_scavenge_s"}

// cpuClasses are the runtime/metrics names of the cpu_*_s columns, in their order.
var cpuClasses = []string{"/cpu/classes/total:cpu-seconds", "/cpu/classes/user:cpu-seconds",
	"/cpu/classes/idle:cpu-seconds", "/cpu/classes/gc/total:cpu-seconds", "/cpu/classes/gc/mark/assist:cpu-seconds",
	"/cpu/classes/gc/mark/dedicated:cpu-seconds", "/cpu/classes/gc/mark/idle:cpu-seconds",
	"/cpu/classes/gc/pause:cpu-seconds", "/cpu/classes/scavenge/total:cpu-seconds"}

type row struct {
	t                                                          float64
	step                                                       string
	rss, heapAlloc, heapInuse, heapIdle, heapReleased, heapSys int64
	heapGoal, stackInuse, sys, numGC, pprofInuse, pprofSampled int64
	reachable, lazyFree, anonHuge, gcSys, limiterLast          int64
	gcCPUFraction                                              float64
	hasLazy, hasLimiter, hasCPU                                bool
	cpu                                                        [9]float64 // cpuClasses' values
}

type sampler struct {
	start     time.Time
	every     time.Duration
	step      atomic.Value // string: the step running
	reachable *atomic.Int64

	mu       sync.Mutex
	rows     []row
	ms       runtime.MemStats
	goal     []metrics.Sample
	cpu      []metrics.Sample // cpuClasses
	recs     []runtime.MemProfileRecord
	statBuf  []byte
	lastLazy time.Time

	stop chan struct{}
	done chan struct{}
}

func newSampler(start time.Time, every time.Duration, reachable *atomic.Int64, expectRows int) *sampler {
	s := &sampler{start: start, every: every, reachable: reachable,
		rows:    make([]row, 0, expectRows),
		goal:    []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/gc/limiter/last-enabled:gc-cycle"}},
		cpu:     make([]metrics.Sample, len(cpuClasses)),
		recs:    make([]runtime.MemProfileRecord, 256),
		statBuf: make([]byte, 8192),
		stop:    make(chan struct{}), done: make(chan struct{})}
	for i, n := range cpuClasses {
		s.cpu[i].Name = n
	}
	s.step.Store("start")
	return s
}

func (s *sampler) setStep(label string) { s.step.Store(label) }

// run samples at start + k x every until stopped; a late sample is taken late, missed ones
// are skipped.
func (s *sampler) run() {
	defer close(s.done)
	k := int64(1)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		due := s.start.Add(time.Duration(k) * s.every)
		timer.Reset(time.Until(due))
		select {
		case <-s.stop:
			return
		case <-timer.C:
		}
		s.sample("")
		if next := int64(time.Since(s.start)/s.every) + 1; next > k+1 {
			k = next
		} else {
			k++
		}
	}
}

func (s *sampler) halt() {
	close(s.stop)
	<-s.done
}

// sample appends a row labelled step; "" labels it with the step running, read under the lock
// so that rows stay in step order (a label read before waiting for the lock could be older than
// the row the main goroutine appends right after the next step).
func (s *sampler) sample(step string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if step == "" {
		step = s.step.Load().(string)
	}
	runtime.ReadMemStats(&s.ms)
	now := time.Now()
	metrics.Read(s.goal)
	metrics.Read(s.cpu)
	inuse, sampled := s.profile()
	r := row{t: now.Sub(s.start).Seconds(), step: step, rss: s.vmRSS(),
		heapAlloc: int64(s.ms.HeapAlloc), heapInuse: int64(s.ms.HeapInuse), heapIdle: int64(s.ms.HeapIdle),
		heapReleased: int64(s.ms.HeapReleased), heapSys: int64(s.ms.HeapSys), stackInuse: int64(s.ms.StackInuse),
		sys: int64(s.ms.Sys), numGC: int64(s.ms.NumGC), gcCPUFraction: s.ms.GCCPUFraction,
		pprofInuse: inuse, pprofSampled: sampled, reachable: s.reachable.Load(), gcSys: int64(s.ms.GCSys)}
	if g := s.goal[0].Value; g.Kind() == metrics.KindUint64 {
		r.heapGoal = int64(g.Uint64())
	}
	if l := s.goal[1].Value; l.Kind() == metrics.KindUint64 {
		r.limiterLast, r.hasLimiter = int64(l.Uint64()), true
	}
	r.hasCPU = true
	for i := range s.cpu {
		if v := s.cpu[i].Value; v.Kind() == metrics.KindFloat64 {
			r.cpu[i] = v.Float64()
		} else {
			r.hasCPU = false // Go 1.19: no /cpu/classes
		}
	}
	if now.Sub(s.lastLazy) >= time.Second {
		if lf, huge, ok := smapsRollup(); ok {
			r.lazyFree, r.anonHuge, r.hasLazy = lf, huge, true
		}
		s.lastLazy = now
	}
	s.rows = append(s.rows, r)
}

// profile returns the heap profile's in-use bytes, scaled as pprof scales them, and raw.
func (s *sampler) profile() (scaled, raw int64) {
	n, ok := runtime.MemProfile(s.recs, false)
	for !ok {
		s.recs = make([]runtime.MemProfileRecord, n+n/4+16)
		n, ok = runtime.MemProfile(s.recs, false)
	}
	rate := int64(runtime.MemProfileRate)
	for i := range s.recs[:n] {
		b, o := s.recs[i].InUseBytes(), s.recs[i].InUseObjects()
		raw += b
		scaled += scaleHeapSample(o, b, rate)
	}
	return scaled, raw
}

// scaleHeapSample is runtime/pprof's (Go 1.19 protomem.go), for the bytes only.
func scaleHeapSample(count, size, rate int64) int64 {
	if count == 0 || size == 0 {
		return 0
	}
	if rate <= 1 {
		return size
	}
	avgSize := float64(size) / float64(count)
	scale := 1 / (1 - math.Exp(-avgSize/float64(rate)))
	return int64(float64(size) * scale)
}

// vmRSS reads VmRSS from /proc/self/status into a reused buffer.
func (s *sampler) vmRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	n, _ := f.Read(s.statBuf)
	return kBField(s.statBuf[:n], "VmRSS:")
}

// kBField finds "Name:   123 kB" in text and returns the value in bytes (0 if absent).
func kBField(text []byte, name string) int64 {
	i := bytes.Index(text, []byte(name))
	if i < 0 {
		return 0
	}
	rest := text[i+len(name):]
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	f := strings.Fields(string(rest))
	if len(f) == 0 {
		return 0
	}
	v, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0
	}
	return v * 1024
}

// smapsRollup returns LazyFree and AnonHugePages of /proc/self/smaps_rollup.
func smapsRollup() (lazy, huge int64, ok bool) {
	data, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil || !bytes.Contains(data, []byte("LazyFree:")) {
		return 0, 0, false
	}
	return kBField(data, "LazyFree:"), kBField(data, "AnonHugePages:"), true
}

// csvField quotes a field that holds a comma, quote or newline (RFC 4180).
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func (s *sampler) writeCSV(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	b.WriteString(strings.Join(traceColumns, ",") + "\n")
	for i := range s.rows {
		r := &s.rows[i]
		lazy, rssNotLazy, huge, limiter := "", "", "", ""
		if r.hasLimiter {
			limiter = strconv.FormatInt(r.limiterLast, 10)
		}
		if r.hasLazy {
			lazy = strconv.FormatInt(r.lazyFree, 10)
			rssNotLazy = strconv.FormatInt(r.rss-r.lazyFree, 10)
			huge = strconv.FormatInt(r.anonHuge, 10)
		}
		fmt.Fprintf(&b, "%.4f,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%.6f,%d,%d,%d,,,,%s,,,,,,%s,,%s,%d,%s",
			r.t, csvField(r.step), r.rss, r.heapAlloc, r.heapInuse, r.heapIdle, r.heapReleased, r.heapSys,
			r.heapGoal, r.stackInuse, r.sys, r.numGC, r.gcCPUFraction, r.pprofInuse, r.pprofSampled,
			r.reachable, lazy, rssNotLazy, huge, r.gcSys, limiter)
		for _, v := range r.cpu {
			if r.hasCPU {
				fmt.Fprintf(&b, ",%.6f", v)
			} else {
				b.WriteString(",")
			}
		}
		b.WriteString("\n")
	}
	return writeFileAtomic(path, []byte(b.String()))
}

// writeFileAtomic writes to a temporary name and renames it into place.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// memTotal is MemTotal of /proc/meminfo in bytes (0 if unreadable).
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "MemTotal:") {
			return kBField(sc.Bytes(), "MemTotal:")
		}
	}
	return 0
}
