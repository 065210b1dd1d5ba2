// Runtime::mallocBatch: the allocation path for one quantum of an allocation stream, n objects
// of one size. A small object takes one size-class lookup for the batch and then only its
// slot, death and OS page (MHeap::mallocSmallBatch); the heap profile samples the batch as it
// would sample n allocations. Tiny and large objects take the ordinary path (Go 1.19
// malloc.go: mallocgc).
#include "runtime/runtime.h"

namespace gomemsim {

void Runtime::mallocBatch(int p, Bytes size, Bytes touch, const DeathTick* deaths, int n,
                          bool pointers, int bucket) {
  if (layout_.isLarge(size, pointers) || isTiny(size, pointers)) {
    for (int j = 0; j < n; ++j) malloc(p, size, pointers, deaths[j], touch, bucket);
    return;
  }
  const int proc = p < cfg_.gomaxprocs ? p : static_cast<int>(p % cfg_.gomaxprocs);
  const int c = layout_.classFor(size, pointers);
  batchRefs_.resize(static_cast<size_t>(n));
  heap_->mallocSmallBatch(proc, c, !pointers, deaths, touch, n, batchRefs_.data());
  profile_.allocatedBatch(bucket, Bytes(layout_.classes().cls(c).size), batchRefs_.data(), n, numGc_);
}

}  // namespace gomemsim
