// The heap profile's batch entry must sample exactly what one call per allocation samples; its
// per-site view (what runtime.MemProfile returns) counts what was sampled, allocated and freed,
// under the same publication rule as the scaled total, through compaction.
#include "runtime/heap_profile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

namespace gomemsim {
namespace {

TEST(HeapProfile, BatchSamplesWhatSingleCallsSample) {
  HeapProfile one(512 * 1024, 7), many(512 * 1024, 7);
  Rng rng(3);
  std::vector<ObjectRef> refs;
  for (int round = 0; round < 2000; ++round) {
    const Bytes slot(8 << rng.below(12));  // 8 B .. 16 KiB
    const int n = static_cast<int>(rng.below(400));
    refs.clear();
    for (int j = 0; j < n; ++j) refs.push_back(ObjectRef{static_cast<uint32_t>(round), static_cast<uint32_t>(j)});
    for (const ObjectRef& r : refs) one.allocated(round % 3, slot, r, round / 100);
    many.allocatedBatch(round % 3, slot, refs.data(), n, round / 100);
  }
  // Nothing freed: the fallback view totals every sampled allocation, scaled per bucket.
  const Bytes a = one.published(0, 0, true), b = many.published(0, 0, true);
  EXPECT_GT(a.v, 0);
  EXPECT_EQ(a, b);
  for (int64_t c = 0; c < 20; ++c) EXPECT_EQ(one.published(c, c, false), many.published(c, c, false)) << c;
}

// Rate 1: every allocation is sampled, so the counts are known.
TEST(HeapProfile, SitesCountEachStepsAllocationsAndTheFreesPublished) {
  HeapProfile p(1, 7);
  // Site (bucket 0, step 0): 10 x 64 B in cycle 0; site (0, 1): 5 x 128 B in cycle 1; site
  // (1, 1): 3 x 32 B in cycle 1. Objects of span 0 with slot < 4 die at tick 5.
  for (uint32_t j = 0; j < 10; ++j) p.allocated(0, Bytes(64), ObjectRef{0, j}, 0);
  p.setSite(1);
  for (uint32_t j = 0; j < 5; ++j) p.allocated(0, Bytes(128), ObjectRef{1, j}, 1);
  for (uint32_t j = 0; j < 3; ++j) p.allocated(1, Bytes(32), ObjectRef{2, j}, 1);
  const auto deathOf = [](ObjectRef r) { return r.span == 0 && r.slot < 4 ? DeathTick{5} : kForever; };
  p.markTermination(1, 10, deathOf);
  p.markTermination(2, 20, deathOf);
  using S = HeapProfile::SiteCounts;
  // As after mark termination 2 (cycle 1 shown): cycle 0's allocations, mark 1's frees.
  const auto one = p.publishedSites(0, 1, false);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one.at({0, 0}), (S{10, 640, 4, 256}));
  // runtime.GC's flush: cycle 1's allocations too.
  const auto two = p.publishedSites(1, 2, false);
  ASSERT_EQ(two.size(), 3u);
  EXPECT_EQ(two.at({0, 0}), (S{10, 640, 4, 256}));
  EXPECT_EQ(two.at({0, 1}), (S{5, 640, 0, 0}));
  EXPECT_EQ(two.at({1, 1}), (S{3, 96, 0, 0}));
  // Nothing published yet: every sample, no frees.
  EXPECT_EQ(p.publishedSites(-1, 0, true).at({0, 0}), (S{10, 640, 0, 0}));
  EXPECT_EQ(p.samples(), 18);
}

TEST(HeapProfile, CompactionKeepsEverySitesCounts) {
  HeapProfile kept(512 * 1024, 9), compacted(512 * 1024, 9);
  Rng rng(5);
  DeathTick tick = 0;
  std::map<uint64_t, DeathTick> deaths;  // by span << 32 | slot
  const auto deathOf = [&](ObjectRef r) { return deaths.at(uint64_t{r.span} << 32 | r.slot); };
  for (int64_t cycle = 0; cycle < 12; ++cycle) {
    for (uint32_t j = 0; j < 3000; ++j) {
      const ObjectRef r{static_cast<uint32_t>(cycle), j};
      deaths[uint64_t{r.span} << 32 | r.slot] = rng.below(3) == 0 ? kForever : DeathTick(tick + 1 + rng.below(100));
      const int bucket = static_cast<int>(j % 3);
      const Bytes slot(512 << (j % 5));
      kept.setSite(static_cast<int>(cycle % 2));
      compacted.setSite(static_cast<int>(cycle % 2));
      kept.allocated(bucket, slot, r, cycle);
      compacted.allocated(bucket, slot, r, cycle);
    }
    tick += 50;
    kept.markTermination(cycle + 1, tick, deathOf);
    compacted.markTermination(cycle + 1, tick, deathOf);
    compacted.compact(cycle + 1);
    // Both publications a snapshot can ask for after this mark.
    EXPECT_EQ(kept.publishedSites(cycle - 1, cycle, false), compacted.publishedSites(cycle - 1, cycle, false)) << cycle;
    EXPECT_EQ(kept.publishedSites(cycle, cycle + 1, false), compacted.publishedSites(cycle, cycle + 1, false)) << cycle;
  }
  // And the scaled total is the sites' in-use counts, summed per bucket, scaled per bucket.
  std::map<int, std::pair<int64_t, int64_t>> perBucket;
  for (const auto& [site, c] : compacted.publishedSites(10, 11, false)) {
    perBucket[site.first].first += c.allocObjects - c.freeObjects;
    perBucket[site.first].second += c.allocBytes - c.freeBytes;
  }
  double total = 0;
  for (const auto& [bucket, cb] : perBucket)
    if (cb.first > 0) total += static_cast<double>(cb.second) / (1 - std::exp(-static_cast<double>(cb.second) / static_cast<double>(cb.first) / (512 * 1024)));
  EXPECT_GT(total, 0);
  EXPECT_NEAR(static_cast<double>(compacted.published(10, 11, false).v), total, 1.0);
}

}  // namespace
}  // namespace gomemsim
