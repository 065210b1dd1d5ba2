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
