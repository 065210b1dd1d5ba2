// heap_pprof: the simulation's heap profiles as files `go tool pprof` opens (profile.proto,
// gzipped), written beside trace.csv: heap-peak.pb.gz, heap-end.pb.gz, heap-step-NN-LABEL.pb.gz.
//
// Follows Go 1.19 runtime/pprof/protomem.go writeHeapProto: sample types alloc_objects/count,
// alloc_space/bytes, inuse_objects/count, inuse_space/bytes; period_type space/bytes, period
// MemProfileRate; each record's counts scaled by scaleHeapSample; a "bytes" label with the
// record's average object size. Go leaves default_sample_type unset in a heap profile, which
// pprof reads as the last type; it is written here as inuse_space, the same choice made explicit.
// Does not model: real stacks and the binary's mapping. Each record's stack is synthetic, named
// after the scenario: the stream (leaf), the step that allocated it, main.main, each in the
// scenario file at the step's line. time_nanos is the simulated time since the program started.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/simulation.h"
#include "scenario/scenario.h"

namespace gomemsim {

// runtime/pprof's scaleHeapSample: the sampled count and bytes of one record, unsampled.
std::pair<int64_t, int64_t> scaleHeapSample(int64_t count, int64_t size, int64_t rate);
// The uncompressed profile.proto message of one capture.
std::string heapProfileProto(const Scenario& s, const SimResult& r, const HeapProfileCapture& c);
// gzip (RFC 1952) of `data`, deterministic (no file name or time in its header).
std::string gzipBytes(const std::string& data);
// Every heap profile file of a run, name and gzipped content: heap-peak, heap-end, and one
// per step that ran to its end.
std::vector<std::pair<std::string, std::string>> heapProfileFiles(const Scenario& s, const SimResult& r);
// heap-step-NN-LABEL.pb.gz: NN the step's 1-based number, LABEL its label in [A-Za-z0-9._-]
// (anything else becomes '_'), at most 40 characters.
std::string heapStepFileName(size_t stepIndex, const std::string& label);

}  // namespace gomemsim
