#include "sizeclass/sizeclass.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

namespace gomemsim {
namespace {

// Reads `var NAME = [...]TYPE{a, b, c}` from Go 1.19's runtime/sizeclasses.go.
std::vector<int64_t> goArray(const std::string& src, const std::string& name) {
  const auto at = src.find("var " + name + " =");
  if (at == std::string::npos) return {};
  const auto open = src.find('{', at), close = src.find('}', at);
  std::vector<int64_t> out;
  std::stringstream ss(src.substr(open + 1, close - open - 1));
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoll(item));
  return out;
}

std::string goSource() {
  for (const char* p : {"/usr/lib/go-1.19/src/runtime/sizeclasses.go",
                        "/usr/lib/go/src/runtime/sizeclasses.go"}) {
    std::ifstream f(p);
    if (f) { std::stringstream ss; ss << f.rdbuf(); return ss.str(); }
  }
  return "";
}

TEST(SizeClass, EveryRowMatchesGo119Source) {
  const std::string src = goSource();
  if (src.empty()) GTEST_SKIP() << "Go 1.19 runtime source not installed (golang-go)";
  const auto sizes = goArray(src, "class_to_size");
  const auto npages = goArray(src, "class_to_allocnpages");
  const auto& t = SizeClassTable::forRelease(goRelease("1.19"));
  ASSERT_EQ(sizes.size(), 68u);
  ASSERT_EQ(t.numClasses(), 68);
  for (int c = 1; c < 68; ++c) {
    EXPECT_EQ(t.cls(c).size, sizes[c]) << "class " << c;
    EXPECT_EQ(t.cls(c).npages, npages[c]) << "class " << c;
  }
  // The lookup tables too.
  const auto c8 = goArray(src, "size_to_class8");
  const auto c128 = goArray(src, "size_to_class128");
  for (size_t i = 1; i < c8.size(); ++i) EXPECT_EQ(t.classFor(int64_t(i) * 8), c8[i]) << i * 8;
  for (size_t i = 1; i < c128.size(); ++i)
    EXPECT_EQ(t.classFor(1024 + int64_t(i) * 128), c128[i]) << 1024 + i * 128;
}

TEST(SizeClass, KnownRowsOfTheGeneratedComment) {
  const auto& t = SizeClassTable::forRelease(goRelease("1.19"));
  // class 3: 24 B, 341 objects, 8 B tail; class 52: 9472 B, 7 pages, 6 objects, 512 B tail.
  EXPECT_EQ(t.cls(3).size, 24);
  EXPECT_EQ(t.cls(3).objects, 341);
  EXPECT_EQ(t.cls(3).tailWaste, 8);
  EXPECT_EQ(t.cls(52).size, 9472);
  EXPECT_EQ(t.cls(52).npages, 7);
  EXPECT_EQ(t.cls(52).objects, 6);
  EXPECT_EQ(t.cls(52).tailWaste, 512);
  EXPECT_EQ(t.cls(65).npages, 10);  // 27264 B x 3 in 80 KiB
}

TEST(SizeClass, Go115HasNo24ByteClass) {
  const auto& t = SizeClassTable::forRelease(goRelease("1.15"));
  EXPECT_EQ(t.numClasses(), 67);
  EXPECT_EQ(t.cls(2).size, 16);
  EXPECT_EQ(t.cls(3).size, 32);
  EXPECT_EQ(t.classFor(17), 3);
  EXPECT_EQ(SizeClassTable::forRelease(goRelease("1.16")).classFor(17), 3);
  EXPECT_EQ(SizeClassTable::forRelease(goRelease("1.16")).cls(3).size, 24);
}

TEST(SizeClass, RoundUpSmallAndLarge) {
  const auto& t = SizeClassTable::forRelease(goRelease("1.19"));
  EXPECT_EQ(t.roundUp(Bytes(1)).v, 8);
  EXPECT_EQ(t.roundUp(Bytes(33)).v, 48);
  EXPECT_EQ(t.roundUp(Bytes(1025)).v, 1152);
  EXPECT_EQ(t.roundUp(Bytes(32768)).v, 32768);
  EXPECT_EQ(t.roundUp(Bytes(32769)).v, 40960);  // large: 5 whole pages
  EXPECT_TRUE(isLarge(Bytes(32769)));
  EXPECT_FALSE(isLarge(Bytes(32768)));
  EXPECT_TRUE(isTiny(Bytes(15), false));
  EXPECT_FALSE(isTiny(Bytes(15), true));
  EXPECT_FALSE(isTiny(Bytes(16), false));
}

TEST(SizeClass, EveryClassWastesAtMostAnEighthOfItsSpan) {
  for (const char* v : {"1.15", "1.19"}) {
    const auto& t = SizeClassTable::forRelease(goRelease(v));
    for (int c = 1; c < t.numClasses(); ++c)
      EXPECT_LE(t.cls(c).tailWaste * 8, t.cls(c).npages * kPageSize) << v << " class " << c;
  }
}

}  // namespace
}  // namespace gomemsim
