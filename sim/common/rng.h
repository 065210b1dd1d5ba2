// rng: the simulator's only source of randomness. xoshiro256** seeded by splitmix64, so a
// scenario seed fixes every draw on every platform (std:: distributions are not portable, so
// the draws below are written out).
#pragma once

#include <cmath>
#include <cstdint>

namespace gomemsim {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in (0, 1]: never 0, so -log(u) is finite.
  double uniformOpen() { return (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53; }
  // Uniform integer in [0, n).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<__uint128_t>(next()) * n) >> 64); }
  double exponential(double mean) { return -std::log(uniformOpen()) * mean; }
  // Standard normal by Box-Muller (one value per call; deterministic).
  double normal() {
    const double u1 = uniformOpen(), u2 = uniformOpen();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace gomemsim
