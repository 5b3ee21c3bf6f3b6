#pragma once

// Time behind an interface (LevelDB's Env idea): the ledger's state machine
// takes time as an input and never reads a clock, so tests can drive expiry
// with a manual clock and replay is deterministic.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace netfin::core {

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds since the Unix epoch (wall clock: timestamps are shown to people).
  virtual uint64_t NowNs() const = 0;
};

class SystemClock final : public Clock {
 public:
  uint64_t NowNs() const override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  }
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint64_t now_ns) : now_ns_(now_ns) {}
  uint64_t NowNs() const override { return now_ns_.load(); }
  void AdvanceNs(uint64_t delta_ns) { now_ns_ += delta_ns; }

 private:
  std::atomic<uint64_t> now_ns_;
};

// Monotonic time for measuring durations (latencies), never for timestamps.
inline uint64_t MonotonicNowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace netfin::core
