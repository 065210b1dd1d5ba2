// rng: the simulator's only source of randomness. SplitMix64 seeded by the scenario seed, so a
// seed fixes every draw on every platform (std:: distributions are not portable, so
// the draws below are written out).
#pragma once

#include <cmath>
#include <cstdint>

namespace gomemsim {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(mix(seed ^ 0x6a09e667f3bcc909ULL)) {}
  // SplitMix64 (Steele, Lea and Flood 2014, java.util.SplittableRandom): a Weyl sequence
  // through a 64-bit mixer; passes BigCrush, period 2^64, one word of state (cheap to keep
  // in a register or, when it escapes, one load and one store per draw).
  uint64_t next() { return mix(state_ += 0x9e3779b97f4a7c15ULL); }
  // Uniform in (0, 1]: never 0, so -log(u) is finite.
  double uniformOpen() { return (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53; }
  // Uniform integer in [0, n).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<__uint128_t>(next()) * n) >> 64); }
  // Exponential with the given mean, by Marsaglia and Tsang's ziggurat (2000, "The ziggurat
  // method for generating random variables", 256 layers): ~99 % of draws take one table
  // lookup and one multiply, the rest fall back to exact rejection with log/exp.
  double exponential(double mean) { return standardExponential() * mean; }
  double standardExponential() {
    const ZigguratTables& z = ziggurat();
    for (;;) {
      const uint64_t r = next();
      const unsigned i = static_cast<unsigned>(r & 255);
      const uint64_t j = r >> 11;  // 53 bits
      const double x = static_cast<double>(j) * z.w[i];
      if (j < z.k[i]) return x;                                   // inside the layer's box
      if (i == 0) return z.r - std::log(uniformOpen());            // the tail beyond r
      if (z.f[i] + uniformOpen() * (z.f[i - 1] - z.f[i]) < std::exp(-x)) return x;  // wedge
    }
  }
  // Standard normal by Box-Muller (one value per call; deterministic).
  double normal() {
    const double u1 = uniformOpen(), u2 = uniformOpen();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  struct ZigguratTables {
    double r = 7.697117470131487;  // start of the tail (rightmost layer edge)
    uint64_t k[256];
    double w[256], f[256];
    ZigguratTables() {
      // Marsaglia & Tsang's table set-up for exp(-x), with 53-bit instead of 32-bit integers.
      const double m = 0x1.0p53;
      const double v = 3.949659822581572e-3;  // area of each layer
      double de = r, te = r;
      const double q = v / std::exp(-de);
      k[0] = static_cast<uint64_t>((de / q) * m);
      k[1] = 0;
      w[0] = q / m;
      w[255] = de / m;
      f[0] = 1.0;
      f[255] = std::exp(-de);
      for (int i = 254; i >= 1; --i) {
        de = -std::log(v / de + std::exp(-de));
        k[i + 1] = static_cast<uint64_t>((de / te) * m);
        te = de;
        f[i] = std::exp(-de);
        w[i] = de / m;
      }
    }
  };
  // Built once, at start-up: no initialisation guard on the draw path.
  static inline const ZigguratTables kZiggurat{};
  static const ZigguratTables& ziggurat() { return kZiggurat; }
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

}  // namespace gomemsim
