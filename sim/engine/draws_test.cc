// The draw pipeline must hand out exactly the draws one thread makes, in order, whatever the
// thread timing, and leave the generator where one thread would.
#include "engine/draws.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace gomemsim {
namespace {

struct Streams {
  SizeSampler choice{[] {
    SizeDist d;
    d.kind = SizeDist::Kind::Choice;
    d.choices = {{Bytes(32), 4}, {Bytes(256), 2}, {Bytes(1024), 1}};
    return d;
  }()};
  SizeSampler uniform{[] {
    SizeDist d;
    d.kind = SizeDist::Kind::Uniform;
    d.min = Bytes(16);
    d.max = Bytes(40000);
    return d;
  }()};
  LifetimeSampler exp{[] {
    LifetimeDist l;
    l.kind = LifetimeDist::Kind::Exponential;
    l.mean = Milliseconds(300);
    return l;
  }()};
  std::vector<StreamSpec> specs() const {
    return {StreamSpec{&choice, &exp, 0, 50e6, std::numeric_limits<int64_t>::max()},
            StreamSpec{&uniform, &exp, kTagBase + 1, 7e6, 5'000'000}};  // a live set, stops at 5 MB
  }
};

TEST(DrawPipeline, HandsOutWhatOneThreadDraws) {
  const Streams s;
  const SimTime start(Milliseconds(3).v), end(start.ns + Milliseconds(1000).v + 12345);  // 1001 quanta
  const Duration q = Milliseconds(1);
  ASSERT_EQ(numQuanta(start, end, q), 1001);

  // One thread.
  Rng single(42);
  std::vector<double> owed(2, 0.0);
  std::vector<int64_t> done(2, 0);
  std::vector<std::vector<StreamDraws>> expected;
  for (int64_t k = 0; k < numQuanta(start, end, q); ++k) {
    const SimTime now(start.ns + k * q.v), qEnd(std::min(end.ns, now.ns + q.v));
    auto& quantum = expected.emplace_back(2);
    for (size_t i = 0; i < 2; ++i) drawQuantum(s.specs()[i], now, toSeconds(qEnd - now), owed[i], done[i], single, quantum[i]);
  }

  DrawPipeline pipeline(s.specs(), start, end, q, Rng(42));
  int64_t k = 0;
  for (const auto* quantum = pipeline.next(); quantum != nullptr; quantum = pipeline.next(), ++k) {
    ASSERT_LT(k, static_cast<int64_t>(expected.size()));
    for (size_t i = 0; i < 2; ++i) {
      const StreamDraws& a = (*quantum)[i];
      const StreamDraws& b = expected[static_cast<size_t>(k)][i];
      ASSERT_EQ(a.deaths, b.deaths) << "quantum " << k;
      ASSERT_EQ(a.sizes, b.sizes) << "quantum " << k;
      ASSERT_EQ(a.objectDeaths, b.objectDeaths) << "quantum " << k;
    }
  }
  EXPECT_EQ(k, 1001);
  EXPECT_EQ(pipeline.finalRng().next(), single.next());
  EXPECT_GE(done[1], 5'000'000);  // the live set stopped at its total
  EXPECT_LT(done[1], 5'000'000 + 40000);
}

TEST(DrawPipeline, StopsCleanlyWhenTheConsumerLeavesEarly) {
  const Streams s;
  DrawPipeline pipeline(s.specs(), SimTime(0), SimTime(Milliseconds(2000).v), Milliseconds(1), Rng(1));
  for (int i = 0; i < 5; ++i) ASSERT_NE(pipeline.next(), nullptr);
  // Destroyed here with the producer possibly waiting for a free chunk: must not hang.
}

TEST(DrawPipeline, AnEmptyRunHasNoQuanta) {
  const Streams s;
  DrawPipeline pipeline(s.specs(), SimTime(5), SimTime(5), Milliseconds(1), Rng(9));
  EXPECT_EQ(pipeline.next(), nullptr);
  Rng fresh(9);
  EXPECT_EQ(pipeline.finalRng().next(), fresh.next());
}

}  // namespace
}  // namespace gomemsim
