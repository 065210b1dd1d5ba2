// units: small strong types for the quantities the simulator moves around.
//
// Models: byte counts, runtime pages (8 KiB, Go's _PageSize since Go 1.0, malloc.go), OS pages
// (4 KiB, physPageSize on linux/amd64), simulated time instants and durations in nanoseconds
// (Go's nanotime() unit). Conversions are explicit functions, so a page count can never be
// passed where bytes are expected.
// Does not model: 32-bit platforms, other physical page sizes (arm64 64 KiB pages).
#pragma once

#include <compare>
#include <cstdint>

namespace gomemsim {

// A strongly typed 64-bit signed quantity. Tag makes Bytes and Pages distinct types.
template <typename Tag>
struct Quantity {
  int64_t v = 0;
  constexpr Quantity() = default;
  constexpr explicit Quantity(int64_t value) : v(value) {}
  constexpr auto operator<=>(const Quantity&) const = default;
  constexpr Quantity operator+(Quantity o) const { return Quantity(v + o.v); }
  constexpr Quantity operator-(Quantity o) const { return Quantity(v - o.v); }
  constexpr Quantity& operator+=(Quantity o) { v += o.v; return *this; }
  constexpr Quantity& operator-=(Quantity o) { v -= o.v; return *this; }
  constexpr Quantity operator*(int64_t k) const { return Quantity(v * k); }
  constexpr Quantity operator/(int64_t k) const { return Quantity(v / k); }
};

struct BytesTag {};
struct PagesTag {};
struct OsPagesTag {};
struct DurationTag {};

using Bytes = Quantity<BytesTag>;      // bytes
using Pages = Quantity<PagesTag>;      // runtime pages of 8 KiB
using OsPages = Quantity<OsPagesTag>;  // OS pages of 4 KiB
using Duration = Quantity<DurationTag>;  // nanoseconds

// A point in simulated time: nanoseconds since the simulated program started.
struct SimTime {
  int64_t ns = 0;
  constexpr SimTime() = default;
  constexpr explicit SimTime(int64_t n) : ns(n) {}
  constexpr auto operator<=>(const SimTime&) const = default;
  constexpr SimTime operator+(Duration d) const { return SimTime(ns + d.v); }
  constexpr Duration operator-(SimTime o) const { return Duration(ns - o.ns); }
  constexpr double seconds() const { return static_cast<double>(ns) * 1e-9; }
};

// Go 1.19 malloc.go: _PageShift = 13, _PageSize = 8192.
inline constexpr int64_t kPageShift = 13;
inline constexpr int64_t kPageSize = int64_t{1} << kPageShift;
// linux/amd64 physPageSize.
inline constexpr int64_t kOsPageShift = 12;
inline constexpr int64_t kOsPageSize = int64_t{1} << kOsPageShift;  // 4 KiB
inline constexpr int64_t kOsPagesPerPage = kPageSize / kOsPageSize;

constexpr Bytes KiB(int64_t n) { return Bytes(n << 10); }
constexpr Bytes MiB(int64_t n) { return Bytes(n << 20); }
constexpr Bytes GiB(int64_t n) { return Bytes(n << 30); }

constexpr Bytes toBytes(Pages p) { return Bytes(p.v * kPageSize); }
constexpr Bytes toBytes(OsPages p) { return Bytes(p.v * kOsPageSize); }
// Rounds up: the number of runtime pages needed to hold b.
constexpr Pages pagesFor(Bytes b) { return Pages((b.v + kPageSize - 1) >> kPageShift); }
constexpr OsPages osPagesFor(Bytes b) { return OsPages((b.v + kOsPageSize - 1) / kOsPageSize); }
constexpr OsPages toOsPages(Pages p) { return OsPages(p.v * kOsPagesPerPage); }

constexpr Duration Nanoseconds(int64_t n) { return Duration(n); }
constexpr Duration Microseconds(int64_t n) { return Duration(n * 1000); }
constexpr Duration Milliseconds(int64_t n) { return Duration(n * 1000000); }
constexpr Duration Seconds(int64_t n) { return Duration(n * 1000000000); }
inline Duration SecondsF(double s) { return Duration(static_cast<int64_t>(s * 1e9 + (s >= 0 ? 0.5 : -0.5))); }
constexpr double toSeconds(Duration d) { return static_cast<double>(d.v) * 1e-9; }

inline double toMiB(Bytes b) { return static_cast<double>(b.v) / (1024.0 * 1024.0); }

}  // namespace gomemsim
