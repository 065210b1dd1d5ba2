// Command driver runs a gomemsim scenario on the real Go runtime and records the trace
// gomemsim would record for it (`gomemsim validate` builds and runs it).
//
// Models: the scenario's program, for real: paced allocation streams, live sets, append
// growth, drops, idle periods, runtime.GC, debug.FreeOSMemory, debug.SetGCPercent,
// debug.SetMemoryLimit, goroutines with stacks, and the runtime knobs (GOGC, GOMEMLIMIT,
// GOMAXPROCS, GODEBUG madvdontneed). Writes OUT/trace.csv with gomemsim's column names,
// OUT/steps.csv (when each step ran) and prints notes on stdout; stderr carries the runtime's
// GODEBUG=gctrace=1,scavtrace=1 lines.
// Does not model: anything the real runtime cannot be told to do (another Go version than the
// one that built this binary, another scavenger or pacer policy, a cgroup limit): such a
// scenario is refused with exit status 2 before anything runs.
//
// Usage: driver -scenario FILE.json -out DIR     run and record
//
//	driver -scenario FILE.json -check       only check that it can run (exit 0 or 2)
//
// Exit status: 0 ok, 2 bad or refused scenario, 1 internal error.
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

const reexecMarker = "GOMEMSIM_DRIVER_REEXEC"

func main() {
	start := time.Now()
	scenarioPath := flag.String("scenario", "", "normalised scenario JSON (gomemsim's scenarioToJson)")
	outDir := flag.String("out", "", "directory for trace.csv and steps.csv")
	check := flag.Bool("check", false, "only check whether the scenario can be reproduced")
	flag.Parse()
	if *scenarioPath == "" || (*outDir == "" && !*check) {
		fmt.Fprintln(os.Stderr, "usage: driver -scenario FILE.json (-out DIR | -check)")
		os.Exit(2)
	}
	s, err := readScenario(*scenarioPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gomemsim-driver: %v\n", err)
		os.Exit(2)
	}
	if r := refusals(s); len(r) > 0 {
		fmt.Fprintf(os.Stderr, "gomemsim-driver: cannot reproduce %s on the real runtime:\n", s.Name)
		for _, m := range r {
			fmt.Fprintf(os.Stderr, "  - %s\n", m)
		}
		os.Exit(2)
	}
	if *check {
		return
	}
	ensureGODEBUG(s)
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "gomemsim-driver: %v\n", err)
		os.Exit(1)
	}
	d := newDriver(s, start)
	d.run()
	if err := d.write(*outDir); err != nil {
		fmt.Fprintf(os.Stderr, "gomemsim-driver: %v\n", err)
		os.Exit(1)
	}
}

// wantGODEBUG is the GODEBUG the run needs: the scenario's own settings, the madvise mode
// (Go 1.19 runtime1.go dbgvars: madvdontneed, read once at startup by parsedebugvars), and
// gctrace=1,scavtrace=1 for the trace on stderr.
func wantGODEBUG(s *Scenario) []string {
	var out []string
	for _, kv := range strings.Split(s.Runtime.GODEBUG, ",") {
		kv = strings.TrimSpace(kv)
		k := strings.SplitN(kv, "=", 2)[0]
		if kv == "" || k == "madvdontneed" || k == "gctrace" || k == "scavtrace" {
			continue
		}
		out = append(out, kv)
	}
	madv := "madvdontneed=1"
	if s.Runtime.Madvise == "free" {
		madv = "madvdontneed=0"
	}
	return append(out, madv, "gctrace=1", "scavtrace=1")
}

// ensureGODEBUG re-executes this program once with GODEBUG set when the environment it was
// started with lacks a setting (GODEBUG is only read at startup).
func ensureGODEBUG(s *Scenario) {
	have := map[string]bool{}
	for _, kv := range strings.Split(os.Getenv("GODEBUG"), ",") {
		have[strings.TrimSpace(kv)] = true
	}
	want := wantGODEBUG(s)
	missing := false
	for _, kv := range want {
		missing = missing || !have[kv]
	}
	if !missing {
		return
	}
	if os.Getenv(reexecMarker) != "" {
		fmt.Fprintf(os.Stderr, "gomemsim-driver: GODEBUG=%s did not take effect\n", strings.Join(want, ","))
		os.Exit(1)
	}
	env := []string{"GODEBUG=" + strings.Join(want, ","), reexecMarker + "=1"}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GODEBUG=") {
			env = append(env, e)
		}
	}
	exe, err := os.Executable()
	if err == nil {
		err = syscall.Exec(exe, os.Args, env)
	}
	fmt.Fprintf(os.Stderr, "gomemsim-driver: cannot re-execute with GODEBUG set: %v\n", err)
	os.Exit(1)
}

type stepTime struct {
	label             string
	start, end        float64
	planned, behindMs float64
}

type driver struct {
	s         *Scenario
	start     time.Time
	rng       *rand.Rand
	reachable atomic.Int64
	smp       *sampler
	pools     map[string]*pool
	forever   pool
	wheel     *wheel
	slices    map[string]growable
	stacks    *stacks
	times     []stepTime
	notes     []string
}

func newDriver(s *Scenario, start time.Time) *driver {
	d := &driver{s: s, start: start, rng: rand.New(rand.NewSource(int64(s.Seed))), pools: map[string]*pool{}, wheel: newWheel(),
		slices: map[string]growable{}, stacks: newStacks()}
	every := time.Duration(s.SampleEveryNs)
	d.smp = newSampler(start, every, &d.reachable, expectedRows(s)+64)
	if mt := memTotal(); mt > 0 && math.Abs(float64(mt-s.Machine.MemoryBytes)) > 0.1*float64(s.Machine.MemoryBytes) {
		d.note("machine.memory is %d B but this machine has %d B (matters only for MADV_FREE reclaim)", s.Machine.MemoryBytes, mt)
	}
	return d
}

func (d *driver) note(format string, a ...interface{}) {
	d.notes = append(d.notes, fmt.Sprintf(format, a...))
}

// expectedRows bounds the samples of the timed steps, to size the row buffer up front (so the
// sampler does not allocate while the workload runs).
func expectedRows(s *Scenario) int {
	var ns int64
	for _, st := range s.Steps {
		if st.Kind == "run" || st.Kind == "idle" {
			ns += st.DurationNs
		}
		if st.Kind == "live_set" {
			ns += st.OverNs
		}
	}
	n := ns/s.SampleEveryNs + int64(2*len(s.Steps)) + 1
	if n > 1<<22 {
		n = 1 << 22
	}
	return int(n)
}

// applyKnobs sets GOGC, GOMEMLIMIT and GOMAXPROCS as the scenario says (gomemsim also passes
// them in the environment, which the runtime reads at startup: mgcpacer.go readGOGC,
// readGOMEMLIMIT; proc.go schedinit for GOMAXPROCS; setting them again here is a no-op then).
func (d *driver) applyKnobs() {
	rt := d.s.Runtime
	debug.SetGCPercent(int(rt.GOGC))
	limit := int64(math.MaxInt64)
	if rt.MemoryLimitBytes != nil {
		limit = *rt.MemoryLimitBytes
	}
	debug.SetMemoryLimit(limit)
	runtime.GOMAXPROCS(int(rt.GOMAXPROCS))
}

func (d *driver) now() time.Duration { return time.Since(d.start) }

func (d *driver) run() {
	d.applyKnobs()
	d.smp.sample("start")
	go d.smp.run()
	for i := range d.s.Steps {
		st := &d.s.Steps[i]
		d.smp.setStep(st.shown())
		t0 := d.now()
		planned, behind := d.runStep(st)
		d.expire()
		d.smp.sample(st.shown())
		d.times = append(d.times, stepTime{label: st.Label, start: t0.Seconds(), end: d.now().Seconds(),
			planned: planned.Seconds(), behindMs: float64(behind) / 1e6})
		if behind > 50*time.Millisecond {
			d.note("%s: the allocation pacing fell %.0f ms behind (this machine could not allocate at the rate)",
				st.where(), float64(behind)/1e6)
		}
	}
	d.smp.halt()
}

// runStep executes one step; it returns the planned duration (0 for untimed steps) and how
// far a paced step fell behind its schedule.
func (d *driver) runStep(st *Step) (time.Duration, time.Duration) {
	switch st.Kind {
	case "run":
		return time.Duration(st.DurationNs), d.runStreams(time.Duration(st.DurationNs), st.Alloc)
	case "live_set":
		return d.liveSet(st)
	case "append":
		d.appendTo(st)
	case "drop":
		d.drop(st)
	case "idle":
		d.idle(time.Duration(st.DurationNs))
		return time.Duration(st.DurationNs), 0
	case "gc":
		d.expire()
		runtime.GC()
	case "free_os_memory":
		d.expire()
		debug.FreeOSMemory()
	case "set_gc_percent":
		debug.SetGCPercent(int(st.Percent))
	case "set_memory_limit":
		limit := int64(math.MaxInt64)
		if st.LimitBytes != nil {
			limit = *st.LimitBytes
		}
		debug.SetMemoryLimit(limit)
	case "goroutines":
		d.stacks.set(st.Count, st.StackBytes)
	}
	return 0, 0
}

func (d *driver) write(dir string) error {
	if err := d.smp.writeCSV(filepath.Join(dir, "trace.csv")); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("index,step,start_s,end_s,planned_s,behind_ms\n")
	for i, t := range d.times {
		fmt.Fprintf(&b, "%d,%s,%.4f,%.4f,%.4f,%.1f\n", i, csvField(t.label), t.start, t.end, t.planned, t.behindMs)
	}
	if err := writeFileAtomic(filepath.Join(dir, "steps.csv"), []byte(b.String())); err != nil {
		return err
	}
	fmt.Printf("driver: %s on %s, GOGC=%d, GOMAXPROCS=%d, GODEBUG=%s\n", d.s.Name, runtime.Version(),
		d.s.Runtime.GOGC, runtime.GOMAXPROCS(0), os.Getenv("GODEBUG"))
	for _, n := range d.notes {
		fmt.Printf("note: %s\n", n)
	}
	return nil
}
