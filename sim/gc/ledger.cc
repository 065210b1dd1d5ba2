#include "gc/ledger.h"

#include <algorithm>

namespace gomemsim {

Ledger::Ledger() : ring_(static_cast<size_t>(kRingSize)) {}

void Ledger::scheduleSlow(DeathTick death, const HeapAmount& a) {
  if (static_cast<int64_t>(death) <= processed_) {  // already in the past: dead now
    dead_ += a;
    return;
  }
  far_[death] += a;  // beyond the ring
}

void Ledger::unschedule(DeathTick death, const HeapAmount& a) {
  if (static_cast<int64_t>(death) <= processed_) {
    dead_ -= a;  // resurrected (a tiny block that gained a later sub-object)
    return;
  }
  if (static_cast<int64_t>(death) - processed_ <= kRingSize) {
    ring_[death & (kRingSize - 1)] -= a;
    ringObjects_ -= a.objects;
  } else {
    auto it = far_.find(death);
    if (it != far_.end()) it->second -= a;
  }
}

void Ledger::moved(DeathTick from, DeathTick to, const HeapAmount& a) {
  if (from == to) return;
  if (isTimed(from)) unschedule(from, a);
  else held_ -= a;
  if (isTimed(to)) schedule(to, a);
  else held_ += a;
}

void Ledger::pullFromFar() {
  while (!far_.empty() && static_cast<int64_t>(far_.begin()->first) - processed_ <= kRingSize) {
    const auto it = far_.begin();
    if (static_cast<int64_t>(it->first) <= processed_) dead_ += it->second;
    else { ring_[it->first & (kRingSize - 1)] += it->second; ringObjects_ += it->second.objects; }
    far_.erase(it);
  }
}

HeapAmount Ledger::reachableAt(DeathTick tick) {
  const int64_t target = tick;
  while (processed_ < target) {
    pullFromFar();
    if (ringObjects_ == 0) {
      // Nothing due within the ring: jump to just before the next far death (or the target).
      const int64_t next = far_.empty() ? target : std::min<int64_t>(target, int64_t{far_.begin()->first} - 1);
      if (next > processed_) { processed_ = next; continue; }
    }
    ++processed_;
    HeapAmount& slot = ring_[static_cast<size_t>(processed_ & (kRingSize - 1))];
    if (slot.objects != 0 || slot.bytes != 0) {
      dead_ += slot;
      ringObjects_ -= slot.objects;
      slot = HeapAmount{};
    }
    if ((processed_ & 1023) == 0) pullFromFar();
  }
  HeapAmount r = allocated_;
  r -= dead_;
  return r;
}

}  // namespace gomemsim
