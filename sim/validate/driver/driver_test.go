package main

import (
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// A goroutine set to a stack of S bytes ends up on exactly S: StackInuse grows by ~n x S.
// Each size is measured in a fresh process (this test binary, re-run as a helper), since exited
// goroutines leave stacks cached for reuse.
func TestStacksReachTheirSize(t *testing.T) {
	for _, size := range []int64{2048, 4096, 8192, 16384, 65536, 1 << 20} {
		cmd := exec.Command(os.Args[0], "-test.run=TestStackHelper")
		cmd.Env = append(os.Environ(), "GOMEMSIM_STACK_HELPER="+strconv.FormatInt(size, 10))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("helper for %d B: %v", size, err)
		}
		var per float64
		if _, err := fmt.Sscanf(strings.TrimSpace(strings.Split(string(out), "\n")[0]), "per=%g", &per); err != nil {
			t.Fatalf("helper output %q", out)
		}
		if per < 0.9*float64(size) || per > 1.1*float64(size) {
			t.Errorf("stack %d B: %.0f B per goroutine", size, per)
		}
	}
}

func TestStackHelper(t *testing.T) {
	env := os.Getenv("GOMEMSIM_STACK_HELPER")
	if env == "" {
		t.Skip("helper process for TestStacksReachTheirSize")
	}
	size, _ := strconv.ParseInt(env, 10, 64)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	g := newStacks()
	const n = 500
	g.set(n, size)
	runtime.ReadMemStats(&after)
	fmt.Printf("per=%g\n", float64(int64(after.StackInuse)-int64(before.StackInuse))/n)
	g.set(0, size)
}

func TestScaleHeapSampleMatchesPprof(t *testing.T) {
	// One 512 KiB sample at rate 512 KiB is seen with probability 1 - 1/e.
	got := scaleHeapSample(1, 512<<10, 512<<10)
	want := int64(float64(512<<10) / (1 - math.Exp(-1)))
	if got != want {
		t.Fatalf("scaleHeapSample = %d, want %d", got, want)
	}
	if scaleHeapSample(0, 0, 512<<10) != 0 || scaleHeapSample(3, 300, 1) != 300 {
		t.Fatal("edge cases")
	}
}

func TestWheelExpiresInOrder(t *testing.T) {
	w := newWheel()
	var x [4]byte
	p := unsafe.Pointer(&x[0])
	w.add(5, p, 10)
	w.add(7, p, 20)
	w.add(wheelLen+100, p, 40) // beyond the ring: held in the far map
	if w.add(-1, p, 1) {
		t.Fatal("a death before the wheel's position must not be held")
	}
	if got := w.expire(4); got != 0 {
		t.Fatalf("expire(4) = %d", got)
	}
	if got := w.expire(6); got != 10 {
		t.Fatalf("expire(6) = %d, want 10", got)
	}
	if got := w.expire(wheelLen + 99); got != 20 {
		t.Fatalf("expire(far-1) = %d, want 20", got)
	}
	if got := w.expire(wheelLen + 100); got != 40 || w.count != 0 {
		t.Fatalf("expire(far) = %d (count %d), want 40", got, w.count)
	}
}

func TestWheelChunksAreReused(t *testing.T) {
	w := newWheel()
	var x [4]byte
	p := unsafe.Pointer(&x[0])
	for i := 0; i < 100; i++ { // four chunks in one bucket
		w.add(3, p, 1)
	}
	w.add(4, p, 5)
	if unsafe.Sizeof(wheelChunk{}) != 256 {
		t.Fatalf("a wheel chunk is %d B, want 256 (a size class)", unsafe.Sizeof(wheelChunk{}))
	}
	if got := w.expire(3); got != 100 || w.count != 1 || w.nfree != 4 {
		t.Fatalf("expire(3) = %d (count %d, free chunks %d), want 100, 1, 4", got, w.count, w.nfree)
	}
	for i := 0; i < 31; i++ { // two chunks, both from the free list
		w.add(9, p, 1)
	}
	if w.nfree != 2 {
		t.Fatalf("free chunks %d, want 2", w.nfree)
	}
	if got := w.expire(10); got != 36 || w.count != 0 {
		t.Fatalf("expire(10) = %d (count %d), want 36, 0", got, w.count)
	}
}

// A pool holds 8 B per object whatever the sizes: chunks of 1020 pointers in the 8192 B size
// class (gomemsim allocates the same chunks for its live sets: kRefChunkLen, kRefChunkBytes in
// sim/engine/simulation.h), measured on the runtime's own HeapAlloc.
func TestPoolHoldsEightBytesPerObject(t *testing.T) {
	if sz := unsafe.Sizeof(chunk{}); sz != 8168 {
		t.Fatalf("a chunk is %d B, want 8168 (1020 pointers and a count, the 8192 B size class)", sz)
	}
	var x [4]byte
	o := unsafe.Pointer(&x[0])
	const chunks = 100
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p := new(pool)
	for i := 0; i < chunks*chunkLen; i++ {
		p.add(o, int64(16+i%100)) // sizes differ
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	want := int64(chunks * 8192) // the slice of chunk pointers (~1 KiB) and the test's own noise aside
	if grew < want-want/50 || grew > want+want/50 {
		t.Fatalf("%d references of mixed sizes hold %d B of heap, want ~%d (8 B each)", chunks*chunkLen, grew, want)
	}
	if len(p.chunks) != chunks || !p.mixed || p.count != chunks*chunkLen {
		t.Fatalf("chunks %d mixed %v count %d", len(p.chunks), p.mixed, p.count)
	}
	runtime.KeepAlive(p)
}

func TestPoolCountsBytesWithoutStoringSizes(t *testing.T) {
	var p pool
	var x [4]byte
	o := unsafe.Pointer(&x[0])
	for i := 0; i < chunkLen+5; i++ {
		p.add(o, 64)
	}
	if p.mixed || p.uniform != 64 || len(p.chunks) != 2 {
		t.Fatal("a pool of one size")
	}
	p.add(o, 1<<33) // sizes of 4 GiB and more are counted too
	p.add(o, 32)
	if !p.mixed || p.count != chunkLen+7 || p.bytes != 64*(chunkLen+5)+1<<33+32 {
		t.Fatalf("mixed %v count %d bytes %d", p.mixed, p.count, p.bytes)
	}
	if freed := p.dropFraction(1, nil); freed != 64*(chunkLen+5)+1<<33+32 || p.count != 0 || len(p.chunks) != 0 {
		t.Fatalf("dropped %d", freed)
	}
	p.add(o, 16) // a pool dropped whole starts afresh: one size again
	if p.mixed || p.uniform != 16 || len(p.chunks) != 1 {
		t.Fatal("a pool dropped whole starts afresh")
	}
}

// A fraction drop keeps the chunks (nils the dropped pointers); with mixed sizes the dropped
// objects count at the pool's mean size.
func TestDropFractionOfMixedSizesKeepsChunksAndCountsTheMean(t *testing.T) {
	var p pool
	var x [4]byte
	for i := 0; i < 3000; i++ {
		p.add(unsafe.Pointer(&x[0]), int64(10+20*(i%2))) // 10 and 30 B: 60000 B
	}
	freed := p.dropFraction(0.25, rand.New(rand.NewSource(1)))
	if freed != 15000 || p.count != 2250 || p.bytes != 45000 {
		t.Fatalf("freed %d, count %d, bytes %d", freed, p.count, p.bytes)
	}
	held := 0
	for _, c := range p.chunks {
		for i := 0; i < c.n; i++ {
			if c.ptr[i] != nil {
				held++
			}
		}
	}
	if len(p.chunks) != 3 || held != 2250 {
		t.Fatalf("chunks %d, pointers held %d, want 3, 2250", len(p.chunks), held)
	}
	p.add(unsafe.Pointer(&x[0]), 10) // appended after the last slot, as gomemsim counts it
	if len(p.chunks) != 3 || p.chunks[2].n != 3000-2*chunkLen+1 {
		t.Fatalf("after the drop a new object goes to the end of the last chunk")
	}
}

func TestDropFractionIsExact(t *testing.T) {
	var p pool
	var x [4]byte
	for i := 0; i < 3000; i++ {
		p.add(unsafe.Pointer(&x[0]), 2)
	}
	freed := p.dropFraction(0.25, rand.New(rand.NewSource(1)))
	if freed != 750*2 || p.count != 2250 || p.bytes != 4500 {
		t.Fatalf("freed %d, count %d, bytes %d", freed, p.count, p.bytes)
	}
}

func TestSizeDrawsStayInRange(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	u := newSizeDrawer(&SizeDist{Kind: "uniform", MinBytes: 10, MaxBytes: 12})
	l := newSizeDrawer(&SizeDist{Kind: "lognormal", MedianBytes: 1000, Sigma: 2, MinBytes: 100, MaxBytes: 5000})
	c := newSizeDrawer(&SizeDist{Kind: "choice", Choices: []Choice{{Bytes: 32, Weight: 3}, {Bytes: 64, Weight: 1}}})
	n32 := 0
	for i := 0; i < 10000; i++ {
		if v := u(r); v < 10 || v > 12 {
			t.Fatalf("uniform drew %d", v)
		}
		if v := l(r); v < 100 || v > 5000 {
			t.Fatalf("lognormal drew %d", v)
		}
		if c(r) == 32 {
			n32++
		}
	}
	if n32 < 7200 || n32 > 7800 {
		t.Fatalf("choice drew 32 B %d times of 10000, want ~7500", n32)
	}
}

func TestGoMinor(t *testing.T) {
	if goMinor("go1.19.8") != "1.19" || goMinor("go1.20") != "1.20" {
		t.Fatal(goMinor("go1.19.8"))
	}
}

func TestSameRelease(t *testing.T) {
	for _, c := range []struct {
		want, running string
		same          bool
	}{
		{"1.26", "go1.26.8", true}, {"1.26.8", "go1.26.8", true}, {"1.26.7", "go1.26.8", false},
		{"1.19", "go1.26.8", false}, {"1.2", "go1.26.8", false}, {"1.27", "go1.27.3", true},
	} {
		if got := sameRelease(c.want, c.running); got != c.same {
			t.Errorf("sameRelease(%q, %q) = %v, want %v", c.want, c.running, got, c.same)
		}
	}
}
