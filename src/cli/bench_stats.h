#pragma once

// Small helpers shared by the `netfin bench` commands: latency percentiles,
// a progress line, a scratch directory.

#include <cstdint>
#include <string>
#include <vector>

namespace netfin::cli {

// The p-th percentile (0..100) of samples, nearest-rank; 0 for no samples.
// Sorts samples in place.
double PercentileMs(std::vector<uint64_t>& samples_ns, double p);

// Rewrites one progress line on stderr at most once a second.
class ProgressLine {
 public:
  explicit ProgressLine(std::string label) : label_(std::move(label)) {}
  void Update(uint64_t done, uint64_t total, uint64_t start_ns, bool force = false);
  void Finish();

 private:
  std::string label_;
  uint64_t last_print_ns_ = 0;
};

// A fresh directory under $TMPDIR (or /tmp), removed with its contents when
// this object goes away.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace netfin::cli
