#include "ledger/ledger_service.h"

#include <future>
#include <utility>

#include "core/assert.h"
#include "core/limits.h"
#include "core/thread_priority.h"

namespace netfin::ledger {

// One caller's batch, from Submit* until its callback has run.
struct LedgerService::Request {
  // Exactly one of: accounts, transfers, a command.
  std::vector<Account> accounts;
  std::vector<Transfer> transfers;
  AccountsDone accounts_done;
  TransfersDone transfers_done;
  Command command;
  std::vector<AccountOutcome> account_outcomes;
  std::vector<TransferOutcome> transfer_outcomes;

  bool IsCommand() const { return static_cast<bool>(command.done); }
  size_t EventCount() const {
    return IsCommand() ? command.ledger_events_max : accounts.size() + transfers.size();
  }

  void Complete(const Status& status) {
    if (IsCommand()) {
      command.done(status);
    } else if (accounts_done) {
      accounts_done(status, status.ok() ? std::move(account_outcomes) : std::vector<AccountOutcome>{});
    } else {
      transfers_done(status,
                     status.ok() ? std::move(transfer_outcomes) : std::vector<TransferOutcome>{});
    }
  }
};

// A batch applied in memory and waiting to be made durable. Requests are
// answered in the order their batches were applied, even when a batch
// changed nothing: an answer may depend on an earlier batch (a retry that
// answers `exists`), so it must not overtake that batch's fsync.
struct LedgerService::PendingCommit {
  store::Batch batch;
  std::vector<std::unique_ptr<Request>> requests;
};

LedgerService::LedgerService(std::unique_ptr<store::Store> store,
                             const LedgerServiceOptions& options)
    : store_(std::move(store)),
      clock_(options.clock != nullptr ? options.clock : &system_clock_),
      options_(options) {}

namespace {

// Recovery: ledger records to the state machine, role events to the roles.
class RecoveryVisitor final : public store::StateVisitor {
 public:
  RecoveryVisitor(store::StateVisitor& ledger,
                  const std::function<void(const store::RoleEvent&)>& replay)
      : ledger_(ledger), replay_(replay) {}
  void OnAccount(const Account& a) override { ledger_.OnAccount(a); }
  void OnTransfer(const Transfer& t) override { ledger_.OnTransfer(t); }
  void OnExpiry(const Expiry& e) override { ledger_.OnExpiry(e); }
  void OnEvent(const store::RoleEvent& e) override {
    NETFIN_ASSERT(e.sequence == sequence_last_ + 1);
    sequence_last_ = e.sequence;
    if (replay_) replay_(e);
  }
  uint64_t sequence_last() const { return sequence_last_; }

 private:
  store::StateVisitor& ledger_;
  const std::function<void(const store::RoleEvent&)>& replay_;
  uint64_t sequence_last_ = 0;
};

}  // namespace

CommandContext::CommandContext(StateMachine& state, std::vector<store::RoleEvent>& events,
                               uint64_t& event_sequence, uint64_t now_ns,
                               uint32_t ledger_events_max)
    : state_(state),
      events_(events),
      event_sequence_(event_sequence),
      now_ns_(now_ns),
      ledger_events_left_(ledger_events_max) {}

void CommandContext::CreateAccounts(std::span<const Account> events,
                                    std::vector<AccountOutcome>* outcomes) {
  NETFIN_ASSERT(events.size() <= ledger_events_left_);  // a role's bug, not user input
  ledger_events_left_ -= static_cast<uint32_t>(events.size());
  outcomes->clear();
  state_.CreateAccounts(events, now_ns_, outcomes);
}

void CommandContext::CreateTransfers(std::span<const Transfer> events,
                                     std::vector<TransferOutcome>* outcomes) {
  NETFIN_ASSERT(events.size() <= ledger_events_left_);
  ledger_events_left_ -= static_cast<uint32_t>(events.size());
  outcomes->clear();
  state_.CreateTransfers(events, now_ns_, outcomes);
}

const store::RoleEvent& CommandContext::AppendEvent(Role role, uint16_t type, const Id128& subject_a,
                                     const Id128& subject_b, std::string payload) {
  NETFIN_ASSERT(payload.size() <= store::kRoleEventPayloadBytesMax);
  store::RoleEvent& e = events_.emplace_back();
  e.sequence = ++event_sequence_;
  e.timestamp = now_ns_;
  e.role = static_cast<uint16_t>(role);
  e.type = type;
  e.subject_a = subject_a;
  e.subject_b = subject_b;
  e.payload = std::move(payload);
  return e;
}

Result<std::unique_ptr<LedgerService>> LedgerService::Open(std::unique_ptr<store::Store> store,
                                                           const LedgerServiceOptions& options) {
  NETFIN_ASSERT(store != nullptr);
  std::unique_ptr<LedgerService> service(new LedgerService(std::move(store), options));
  RecoveryVisitor recovery(service->state_.Restorer(), options.replay_event);
  NETFIN_RETURN_IF_ERROR(service->store_->Load(recovery));
  service->event_sequence_ = recovery.sequence_last();
  NETFIN_ASSERT(service->event_sequence_ == service->store_->Head().event_sequence_max);
  // A recovered state must satisfy every invariant before it serves anyone.
  service->state_.AssertInvariants();
  service->applier_ = std::thread([s = service.get()] { s->ApplierLoop(); });
  std::promise<void> priority_taken;
  service->committer_ = std::thread([s = service.get(), &priority_taken] {
    s->TakeCommitThreadPriority();
    priority_taken.set_value();
    s->CommitLoop();
  });
  priority_taken.get_future().wait();
  return service;
}

LedgerService::~LedgerService() { Stop(); }

void LedgerService::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !applier_.joinable() && !committer_.joinable()) return;
    stopping_ = true;
  }
  requests_ready_.notify_all();
  if (applier_.joinable()) applier_.join();
  commit_ready_.notify_all();
  if (committer_.joinable()) committer_.join();
}

Status LedgerService::Health() const {
  std::lock_guard lock(mutex_);
  if (!failure_.ok()) return failure_;
  if (stopping_) return core::Unavailable("the ledger is stopping");
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Submission.

void LedgerService::SubmitAccounts(std::vector<Account> events, AccountsDone done) {
  auto request = std::make_unique<Request>();
  request->accounts = std::move(events);
  request->accounts_done = std::move(done);
  Enqueue(std::move(request));
}

void LedgerService::SubmitTransfers(std::vector<Transfer> events, TransfersDone done) {
  auto request = std::make_unique<Request>();
  request->transfers = std::move(events);
  request->transfers_done = std::move(done);
  Enqueue(std::move(request));
}

void LedgerService::SubmitCommand(Command command) {
  NETFIN_ASSERT(command.apply && command.done);
  auto request = std::make_unique<Request>();
  request->command = std::move(command);
  Enqueue(std::move(request));
}

Status LedgerService::RunCommand(std::function<void(CommandContext&)> apply,
                                 uint32_t ledger_events_max) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  SubmitCommand(Command{.ledger_events_max = ledger_events_max,
                        .apply = std::move(apply),
                        .done = [&promise](Status s) { promise.set_value(std::move(s)); }});
  return future.get();
}

void LedgerService::Enqueue(std::unique_ptr<Request> request) {
  const size_t events = request->EventCount();
  if ((events == 0 && !request->IsCommand()) || events > core::kBatchEventsMax) {
    request->Complete(core::InvalidArgument("a batch holds 1 to 8190 events"));
    return;
  }
  Status refusal;
  {
    std::lock_guard lock(mutex_);
    if (!failure_.ok()) {
      refusal = failure_;
    } else if (stopping_) {
      refusal = core::Unavailable("the ledger is stopping");
    } else if (requests_.size() >= core::kLedgerQueueRequestsMax) {
      refusal = core::Unavailable("the ledger's queue is full; retry later");
    } else {
      requests_.push_back(std::move(request));
    }
  }
  if (!refusal.ok()) {
    metrics_.requests_rejected.fetch_add(1, std::memory_order_relaxed);
    request->Complete(refusal);
    return;
  }
  requests_ready_.notify_one();
}

namespace {

// Waits for an asynchronous submission's answer.
template <typename Outcome, typename Submit>
Result<std::vector<Outcome>> Await(Submit submit) {
  std::promise<Result<std::vector<Outcome>>> promise;
  auto future = promise.get_future();
  submit([&promise](Status s, std::vector<Outcome> outcomes) {
    promise.set_value(s.ok() ? Result<std::vector<Outcome>>(std::move(outcomes))
                             : Result<std::vector<Outcome>>(std::move(s)));
  });
  return future.get();
}

}  // namespace

Result<std::vector<AccountOutcome>> LedgerService::CreateAccounts(std::vector<Account> events) {
  return Await<AccountOutcome>(
      [&](AccountsDone done) { SubmitAccounts(std::move(events), std::move(done)); });
}

Result<std::vector<TransferOutcome>> LedgerService::CreateTransfers(std::vector<Transfer> events) {
  return Await<TransferOutcome>(
      [&](TransfersDone done) { SubmitTransfers(std::move(events), std::move(done)); });
}

// ---------------------------------------------------------------------------
// Applier: requests -> state machine -> batch.

std::vector<std::unique_ptr<LedgerService::Request>> LedgerService::TakeRequests(
    std::unique_lock<std::mutex>& lock) {
  NETFIN_ASSERT(lock.owns_lock());
  std::vector<std::unique_ptr<Request>> taken;
  size_t events = 0;
  // A request never spans two batches, so a batch stops at the first request
  // that would push it past kBatchEventsMax.
  while (!requests_.empty() && events + requests_.front()->EventCount() <= core::kBatchEventsMax) {
    events += requests_.front()->EventCount();
    taken.push_back(std::move(requests_.front()));
    requests_.pop_front();
  }
  NETFIN_ASSERT(events <= core::kBatchEventsMax);
  return taken;
}

void LedgerService::ApplierLoop() {
  const auto idle_wait = std::chrono::milliseconds(options_.expiry_interval_ms);
  for (;;) {
    std::unique_lock lock(mutex_);
    requests_ready_.wait_for(lock, idle_wait, [this] { return stopping_ || !requests_.empty(); });
    if (stopping_ && requests_.empty()) break;
    if (!failure_.ok()) {
      auto refused = TakeRequests(lock);
      const Status failure = failure_;
      lock.unlock();
      for (auto& r : refused) r->Complete(failure);
      continue;
    }
    auto pending = std::make_unique<PendingCommit>();
    pending->requests = TakeRequests(lock);
    lock.unlock();

    const uint64_t now_ns = clock_->NowNs();
    if (pending->requests.empty()) {
      // Idle: a batch only if some pending transfer has expired.
      const auto next_expiry = state_.NextExpiryNs();
      if (!next_expiry || *next_expiry > now_ns) continue;
    }
    std::vector<store::RoleEvent> events;
    state_.BeginBatch();
    metrics_.expiries.fetch_add(state_.ExpirePending(now_ns), std::memory_order_relaxed);
    for (auto& r : pending->requests) {
      if (r->IsCommand()) {
        CommandContext context(state_, events, event_sequence_, now_ns,
                               r->command.ledger_events_max);
        r->command.apply(context);
      } else if (!r->accounts.empty()) {
        state_.CreateAccounts(r->accounts, now_ns, &r->account_outcomes);
      } else {
        state_.CreateTransfers(r->transfers, now_ns, &r->transfer_outcomes);
      }
    }
    state_.FinishBatch(&pending->batch);
    pending->batch.events = std::move(events);

    lock.lock();
    commit_space_.wait(lock, [this] { return commit_slot_ == nullptr; });
    commit_slot_ = std::move(pending);
    lock.unlock();
    commit_ready_.notify_one();
  }
  std::lock_guard lock(mutex_);
  applier_done_ = true;
  commit_ready_.notify_one();
}

// ---------------------------------------------------------------------------
// Committer: batch -> store (durable) -> callbacks.

void LedgerService::TakeCommitThreadPriority() {
  if (options_.commit_thread_nice != 0) {
    commit_thread_priority_ = core::SetCurrentThreadNice(options_.commit_thread_nice);
  }
  metrics_.commit_thread_nice.store(core::CurrentThreadNice(), std::memory_order_relaxed);
}

void LedgerService::CommitLoop() {
  for (;;) {
    std::unique_lock lock(mutex_);
    commit_ready_.wait(lock, [this] { return commit_slot_ != nullptr || applier_done_; });
    if (commit_slot_ == nullptr) break;  // the applier is done and nothing is left
    std::unique_ptr<PendingCommit> pending = std::move(commit_slot_);
    Status failure = failure_;
    lock.unlock();
    commit_space_.notify_one();

    if (failure.ok() && !pending->batch.Empty()) {
      failure = store_->Append(pending->batch);
      if (!failure.ok()) Fail(failure);
    }
    if (failure.ok()) {
      metrics_.batches.fetch_add(pending->batch.Empty() ? 0 : 1, std::memory_order_relaxed);
      metrics_.events.fetch_add(pending->batch.EventCount(), std::memory_order_relaxed);
      metrics_.requests.fetch_add(pending->requests.size(), std::memory_order_relaxed);
    }
    // Every answer waits for its batch's fsync; a failed commit answers
    // kUnavailable, so nothing that was not stored is ever acknowledged.
    const Status answer = failure.ok() ? Status::Ok() : core::Unavailable(failure.ToString());
    for (auto& r : pending->requests) r->Complete(answer);
  }
}

void LedgerService::Fail(Status status) {
  std::lock_guard lock(mutex_);
  if (failure_.ok()) {
    failure_ = core::Unavailable("the ledger stopped after a storage failure (" +
                                 status.ToString() + "); restart to recover");
  }
}

}  // namespace netfin::ledger
