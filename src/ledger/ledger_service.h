#pragma once

// LedgerService: the durable ledger. It owns the StateMachine and a Store and
// turns requests from any thread into group commits:
//
//   callers ──Submit*──► request queue ──► applier thread ──► commit thread ──► callbacks
//                        (bounded)         (StateMachine)     (Store::Append,
//                                                              fsync)
//
// The applier takes as many queued requests as fit in one batch
// (kBatchEventsMax events), applies them to the state machine and hands the
// batch to the commit thread; while that batch is being made durable the
// applier already builds the next one. A request's callback runs only after
// the batch holding it is durable, so an acknowledged event survives any
// crash, and an unacknowledged one is either wholly there or wholly absent
// (a request never spans two batches).
//
// If the store fails, the service stops accepting work: every pending and
// later request fails with kUnavailable, and the process must restart (and
// recover from the durable journal). Nothing half-applied is ever reported.
//
// Thread-safety: every public method is safe from any thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "ledger/command.h"
#include "ledger/state_machine.h"
#include "store/store.h"

namespace netfin::ledger {

using core::Result;
using core::Status;

struct LedgerServiceOptions {
  const core::Clock* clock = nullptr;  // nullptr: the system clock
  // Expire pending transfers at least this often even when no request comes.
  uint32_t expiry_interval_ms = 100;
  // Receives every durable role event, in sequence order, while Open
  // recovers, so that roles rebuild their state before any command runs.
  std::function<void(const store::RoleEvent&)> replay_event;
  // The commit thread's nice value. Every answer waits for its batch's
  // fsync on that one thread, so the whole pipeline moves at its pace; when
  // it wakes from an fsync on a busy machine it otherwise waits behind
  // request parsing for the CPU (measured at 2 cores: ~0.2 ms a batch, and
  // 10-20% of the throughput; docs/benchmarks.md, stop 17). 0 leaves the
  // priority alone. Raising it needs CAP_SYS_NICE or RLIMIT_NICE; without,
  // the thread runs at the default and commit_thread_priority() says why.
  static constexpr int kCommitThreadNiceDefault = -10;
  int commit_thread_nice = kCommitThreadNiceDefault;
};

// Counters for /metrics; read with relaxed loads from any thread.
struct LedgerMetrics {
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> expiries{0};
  std::atomic<uint64_t> requests_rejected{0};  // queue full or service failed
  std::atomic<int> commit_thread_nice{0};  // the nice value the commit thread runs at
};

class LedgerService {
 public:
  using AccountsDone = std::function<void(Status, std::vector<AccountOutcome>)>;
  using TransfersDone = std::function<void(Status, std::vector<TransferOutcome>)>;

  // Recovers the state from the store, then starts the applier and commit
  // threads.
  static Result<std::unique_ptr<LedgerService>> Open(std::unique_ptr<store::Store> store,
                                                     const LedgerServiceOptions& options = {});
  ~LedgerService();  // Stop()s
  LedgerService(const LedgerService&) = delete;
  LedgerService& operator=(const LedgerService&) = delete;

  // Queue a batch of 1..kBatchEventsMax events. `done` runs exactly once, on
  // the commit thread (or on the caller's thread for an immediate refusal),
  // with one outcome per event once they are durable, or with a failed Status
  // (kInvalidArgument: batch size; kUnavailable: queue full, stopping or failed).
  // `done` must not block.
  void SubmitAccounts(std::vector<Account> events, AccountsDone done);
  void SubmitTransfers(std::vector<Transfer> events, TransfersDone done);

  // Queue a role's command (ledger/command.h). `done` runs exactly once:
  // after the command's batch is durable, or at once with kUnavailable
  // (queue full, stopping or failed) or kInvalidArgument (more than
  // kBatchEventsMax ledger events).
  void SubmitCommand(Command command);
  // Blocking form: returns once the command's batch is durable.
  Status RunCommand(std::function<void(CommandContext&)> apply, uint32_t ledger_events_max);

  // Blocking forms of the above, for the CLI and tests.
  Result<std::vector<AccountOutcome>> CreateAccounts(std::vector<Account> events);
  Result<std::vector<TransferOutcome>> CreateTransfers(std::vector<Transfer> events);

  // Reads of durable data (thread-safe), straight from the store.
  store::Store& store() { return *store_; }

  // ok while the service accepts work.
  Status Health() const;
  const LedgerMetrics& metrics() const { return metrics_; }
  // Ok, or why the commit thread could not take options.commit_thread_nice
  // (it then runs at the default priority). Fixed once Open returns.
  const Status& commit_thread_priority() const { return commit_thread_priority_; }

  // Finishes queued work, then stops the threads. Idempotent.
  void Stop();

 private:
  struct Request;
  struct PendingCommit;

  LedgerService(std::unique_ptr<store::Store> store, const LedgerServiceOptions& options);
  void Enqueue(std::unique_ptr<Request> request);
  void ApplierLoop();
  void CommitLoop();
  void TakeCommitThreadPriority();  // on the commit thread, first
  std::vector<std::unique_ptr<Request>> TakeRequests(std::unique_lock<std::mutex>& lock);
  void Fail(Status status);

  std::unique_ptr<store::Store> store_;
  core::SystemClock system_clock_;
  const core::Clock* clock_;
  LedgerServiceOptions options_;
  StateMachine state_;  // applier thread only (after Open)
  uint64_t event_sequence_ = 0;  // the last role event's sequence; applier thread only
  LedgerMetrics metrics_;
  Status commit_thread_priority_;  // written by the commit thread before Open returns

  mutable std::mutex mutex_;
  std::condition_variable requests_ready_;
  std::condition_variable commit_ready_;
  std::condition_variable commit_space_;
  std::deque<std::unique_ptr<Request>> requests_;    // guarded by mutex_
  std::unique_ptr<PendingCommit> commit_slot_;       // guarded by mutex_: at most one waits
  bool stopping_ = false;                            // guarded by mutex_
  bool applier_done_ = false;                        // guarded by mutex_
  Status failure_;                                   // guarded by mutex_
  std::thread applier_;
  std::thread committer_;
};

}  // namespace netfin::ledger
