// Properties of the runtime's accounting over random small scenarios (a fixed seed per case, so a
// failure replays): every sample audited against counts kept apart from it (Runtime::audit: the
// page allocator's and the OS model's bitmaps and the spans recounted), so that
// - freed plus live equals allocated: heap_alloc (allocated minus freed) equals the occupied
//   slots recounted span by span;
// - nothing is released twice: the released-page counter equals the released pages recounted;
// - released memory is never in heap_inuse, nor resident (but under THP always);
// - RSS is never above what is mapped;
// and the run is a pure function of its scenario.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "audit_test_support.h"
#include "common/rng.h"
#include "engine/simulation.h"
#include "observe/outputs.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

// One random scenario of at most a few simulated seconds and a few hundred MB.
class ScenarioMaker {
 public:
  explicit ScenarioMaker(uint64_t seed) : rng_(seed) {}

  std::string make() {
    std::ostringstream y;
    y << "name: prop\nabout: a random small scenario\nruntime: {go: \"" << pick({"1.12", "1.19", "1.21", "1.26"})
      << "\", gogc: " << pick({"50", "100", "200", "off"}) << ", gomaxprocs: " << pick({"1", "2", "4"});
    if (coin()) y << ", memory_limit: " << pick({"64MiB", "256MiB", "1GiB"});
    if (coin()) y << ", madvise: " << pick({"free", "dontneed"});
    y << "}\nmachine: {thp: " << pick({"never", "madvise", "always"}) << "}\nsample_every: " << pick({"50ms", "200ms"})
      << "\nseed: " << 1 + rng_.below(1000) << "\nsteps:\n";
    const int steps = static_cast<int>(2 + rng_.below(6));
    for (int i = 0; i < steps; ++i) step(y, i);
    return y.str();
  }

 private:
  void step(std::ostringstream& y, int i) {
    const std::string set = pick({"s0", "s1", "s2"});
    switch (rng_.below(10)) {
      case 0:
      case 1:
        y << "  - run:\n      for: " << pick({"200ms", "1s", "2s"}) << "\n      alloc:\n        - {rate: "
          << pick({"20MB/s", "100MB/s"}) << ", size: " << size();
        if (coin()) {
          y << ", set: " << set;  // held until dropped
          made_.push_back(set);
        } else {
          y << ", lifetime: {exponential: " << pick({"10ms", "300ms"}) << "}";
        }
        y << "}\n";
        return;
      case 2:
        y << "  - live_set: {name: " << set << ", grow_to: " << pick({"1MB", "30MB", "150MB"}) << ", size: " << size() << "}\n";
        made_.push_back(set);
        return;
      case 3:
        if (made_.empty()) return;
        y << "  - drop: {set: " << pick(made_) << ", fraction: " << pick({"0.1", "0.5", "1"}) << "}\n";
        return;
      case 4:
        y << "  - append: {slice: a" << i << ", add: " << pick({"100KiB", "3MiB"}) << ", times: " << pick({"3", "20"}) << "}\n";
        return;
      case 5:
        y << "  - " << pick({"gc", "free_os_memory", "drop_all"}) << "\n";
        return;
      case 6:
        y << "  - idle: " << pick({"100ms", "3s", "400s"}) << "\n";
        return;
      case 7:
        y << "  - set_memory_limit: " << pick({"32MiB", "off"}) << "\n";
        return;
      case 8:
        y << "  - goroutines: {count: " << pick({"10", "5000"}) << ", stack: 8KiB}\n";
        return;
      default:
        y << "  - set_gc_percent: " << pick({"25", "off", "100"}) << "\n";
    }
  }
  std::string size() {
    if (coin()) return pick({"8B", "64B", "1KiB", "4KiB", "40KiB", "1MiB"});
    std::ostringstream c;
    c << "{choice: [" << pick({"16B", "100B"}) << ", " << pick({"2KiB", "33KiB"}) << "]}";
    return c.str();
  }
  std::string pick(const std::vector<std::string>& xs) {
    return xs[static_cast<size_t>(rng_.below(xs.size()))];
  }
  bool coin() { return rng_.below(2) == 1; }

  Rng rng_;
  std::vector<std::string> made_;  // sets some step has made
};

TEST(Properties, AccountingHoldsOnEverySampleOfRandomSmallScenarios) {
  int audited = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const std::string yaml = ScenarioMaker(seed).make();
    SCOPED_TRACE("seed " + std::to_string(seed) + ":\n" + yaml);
    Scenario s;
    try {
      s = parseScenario(yaml, "prop.yaml");
    } catch (const ScenarioError& e) {
      ADD_FAILURE() << "the generator wrote a scenario the reader refuses: " << e.what();
      continue;
    }
    const SimResult r = audit_testing::runAudited(s);
    for (const TraceRow& row : r.rows) {
      const MemSnapshot& m = row.mem;
      ASSERT_LE(m.rss, m.sys + m.baseline + m.outsideSys) << "RSS above what is mapped at t=" << m.timeS;
      ASSERT_LE(m.heapReleased, m.heapIdle) << "t=" << m.timeS;
    }
    // The same scenario again: the same trace, byte for byte.
    Simulation again(s);
    EXPECT_EQ(traceCsv(again.run()), traceCsv(r));
    ++audited;
  }
  EXPECT_EQ(audited, 40);
}

}  // namespace
}  // namespace gomemsim
