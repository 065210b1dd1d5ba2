// Command layout measures the real Go runtime's heap object layout on a controlled program, for
// whichever Go version built it, and prints one CSV (header first) on stdout.
//
// Rows with probe=layout: one per object size x pointers (no: []byte of size bytes; yes:
// []unsafe.Pointer of ceil(size/8) elements, alloc_bytes long). n objects are allocated one by
// one after runtime.GC() with the GC off (GOGC=off, GOMAXPROCS=1), held by a slice made before
// the window, and measured in five ways:
//   - class_size, class_mallocs: the size class whose allocation count grew (runtime/metrics
//     /gc/heap/allocs-by-size:bytes, the counter behind MemStats.BySize, which stops at 18432 B);
//     class_size 0 = large object (own span, no class);
//   - heap_alloc_per_object: MemStats.HeapAlloc delta / n (the slot size the runtime charges);
//   - stride_bytes: the most common distance between the addresses of consecutively allocated
//     objects (the slot size in memory);
//   - heap_inuse_per_object: MemStats.HeapInuse delta / n (slot + each span's unusable tail and
//     in-span metadata, give or take a partial span at each end); objects_per_span_implied =
//     span_bytes / that, span_bytes being the class's span (Go's size-class table, the same in
//     1.19 and 1.22+) or the rounded-up pages of a large object;
//   - objects_per_span, span_bytes_seen: exact, from watching HeapInuse (runtime/metrics heap
//     objects + unused) after each of the first 65536 allocations: the most common
//     number of allocations between two span acquisitions, and the most common growth.
//
// Rows with probe=gcsys_ptr64 / gcsys_noscan64k: each run in a fresh child process (this binary
// with GOMEMSIM_LAYOUT_CHILD set), grows a never-grown heap by 512 MiB of pointerful 64 B objects
// (a linked list) or of pointer-free 64 KiB []byte (every page written), and reports the deltas
// of HeapSys, GCSys (heap bitmap, heap arena metadata, mark/alloc bits), HeapInuse, the
// runtime/metrics metadata classes other and mspan/inuse, and VmRSS (/proc/self/status).
//
// Build and run: CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath && ./layout > out.csv
// Standard library only; builds with Go 1.19 and later. Runs in ~10 s, < 600 MiB RSS.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

const childEnv = "GOMEMSIM_LAYOUT_CHILD"

// Go's size classes (runtime/sizeclasses.go in 1.19, internal/runtime/gc/sizeclasses.go in
// 1.26/1.27: the same table): object size and pages per span.
var classSize = []int{0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768}
var classPages = []int{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 2, 1, 3, 2, 3, 1, 3, 2, 3, 4, 5, 6, 1, 7, 6, 5, 4, 3, 5, 7, 2, 9, 7, 5, 8, 3, 10, 7, 4}

const pageSize = 8192

var sizes = []int{8, 16, 24, 32, 48, 64, 128, 256, 512, 513, 640, 1024, 2048, 4096, 8192, 16384, 32760, 32768, 32769, 65536}

var columns = []string{
	"go_version", "probe", "size", "pointers", "alloc_bytes", "n",
	"class_size", "class_mallocs", "heap_alloc_per_object", "stride_bytes",
	"heap_inuse_per_object", "span_bytes", "objects_per_span_implied", "objects_per_span", "span_bytes_seen",
	"heap_sys_delta", "gc_sys_delta", "gc_sys_per_heap_sys", "heap_inuse_delta",
	"metadata_other_delta", "mspan_inuse_delta", "rss_delta", "rss_per_heap_inuse",
}

type row map[string]string

func (r row) csv() string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = r[c]
	}
	return strings.Join(out, ",")
}

func main() {
	runtime.GOMAXPROCS(1)
	debug.SetGCPercent(-1)
	allocsBySize(nil)
	if probe := os.Getenv(childEnv); probe != "" {
		fmt.Println(gcsysProbe(probe).csv())
		return
	}
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w, strings.Join(columns, ","))
	for _, size := range sizes {
		for _, ptr := range []bool{false, true} {
			fmt.Fprintln(w, layoutProbe(size, ptr).csv())
		}
	}
	w.Flush()
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	for _, probe := range []string{"gcsys_ptr64", "gcsys_noscan64k"} {
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), childEnv+"="+probe)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			fail(fmt.Errorf("child %s: %v", probe, err))
		}
		os.Stdout.Write(out)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "layout:", err)
	os.Exit(1)
}

//go:noinline
func allocBytes(n int) unsafe.Pointer {
	b := make([]byte, n)
	return unsafe.Pointer(&b[0])
}

//go:noinline
func allocPointers(words int) unsafe.Pointer {
	p := make([]unsafe.Pointer, words)
	return unsafe.Pointer(&p[0])
}

// heapInuse samples are read after every watched allocation: runtime/metrics, unlike
// ReadMemStats, neither stops the world nor allocates for scalar metrics.
var inuseSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
}

func heapInuse() uint64 {
	metrics.Read(inuseSamples)
	return inuseSamples[0].Value.Uint64() + inuseSamples[1].Value.Uint64()
}

// bySizeSample is read once in main first, so that later reads reuse its histogram and
// allocate nothing.
var bySizeSample = []metrics.Sample{{Name: "/gc/heap/allocs-by-size:bytes"}}

func allocsBySize(dst []uint64) []uint64 {
	metrics.Read(bySizeSample)
	return append(dst[:0], bySizeSample[0].Value.Float64Histogram().Counts...)
}

// bucketClass maps a bucket of /gc/heap/allocs-by-size:bytes to its class size: bucket i holds
// class i+1 (buckets are [class(i)+1, class(i+1)+1)); the last one holds large objects (0).
func bucketClass(i int) int {
	if i+1 < len(classSize) {
		return classSize[i+1]
	}
	return 0
}

func layoutProbe(size int, ptr bool) row {
	bytes := size
	if ptr {
		bytes = (size + 7) / 8 * 8
	}
	n := (32 << 20) / bytes
	if n < 256 {
		n = 256
	}
	if n > 1<<18 {
		n = 1 << 18
	}
	watch := n
	if watch > 1<<16 {
		watch = 1 << 16
	}
	// Everything the window writes to is allocated before it.
	hold := make([]unsafe.Pointer, n)
	starts := make([]int, 0, watch+1)
	grows := make([]int, 0, watch+1)
	histBefore := make([]uint64, 0, len(classSize)+1)
	histAfter := make([]uint64, 0, len(classSize)+1)
	var before, after runtime.MemStats

	settle()
	runtime.ReadMemStats(&before) // flushes the mcaches, so the per-class counts are current
	histBefore = allocsBySize(histBefore)
	last := heapInuse()
	for i := 0; i < n; i++ {
		if ptr {
			hold[i] = allocPointers(bytes / 8)
		} else {
			hold[i] = allocBytes(bytes)
		}
		if i < watch {
			if h := heapInuse(); h != last {
				starts = append(starts, i)
				grows = append(grows, int(h-last))
				last = h
			}
		}
	}
	runtime.ReadMemStats(&after)
	histAfter = allocsBySize(histAfter)

	best, bestDelta := -1, uint64(0)
	for i := range histAfter {
		if d := histAfter[i] - histBefore[i]; d > bestDelta {
			best, bestDelta = i, d
		}
	}
	class := bucketClass(best)
	spanBytes := 0
	if class == 0 {
		spanBytes = (bytes + pageSize - 1) / pageSize * pageSize
	} else {
		for c, s := range classSize {
			if s == class {
				spanBytes = classPages[c] * pageSize
			}
		}
	}
	strides := make([]int, 0, n-1)
	for i := 1; i < n; i++ {
		strides = append(strides, int(uintptr(hold[i]))-int(uintptr(hold[i-1])))
	}
	runs := make([]int, 0, len(starts))
	for i := 1; i < len(starts); i++ {
		runs = append(runs, starts[i]-starts[i-1])
	}
	runtime.KeepAlive(hold)

	heapAllocPer := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
	inusePer := float64(after.HeapInuse-before.HeapInuse) / float64(n)
	r := row{
		"go_version": runtime.Version(), "probe": "layout",
		"size": strconv.Itoa(size), "pointers": yesNo(ptr), "alloc_bytes": strconv.Itoa(bytes),
		"n": strconv.Itoa(n), "class_size": strconv.Itoa(class),
		"class_mallocs":         strconv.FormatUint(bestDelta, 10),
		"heap_alloc_per_object": ftoa(heapAllocPer, 2), "stride_bytes": strconv.Itoa(mode(strides)),
		"heap_inuse_per_object": ftoa(inusePer, 3), "span_bytes": strconv.Itoa(spanBytes),
		"objects_per_span_implied": ftoa(float64(spanBytes)/inusePer, 2),
		"objects_per_span":         strconv.Itoa(mode(runs)), "span_bytes_seen": strconv.Itoa(mode(grows)),
	}
	hold = nil
	runtime.GC()
	return r
}

// settle collects everything and lets the background sweeper run to its end: after a GC it
// frees the GC's work buffers (GCSys shrinks by 32 KiB spans) some time later, when it gets a
// turn; without the sleep that can land inside a measuring window.
func settle() {
	runtime.GC()
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
}

// mode is the most common value (the smallest of equally common ones); 0 for none.
func mode(v []int) int {
	count := map[int]int{}
	for _, x := range v {
		count[x]++
	}
	keys := make([]int, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	best, bestN := 0, 0
	for _, k := range keys {
		if count[k] > bestN {
			best, bestN = k, count[k]
		}
	}
	return best
}

type node64 struct {
	next *node64
	_    [7]unsafe.Pointer
}

var metaSamples = []metrics.Sample{
	{Name: "/memory/classes/metadata/other:bytes"},
	{Name: "/memory/classes/metadata/mspan/inuse:bytes"},
}

func gcsysProbe(probe string) row {
	const grow = 512 << 20
	var n, size int
	var ptr bool
	var pages [][]byte
	switch probe {
	case "gcsys_ptr64":
		size, ptr = 64, true
		n = grow / size
	case "gcsys_noscan64k":
		size = 65536
		n = grow / size
		pages = make([][]byte, 0, n)
	default:
		fail(fmt.Errorf("unknown probe %q", probe))
	}
	var before, after runtime.MemStats
	// Free pages reused by the growth would already be resident: return them to the OS first.
	// FreeOSMemory collects too, so settle (and its sleep) comes after it.
	debug.FreeOSMemory()
	settle()
	rssBefore := rss()
	runtime.ReadMemStats(&before) // its mcache flush can add span-set blocks: read metrics after
	metrics.Read(metaSamples)
	otherBefore, mspanBefore := metaSamples[0].Value.Uint64(), metaSamples[1].Value.Uint64()

	var head *node64
	for i := 0; i < n; i++ {
		if ptr {
			head = &node64{next: head}
		} else {
			b := make([]byte, size)
			for j := 0; j < size; j += 4096 {
				b[j] = 1
			}
			pages = append(pages, b)
		}
	}

	runtime.ReadMemStats(&after)
	metrics.Read(metaSamples)
	otherAfter, mspanAfter := metaSamples[0].Value.Uint64(), metaSamples[1].Value.Uint64()
	rssAfter := rss()
	runtime.KeepAlive(head)
	runtime.KeepAlive(pages)

	heapSys := int64(after.HeapSys) - int64(before.HeapSys)
	gcSys := int64(after.GCSys) - int64(before.GCSys)
	inuse := int64(after.HeapInuse) - int64(before.HeapInuse)
	rssDelta := rssAfter - rssBefore
	return row{
		"go_version": runtime.Version(), "probe": probe,
		"size": strconv.Itoa(size), "pointers": yesNo(ptr), "alloc_bytes": strconv.Itoa(size),
		"n":                     strconv.Itoa(n),
		"heap_alloc_per_object": ftoa(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), 2),
		"heap_inuse_per_object": ftoa(float64(inuse)/float64(n), 3),
		"heap_sys_delta":        strconv.FormatInt(heapSys, 10),
		"gc_sys_delta":          strconv.FormatInt(gcSys, 10),
		"gc_sys_per_heap_sys":   ftoa(float64(gcSys)/float64(heapSys), 6),
		"heap_inuse_delta":      strconv.FormatInt(inuse, 10),
		"metadata_other_delta":  strconv.FormatInt(int64(otherAfter)-int64(otherBefore), 10),
		"mspan_inuse_delta":     strconv.FormatInt(int64(mspanAfter)-int64(mspanBefore), 10),
		"rss_delta":             strconv.FormatInt(rssDelta, 10),
		"rss_per_heap_inuse":    ftoa(float64(rssDelta)/float64(inuse), 4),
	}
}

// rss is VmRSS from /proc/self/status, in bytes.
func rss() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fail(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				fail(err)
			}
			return kb << 10
		}
	}
	fail(fmt.Errorf("no VmRSS in /proc/self/status"))
	return 0
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func ftoa(f float64, prec int) string { return strconv.FormatFloat(f, 'f', prec, 64) }
