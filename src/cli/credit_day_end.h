#pragma once

// The credit role inside a node: its configuration (the `[credit]` table:
// the policy, and the keys of the day-end schedule), and the thread that
// runs its day-ends.
//
// CreditDayEndRunner owns one thread, which runs every day-end of the node
// (RunDay blocks on the ledger for as long as the portfolio takes, so never
// on an io thread):
//
//   - on a schedule: at start and then every check interval, when the China
//     date has moved past the books' open business day, it runs the day-end
//     of yesterday (RunDay catches up day by day, in steps of at most
//     kRunDayCatchUpDaysMax days). When the open day is already after
//     yesterday (the books are current, or a demonstration moved them ahead
//     with POST /v1/credit/day-end) it does nothing and says nothing;
//   - on request: POST /v1/credit/day-end hands its date here (RunDay), and
//     is answered from this thread.
//
// Because every day-end of the node runs on this one thread, the schedule's
// look at the open day and its run cannot interleave with a requested one.
// Each run's summary is logged (spdlog), one line.
//
// Lifecycle: Start after the credit service started; Stop (prompt: it
// wakes the thread, lets a running day-end finish, answers queued requests
// with unavailable, joins) before the credit service and the ledger stop.
// Thread-safe.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/civil_date.h"
#include "core/clock.h"
#include "core/status.h"
#include "credit/credit_config.h"
#include "credit/credit_service.h"

namespace netfin::cli {

// What a node takes from the `[credit]` table.
struct CreditNodeConfig {
  credit::CreditPolicy policy;
  bool day_end_schedule = true;  // day_end_schedule = true|false
  uint32_t day_end_check_s = 30;  // day_end_check_s = 1..86400
  // model = "credit_model.json": the scorer of assessments (`netfin train
  // credit`); empty: assessments answer no_scorer.
  std::string model_path;
};

// The `[credit]` table of a TOML document: the node's keys
// (day_end_schedule, day_end_check_s, model) are taken out here, and the rest is
// the policy, parsed and validated by credit::ParseCreditConfig (which
// refuses unknown keys by name). No `[credit]`: the defaults.
core::Result<CreditNodeConfig> ParseCreditNodeConfig(std::string_view toml_text);
// The same from a file; an empty path gives the defaults.
core::Result<CreditNodeConfig> LoadCreditNodeConfig(const std::string& path);

struct CreditDayEndOptions {
  const core::Clock* clock = nullptr;  // nullptr: the system clock
  bool schedule = true;                // false: requested day-ends only
  uint32_t check_interval_ms = 30'000;
};

class CreditDayEndRunner {
 public:
  using DoneFn = std::function<void(credit::CreditReply)>;

  // REQUIRES: credit is started and outlives the runner.
  CreditDayEndRunner(credit::CreditService& credit, CreditDayEndOptions options);
  ~CreditDayEndRunner();

  void Start();
  void Stop();  // idempotent

  // Queues the day-end of `date` as `call`; done runs on the runner's thread
  // with RunDay's reply, or at once with unavailable when stopped or when
  // kRequestsQueuedMax requests already wait.
  void RunDay(const credit::CreditCall& call, core::CivilDate date, DoneFn done);

  // The schedule's check, on the calling thread: the dates whose day-end it
  // ran (empty when none was due). REQUIRES: not concurrently with the
  // runner's thread (tests call it on a runner never started).
  std::vector<core::CivilDate> RunDueDayEnds();

  // How many days the runner moved the books forward on its schedule so far.
  uint64_t scheduled_runs() const;

 private:
  struct Request {
    credit::CreditCall call;
    core::CivilDate date;
    DoneFn done;
  };
  // Requests wait at most this many: a day-end takes a while, and one date
  // runs once, so a longer queue only holds retries.
  static constexpr size_t kRequestsQueuedMax = 16;
  // Steps of one scheduled check: each runs up to kRunDayCatchUpDaysMax
  // days, so this covers far more than any real gap.
  static constexpr int kCatchUpStepsMax = 16;

  void Loop();

  credit::CreditService& credit_;
  CreditDayEndOptions options_;
  core::SystemClock system_clock_;
  const core::Clock* clock_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;          // guarded by mutex_
  std::deque<Request> requests_;   // guarded by mutex_
  uint64_t scheduled_runs_ = 0;    // guarded by mutex_
  std::thread thread_;
};

}  // namespace netfin::cli
