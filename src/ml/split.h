#pragma once

// Stratified train/test splits, repeatable across compilers and standard
// libraries: the shuffle is netfin's own Fisher-Yates over std::mt19937_64
// (whose output sequence the C++ standard fixes), with its own unbiased
// bounded draw, because std::shuffle and std::uniform_int_distribution
// differ between implementations.

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "core/status.h"

namespace netfin::ml {

// A pseudo-random generator whose every output is fixed by its seed on any
// platform. Not for cryptography.
class Prng {
 public:
  explicit Prng(uint64_t seed) : engine_(seed) {}

  uint64_t Next() { return engine_(); }
  // Uniform in [0, bound), without modulo bias (rejection sampling).
  // REQUIRES: bound > 0.
  uint64_t Below(uint64_t bound);
  // Shuffles in place: Fisher-Yates from the last element down.
  void Shuffle(std::span<size_t> items);

 private:
  std::mt19937_64 engine_;
};

struct SplitIndices {
  std::vector<size_t> train = {};  // ascending
  std::vector<size_t> test = {};   // ascending
};

// Splits row indices 0..labels.size()-1 into train and test so that each
// class contributes round(class_rows * test_fraction) rows to the test part,
// which keeps the positive rate of both parts at that of the whole. The same
// labels, fraction and seed always give the same split. Each class is
// shuffled separately: negatives first, then positives, from one Prng.
// kInvalidArgument: empty labels, a label other than 0/1, or test_fraction
// outside (0, 1).
core::Result<SplitIndices> StratifiedSplit(std::span<const uint8_t> labels, double test_fraction,
                                           uint64_t seed);

}  // namespace netfin::ml
