// bitmap: a growable bit vector with the run operations the page allocator and the OS model
// need (set/clear a range counting changed bits, find the next set/clear bit, count).
// Not a model of anything in the runtime by itself; Go's pallocBits (mpallocbits.go) is the
// same idea at 512 bits per chunk.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gomemsim {

// Bits set in x. Written out (SWAR) because without -mpopcnt, which the portable x86-64
// baseline lacks, std::popcount becomes a call into libgcc.
inline int popcount64(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<int>((x * 0x0101010101010101ULL) >> 56);
}

class Bitmap {
 public:
  int64_t size() const { return size_; }
  void resize(int64_t bits) {
    words_.resize(static_cast<size_t>((bits + 63) / 64), 0);
    size_ = bits;
  }
  bool get(int64_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  void set(int64_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void clear(int64_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }

  // Sets bits [from, from+n); returns how many were clear before.
  int64_t setRange(int64_t from, int64_t n) { return apply(from, n, true); }
  // Clears bits [from, from+n); returns how many were set before.
  int64_t clearRange(int64_t from, int64_t n) { return apply(from, n, false); }
  // Raw 64-bit words (bit i of word w is bit 64w+i), for whole-bitmap passes.
  int64_t numWords() const { return static_cast<int64_t>(words_.size()); }
  uint64_t word(int64_t w) const { return words_[static_cast<size_t>(w)]; }
  void setWord(int64_t w, uint64_t bits) { words_[static_cast<size_t>(w)] = bits; }  // bits past size() stay 0
  // Number of set bits in [from, from+n).
  int64_t count(int64_t from, int64_t n) const;
  // First index >= from whose bit equals `value`, or size() if none.
  int64_t findNext(int64_t from, bool value) const;
  // Last index <= from whose bit equals `value`, or -1 if none.
  int64_t findPrev(int64_t from, bool value) const;

 private:
  int64_t apply(int64_t from, int64_t n, bool value);
  static uint64_t maskFrom(int64_t lo, int64_t hi) {  // bits [lo, hi) of one word, hi <= 64
    const uint64_t upper = hi == 64 ? ~uint64_t{0} : ((uint64_t{1} << hi) - 1);
    return upper & ~((uint64_t{1} << lo) - 1);
  }
  std::vector<uint64_t> words_;
  int64_t size_ = 0;
};

inline int64_t Bitmap::apply(int64_t from, int64_t n, bool value) {
  int64_t changed = 0;
  int64_t i = from;
  const int64_t end = from + n;
  while (i < end) {
    const int64_t w = i >> 6;
    const int64_t lo = i & 63;
    const int64_t hi = (end - (w << 6)) >= 64 ? 64 : (end - (w << 6));
    const uint64_t m = maskFrom(lo, hi);
    uint64_t& word = words_[static_cast<size_t>(w)];
    if (value) {
      changed += popcount64(m & ~word);
      word |= m;
    } else {
      changed += popcount64(m & word);
      word &= ~m;
    }
    i = (w + 1) << 6;
  }
  return changed;
}

inline int64_t Bitmap::count(int64_t from, int64_t n) const {
  int64_t c = 0;
  int64_t i = from;
  const int64_t end = from + n;
  while (i < end) {
    const int64_t w = i >> 6;
    const int64_t lo = i & 63;
    const int64_t hi = (end - (w << 6)) >= 64 ? 64 : (end - (w << 6));
    c += popcount64(words_[static_cast<size_t>(w)] & maskFrom(lo, hi));
    i = (w + 1) << 6;
  }
  return c;
}

inline int64_t Bitmap::findNext(int64_t from, bool value) const {
  if (from >= size_) return size_;
  int64_t w = from >> 6;
  uint64_t word = words_[static_cast<size_t>(w)];
  if (!value) word = ~word;
  word &= ~((uint64_t{1} << (from & 63)) - 1);
  const int64_t nwords = static_cast<int64_t>(words_.size());
  while (true) {
    if (word != 0) {
      const int64_t idx = (w << 6) + std::countr_zero(word);
      return idx < size_ ? idx : size_;
    }
    if (++w >= nwords) return size_;
    word = value ? words_[static_cast<size_t>(w)] : ~words_[static_cast<size_t>(w)];
  }
}

inline int64_t Bitmap::findPrev(int64_t from, bool value) const {
  if (from < 0) return -1;
  if (from >= size_) from = size_ - 1;
  int64_t w = from >> 6;
  uint64_t word = words_[static_cast<size_t>(w)];
  if (!value) word = ~word;
  const int64_t bit = from & 63;
  if (bit != 63) word &= (uint64_t{1} << (bit + 1)) - 1;
  while (true) {
    if (word != 0) return (w << 6) + 63 - std::countl_zero(word);
    if (--w < 0) return -1;
    word = value ? words_[static_cast<size_t>(w)] : ~words_[static_cast<size_t>(w)];
  }
}

}  // namespace gomemsim
