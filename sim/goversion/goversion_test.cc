// Tests for the Go-version table: the parser, row lookup by patch, and the fields that follow
// each release's source.
#include "goversion/goversion.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace gomemsim {
namespace {

TEST(GoVersion, ReadsMinorPatchAndTheGoPrefix) {
  EXPECT_EQ(parseGoVersion("1.21").minor, 21);
  EXPECT_FALSE(parseGoVersion("1.21").patch.has_value());
  EXPECT_EQ(parseGoVersion("1.21.4").patch, 4);
  EXPECT_EQ(parseGoVersion("go1.27").text(), "1.27");
  EXPECT_EQ(parseGoVersion("go1.19.8").text(), "1.19.8");
  EXPECT_EQ(parseGoVersion(" 1.11 ").text(), "1.11");
}

TEST(GoVersion, RejectsMalformedAndUnmodelledVersionsWithTheExpectedForm) {
  for (const char* bad : {"1.x", "2.5", "banana", "", "1", "1.", "1.21.", "1.21.x", "1.021", "1.21.4.1", "v1.21",
                          "1.10", "1.28", "1.99999", "0.9"}) {
    SCOPED_TRACE(bad);
    try {
      parseGoVersion(bad);
      ADD_FAILURE() << "accepted";
    } catch (const GoVersionError& e) {
      EXPECT_NE(std::string(e.what()).find("expected a Go version such as 1.21, 1.21.4 or go1.27"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("1.11 to 1.27"), std::string::npos) << e.what();
    }
  }
}

TEST(GoVersion, EveryModelledPatchHasExactlyOneRow) {
  for (int minor = kOldestModelledMinor; minor <= kNewestModelledMinor; ++minor) {
    for (int patch = 0; patch <= 12; ++patch) {
      int rows = 0;
      for (const GoRelease& r : goReleases())
        if (r.minor == minor && patch >= r.firstPatch && patch <= r.lastPatch) ++rows;
      EXPECT_EQ(rows, 1) << "1." << minor << "." << patch;
    }
  }
}

TEST(GoVersion, AMinorWithoutPatchIsItsNewestPatch) {
  EXPECT_EQ(goRelease("1.21").name, "1.21.6+");
  EXPECT_EQ(goRelease("1.21.0").name, "1.21.0");
  EXPECT_EQ(goRelease("1.21.2").name, "1.21.1-1.21.3");
  EXPECT_EQ(goRelease("1.21.4").name, "1.21.4-1.21.5");
  EXPECT_EQ(goRelease("1.21.13").name, "1.21.6+");
  EXPECT_EQ(goRelease("1.19.8").name, "1.19");
  EXPECT_EQ(goRelease(kNewestGo).minor, kNewestModelledMinor);
}

TEST(GoVersion, HugePageAdviceChangedInsideGo121) {
  EXPECT_EQ(goRelease("1.20").hugePageAdvice, HeapHugePageAdvice::EdgesAndSpans);
  EXPECT_EQ(goRelease("1.21.0").hugePageAdvice, HeapHugePageAdvice::Go1210);
  EXPECT_EQ(goRelease("1.21.3").hugePageAdvice, HeapHugePageAdvice::Collapse);
  EXPECT_EQ(goRelease("1.21.4").hugePageAdvice, HeapHugePageAdvice::None);
  EXPECT_FALSE(goRelease("1.21.5").disableThpSetting);
  EXPECT_TRUE(goRelease("1.21.6").disableThpSetting);
  EXPECT_TRUE(goRelease("1.27").disableThpSetting);
  EXPECT_FALSE(goRelease("1.20").metadataHugePages);
  EXPECT_TRUE(goRelease("1.21.0").metadataHugePages);
}

TEST(GoVersion, HeapMetadataLayoutPerRelease) {
  EXPECT_EQ(goRelease("1.11").heapBits, HeapBitsLayout::TwoBitsPerWord);
  EXPECT_EQ(goRelease("1.19").heapBits, HeapBitsLayout::TwoBitsPerWord);
  EXPECT_EQ(goRelease("1.20").heapBits, HeapBitsLayout::OneBitPerWord);
  EXPECT_EQ(goRelease("1.21").heapBits, HeapBitsLayout::OneBitPerWord);
  EXPECT_EQ(goRelease("1.22").heapBits, HeapBitsLayout::AllocationHeaders);
  EXPECT_EQ(goRelease("1.27").heapBits, HeapBitsLayout::AllocationHeaders);
}

TEST(GoVersion, PoliciesAndDefaultsPerRelease) {
  const std::map<std::string, std::pair<std::string, std::string>> expected = {
      {"1.11", {"sysmon-5min", "go1.19"}},     {"1.12", {"sysmon-5min", "go1.19"}},
      {"1.13", {"background", "go1.19"}},      {"1.18", {"background", "go1.19"}},
      {"1.19", {"background-1.19", "go1.19"}}, {"1.20", {"background-1.19", "go1.19"}},
      {"1.21", {"background-1.21", "go1.21"}}, {"1.27", {"background-1.21", "go1.21"}}};
  for (const auto& [go, policies] : expected) {
    EXPECT_EQ(goRelease(go).scavenger, policies.first) << go;
    EXPECT_EQ(goRelease(go).pacer, policies.second) << go;
  }
  EXPECT_EQ(goRelease("1.11").madvise, MadviseDefault::DontNeedOnly);
  EXPECT_EQ(goRelease("1.15").madvise, MadviseDefault::Free);
  EXPECT_EQ(goRelease("1.16").madvise, MadviseDefault::DontNeed);
  EXPECT_EQ(goRelease("1.15").sizeClasses, SizeClassScheme::Go115);
  EXPECT_EQ(goRelease("1.16").sizeClasses, SizeClassScheme::Go116);
  EXPECT_EQ(goRelease("1.17").growslice, GrowsliceScheme::Go117);
  EXPECT_EQ(goRelease("1.18").growslice, GrowsliceScheme::Go118);
  EXPECT_FALSE(goRelease("1.18").gcCpuLimiter);
  EXPECT_TRUE(goRelease("1.19").gcCpuLimiter);
  EXPECT_TRUE(goRelease("1.12").heapGrowthScavenging);
  EXPECT_FALSE(goRelease("1.13").heapGrowthScavenging);
  EXPECT_FALSE(goRelease("1.24").containerAwareGomaxprocs);
  EXPECT_TRUE(goRelease("1.25").containerAwareGomaxprocs);
}

TEST(GoVersion, MemoryLimitGoalBugIsInGo119To121) {
  for (int minor = 11; minor <= 27; ++minor) {
    const std::string v = "1." + std::to_string(minor);
    EXPECT_EQ(goRelease(v).scavengerLimitGoalBug, minor >= 19 && minor <= 21) << v;
  }
}

TEST(GoVersion, TraceFormatsPerRelease) {
  EXPECT_EQ(goRelease("1.17").gctrace, GcTraceFormat::Go117);
  EXPECT_EQ(goRelease("1.18").gctrace, GcTraceFormat::Go118);
  EXPECT_EQ(goRelease("1.13").scavtrace, ScavTraceFormat::None);
  EXPECT_EQ(goRelease("1.14").scavtrace, ScavTraceFormat::Go114);
  EXPECT_EQ(goRelease("1.15").scavtrace, ScavTraceFormat::Go115);
  EXPECT_EQ(goRelease("1.18").scavtrace, ScavTraceFormat::Go115);
  EXPECT_EQ(goRelease("1.19").scavtrace, ScavTraceFormat::Go114);
  EXPECT_EQ(goRelease("1.21").scavtrace, ScavTraceFormat::Go121);
  EXPECT_EQ(goRelease("1.27").scavtrace, ScavTraceFormat::Go121);
}

TEST(GoVersion, GreenTeaByDefaultFrom126AndByExperimentIn125) {
  EXPECT_FALSE(greenTeaFor(goRelease("1.24"), ""));
  EXPECT_FALSE(greenTeaFor(goRelease("1.25"), ""));
  EXPECT_TRUE(greenTeaFor(goRelease("1.25"), "greenteagc"));
  EXPECT_TRUE(greenTeaFor(goRelease("1.26"), ""));
  EXPECT_FALSE(greenTeaFor(goRelease("1.26"), "nogreenteagc"));
  EXPECT_TRUE(greenTeaFor(goRelease("1.27"), "nogreenteagc,greenteagc")) << "later entries win";
  EXPECT_TRUE(greenTeaFor(goRelease("1.27"), "jsonv2")) << "other experiments are not Green Tea's business";
  EXPECT_THROW(greenTeaFor(goRelease("1.24"), "greenteagc"), GoVersionError);
}

TEST(GoVersion, RuntimeMetricsFollowTheReleaseThatAddedThem) {
  EXPECT_TRUE(hasRuntimeMetric(goRelease("1.16"), "/gc/heap/goal:bytes"));
  EXPECT_FALSE(hasRuntimeMetric(goRelease("1.15"), "/gc/heap/goal:bytes"));
  EXPECT_FALSE(hasRuntimeMetric(goRelease("1.18"), "/gc/limiter/last-enabled:gc-cycle"));
  EXPECT_TRUE(hasRuntimeMetric(goRelease("1.19"), "/gc/limiter/last-enabled:gc-cycle"));
  EXPECT_FALSE(hasRuntimeMetric(goRelease("1.27"), "/no/such:metric"));
  EXPECT_FALSE(hasRuntimeMetric(goRelease("1.16"), "/gc/heap/allocs:bytes"));
  EXPECT_TRUE(hasRuntimeMetric(goRelease("1.17"), "/gc/heap/allocs:bytes"));
  EXPECT_FALSE(hasRuntimeMetric(goRelease("1.20"), "/gc/gogc:percent"));
  EXPECT_TRUE(hasRuntimeMetric(goRelease("1.21.0"), "/gc/gogc:percent"));
  EXPECT_TRUE(hasRuntimeMetric(goRelease("1.21.0"), "/gc/heap/live:bytes"));
  EXPECT_TRUE(runtimeMetricNames(goRelease("1.15")).empty()) << "runtime/metrics is new in Go 1.16";
  EXPECT_EQ(goRelease("1.15").metricsSet, RuntimeMetricsSet::None);
  EXPECT_EQ(goRelease("1.16").metricsSet, RuntimeMetricsSet::Go116);
  EXPECT_EQ(goRelease("1.18").metricsSet, RuntimeMetricsSet::Go117);
  EXPECT_EQ(goRelease("1.19").metricsSet, RuntimeMetricsSet::Go119);
  EXPECT_EQ(goRelease("1.20").metricsSet, RuntimeMetricsSet::Go120);
  EXPECT_FALSE(hasRuntimeMetric(goRelease("1.19"), "/cpu/classes/user:cpu-seconds"));
  EXPECT_TRUE(hasRuntimeMetric(goRelease("1.20"), "/cpu/classes/user:cpu-seconds"));
  EXPECT_TRUE(hasRuntimeMetric(goRelease("1.27"), "/cpu/classes/gc/mark/idle:cpu-seconds"));
  EXPECT_EQ(goRelease("1.27").metricsSet, RuntimeMetricsSet::Go121);
  // Every name listed is one hasRuntimeMetric knows, and a later release lists more.
  size_t before = 0;
  for (const GoRelease& r : goReleases()) {
    const std::vector<std::string_view> names = runtimeMetricNames(r);
    for (const std::string_view n : names) EXPECT_TRUE(hasRuntimeMetric(r, n)) << r.name << " " << n;
    EXPECT_GE(names.size(), before) << r.name;
    before = names.size();
  }
}

}  // namespace
}  // namespace gomemsim
