// The engine gives every live set the pointers a program holds to its objects, as the real-Go
// driver's pool does (sim/validate/driver/workload.go): one 8192 B chunk with the first object
// and with every 1020th after it, on every path a live set grows by; a fraction drop leaves
// the chunks, a whole-set drop frees them. Append slices and timed streams get none.
#include "engine/simulation.h"

#include <gtest/gtest.h>

#include <string>

#include "scenario/scenario.h"

namespace gomemsim {
namespace {

constexpr int64_t kChunk = 8192;  // the chunk's size class
constexpr int64_t kSlot = 64;     // the size class of every object in these scenarios

int64_t chunksFor(int64_t objects) { return (objects + 1019) / 1020; }

SimResult runSteps(const std::string& steps) {
  const Scenario s = parseScenario(
      "name: refs\nabout: reference chunks\nruntime: {go: \"1.19\", gogc: 100, gomaxprocs: 2}\nsample_every: 1s\nsteps:\n" + steps,
      "refs.yaml");
  Simulation sim(s);
  return sim.run();
}

const MemSnapshot& after(const SimResult& r, const std::string& step) {
  const TraceRow* last = nullptr;
  for (const TraceRow& row : r.rows)
    if (row.step == step) last = &row;
  if (last == nullptr) throw std::runtime_error("no sample for step " + step);
  return last->mem;
}

// What a step left allocated, counted from the start of the run.
struct Held {
  int64_t bytes, objects;
};
Held heldAfter(const SimResult& r, const std::string& step) {
  const MemSnapshot& start = r.rows.front().mem;
  const MemSnapshot& m = after(r, step);
  return Held{m.heapAlloc.v - start.heapAlloc.v, m.heapObjects - start.heapObjects};
}

// A set of 64 B-class objects and its chunks: bytes = 64 N + 8192 c, objects = N + c. Solves
// for N and c (the set's objects need not be counted beforehand) and checks c = ceil(N/1020).
void expectOneChunkPer1020(const Held& h) {
  const int64_t excess = h.bytes - kSlot * h.objects;  // (8192 - 64) c
  ASSERT_EQ(excess % (kChunk - kSlot), 0) << h.bytes << " B in " << h.objects << " objects";
  const int64_t chunks = excess / (kChunk - kSlot);
  const int64_t objects = h.objects - chunks;
  ASSERT_GT(objects, 0);
  EXPECT_EQ(chunks, chunksFor(objects)) << objects << " objects";
}

TEST(LiveSetRefs, OneChunkWithTheFirstObjectAndWithEvery1020thAfterIt) {
  for (const int64_t n : {int64_t{1}, int64_t{1020}, int64_t{1021}, int64_t{2040}, int64_t{2041}, int64_t{100000}}) {
    SCOPED_TRACE(n);
    const SimResult r = runSteps("  - live_set: {name: s, grow_to: " + std::to_string(n * 64) + "B, size: 64B}\n");
    const Held h = heldAfter(r, "live_set:s");
    EXPECT_EQ(h.objects, n + chunksFor(n));
    EXPECT_EQ(h.bytes, n * kSlot + chunksFor(n) * kChunk);
  }
}

TEST(LiveSetRefs, SetsGrownOverADurationOrByARunStreamGetTheirChunks) {
  // `over` goes through the allocation streams: batches per size (fixed, choice) cross chunk
  // boundaries in the middle; uniform sizes go object by object. Every size here is in the
  // 64 B class.
  for (const std::string size : {"64B", "{choice: [50B, 64B]}", "{uniform: [49B, 64B]}"}) {
    SCOPED_TRACE(size);
    const SimResult r = runSteps("  - live_set: {name: s, grow_to: 30MB, size: " + size + ", over: 2s}\n");
    const Held h = heldAfter(r, "live_set:s");
    EXPECT_GT(h.objects, 400000);
    expectOneChunkPer1020(h);
  }
  const SimResult r = runSteps(
      "  - run:\n      for: 1s\n      alloc:\n"
      "        - {name: a, rate: 10MB/s, size: 64B, set: s}\n"
      "        - {name: b, rate: 5MB/s, size: {uniform: [49B, 64B]}, set: s}\n");
  const Held h = heldAfter(r, "run");
  EXPECT_GT(h.objects, 200000);
  expectOneChunkPer1020(h);  // one pool for both streams of the set
}

TEST(LiveSetRefs, GrowingASetAgainFillsItsLastChunkFirst) {
  const SimResult r = runSteps(
      "  - live_set: {name: s, grow_to: 32000B, size: 64B}\n"   // 500 objects
      "  - live_set: {name: s, grow_to: 32000B, size: 64B}\n"   // 1000
      "  - live_set: {name: t, grow_to: 64B, size: 64B}\n");    // another set: its own chunk
  EXPECT_EQ(heldAfter(r, "live_set:s").bytes, 1000 * kSlot + 1 * kChunk);
  EXPECT_EQ(heldAfter(r, "live_set:t").bytes, 1001 * kSlot + 2 * kChunk);
}

TEST(LiveSetRefs, AFractionDropLeavesTheChunksAndAWholeDropFreesThem) {
  const int64_t n = 10200;  // 10 full chunks
  const SimResult r = runSteps(
      "  - live_set: {name: s, grow_to: " + std::to_string(n * 64) + "B, size: 64B}\n"
      "  - drop: {set: s, fraction: 0.9}\n"
      "  - gc\n"
      "  - live_set: {name: s, grow_to: 64B, size: 64B}\n"   // 10201st object added: chunk 11
      "  - gc\n"
      "  - drop: {set: s}\n"
      "  - gc\n");
  ASSERT_EQ(r.rows[r.rows.size() - 1].step, "gc");
  const int64_t survivors = n - 9180;
  // After the first gc (the third step's row) the dropped objects are freed, the chunks live.
  const TraceRow* firstGc = nullptr;
  for (const TraceRow& row : r.rows)
    if (row.step == "gc" && firstGc == nullptr) firstGc = &row;
  ASSERT_NE(firstGc, nullptr);
  EXPECT_EQ(firstGc->mem.heapAlloc.v - r.rows.front().mem.heapAlloc.v, survivors * kSlot + 10 * kChunk);
  // The set's count carries on from the 10200 added, not the 1020 left: a new chunk.
  EXPECT_EQ(heldAfter(r, "live_set:s").bytes, (survivors + 1) * kSlot + 11 * kChunk);
  // The whole set dropped: its objects and every chunk are freed.
  EXPECT_EQ(heldAfter(r, "gc").bytes, 0);
  EXPECT_EQ(heldAfter(r, "gc").objects, 0);
}

TEST(LiveSetRefs, DropAllFreesEverySetsChunks) {
  const SimResult r = runSteps(
      "  - live_set: {name: s, grow_to: 1MB, size: 64B}\n"
      "  - live_set: {name: t, grow_to: 1MB, size: 64B, over: 1s}\n"
      "  - drop: {all: true}\n"
      "  - gc\n");
  EXPECT_EQ(heldAfter(r, "live_set:t").bytes, 2 * (15625 * kSlot + 16 * kChunk));
  EXPECT_EQ(heldAfter(r, "gc").bytes, 0);
}

TEST(LiveSetRefs, AppendSlicesAndTimedStreamsHoldNoChunks) {
  const SimResult r = runSteps(
      "  - append: {slice: a, add: 64KiB, times: 1}\n"
      "  - run:\n      for: 1s\n      alloc:\n"
      "        - {name: timed, rate: 6.4MB/s, size: 64B, lifetime: {fixed: 1h}}\n");
  EXPECT_EQ(heldAfter(r, "append:a").objects, 1);
  const Held h = heldAfter(r, "run");
  EXPECT_EQ(h.bytes - heldAfter(r, "append:a").bytes, (h.objects - 1) * kSlot);
}

}  // namespace
}  // namespace gomemsim

namespace gomemsim {
namespace {

// machine.cpu_speed divides every CPU cost of the model (mark, sweep, allocation, faults,
// madvise). At the memory limit GCs run back to back, each as long as its sweep and mark take,
// so a faster machine runs more of them (tests/fidelity/README.md: the real at-limit ran 330-381
// GCs on the calibration VM and 500 on a machine whose marks and sweeps took half as long);
// below the limit the pacer, not the cycle's cost, sets when GCs run.
int64_t gcsAt(const std::string& limit, double speed) {
  Scenario s = parseScenario("name: speed\nabout: cpu speed\nruntime: {go: \"1.19\", gogc: 100, gomaxprocs: 2" + limit +
                                 "}\nsample_every: 1s\nsteps:\n"
                                 "  - run:\n      for: 8s\n      alloc:\n"
                                 "        - {name: requests, rate: 50MB/s, size: {choice: [64B, 256B]}, lifetime: {exponential: 50ms}, pointers: false}\n"
                                 "        - {name: sessions, rate: 30MB/s, size: {uniform: [4KiB, 8KiB]}, set: sessions, pointers: false}\n",
                             "speed.yaml");
  s.machine.cpu_speed = speed;
  Simulation sim(s);
  return sim.run().rows.back().mem.numGc;
}

TEST(CpuSpeed, AtTheMemoryLimitAFasterMachineRunsMoreGcsAndBelowItTheSame) {
  const int64_t slow = gcsAt(", memory_limit: 128MiB", 1.0), fast = gcsAt(", memory_limit: 128MiB", 2.0);
  EXPECT_GT(slow, 20) << "the live heap passes the limit, GCs run back to back";
  EXPECT_GT(static_cast<double>(fast), 1.5 * static_cast<double>(slow)) << slow << " GCs at speed 1";
  const int64_t below = gcsAt("", 1.0), belowFast = gcsAt("", 2.0);
  EXPECT_NEAR(static_cast<double>(belowFast), static_cast<double>(below), 1.0);
}

}  // namespace
}  // namespace gomemsim
