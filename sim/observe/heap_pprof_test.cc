// The heap profiles a run writes, decoded with the protobuf library: Go's sample types and
// period, runtime/pprof's scaling, the stacks named after the scenario, and the values the
// runtime's heap profile published at the peak, after each step and at the end.
#include "observe/heap_pprof.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <map>
#include <set>

#include "cli/cli_test_support.h"
#include "observe/outputs.h"
#include "profile.pb.h"

namespace gomemsim {
namespace {

namespace pb = perftools::profiles;

// Two named streams beside a live set; the run's GCs publish their profile; runtime.GC at the end.
constexpr const char* kScenario = R"(name: two-streams
about: two named streams beside a live set
runtime: {go: "1.19", gogc: 100, gomaxprocs: 2}
sample_every: 100ms
steps:
  - live_set: {name: cache, grow_to: 64MB, size: {choice: [256B]}}
  - run:
      for: 3s
      alloc:
        - {name: requests, rate: 50MB/s, size: {choice: [64B, 1KiB]}, lifetime: {exponential: 200ms}}
        - {name: sessions, rate: 10MB/s, size: {choice: [4KiB]}, lifetime: {exponential: 2s}}
  - gc
)";

struct TwoStreams {
  Scenario s = parseScenario(kScenario, "dir/two-streams.yaml");
  SimResult r = Simulation(s).run();
};
const TwoStreams& twoStreams() {
  static const TwoStreams r;
  return r;
}

std::string gunzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  EXPECT_EQ(rc, Z_STREAM_END);
  return out;
}

pb::Profile decode(const std::string& gz) {
  pb::Profile p;
  EXPECT_TRUE(p.ParseFromString(gunzip(gz)));
  return p;
}

// A sample's stack as names, leaf first, and its values.
struct Decoded {
  std::vector<std::string> stack;
  std::vector<int64_t> lines;
  std::string file;
  std::vector<int64_t> values;
  int64_t bytesLabel = 0;
};
std::vector<Decoded> samples(const pb::Profile& p) {
  std::map<uint64_t, const pb::Location*> locs;
  std::map<uint64_t, const pb::Function*> fns;
  for (const auto& l : p.location()) locs[l.id()] = &l;
  for (const auto& f : p.function()) fns[f.id()] = &f;
  std::vector<Decoded> out;
  for (const auto& smp : p.sample()) {
    Decoded d;
    for (const uint64_t id : smp.location_id()) {
      const pb::Location& l = *locs.at(id);
      const pb::Function& f = *fns.at(l.line(0).function_id());
      d.stack.push_back(p.string_table(static_cast<int>(f.name())));
      d.lines.push_back(l.line(0).line());
      d.file = p.string_table(static_cast<int>(f.filename()));
    }
    d.values.assign(smp.value().begin(), smp.value().end());
    for (const auto& lb : smp.label())
      if (p.string_table(static_cast<int>(lb.key())) == "bytes") d.bytesLabel = lb.num();
    out.push_back(d);
  }
  return out;
}

int64_t total(const pb::Profile& p, int index) {
  int64_t t = 0;
  for (const auto& smp : p.sample()) t += smp.value(index);
  return t;
}

TEST(HeapPprof, ScalesAsRuntimePprofScaleHeapSample) {
  // 1 / (1 - exp(-avg/rate)), worked out by hand: avg = rate gives 1.58198.
  EXPECT_EQ(scaleHeapSample(1, 524288, 524288), (std::pair<int64_t, int64_t>{1, 829411}));
  EXPECT_EQ(scaleHeapSample(1000, 64000, 524288), (std::pair<int64_t, int64_t>{8192500, 524320000}));
  EXPECT_EQ(scaleHeapSample(3, 3 * 8192, 524288), (std::pair<int64_t, int64_t>{193, 1585183}));
  EXPECT_EQ(scaleHeapSample(0, 100, 524288), (std::pair<int64_t, int64_t>{0, 0}));
  EXPECT_EQ(scaleHeapSample(7, 700, 1), (std::pair<int64_t, int64_t>{7, 700}));
}

TEST(HeapPprof, TypesAndPeriodAreGos) {
  const TwoStreams& x = twoStreams();
  ASSERT_TRUE(x.r.profileAtEnd);
  const pb::Profile p = decode(gzipBytes(heapProfileProto(x.s, x.r, *x.r.profileAtEnd)));
  ASSERT_GT(p.string_table_size(), 0);
  EXPECT_EQ(p.string_table(0), "");
  const auto str = [&](int64_t i) { return p.string_table(static_cast<int>(i)); };
  ASSERT_EQ(p.sample_type_size(), 4);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"alloc_objects", "count"}, {"alloc_space", "bytes"}, {"inuse_objects", "count"}, {"inuse_space", "bytes"}};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(str(p.sample_type(i).type()), want[static_cast<size_t>(i)].first);
    EXPECT_EQ(str(p.sample_type(i).unit()), want[static_cast<size_t>(i)].second);
  }
  EXPECT_EQ(str(p.period_type().type()), "space");
  EXPECT_EQ(str(p.period_type().unit()), "bytes");
  EXPECT_EQ(p.period(), 524288);
  EXPECT_EQ(str(p.default_sample_type()), "inuse_space");
  EXPECT_NEAR(static_cast<double>(p.time_nanos()) * 1e-9, x.r.rows.back().mem.timeS, 1e-6);
  EXPECT_GT(x.r.rows.back().mem.timeS, 3.0);
}

TEST(HeapPprof, StacksAreTheStreamsTheStepsAndMain) {
  const TwoStreams& x = twoStreams();
  const pb::Profile p = decode(gzipBytes(heapProfileProto(x.s, x.r, *x.r.profileAtEnd)));
  std::map<std::string, Decoded> byLeaf;
  for (const Decoded& d : samples(p)) {
    ASSERT_EQ(d.stack.size(), 3u);
    EXPECT_EQ(d.stack[2], "main.main");
    EXPECT_EQ(d.file, "two-streams.yaml");
    EXPECT_TRUE(byLeaf.emplace(d.stack[0], d).second) << d.stack[0] << " twice";
  }
  EXPECT_EQ(byLeaf.size(), 4u);
  ASSERT_TRUE(byLeaf.count("requests") && byLeaf.count("sessions") && byLeaf.count("live_set cache") &&
              byLeaf.count("live_set cache refs"));
  EXPECT_EQ(byLeaf["requests"].stack[1], "run");
  EXPECT_EQ(byLeaf["sessions"].stack[1], "run");
  EXPECT_EQ(byLeaf["live_set cache"].stack[1], "live_set:cache");
  EXPECT_EQ(byLeaf["live_set cache refs"].stack[1], "live_set:cache");
  // The steps' lines in the scenario file.
  EXPECT_EQ(byLeaf["live_set cache"].lines[1], 6);
  EXPECT_EQ(byLeaf["requests"].lines[1], 7);
  // The average object: 4 KiB sessions, 8192 B pointer chunks, 256 B cache objects.
  EXPECT_EQ(byLeaf["sessions"].bytesLabel, 4096);
  EXPECT_EQ(byLeaf["live_set cache refs"].bytesLabel, 8192);
  EXPECT_EQ(byLeaf["live_set cache"].bytesLabel, 256);
  // After runtime.GC the profile is exact as of that GC: the cache is in use, as allocated;
  // most requests (200 ms lifetimes) are not.
  const Decoded& cache = byLeaf["live_set cache"];
  EXPECT_EQ(cache.values[1], cache.values[3]);
  EXPECT_NEAR(static_cast<double>(cache.values[3]), 64e6, 64e6 * 0.1);
  const Decoded& req = byLeaf["requests"];
  EXPECT_NEAR(static_cast<double>(req.values[1]), 150e6, 150e6 * 0.1);  // 50 MB/s for 3 s
  EXPECT_LT(req.values[3], req.values[1] / 5);
}

// The scaled in-use total of a capture is the runtime's published pprof total of the trace
// row taken at the same instant (each bucket is one site in this scenario, so only the rounding
// of each sample's value differs).
void expectTotalIsTheRows(const TwoStreams& x, const HeapProfileCapture& c, const MemSnapshot& row) {
  const pb::Profile p = decode(gzipBytes(heapProfileProto(x.s, x.r, c)));
  EXPECT_NEAR(static_cast<double>(total(p, 3)), static_cast<double>(row.pprofInuseSampled.v), 4.0) << c.step;
  EXPECT_GE(total(p, 1), total(p, 3));
  EXPECT_GT(total(p, 3), 0);
}

TEST(HeapPprof, PeakAndStepsAreThePublishedProfileAtThoseSamples) {
  const TwoStreams& x = twoStreams();
  const Summary sum = summarize(x.r);
  ASSERT_TRUE(x.r.profileAtPeak);
  EXPECT_DOUBLE_EQ(x.r.profileAtPeak->time.ns * 1e-9, sum.peak.timeS);
  expectTotalIsTheRows(x, *x.r.profileAtPeak, sum.peak);
  expectTotalIsTheRows(x, *x.r.profileAtEnd, sum.end);
  ASSERT_EQ(x.r.profileAfterStep.size(), x.s.steps.size());
  for (const HeapProfileCapture& c : x.r.profileAfterStep) {
    // The sample taken after the step: the last row of its label at that time.
    const TraceRow* row = nullptr;
    for (const TraceRow& t : x.r.rows)
      if (t.step == c.step && std::abs(t.mem.timeS - static_cast<double>(c.time.ns) * 1e-9) < 1e-9) row = &t;
    ASSERT_NE(row, nullptr) << c.step;
    expectTotalIsTheRows(x, c, row->mem);
  }
  // And close to the exact view of the same cycle (heapMarked), within sampling error.
  const pb::Profile end = decode(gzipBytes(heapProfileProto(x.s, x.r, *x.r.profileAtEnd)));
  EXPECT_NEAR(static_cast<double>(total(end, 3)), static_cast<double>(sum.end.pprofInuse.v), 0.1 * static_cast<double>(sum.end.pprofInuse.v));
}

TEST(HeapPprof, StepFileNamesAreSafe) {
  EXPECT_EQ(heapStepFileName(0, "grow:cache"), "heap-step-01-grow_cache.pb.gz");
  EXPECT_EQ(heapStepFileName(11, "drop:a/../b c"), "heap-step-12-drop_a_.._b_c.pb.gz");
  EXPECT_EQ(heapStepFileName(99, std::string(100, 'x')), "heap-step-100-" + std::string(40, 'x') + ".pb.gz");
}

TEST(HeapPprof, WriteOutputsWritesEveryProfileDeterministically) {
  const TwoStreams& x = twoStreams();
  const std::string a = cli_testing::freshTempDir("heap-pprof-a"), b = cli_testing::freshTempDir("heap-pprof-b");
  writeOutputs(a, x.s, x.r);
  const Scenario s2 = parseScenario(kScenario, "dir/two-streams.yaml");
  writeOutputs(b, s2, Simulation(s2).run());
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(a))
    if (e.path().extension() == ".gz") names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"heap-end.pb.gz", "heap-peak.pb.gz", "heap-step-01-live_set_cache.pb.gz",
                                          "heap-step-02-run.pb.gz", "heap-step-03-gc.pb.gz"}));
  for (const std::string& n : names) {
    const std::string bytes = cli_testing::readFile(a + "/" + n);
    EXPECT_EQ(bytes, cli_testing::readFile(b + "/" + n)) << n;
    EXPECT_GT(decode(bytes).sample_size(), 0) << n;
  }
  std::filesystem::remove_all(a);
  std::filesystem::remove_all(b);
}

}  // namespace
}  // namespace gomemsim
