package main

// scenario.go: the normalised scenario JSON written by gomemsim (sim/validate/scenario_json.cc)
// and the checks that decide whether this process can reproduce it on the real runtime.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
)

// formatVersion must match kScenarioJsonFormat in scenario_json.h.
const formatVersion = 2

type Scenario struct {
	Format        int     `json:"format"`
	Name          string  `json:"name"`
	About         string  `json:"about"`
	File          string  `json:"file"`
	Seed          uint64  `json:"seed"`
	SampleEveryNs int64   `json:"sample_every_ns"`
	Runtime       Runtime `json:"runtime"`
	Machine       Machine `json:"machine"`
	Steps         []Step  `json:"steps"`
}

type Runtime struct {
	Go               string `json:"go"`
	GOGC             int64  `json:"gogc"` // -1 = off
	MemoryLimitBytes *int64 `json:"memory_limit_bytes"`
	GOMAXPROCS       int64  `json:"gomaxprocs"`
	Scavenger        string `json:"scavenger"`
	ScavengerDefault string `json:"scavenger_default"`
	Pacer            string `json:"pacer"`
	PacerDefault     string `json:"pacer_default"`
	Madvise          string `json:"madvise"` // dontneed | free
	MadviseDefault   string `json:"madvise_default"`
	GODEBUG          string `json:"godebug"`
}

type Machine struct {
	MemoryBytes      int64  `json:"memory_bytes"`
	CgroupLimitBytes *int64 `json:"cgroup_limit_bytes"`
	THP              string `json:"thp"` // never | madvise | always
	BaselineRSSBytes int64  `json:"baseline_rss_bytes"`
}

// Step is the union of every step kind's fields; Kind says which apply.
type Step struct {
	Index int    `json:"index"`
	Label string `json:"label"`
	// StepName is the scenario's name for the step ("" when none): trace.csv's step column
	// shows it in place of Label, as gomemsim's does (engine/simulation.h TraceRow::step).
	StepName string `json:"step_name"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Kind     string `json:"kind"`
	// run, idle
	DurationNs int64    `json:"duration_ns"`
	Alloc      []Stream `json:"alloc"`
	// live_set
	Name        string    `json:"name"`
	GrowToBytes int64     `json:"grow_to_bytes"`
	Size        *SizeDist `json:"size"`
	OverNs      int64     `json:"over_ns"`
	Touch       float64   `json:"touch"`
	Pointers    bool      `json:"pointers"`
	// append
	Slice     string `json:"slice"`
	AddBytes  int64  `json:"add_bytes"`
	Times     int64  `json:"times"`
	ElemBytes int64  `json:"elem_bytes"`
	// drop
	Set      string  `json:"set"`
	Fraction float64 `json:"fraction"`
	All      bool    `json:"all"`
	// set_gc_percent, set_memory_limit
	Percent    int64  `json:"percent"`
	LimitBytes *int64 `json:"limit_bytes"`
	// goroutines
	Count      int64 `json:"count"`
	StackBytes int64 `json:"stack_bytes"`
	// other_process (and Name)
	RSSBytes int64 `json:"rss_bytes"`
}

type Stream struct {
	Name          string       `json:"name"`
	RateBytesPerS float64      `json:"rate_bytes_per_s"`
	Size          SizeDist     `json:"size"`
	Lifetime      LifetimeDist `json:"lifetime"`
	Set           string       `json:"set"`
	Touch         float64      `json:"touch"`
	Pointers      bool         `json:"pointers"`
	TotalBytes    *int64       `json:"total_bytes"`
	Line          int          `json:"line"`
}

type SizeDist struct {
	Kind        string   `json:"kind"` // fixed | choice | uniform | lognormal
	Bytes       int64    `json:"bytes"`
	Choices     []Choice `json:"choices"`
	MinBytes    int64    `json:"min_bytes"`
	MaxBytes    int64    `json:"max_bytes"`
	MedianBytes int64    `json:"median_bytes"`
	Sigma       float64  `json:"sigma"`
}

type Choice struct {
	Bytes  int64   `json:"bytes"`
	Weight float64 `json:"weight"`
}

type LifetimeDist struct {
	Kind     string  `json:"kind"` // zero | fixed | exponential | lognormal | forever
	Ns       int64   `json:"ns"`
	MeanNs   int64   `json:"mean_ns"`
	MedianNs int64   `json:"median_ns"`
	Sigma    float64 `json:"sigma"`
}

// readScenario decodes strictly: a key this driver does not know is an error, so a format
// change on the C++ side cannot be silently ignored.
func readScenario(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if s.Format != formatVersion {
		return nil, fmt.Errorf("%s: format %d, this driver reads format %d", path, s.Format, formatVersion)
	}
	return &s, nil
}

// shown is what trace.csv's step column says for the step: its name, else its label.
func (st *Step) shown() string {
	if st.StepName != "" {
		return st.StepName
	}
	return st.Label
}

// where names a step for messages: its index, label and scenario-file line.
func (st *Step) where() string {
	if st.Line > 0 {
		return fmt.Sprintf("step %d (%s, line %d)", st.Index+1, st.Label, st.Line)
	}
	return fmt.Sprintf("step %d (%s)", st.Index+1, st.Label)
}

// goMinor is "1.19" for runtime.Version() "go1.19.8".
func goMinor(version string) string {
	v := strings.TrimPrefix(version, "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

// sameRelease reports whether the scenario's version ("1.26" or "1.26.8") is the running
// toolchain's ("go1.26.8"): the same minor release, and the same patch when one is given.
func sameRelease(want, running string) bool {
	if strings.Count(want, ".") >= 2 {
		return "go"+want == running
	}
	return want == goMinor(running)
}

// refusals lists every feature of s this process cannot reproduce (empty: it can run s).
func refusals(s *Scenario) []string {
	var out []string
	add := func(format string, a ...interface{}) { out = append(out, fmt.Sprintf(format, a...)) }
	rt := s.Runtime
	if !sameRelease(rt.Go, runtime.Version()) {
		add("go version %s: this driver runs on %s (the toolchain that built it); pass --go with a Go %s toolchain or --set go=%s",
			rt.Go, runtime.Version(), rt.Go, goMinor(runtime.Version()))
	}
	if rt.Scavenger != rt.ScavengerDefault {
		add("scavenger policy %q: the real Go %s runtime always runs its own (%s) and has no switch for another",
			rt.Scavenger, rt.Go, rt.ScavengerDefault)
	}
	if rt.Pacer != rt.PacerDefault {
		add("pacer %q: the real Go %s runtime always runs its own (%s)", rt.Pacer, rt.Go, rt.PacerDefault)
	}
	if rt.Madvise != "dontneed" && rt.Madvise != "free" {
		add("madvise mode %q: expected dontneed or free", rt.Madvise)
	}
	if s.Machine.CgroupLimitBytes != nil {
		add("machine.cgroup_limit: the driver does not create cgroups; run it inside one instead")
	}
	// The real run gets the host's transparent huge page mode. A scenario that asks for another
	// mode than the default (madvise) on purpose is refused; the default runs anywhere.
	if host := hostTHP(); host != "" && s.Machine.THP != "madvise" && s.Machine.THP != host {
		add("machine.thp %s: this machine runs transparent huge pages in %s mode; pass --set machine.thp=%s",
			s.Machine.THP, host, host)
	}
	if rt.GOMAXPROCS < 1 || rt.GOGC < -1 || s.SampleEveryNs <= 0 {
		add("runtime knobs out of range (gomaxprocs %d, gogc %d, sample_every %d ns)", rt.GOMAXPROCS, rt.GOGC, s.SampleEveryNs)
	}
	for i := range s.Steps {
		out = append(out, stepRefusals(&s.Steps[i])...)
	}
	return out
}

func stepRefusals(st *Step) []string {
	var out []string
	switch st.Kind {
	case "append":
		if _, ok := newGrowable(st.ElemBytes, st.Pointers); !ok {
			out = append(out, fmt.Sprintf("%s: append with elem %d B (pointers %v): the driver has real Go element types only for %s",
				st.where(), st.ElemBytes, st.Pointers, supportedElems()))
		}
	case "other_process":
		out = append(out, fmt.Sprintf("%s: other_process: the driver does not start other programs; run one beside it instead", st.where()))
	case "run", "live_set", "drop", "idle", "gc", "free_os_memory", "set_gc_percent", "set_memory_limit", "goroutines":
	default:
		out = append(out, fmt.Sprintf("%s: unknown step kind %q", st.where(), st.Kind))
	}
	for _, a := range st.Alloc {
		if a.RateBytesPerS <= 0 || math.IsInf(a.RateBytesPerS, 0) || math.IsNaN(a.RateBytesPerS) {
			out = append(out, fmt.Sprintf("%s: stream %s: rate must be > 0", st.where(), a.Name))
		}
	}
	return out
}

// hostTHP is the transparent huge page mode of this machine (the bracketed word of
// /sys/kernel/mm/transparent_hugepage/enabled), or "" if it cannot be read.
func hostTHP() string {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return ""
	}
	text := string(b)
	lo, hi := strings.IndexByte(text, '['), strings.IndexByte(text, ']')
	if lo < 0 || hi < lo {
		return ""
	}
	return text[lo+1 : hi]
}
