#include "pagealloc/page_alloc.h"

#include <algorithm>

namespace gomemsim {

std::optional<PageAllocator::Allocation> PageAllocator::alloc(Pages n) {
  // pageAlloc.find: the lowest-addressed run of at least n free pages.
  int64_t p = alloc_.findNext(searchAddr_, false);
  const int64_t firstFree = p;
  while (p < end_) {
    const int64_t runEnd = std::min(alloc_.findNext(p, true), end_);
    if (runEnd - p >= n.v) {
      Allocation a{p, scav_.count(p, n.v)};
      markAllocated(p, n.v);
      if (p == firstFree) searchAddr_ = p + n.v;
      else searchAddr_ = firstFree;
      return a;
    }
    p = alloc_.findNext(runEnd, false);
  }
  searchAddr_ = std::min(firstFree, end_);
  return std::nullopt;
}

void PageAllocator::markAllocated(int64_t base, int64_t n) {
  int64_t scav = 0;
  for (int64_t c = base / kChunkPages; c <= (base + n - 1) / kChunkPages; ++c) {
    const int64_t lo = std::max(base, c * kChunkPages);
    const int64_t hi = std::min(base + n, (c + 1) * kChunkPages);
    const int64_t chunkScav = scav_.clearRange(lo, hi - lo);
    // Only the free pages that were not scavenged were in the chunk's count.
    chunkFreeUnscav_[static_cast<size_t>(c)] -= static_cast<int32_t>(hi - lo - chunkScav);
    scav += chunkScav;
  }
  alloc_.setRange(base, n);
  released_ -= scav;
  free_ -= n - scav;
  inUse_ += n;
}

void PageAllocator::free(int64_t base, Pages n) {
  alloc_.clearRange(base, n.v);
  inUse_ -= n.v;
  free_ += n.v;
  for (int64_t c = base / kChunkPages; c <= (base + n.v - 1) / kChunkPages; ++c) {
    const int64_t lo = std::max(base, c * kChunkPages);
    const int64_t hi = std::min(base + n.v, (c + 1) * kChunkPages);
    chunkFreeUnscav_[static_cast<size_t>(c)] += static_cast<int32_t>(hi - lo);
  }
  searchAddr_ = std::min(searchAddr_, base);
}

Pages PageAllocator::grow(Pages n) {
  const int64_t ask = (n.v + kChunkPages - 1) / kChunkPages * kChunkPages;
  const int64_t newEnd = end_ + ask;
  if (newEnd > reservedEnd_) {
    reservedEnd_ = (newEnd + kArenaPages - 1) / kArenaPages * kArenaPages;
    zeroedBase_.resize(static_cast<size_t>(reservedEnd_ / kArenaPages), 0);
  }
  alloc_.resize(newEnd);
  scav_.resize(newEnd);
  scav_.setRange(end_, ask);  // fresh memory counts as released (Go 1.13+)
  chunkFreeUnscav_.resize(static_cast<size_t>(newEnd / kChunkPages), 0);
  released_ += ask;
  end_ = newEnd;
  return Pages(ask);
}

bool PageAllocator::allocNeedsZero(int64_t base, Pages n) {
  bool needZero = false;
  int64_t p = base;
  const int64_t end = base + n.v;
  while (p < end) {
    const int64_t arena = p / kArenaPages;
    const int64_t arenaStart = arena * kArenaPages;
    const int64_t off = p - arenaStart;
    const int64_t limit = std::min(end - arenaStart, kArenaPages);
    int64_t& zb = zeroedBase_[static_cast<size_t>(arena)];
    if (off < zb) needZero = true;
    if (limit > zb) zb = limit;
    p = arenaStart + limit;
  }
  return needZero;
}

Pages PageAllocator::scavenge(Pages max, const std::function<void(PageRun)>& onRelease) {
  int64_t done = 0;
  for (int64_t c = static_cast<int64_t>(chunkFreeUnscav_.size()) - 1; c >= 0 && done < max.v; --c) {
    if (chunkFreeUnscav_[static_cast<size_t>(c)] == 0) continue;
    const int64_t lo = c * kChunkPages;
    int64_t p = (c + 1) * kChunkPages - 1;
    // findScavengeCandidate: from the top of the chunk, the highest free and unscavenged run.
    while (p >= lo && done < max.v) {
      while (p >= lo && (alloc_.get(p) || scav_.get(p))) --p;
      if (p < lo) break;
      int64_t start = p;
      while (start - 1 >= lo && !alloc_.get(start - 1) && !scav_.get(start - 1) &&
             (p - start + 1) < max.v - done)
        --start;
      const int64_t len = p - start + 1;
      scav_.setRange(start, len);
      chunkFreeUnscav_[static_cast<size_t>(c)] -= static_cast<int32_t>(len);
      free_ -= len;
      released_ += len;
      done += len;
      onRelease(PageRun{start, len});
      p = start - 1;
    }
  }
  return Pages(done);
}

}  // namespace gomemsim
