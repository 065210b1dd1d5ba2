// The heap profile's batch entry must sample exactly what one call per allocation samples.
#include "runtime/heap_profile.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace gomemsim
