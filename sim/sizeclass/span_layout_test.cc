// SpanLayout against the real runtimes' own accounting: tests/fidelity/layout holds, per Go
// version, the size class and objects per span that sim/validate/layout measured for objects
// of 8 B to 64 KiB with and without pointers (Go 1.19.8, 1.26.8 with Green Tea, 1.27.3).
#include "sizeclass/span_layout.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace gomemsim {
namespace {

std::vector<std::map<std::string, std::string>> readCsv(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::map<std::string, std::string>> rows;
  std::string line;
  if (!std::getline(in, line)) return rows;
  std::vector<std::string> header;
  for (std::istringstream h(line); std::getline(h, line, ',');) header.push_back(line);
  for (std::string row; std::getline(in, row);) {
    std::map<std::string, std::string> r;
    std::istringstream f(row);
    std::string cell;
    for (size_t i = 0; i < header.size() && std::getline(f, cell, ','); ++i) r[header[i]] = cell;
    rows.push_back(r);
  }
  return rows;
}

void expectMatchesRecordedLayout(const std::string& version) {
  SCOPED_TRACE(version);
  const std::string path = std::string(GOMEMSIM_SOURCE_DIR) + "/tests/fidelity/layout/" + version + ".csv";
  const GoRelease& r = goRelease(version);
  const SpanLayout layout = SpanLayout::forRelease(r, greenTeaFor(r, ""));
  int checked = 0;
  for (const auto& row : readCsv(path)) {
    if (row.at("probe") != "layout") continue;
    const Bytes size(std::stoll(row.at("size")));
    const bool pointers = row.at("pointers") == "yes";
    SCOPED_TRACE(std::to_string(size.v) + (pointers ? " B with pointers" : " B"));
    const int64_t realClass = std::stoll(row.at("class_size"));
    const int64_t realObjects = std::stoll(row.at("objects_per_span"));
    const int64_t realSpan = std::stoll(row.at("span_bytes_seen"));
    if (realClass == 0) {  // a large object: its own span
      EXPECT_TRUE(layout.isLarge(size, pointers));
      EXPECT_EQ(toBytes(pagesFor(size)).v, realSpan);
      ++checked;
      continue;
    }
    ASSERT_FALSE(layout.isLarge(size, pointers));
    if (isTiny(size, pointers)) {  // tiny: kTinySize / size objects per 16 B block of class 2
      EXPECT_EQ(realClass, kTinySize);
      EXPECT_EQ(layout.nelems(kTinySizeClass, true) * (kTinySize / size.v), realObjects);
      ++checked;
      continue;
    }
    const int c = layout.classFor(size, pointers);
    EXPECT_EQ(layout.classes().cls(c).size, realClass);
    EXPECT_EQ(layout.classes().cls(c).npages * kPageSize, realSpan);
    EXPECT_EQ(layout.nelems(c, !pointers), realObjects);
    ++checked;
  }
  EXPECT_GE(checked, 40) << path;
}

TEST(SpanLayout, MatchesGo1198) { expectMatchesRecordedLayout("go1.19.8"); }
TEST(SpanLayout, MatchesGo1268) { expectMatchesRecordedLayout("go1.26.8"); }
TEST(SpanLayout, MatchesGo1273) { expectMatchesRecordedLayout("go1.27.3"); }

TEST(SpanLayout, AllocationHeadersWithoutGreenTea) {
  // Go 1.22-1.25 (and 1.26 with GOEXPERIMENT=nogreenteagc): pointer bits only, no inline marks.
  const SpanLayout l = SpanLayout::forRelease(goRelease("1.24"), false);
  EXPECT_EQ(l.nelems(l.classFor(Bytes(16), true), false), 504);
  EXPECT_EQ(l.nelems(l.classFor(Bytes(16), false), true), 512);
  EXPECT_EQ(l.nelems(l.classFor(Bytes(8), true), false), 1008);
  EXPECT_EQ(l.headerBytes(Bytes(1024), true), 8);
  EXPECT_EQ(l.headerBytes(Bytes(1024), false), 0);
  EXPECT_EQ(l.headerBytes(Bytes(512), true), 0);
  EXPECT_TRUE(l.isLarge(Bytes(32761), false)) << "maxSmallSize - mallocHeaderSize for every object";
  EXPECT_FALSE(SpanLayout::forRelease(goRelease("1.21"), false).isLarge(Bytes(32768), false));
}

TEST(SpanLayout, RoundUpSizeGivesTheSlotLessTheHeader) {
  const SpanLayout l = SpanLayout::forRelease(goRelease("1.26"), true);
  EXPECT_EQ(l.roundUp(Bytes(1000), true).v, 1024 - 8) << "1008 fits the 1024 B class";
  EXPECT_EQ(l.roundUp(Bytes(1020), true).v, 1152 - 8);  // msize.go roundupsize(size, noscan=false)
  EXPECT_EQ(l.roundUp(Bytes(1000), false).v, 1024);
  EXPECT_EQ(l.roundUp(Bytes(40000), true).v, 40960);
  EXPECT_EQ(SpanLayout::forRelease(goRelease("1.19"), false).roundUp(Bytes(1000), true).v, 1024);
}

TEST(SpanLayout, ObjectsAbove512BAreScannedThroughTheirTypeFromGo122) {
  // mbitmap.go typePointersOfUnchecked: heap bits in the span up to 512 B, the malloc header's
  // type above (and a large span's largeType); before 1.22 the arena bitmap for every size.
  const SpanLayout gt = SpanLayout::forRelease(goRelease("1.26"), true);
  EXPECT_FALSE(gt.scannedThroughType(Bytes(512), true));
  EXPECT_TRUE(gt.scannedThroughType(Bytes(576), true));
  EXPECT_TRUE(gt.scannedThroughType(Bytes(1152), true));
  EXPECT_TRUE(gt.scannedThroughType(Bytes(65536), true)) << "a large object";
  EXPECT_FALSE(gt.scannedThroughType(Bytes(1152), false)) << "noscan: nothing to scan";
  EXPECT_TRUE(SpanLayout::forRelease(goRelease("1.22"), false).scannedThroughType(Bytes(1152), true));
  const SpanLayout old = SpanLayout::forRelease(goRelease("1.21"), false);
  EXPECT_FALSE(old.scannedThroughType(Bytes(1024), true));
  EXPECT_FALSE(old.scannedThroughType(Bytes(65536), true));
}

TEST(SpanLayout, TailReserveIsInSpanMetadata) {
  const SpanLayout gt = SpanLayout::forRelease(goRelease("1.26"), true);
  const int c64 = gt.classFor(Bytes(64), true);
  EXPECT_EQ(gt.tailReserve(c64, true), 128) << "inline mark bits only";
  EXPECT_EQ(gt.tailReserve(c64, false), 256) << "plus pointer bits";
  EXPECT_EQ(gt.tailReserve(gt.classFor(Bytes(1024), false), true), 0);
  EXPECT_EQ(SpanLayout::forRelease(goRelease("1.19"), false).tailReserve(c64, false), 0);
}

}  // namespace
}  // namespace gomemsim
