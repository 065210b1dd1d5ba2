// Helper for the scenario-level tests (tests/scenarios_test.cc, tests/properties_test.cc): runs a
// scenario with every sample's accounting audited (Runtime::audit, through AccountingAudit) and
// reports each failed audit as a test failure.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "engine/run_control.h"
#include "engine/simulation.h"
#include "scenario/scenario.h"

namespace gomemsim::audit_testing {

inline SimResult runAudited(const Scenario& s) {
  Simulation sim(s);
  AccountingAudit audit(sim.runtime());
  sim.setMonitor(&audit);
  SimResult r = sim.run();
  EXPECT_EQ(audit.samplesAudited(), static_cast<int64_t>(r.rows.size())) << "every sample audited";
  for (const std::string& f : audit.failures()) ADD_FAILURE() << f;
  return r;
}

}  // namespace gomemsim::audit_testing
