// none: a runtime that never returns memory by itself (no Go version shipped it; the baseline
// for comparisons). debug.FreeOSMemory still releases everything free (the runtime does that).
// Parameters honoured: none.
#include "scavenger/policies.h"

namespace gomemsim::scav {
namespace {

class NoScavenger : public ScavengerPolicy {
 public:
  std::string name() const override { return "none"; }
  void paced(const ScavengerPacing&) override {}
  void sweepDone(SimTime, Duration) override {}
  ScavengeRequest eager(const SpanAllocation&, const ScavengerView&, std::optional<Bytes>) override {
    return ScavengeRequest{};
  }
  std::optional<SimTime> nextWake() const override { return std::nullopt; }
  ScavengeRequest runBatch(SimTime, const ScavengerView&) override { return ScavengeRequest{}; }
  void worked(SimTime, Bytes, Duration, const ScavengerView&) override {}
};

}  // namespace

std::unique_ptr<ScavengerPolicy> makeNone(const ScavengerParams&, const GoRelease&) {
  return std::make_unique<NoScavenger>();
}

}  // namespace gomemsim::scav
