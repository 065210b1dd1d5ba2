// Helpers shared by the mheap tests (mheap_test.cc, mheap_batch_test.cc): a heap with real
// collaborators (page allocator, OS model, ledger) and hooks that record what the heap reports.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "mheap/mheap.h"

namespace gomemsim::mheap_testing {

class FakeHooks : public MHeapHooks {
 public:
  struct SpanAlloc {
    Bytes growth;
    Bytes scav;
  };
  void spanAllocated(Bytes growth, Bytes scav) override { spans.push_back({growth, scav}); }
  void heapLiveGrew() override { ++liveGrew; }
  void sweepDone() override { ++sweepDoneCalls; }

  std::vector<SpanAlloc> spans;
  int liveGrew = 0;
  int sweepDoneCalls = 0;
};

// A heap with real collaborators and a fake set of hooks. Two Ps.
struct Rig {
  const SizeClassTable& classes = SizeClassTable::forRelease(goRelease("1.19"));
  const SpanLayout layout{classes, HeapBitsLayout::TwoBitsPerWord, false};
  PageAllocator pages;
  OsMemory os{MadviseMode::DontNeed};
  Ledger ledger;
  FakeHooks hooks;
  MHeap heap{layout, pages, os, ledger, 2, hooks};

  // The size class of `size`, checked against what the test assumes about it.
  int cls(int64_t size, int64_t npages, int64_t objects) const {
    const int c = classes.classFor(size);
    EXPECT_EQ(classes.cls(c).size, size);
    EXPECT_EQ(classes.cls(c).npages, npages);
    EXPECT_EQ(classes.cls(c).objects, objects);
    return c;
  }
  // Releases every free, unreleased page to the OS (what scavengeAll does).
  void releaseAllFree() {
    pages.scavenge(pages.freeRetained(), [&](PageRun r) {
      os.release(toBytes(Pages(r.base)), toBytes(Pages(r.npages)));
    });
  }
};

}  // namespace gomemsim::mheap_testing
