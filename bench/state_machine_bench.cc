// Micro-benchmarks of ledger::StateMachine::CreateTransfers in memory: no
// store, no fsync, one thread. They measure what the applier thread costs per
// transfer, the ceiling under which the durable service (and its fsyncs) runs.
//
// Each iteration is one group commit as the LedgerService drives it:
// BeginBatch, CreateTransfers on `batch` events, FinishBatch. Building the
// events (filling ids and accounts) is inside the timing, as decoding a
// request would be; it is a small fraction of the cost.
//
// Arguments: batch = events per commit (1, 128, kBatchEventsMax);
// accounts = how many accounts the transfers pick from, uniformly at random
// with a fixed seed (1,000: hot accounts, every batch touches the same cache
// lines; 100,000: a table larger than the caches).

#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "core/assert.h"
#include "core/limits.h"
#include "ledger/state_machine.h"
#include "store/store.h"

namespace netfin::ledger {
namespace {

using store::TransferFlag;

constexpr uint32_t kLedger = 1;
constexpr uint16_t kCode = 1;
// Account pairs drawn once per fixture and cycled through; a power of two so
// that the index wraps with a mask.
constexpr size_t kPairsCount = size_t{1} << 16;
// The state machine keeps every transfer in memory. Past this many it is
// rebuilt, outside the timing, so that a long run's memory stays bounded
// (about 200 MB) and every run sees the same range of table sizes.
constexpr size_t kTransfersPerLedgerMax = 1'000'000;
// Simulated time advances this much per commit (1 ms, a plausible batch period).
constexpr uint64_t kCommitPeriodNs = 1'000'000;

// A state machine holding `accounts_count` accounts of one ledger, and the
// buffers one commit needs. Owned by one benchmark run; single threaded.
class BenchLedger {
 public:
  explicit BenchLedger(uint64_t accounts_count) : accounts_count_(accounts_count) {
    NETFIN_ASSERT(accounts_count >= 2);
    std::mt19937_64 random(42);
    std::uniform_int_distribution<uint64_t> pick(1, accounts_count);
    pairs_.reserve(kPairsCount);
    while (pairs_.size() < kPairsCount) {
      const uint64_t debit = pick(random);
      const uint64_t credit = pick(random);
      if (debit != credit) pairs_.emplace_back(Id128::FromU64(debit), Id128::FromU64(credit));
    }
    events_.reserve(core::kBatchEventsMax);
    outcomes_.reserve(core::kBatchEventsMax);
    Reset();
  }

  // Starts over with a fresh state machine holding only the accounts.
  void Reset() {
    state_ = std::make_unique<StateMachine>();
    transfers_since_reset_ = 0;
    std::vector<Account> accounts;
    accounts.reserve(core::kBatchEventsMax);
    std::vector<AccountOutcome> outcomes;
    for (uint64_t next = 1; next <= accounts_count_;) {
      accounts.clear();
      for (; next <= accounts_count_ && accounts.size() < core::kBatchEventsMax; ++next) {
        Account& account = accounts.emplace_back();
        account.id = Id128::FromU64(next);
        account.ledger = kLedger;
        account.code = kCode;
      }
      state_->BeginBatch();
      state_->CreateAccounts(accounts, NextNowNs(), &outcomes);
      state_->FinishBatch(&batch_);
      for (const AccountOutcome& o : outcomes) NETFIN_ASSERT(o.result == CreateAccountResult::kOk);
    }
    NETFIN_ASSERT(state_->account_count() == accounts_count_);
  }

  // True when the next `transfers_count` transfers would pass the memory bound.
  bool Full(size_t transfers_count) const {
    return transfers_since_reset_ + transfers_count > kTransfersPerLedgerMax;
  }

  // One commit of `count` single-phase (flags 0) or pending transfers.
  void CommitTransfers(size_t count, uint16_t flags) {
    events_.clear();
    for (size_t i = 0; i < count; ++i) {
      const auto& [debit, credit] = pairs_[pair_next_++ & (kPairsCount - 1)];
      Transfer& event = events_.emplace_back();
      event.id = Id128::FromU64(++transfer_id_last_);
      event.debit_account_id = debit;
      event.credit_account_id = credit;
      event.amount = 1 + (transfer_id_last_ & 0xFF);
      event.ledger = kLedger;
      event.code = kCode;
      event.flags = flags;
    }
    Commit();
  }

  // One commit posting the pending transfers of the previous commit, in full.
  // REQUIRES: the previous commit was CommitTransfers(count, kPending).
  void CommitPosts(size_t count) {
    NETFIN_ASSERT(events_.size() == count);
    for (Transfer& event : events_) {
      const Id128 pending_id = event.id;
      // Accounts, ledger and code left zero: a post takes them from the pending transfer.
      event = Transfer{};
      event.id = Id128::FromU64(++transfer_id_last_);
      event.amount = store::kAmountUpToMax;
      event.pending_id = pending_id;
      event.flags = static_cast<uint16_t>(TransferFlag::kPostPendingTransfer);
    }
    Commit();
  }

  // Checks that every transfer since the last Reset was created.
  void AssertAllCreated() const {
    NETFIN_ASSERT(state_->transfer_count() == transfers_since_reset_);
    for (const TransferOutcome& o : outcomes_) NETFIN_ASSERT(o.result == CreateTransferResult::kOk);
  }

 private:
  void Commit() {
    state_->BeginBatch();
    state_->CreateTransfers(events_, NextNowNs(), &outcomes_);
    state_->FinishBatch(&batch_);
    transfers_since_reset_ += events_.size();
    benchmark::DoNotOptimize(batch_.transfers_created.data());
  }

  uint64_t NextNowNs() { return now_ns_ += kCommitPeriodNs; }

  const uint64_t accounts_count_;
  std::vector<std::pair<Id128, Id128>> pairs_;  // (debit, credit)
  size_t pair_next_ = 0;
  uint64_t transfer_id_last_ = 0;
  uint64_t now_ns_ = 1'700'000'000ull * core::kNanosPerSecond;
  size_t transfers_since_reset_ = 0;
  std::unique_ptr<StateMachine> state_;
  std::vector<Transfer> events_;
  std::vector<TransferOutcome> outcomes_;
  store::Batch batch_;
};

// Rebuilds the ledger outside the timing when it is about to pass its bound.
void ResetIfFull(benchmark::State& state, BenchLedger& ledger, size_t transfers_count) {
  if (!ledger.Full(transfers_count)) return;
  state.PauseTiming();
  ledger.AssertAllCreated();
  ledger.Reset();
  state.ResumeTiming();
}

// Single-phase transfers: one commit of `batch` posted transfers per iteration.
void BM_CreateTransfers(benchmark::State& state) {
  const auto batch_size = static_cast<size_t>(state.range(0));
  BenchLedger ledger(static_cast<uint64_t>(state.range(1)));
  for (auto _ : state) {
    ResetIfFull(state, ledger, batch_size);
    ledger.CommitTransfers(batch_size, 0);
  }
  ledger.AssertAllCreated();
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch_size));
}

// Two-phase transfers: per iteration one commit of `batch` pending transfers,
// then one commit posting each of them; items count both (2 * batch).
void BM_CreateTransfersTwoPhase(benchmark::State& state) {
  const auto batch_size = static_cast<size_t>(state.range(0));
  BenchLedger ledger(static_cast<uint64_t>(state.range(1)));
  for (auto _ : state) {
    ResetIfFull(state, ledger, 2 * batch_size);
    ledger.CommitTransfers(batch_size, static_cast<uint16_t>(TransferFlag::kPending));
    ledger.CommitPosts(batch_size);
  }
  ledger.AssertAllCreated();
  state.SetItemsProcessed(state.iterations() * 2 * static_cast<int64_t>(batch_size));
}

void TransferArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"batch", "accounts"});
  b->ArgsProduct({{1, 128, static_cast<int64_t>(core::kBatchEventsMax)}, {1'000, 100'000}});
}

BENCHMARK(BM_CreateTransfers)->Apply(TransferArgs);
BENCHMARK(BM_CreateTransfersTwoPhase)->Apply(TransferArgs);

}  // namespace
}  // namespace netfin::ledger
