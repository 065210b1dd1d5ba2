#include "pagealloc/page_alloc.h"

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace gomemsim {

std::optional<PageAllocator::Allocation> PageAllocator::alloc(Pages n) {
  // pageAlloc.find: the lowest-addressed run of at least n free pages.
  int64_t p = alloc_.findNext(searchAddr_, false);
  const int64_t firstFree = p;
  while (p < end_) {
    const int64_t runEnd = std::min(alloc_.findNext(p, true), end_);
    if (runEnd - p >= n.v) {
      last_ = Allocation{p, scav_.count(p, n.v), n.v, releasedAfterUse(p, n.v)};
      markAllocated(p, n.v);
      if (p == firstFree) searchAddr_ = p + n.v;
      else searchAddr_ = firstFree;
      return last_;
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
    noteChunkUse(c, hi - lo);
    scav += chunkScav;
  }
  if (clock_) unstampAllocated(base, n);
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
    noteChunkUse(c, lo - hi);
  }
  freeHWM_ = std::max(freeHWM_, base + n.v - 1);  // scavengeIndex.free: freeHWM
  if (clock_) stampFreed(base, n.v);
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
  chunkUse_.resize(static_cast<size_t>(newEnd / kChunkPages));
  // Go 1.11 mheap.grow frees the new memory like a span: it coalesces with the free run below.
  if (clock_) stampFreed(end_, ask);
  released_ += ask;
  end_ = newEnd;
  return Pages(ask);
}

PageAllocator::Recount PageAllocator::recount() const {
  Recount r;
  r.releasedPages.resize(end_);
  std::vector<int64_t> freeUnscav(chunkFreeUnscav_.size(), 0);
  for (int64_t w = 0; w < alloc_.numWords(); ++w) {
    const uint64_t inUse = alloc_.word(w), released = scav_.word(w) & ~inUse;
    const uint64_t retained = ~inUse & ~scav_.word(w);
    r.inUse += popcount64(inUse);
    r.released += popcount64(released);
    r.releasedPages.setWord(w, released);
    freeUnscav[static_cast<size_t>(w * 64 / kChunkPages)] += popcount64(retained);  // a word is in one chunk
  }
  r.freeRetained = end_ - r.inUse - r.released;
  for (size_t c = 0; c < freeUnscav.size(); ++c) r.chunksMiscounted += freeUnscav[c] != chunkFreeUnscav_[c];
  return r;
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

int64_t PageAllocator::releasedAfterUse(int64_t base, int64_t n) const {
  // Scavenged pages below their arena's zeroedBase were handed out before.
  int64_t count = 0;
  for (int64_t p = base; p < base + n;) {
    const int64_t arena = p / kArenaPages;
    const int64_t arenaStart = arena * kArenaPages;
    const int64_t pieceEnd = std::min(base + n, arenaStart + kArenaPages);
    const int64_t usedEnd = std::min(pieceEnd, arenaStart + zeroedBase_[static_cast<size_t>(arena)]);
    if (usedEnd > p) count += scav_.count(p, usedEnd - p);
    p = pieceEnd;
  }
  return count;
}

// --- Go 1.21 scavenge index ---

void PageAllocator::noteChunkUse(int64_t chunk, int64_t delta) {
  // scavChunkData.alloc/free: the first touch in a new generation records lastInUse.
  ChunkUse& u = chunkUse_[static_cast<size_t>(chunk)];
  if (u.gen != gen_) {
    u.lastInUse = u.inUse;
    u.gen = gen_;
  }
  u.inUse += static_cast<int32_t>(delta);
}

void PageAllocator::nextScavengeGen() {
  ++gen_;
  if (freeHWM_ > bgCursor_) bgCursor_ = freeHWM_;
  freeHWM_ = -1;
}

bool PageAllocator::backgroundMayScavenge(int64_t chunk) const {
  const ChunkUse& u = chunkUse_[static_cast<size_t>(chunk)];
  if (u.gen == gen_) return u.inUse < kDenseChunkPages && u.lastInUse < kDenseChunkPages;
  return u.inUse < kDenseChunkPages;
}

// --- free times (Go <= 1.12 mspan.unusedsince) ---

void PageAllocator::stampFreed(int64_t base, int64_t n) {
  // freeSpanLocked: stamp nanotime(), then coalesce; the merged span keeps the new stamp.
  int64_t lo = base;
  int64_t hi = base + n;
  if (auto next = freeRuns_.find(hi); next != freeRuns_.end()) {
    hi = next->second.end;
    freeRuns_.erase(next);
  }
  if (auto it = freeRuns_.lower_bound(base); it != freeRuns_.begin()) {
    if (auto prev = std::prev(it); prev->second.end == base) {
      lo = prev->first;
      freeRuns_.erase(prev);
    }
  }
  freeRuns_[lo] = FreeRun{hi, *clock_};
}

void PageAllocator::unstampAllocated(int64_t base, int64_t n) {
  // The pieces of the run left free keep its stamp (the trimmed remainder keeps unusedsince).
  auto it = std::prev(freeRuns_.upper_bound(base));
  const int64_t start = it->first;
  const FreeRun run = it->second;
  freeRuns_.erase(it);
  if (start < base) freeRuns_[start] = FreeRun{base, run.since};
  if (base + n < run.end) freeRuns_[base + n] = FreeRun{run.end, run.since};
}

std::optional<SimTime> PageAllocator::freeSince(int64_t page) const {
  if (!clock_ || page < 0 || page >= end_ || alloc_.get(page)) return std::nullopt;
  return std::prev(freeRuns_.upper_bound(page))->second.since;
}

// --- scavenging ---

Pages PageAllocator::scavenge(Pages max, const ScavengeSelect& select, const Release& onRelease) {
  if (max.v <= 0) return Pages(0);
  if (select.freedBefore && !clock_)
    throw std::logic_error("PageAllocator::scavenge: freedBefore needs trackFreeTimes");
  if (select.order == ScavengeOrder::LargestRunFirst)
    return Pages(scavengeLargest(max.v, select.freedBefore, onRelease));
  if (select.freedBefore) return Pages(scavengeFreedBefore(max.v, *select.freedBefore, select.generational, onRelease));
  if (select.generational) return Pages(scavengeGenerational(max.v, onRelease));
  return Pages(scavengeHighest(max.v, onRelease));
}

void PageAllocator::markReleased(int64_t start, int64_t len, const Release& onRelease) {
  scav_.setRange(start, len);
  for (int64_t c = start / kChunkPages; c <= (start + len - 1) / kChunkPages; ++c) {
    const int64_t lo = std::max(start, c * kChunkPages);
    const int64_t hi = std::min(start + len, (c + 1) * kChunkPages);
    chunkFreeUnscav_[static_cast<size_t>(c)] -= static_cast<int32_t>(hi - lo);
  }
  free_ -= len;
  released_ += len;
  onRelease(PageRun{start, len});
}

int64_t PageAllocator::scavengeChunk(int64_t chunk, int64_t top, int64_t max, const Release& onRelease) {
  // findScavengeCandidate: from `top` down, the highest free and unscavenged run, at most `max`
  // pages of it from its top end.
  if (chunkFreeUnscav_[static_cast<size_t>(chunk)] == 0) return 0;
  const int64_t lo = chunk * kChunkPages;
  int64_t done = 0;
  for (int64_t p = top; p >= lo && done < max;) {
    while (p >= lo && (alloc_.get(p) || scav_.get(p))) --p;
    if (p < lo) break;
    int64_t runLo = p;
    while (runLo - 1 >= lo && !alloc_.get(runLo - 1) && !scav_.get(runLo - 1)) --runLo;
    int64_t start = p - std::min(p - runLo + 1, max - done) + 1;
    // Go 1.14+ findScavengeCandidate: a candidate that reaches a huge-page boundary above its
    // start, inside a run that covers the whole huge page below, grows down to that huge page's
    // start, so a free huge page is never broken up (and more than max may be released).
    const int64_t hugeAbove = (start + kHugePagePages - 1) / kHugePagePages * kHugePagePages;
    if (hugeAbove <= p + 1) {
      const int64_t hugeBelow = start / kHugePagePages * kHugePagePages;
      if (hugeBelow >= runLo) start = hugeBelow;
    }
    markReleased(start, p - start + 1, onRelease);
    done += p - start + 1;
    p = start - 1;
  }
  return done;
}

int64_t PageAllocator::scavengeHighest(int64_t max, const Release& onRelease) {
  int64_t done = 0;
  for (int64_t c = static_cast<int64_t>(chunkFreeUnscav_.size()) - 1; c >= 0 && done < max; --c)
    done += scavengeChunk(c, (c + 1) * kChunkPages - 1, max - done, onRelease);
  return done;
}

int64_t PageAllocator::scavengeGenerational(int64_t max, const Release& onRelease) {
  // scavengeIndex.find(force = false): from searchAddrBg down, skipping dense chunks; the
  // cursor drops to the top of each chunk it moves to and is cleared when nothing is left.
  if (bgCursor_ < 0) return 0;
  const int64_t startChunk = bgCursor_ / kChunkPages;
  int64_t done = 0;
  for (int64_t c = startChunk; c >= 0 && done < max; --c) {
    if (chunkFreeUnscav_[static_cast<size_t>(c)] == 0 || !backgroundMayScavenge(c)) continue;
    const int64_t top = c == startChunk ? bgCursor_ : (c + 1) * kChunkPages - 1;
    bgCursor_ = top;
    done += scavengeChunk(c, top, max - done, onRelease);
  }
  if (done < max) bgCursor_ = -1;
  return done;
}

int64_t PageAllocator::scavengeFreeRange(int64_t lo, int64_t hi, int64_t max, bool generational,
                                         const Release& onRelease) {
  int64_t done = 0;
  for (int64_t p = hi - 1; p >= lo && done < max;) {
    p = scav_.findPrev(p, false);  // highest unscavenged page at or below p
    if (p < lo) break;
    const int64_t chunkLo = p / kChunkPages * kChunkPages;
    if (generational && !backgroundMayScavenge(p / kChunkPages)) {
      p = chunkLo - 1;
      continue;
    }
    const int64_t floor = std::max({lo, generational ? chunkLo : lo, p - (max - done) + 1});
    const int64_t start = std::max(scav_.findPrev(p, true) + 1, floor);
    markReleased(start, p - start + 1, onRelease);
    done += p - start + 1;
    p = start - 1;
  }
  return done;
}

int64_t PageAllocator::scavengeFreedBefore(int64_t max, SimTime before, bool generational,
                                           const Release& onRelease) {
  // scavengelist: every free span with now - unusedsince > limit, highest address first here.
  int64_t done = 0;
  for (auto it = freeRuns_.rbegin(); it != freeRuns_.rend() && done < max; ++it) {
    if (it->second.since < before)
      done += scavengeFreeRange(it->first, it->second.end, max - done, generational, onRelease);
  }
  return done;
}

std::vector<PageRun> PageAllocator::unscavengedFreeRuns() const {
  std::vector<PageRun> runs;
  for (int64_t c = 0; c < static_cast<int64_t>(chunkFreeUnscav_.size()); ++c) {
    if (chunkFreeUnscav_[static_cast<size_t>(c)] == 0) continue;
    for (int64_t p = c * kChunkPages; p < (c + 1) * kChunkPages; ++p) {
      if (alloc_.get(p) || scav_.get(p)) continue;
      if (!runs.empty() && runs.back().base + runs.back().npages == p) ++runs.back().npages;
      else runs.push_back(PageRun{p, 1});
    }
  }
  return runs;
}

int64_t PageAllocator::scavengeLargest(int64_t max, std::optional<SimTime> before, const Release& onRelease) {
  // Go 1.12 scavengeLargest: from the free treap's largest span down, whole spans, until at
  // least max is released. Equal sizes: the higher address first (treap order).
  std::vector<PageRun> runs = unscavengedFreeRuns();
  if (before)
    std::erase_if(runs, [&](const PageRun& r) { return !(*freeSince(r.base) < *before); });
  std::sort(runs.begin(), runs.end(), [](const PageRun& a, const PageRun& b) {
    return a.npages != b.npages ? a.npages > b.npages : a.base > b.base;
  });
  int64_t done = 0;
  for (const PageRun& r : runs) {
    if (done >= max) break;
    markReleased(r.base, r.npages, onRelease);
    done += r.npages;
  }
  return done;
}

}  // namespace gomemsim
