#include "ledger/ledger_service.h"

#include <future>
#include <utility>

#include "core/assert.h"
#include "core/limits.h"

namespace netfin::ledger {

// One caller's batch, from Submit* until its callback has run.
struct LedgerService::Request {
  std::vector<Account> accounts;    // exactly one of accounts / transfers is non-empty
  std::vector<Transfer> transfers;
  AccountsDone accounts_done;
  TransfersDone transfers_done;
  std::vector<AccountOutcome> account_outcomes;
  std::vector<TransferOutcome> transfer_outcomes;

  size_t EventCount() const { return accounts.size() + transfers.size(); }

  void Complete(const Status& status) {
    if (accounts_done) {
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

Result<std::unique_ptr<LedgerService>> LedgerService::Open(std::unique_ptr<store::Store> store,
                                                           const LedgerServiceOptions& options) {
  NETFIN_ASSERT(store != nullptr);
  std::unique_ptr<LedgerService> service(new LedgerService(std::move(store), options));
  NETFIN_RETURN_IF_ERROR(service->store_->Load(service->state_.Restorer()));
  // A recovered state must satisfy every invariant before it serves anyone.
  service->state_.AssertInvariants();
  service->applier_ = std::thread([s = service.get()] { s->ApplierLoop(); });
  service->committer_ = std::thread([s = service.get()] { s->CommitLoop(); });
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

void LedgerService::Enqueue(std::unique_ptr<Request> request) {
  const size_t events = request->EventCount();
  if (events == 0 || events > core::kBatchEventsMax) {
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
    state_.BeginBatch();
    metrics_.expiries.fetch_add(state_.ExpirePending(now_ns), std::memory_order_relaxed);
    for (auto& r : pending->requests) {
      if (!r->accounts.empty()) {
        state_.CreateAccounts(r->accounts, now_ns, &r->account_outcomes);
      } else {
        state_.CreateTransfers(r->transfers, now_ns, &r->transfer_outcomes);
      }
    }
    state_.FinishBatch(&pending->batch);

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
