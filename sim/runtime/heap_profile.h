// heap_profile: what a pprof heap profile (inuse_space) would total at an instant.
//
// Models Go 1.19 mprof.go/malloc.go: allocations are sampled on average once per
// MemProfileRate (512 KiB) bytes (mcache.nextSample, an exponential countdown; tiny
// allocations that fit an existing block are never sampled); a sample records the slot size.
// The profile is published per GC cycle: an allocation made during cycle C appears when
// cycle C+2 is flushed, a free found by the mark ending cycle C appears with cycle C+1, so after
// the n-th automatic mark termination the profile shows objects allocated before the (n-1)-th
// and not freed by it; runtime.GC() additionally flushes after sweeping (mProf_PostSweep), so
// right after it the profile is exact as of that GC. With no published cycle, MemProfile falls
// back to every sampled allocation. Sampled bytes are scaled per bucket by
// 1 / (1 - exp(-avg/rate)) as runtime/pprof's scaleHeapSample does.
// The exact (unsampled) view of the same publication rule is heapMarked of the published cycle.
// publishedSites() gives the same publication per allocation site, unscaled, as
// runtime.MemProfile's records (Go 1.19 mprof.go memRecord.active: allocs and frees): the site
// is the bucket plus what the engine says allocates (setSite: the step), as a Go stack is the
// call site plus its callers; published() scales per bucket only, so the model's totals do not
// depend on the sites. Does not model: the fallback's side effect of freezing later reads (see
// README).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "common/rng.h"
#include "gc/ledger.h"
#include "mheap/mheap.h"
#include "units/units.h"

namespace gomemsim {

class HeapProfile {
 public:
  // Where a sample was allocated: the bucket (stream) and the caller the engine named (setSite).
  using Site = std::pair<int, int>;
  // One site's published record, sampled and unscaled (runtime.MemProfileRecord).
  struct SiteCounts {
    int64_t allocObjects = 0, allocBytes = 0, freeObjects = 0, freeBytes = 0;
    bool operator==(const SiteCounts&) const = default;
  };

  HeapProfile(int64_t rate, uint64_t seed) : rate_(rate), rng_(seed ^ 0x70726f66ULL) { draw(); }

  // Called for each allocation that does span work (not tiny combines).
  void allocated(int bucket, Bytes slot, ObjectRef ref, int64_t cycle) {
    if (rate_ <= 0) return;
    nextSample_ -= slot.v;
    if (nextSample_ > 0) return;
    draw();
    records_.push_back(Record{bucket, site_, slot.v, ref, cycle, -1});
    ++samples_;
  }
  // The same for n allocations of one slot size (refs in allocation order).
  void allocatedBatch(int bucket, Bytes slot, const ObjectRef* refs, int n, int64_t cycle) {
    if (rate_ <= 0) return;
    for (int j = 0; j < n;) {
      const int64_t untilSample = (nextSample_ + slot.v - 1) / slot.v;  // allocations, >= 1
      if (untilSample > n - j) {
        nextSample_ -= (n - j) * slot.v;
        return;
      }
      j += static_cast<int>(untilSample);
      draw();
      records_.push_back(Record{bucket, site_, slot.v, refs[j - 1], cycle, -1});
      ++samples_;
    }
  }
  // Mark termination of cycle n (1-based): records whose object the mark found dead are freed.
  void markTermination(int64_t n, DeathTick markTick, const std::function<DeathTick(ObjectRef)>& deathOf) {
    for (Record& r : records_) {
      if (r.freedBy < 0 && r.allocCycle < n && deathOf(r.ref) <= markTick) r.freedBy = n;
    }
  }
  // Published inuse bytes, scaled, given the publication point: allocations in cycles <= allocUpTo
  // and frees by marks <= freeUpTo. Drops records that can no longer matter.
  Bytes published(int64_t allocUpTo, int64_t freeUpTo, bool fallback) {
    std::map<int, std::pair<int64_t, int64_t>> perBucket;  // bucket -> (count, bytes)
    for (const Record& r : records_) {
      const bool alloced = fallback || r.allocCycle <= allocUpTo;
      const bool freed = !fallback && r.freedBy >= 0 && r.freedBy <= freeUpTo;
      if (alloced && !freed) {
        auto& b = perBucket[r.bucket];
        ++b.first;
        b.second += r.bytes;
      }
    }
    double total = 0;
    for (const auto& [bucket, cb] : perBucket) {
      const double avg = static_cast<double>(cb.second) / static_cast<double>(cb.first);
      total += static_cast<double>(cb.second) / (1 - std::exp(-avg / static_cast<double>(rate_)));
    }
    return Bytes(static_cast<int64_t>(total));
  }
  // The same publication per site (no scaling; runtime/pprof scales each record).
  std::map<Site, SiteCounts> publishedSites(int64_t allocUpTo, int64_t freeUpTo, bool fallback) const {
    std::map<Site, SiteCounts> sites = retired_;
    for (const Record& r : records_) {
      if (!fallback && r.allocCycle > allocUpTo) continue;
      SiteCounts& c = sites[Site{r.bucket, r.site}];
      ++c.allocObjects;
      c.allocBytes += r.bytes;
      if (!fallback && r.freedBy >= 0 && r.freedBy <= freeUpTo) {
        ++c.freeObjects;
        c.freeBytes += r.bytes;
      }
    }
    return sites;
  }
  // Samples taken so far: with the publication point, what publishedSites() depends on.
  int64_t samples() const { return samples_; }
  // The caller of the allocations from now on (publishedSites()'s second half of a site).
  void setSite(int site) { site_ = site; }
  // Forget records freed and published long ago (both sides counted). Their site keeps them in
  // its allocation and free counts: every later publication includes both.
  void compact(int64_t freeUpTo) {
    std::erase_if(records_, [&](const Record& r) {
      if (r.freedBy < 0 || r.freedBy >= freeUpTo - 2) return false;
      SiteCounts& c = retired_[Site{r.bucket, r.site}];
      ++c.allocObjects;
      c.allocBytes += r.bytes;
      ++c.freeObjects;
      c.freeBytes += r.bytes;
      return true;
    });
  }

 private:
  struct Record {
    int bucket;
    int site;
    int64_t bytes;
    ObjectRef ref;
    int64_t allocCycle;  // completed mark terminations when allocated
    int64_t freedBy;     // mark termination that found it dead, -1 if none yet
  };
  void draw() { nextSample_ = static_cast<int64_t>(rng_.exponential(static_cast<double>(rate_))) + 1; }
  int64_t rate_;
  Rng rng_;
  int64_t nextSample_ = 0;
  int site_ = 0;
  int64_t samples_ = 0;
  std::vector<Record> records_;
  std::map<Site, SiteCounts> retired_;  // compacted records: allocated and freed
};

}  // namespace gomemsim
