// sysmon5min: the Go <= 1.12 scavenger, "sysmon-5min" (gccgo copies of go1.11 and go1.12
// proc.go sysmon and mheap.go scavenge / scavengelist / scavengeAll / scavengeLargest).
//
// Models: sysmon calls mheap_.scavenge whenever lastscavenge + scavengelimit/2 < now, i.e. every
// 2.5 minutes from the program's start (lastscavenge = nanotime() when sysmon starts, then the
// time of each pass); a pass releases every free span with now - unusedsince > scavengelimit =
// 5 minutes. unusedsince is stamped when a span is freed (by the sweeper after a GC) and a span
// that coalesces with it restarts its clock (the page allocator's free times). Memory freed at
// t is therefore released at the first pass after t + 5 min: between 5 and 7.5 minutes later.
// With go 1.12 also mheap.grow -> scavengeLargest(growth) and, when a span is allocated out of
// released memory, scavengeLargest(span bytes): the largest free spans first, whole spans, the
// excess kept as scavengeCredit against the next requests.
// Parameters honoured: idle_threshold (scavengelimit, default 5m), period (the sysmon check
// interval, default idle_threshold / 2).
// Does not model: sysmon's sleep of up to forcegcperiod/2 = 1 min when every P is idle (passes in
// an idle program can come up to a minute late), GODEBUG=scavenge=1, the scvg gctrace lines,
// 1.11's HeapReleased under-count after a released span is split.
#include <algorithm>

#include "scavenger/policies.h"

namespace gomemsim::scav {
namespace {

constexpr int64_t kScavengeLimitNs = int64_t{5} * 60 * 1000000000;  // proc.go sysmon: scavengelimit

class Sysmon5Min : public ScavengerPolicy {
 public:
  Sysmon5Min(const ScavengerParams& p, const GoRelease& release)
      : limit_(p.idleThreshold.value_or(Duration(kScavengeLimitNs))),
        period_(p.period.value_or(limit_ / 2)),
        growthScavenging_(release.heapGrowthScavenging),
        nextPass_(SimTime(0) + period_) {}

  std::string name() const override { return "sysmon-5min"; }
  bool needsFreeTimes() const override { return true; }
  void paced(const ScavengerPacing&) override {}
  void sweepDone(SimTime, Duration) override {}

  ScavengeRequest eager(const SpanAllocation& a, const ScavengerView&, std::optional<Bytes>) override {
    if (!growthScavenging_) return ScavengeRequest{};
    // Go 1.12 mheap.grow: scavengeLargest(size); allocSpanLocked, span out of scavenged memory:
    // scavengeLargest(s.npages * pageSize).
    int64_t want = a.growth.v + (a.reusedReleased.v > 0 ? a.span.v : 0);
    const int64_t fromCredit = std::min(want, credit_);  // scavengeCredit pays first
    credit_ -= fromCredit;
    want -= fromCredit;
    asked_ = want;
    ScavengeSelect largest;
    largest.order = ScavengeOrder::LargestRunFirst;
    return ScavengeRequest{Bytes(want), largest};
  }

  void eagerDone(Bytes released) override {
    if (released.v > asked_) credit_ += released.v - asked_;  // over-scavenged: credit
  }

  std::optional<SimTime> nextWake() const override { return nextPass_; }

  ScavengeRequest runBatch(SimTime now, const ScavengerView& v) override {
    // mheap.scavenge(k, now, limit): every free span unused for more than limit.
    nextPass_ = now + period_;
    ScavengeSelect idle;
    idle.freedBefore = now + Duration(-limit_.v);
    return ScavengeRequest{v.heapFree, idle};
  }

  void worked(SimTime, Bytes, Duration, const ScavengerView&) override {}

 private:
  Duration limit_;
  Duration period_;
  bool growthScavenging_;
  SimTime nextPass_;
  int64_t credit_ = 0;  // mheap.scavengeCredit (bytes)
  int64_t asked_ = 0;
};

}  // namespace

std::unique_ptr<ScavengerPolicy> makeSysmon5Min(const ScavengerParams& p, const GoRelease& release) {
  return std::make_unique<Sysmon5Min>(p, release);
}

}  // namespace gomemsim::scav
