package main

// goroutines.go: goroutines parked on a channel, each holding a stack of a given size.
//
// A goroutine starts on a small stack (Go 1.19 stack.go: _StackMin 2 KiB, or the average
// scanned stack size with GODEBUG adaptivestackstart=1, the 1.19 default) and the runtime
// doubles it (copystack) whenever a frame does not fit above the guard (_StackGuard 928 B on
// linux/amd64). To end on a stack of exactly S bytes (a power of two), a goroutine recurses
// through frames of frameBytes until it uses about 3/4 S - guard, which is more than half of
// S (so S/2 is too small) and leaves room below S; then it parks. The GC does not shrink it:
// shrinkstack halves a stack only when less than a quarter is used (stack.go).

import (
	"sync"
)

const (
	frameBytes = 480 // the pad array of deep()
	// Measured with go1.19.8 on linux/amd64 (driver_test.go checks the result): each deep()
	// frame takes 512 B, and a goroutine parked in deep(0) uses 1376 B of stack.
	deepFrameBytes = 512
	deepBaseBytes  = 1376
	stackGuard     = 928
)

type stacks struct {
	stop   chan struct{}
	exited chan struct{}
	alive  int64
	size   int64
}

func newStacks() *stacks {
	return &stacks{stop: make(chan struct{}), exited: make(chan struct{})}
}

// depthFor is the recursion depth that leaves a goroutine on a stack of size bytes; -1 means
// park at once (the smallest stack).
func depthFor(size int64) int {
	target := size*3/4 - stackGuard
	if target < deepBaseBytes {
		return -1
	}
	return int((target - deepBaseBytes) / deepFrameBytes)
}

// set makes count goroutines alive, each with a stack of size bytes; it returns once they are
// parked (or have exited).
func (g *stacks) set(count, size int64) {
	if size != g.size && g.alive > 0 {
		g.stopN(g.alive)
	}
	g.size = size
	if count > g.alive {
		g.start(count - g.alive)
	} else if count < g.alive {
		g.stopN(g.alive - count)
	}
}

func (g *stacks) start(n int64) {
	var ready sync.WaitGroup
	ready.Add(int(n))
	depth := depthFor(g.size)
	for i := int64(0); i < n; i++ {
		go parked(depth, &ready, g.stop, g.exited)
	}
	ready.Wait()
	g.alive += n
}

func (g *stacks) stopN(n int64) {
	for i := int64(0); i < n; i++ {
		g.stop <- struct{}{}
	}
	for i := int64(0); i < n; i++ {
		<-g.exited
	}
	g.alive -= n
}

func parked(depth int, ready *sync.WaitGroup, stop <-chan struct{}, exited chan<- struct{}) {
	if depth < 0 {
		park(ready, stop)
	} else {
		deep(depth, ready, stop)
	}
	exited <- struct{}{}
}

// deep recurses n more frames of ~frameBytes, then parks until stop.
//
//go:noinline
func deep(n int, ready *sync.WaitGroup, stop <-chan struct{}) byte {
	if n <= 0 {
		park(ready, stop)
		return 0
	}
	var pad [frameBytes]byte
	pad[n%frameBytes] = byte(n)
	return deep(n-1, ready, stop) ^ pad[(n*7)%frameBytes]
}

//go:noinline
func park(ready *sync.WaitGroup, stop <-chan struct{}) {
	ready.Done()
	<-stop
}
