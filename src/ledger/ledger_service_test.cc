#include "ledger/ledger_service.h"

#include <gtest/gtest.h>

#include <dirent.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/limits.h"
#include "core/scratch_dir.h"
#include "core/thread_priority.h"
#include "ledger/verify.h"

namespace netfin::ledger {
namespace {

using CR = CreateTransferResult;
using store::AccountFlag;
using store::TransferFlag;

constexpr uint64_t kStartNs = 1'700'000'000'000'000'000ull;

using TempDir = core::ScratchDir;

Id128 N(uint64_t v) { return Id128::FromU64(v); }

Account MakeAccount(uint64_t id, uint16_t flags = 0) {
  Account a;
  a.id = N(id);
  a.ledger = 1;
  a.code = 1;
  a.flags = flags;
  return a;
}

Transfer MakeTransfer(uint64_t id, uint64_t dr, uint64_t cr, AmountMinor amount, uint16_t flags = 0) {
  Transfer t;
  t.id = N(id);
  t.debit_account_id = N(dr);
  t.credit_account_id = N(cr);
  t.amount = amount;
  t.ledger = 1;
  t.code = 1;
  t.flags = flags;
  return t;
}

// A store that fails its Nth Append, the way a full disk or an I/O error would.
class FailingStore final : public store::Store {
 public:
  FailingStore(std::unique_ptr<store::Store> inner, int fail_at) : inner_(std::move(inner)), fail_at_(fail_at) {}
  Status Append(const store::Batch& batch) override {
    if (++appends_ == fail_at_) return core::IoError("injected failure");
    return inner_->Append(batch);
  }
  store::ChainHead Head() const override { return inner_->Head(); }
  Status Load(store::StateVisitor& v) override { return inner_->Load(v); }
  Result<std::optional<Account>> LookupAccount(const Id128& id) override { return inner_->LookupAccount(id); }
  Result<std::optional<Transfer>> LookupTransfer(const Id128& id) override { return inner_->LookupTransfer(id); }
  Result<std::vector<Transfer>> GetAccountTransfers(const store::AccountFilter& f) override {
    return inner_->GetAccountTransfers(f);
  }
  Result<std::vector<AccountBalance>> GetAccountBalances(const store::AccountFilter& f) override {
    return inner_->GetAccountBalances(f);
  }
  Result<std::vector<store::RoleEvent>> ReadEvents(const store::EventFilter& f) override {
    return inner_->ReadEvents(f);
  }
  Status VerifyChain(store::ChainReport* r) override { return inner_->VerifyChain(r); }
  store::StoreStats Stats() const override { return inner_->Stats(); }

 private:
  std::unique_ptr<store::Store> inner_;
  int fail_at_;
  int appends_ = 0;
};

std::unique_ptr<LedgerService> OpenService(const std::string& path, const core::Clock* clock = nullptr) {
  auto store = store::OpenSqliteStore(path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  auto service = LedgerService::Open(std::move(store).value(), {.clock = clock, .expiry_interval_ms = 10, .replay_event = {}});
  EXPECT_TRUE(service.ok()) << service.status().ToString();
  return std::move(service).value();
}

void ExpectVerified(const std::string& path) {
  auto store = store::OpenSqliteStore(path);
  ASSERT_TRUE(store.ok());
  VerifyReport report;
  ASSERT_TRUE(Verify(**store, &report).ok());
  EXPECT_TRUE(report.ok()) << (report.problems.empty() ? "" : report.problems.front());
}

std::vector<CR> Results(const Result<std::vector<TransferOutcome>>& outcomes) {
  EXPECT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  std::vector<CR> results;
  if (outcomes.ok()) {
    for (const auto& o : outcomes.value()) results.push_back(o.result);
  }
  return results;
}

TEST(LedgerService, AcknowledgedEventsAreDurableAndQueryable) {
  TempDir dir;
  auto service = OpenService(dir.File("a.db"));
  auto accounts = service->CreateAccounts({MakeAccount(1), MakeAccount(2)});
  ASSERT_TRUE(accounts.ok());
  EXPECT_EQ(accounts->at(0).result, CreateAccountResult::kOk);
  EXPECT_EQ(Results(service->CreateTransfers({MakeTransfer(10, 1, 2, 500)})), std::vector<CR>{CR::kOk});
  // Acknowledged means committed: the store's read connections already see it.
  auto account = service->store().LookupAccount(N(2));
  ASSERT_TRUE(account.ok() && account->has_value());
  EXPECT_EQ((*account)->credits_posted, 500u);
  EXPECT_GE(service->store().Stats().fsyncs, 2u);
  EXPECT_EQ(service->metrics().events.load(), 3u);
}

// The nice value of every thread of this process, as the kernel reports it
// (/proc/self/task/TID/stat, field 19).
std::vector<int> ThreadNiceValues() {
  std::vector<int> values;
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return values;
  while (const dirent* entry = ::readdir(tasks)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream stat(std::string("/proc/self/task/") + entry->d_name + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // The name (field 2) may hold spaces; the fields after it do not.
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
      if (i == 19) values.push_back(std::stoi(field));
    }
  }
  ::closedir(tasks);
  return values;
}

TEST(LedgerService, CommitThreadTakesItsPriorityAndNoOtherThreadDoes) {
  TempDir dir;
  const int caller_nice = core::CurrentThreadNice();
  // Lowering priority needs no privilege, so this one always takes effect.
  const int lowered = std::min(caller_nice + 7, 19);
  auto store = store::OpenSqliteStore(dir.File("a.db"));
  ASSERT_TRUE(store.ok());
  LedgerServiceOptions options;
  options.commit_thread_nice = lowered;
  auto service = LedgerService::Open(std::move(store).value(), options);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  EXPECT_TRUE((*service)->commit_thread_priority().ok());
  EXPECT_EQ((*service)->metrics().commit_thread_nice.load(), lowered);
  const std::vector<int> nice = ThreadNiceValues();
  EXPECT_EQ(std::count(nice.begin(), nice.end(), lowered), 1);  // the commit thread alone
  EXPECT_EQ(core::CurrentThreadNice(), caller_nice);
  // It still commits.
  ASSERT_TRUE((*service)->CreateAccounts({MakeAccount(1)}).ok());
}

TEST(LedgerService, CommitThreadRunsAtTheDefaultWhenItCannotBeRaised) {
  TempDir dir;
  const int caller_nice = core::CurrentThreadNice();
  auto store = store::OpenSqliteStore(dir.File("a.db"));
  ASSERT_TRUE(store.ok());
  LedgerServiceOptions options;
  options.commit_thread_nice = -20;
  auto service = LedgerService::Open(std::move(store).value(), options);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  const Status& priority = (*service)->commit_thread_priority();
  if (priority.ok()) {  // privileged (CAP_SYS_NICE or RLIMIT_NICE)
    EXPECT_EQ((*service)->metrics().commit_thread_nice.load(), -20);
  } else {
    EXPECT_EQ(priority.code(), core::StatusCode::kFailedPrecondition);
    EXPECT_EQ((*service)->metrics().commit_thread_nice.load(), caller_nice);
  }
  ASSERT_TRUE((*service)->CreateAccounts({MakeAccount(1)}).ok());
}

TEST(LedgerService, CommitThreadNiceZeroLeavesThePriorityAlone) {
  TempDir dir;
  auto store = store::OpenSqliteStore(dir.File("a.db"));
  ASSERT_TRUE(store.ok());
  LedgerServiceOptions options;
  options.commit_thread_nice = 0;
  auto service = LedgerService::Open(std::move(store).value(), options);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  EXPECT_TRUE((*service)->commit_thread_priority().ok());
  EXPECT_EQ((*service)->metrics().commit_thread_nice.load(), core::CurrentThreadNice());
}

TEST(LedgerService, RefusesEmptyAndOversizedBatches) {
  TempDir dir;
  auto service = OpenService(dir.File("a.db"));
  EXPECT_EQ(service->CreateTransfers({}).status().code(), core::StatusCode::kInvalidArgument);
  std::vector<Transfer> too_many(core::kBatchEventsMax + 1, MakeTransfer(1, 1, 2, 1));
  EXPECT_EQ(service->CreateTransfers(too_many).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(service->store().Head().batch_number, 0u);  // nothing written
}

TEST(LedgerService, RestartRecoversEveryBalancePendingStateAndTimestamp) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  uint64_t last_timestamp = 0;
  {
    auto service = OpenService(path);
    ASSERT_TRUE(service->CreateAccounts({MakeAccount(1), MakeAccount(2, static_cast<uint16_t>(AccountFlag::kHistory)),
                                         MakeAccount(3, static_cast<uint16_t>(AccountFlag::kDebitsMustNotExceedCredits))})
                    .ok());
    const uint16_t pending = static_cast<uint16_t>(TransferFlag::kPending);
    const uint16_t post = static_cast<uint16_t>(TransferFlag::kPostPendingTransfer);
    EXPECT_EQ(Results(service->CreateTransfers({MakeTransfer(10, 1, 2, 1000), MakeTransfer(11, 2, 3, 300, pending),
                                                MakeTransfer(12, 2, 3, 200, pending)})),
              (std::vector<CR>{CR::kOk, CR::kOk, CR::kOk}));
    Transfer post11 = MakeTransfer(13, 0, 0, 100, post);
    post11.pending_id = N(11);
    post11.ledger = 0;
    post11.code = 0;
    auto outcomes = service->CreateTransfers({post11});
    ASSERT_EQ(Results(outcomes), std::vector<CR>{CR::kOk});
    last_timestamp = outcomes->at(0).timestamp;
  }
  auto service = OpenService(path);
  auto a2 = service->store().LookupAccount(N(2));
  ASSERT_TRUE(a2.ok() && a2->has_value());
  EXPECT_EQ((*a2)->credits_posted, 1000u);
  EXPECT_EQ((*a2)->debits_posted, 100u);
  EXPECT_EQ((*a2)->debits_pending, 200u);  // 11 was posted (partially), 12 still pending

  // Recovered state answers as the old one would have.
  Transfer repost = MakeTransfer(14, 0, 0, store::kAmountUpToMax, static_cast<uint16_t>(TransferFlag::kPostPendingTransfer));
  repost.pending_id = N(11);
  repost.ledger = 0;
  repost.code = 0;
  Transfer post12 = repost;
  post12.id = N(15);
  post12.pending_id = N(12);
  auto outcomes = service->CreateTransfers({MakeTransfer(10, 1, 2, 1000), repost, post12, MakeTransfer(16, 3, 1, 1)});
  EXPECT_EQ(Results(outcomes), (std::vector<CR>{CR::kExists, CR::kPendingTransferAlreadyPosted, CR::kOk, CR::kOk}));
  EXPECT_GT(outcomes->at(2).timestamp, last_timestamp);  // timestamps go on increasing
  service.reset();
  ExpectVerified(path);
}

TEST(LedgerService, ExpiresPendingTransfersWithoutAnyRequest) {
  TempDir dir;
  core::ManualClock clock(kStartNs);
  auto service = OpenService(dir.File("a.db"), &clock);
  ASSERT_TRUE(service->CreateAccounts({MakeAccount(1), MakeAccount(2)}).ok());
  Transfer hold = MakeTransfer(10, 1, 2, 700, static_cast<uint16_t>(TransferFlag::kPending));
  hold.timeout = 1;
  ASSERT_EQ(Results(service->CreateTransfers({hold})), std::vector<CR>{CR::kOk});
  clock.AdvanceNs(2 * core::kNanosPerSecond);
  for (int i = 0; i < 500 && service->metrics().expiries.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(service->metrics().expiries.load(), 1u);
  // The expiry is a committed batch like any other: wait for it to be durable.
  for (int i = 0; i < 500; ++i) {
    auto a = service->store().LookupAccount(N(1));
    if (a.ok() && a->has_value() && (*a)->debits_pending == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ((*service->store().LookupAccount(N(1)))->debits_pending, 0u);
  Transfer post = MakeTransfer(11, 0, 0, store::kAmountUpToMax, static_cast<uint16_t>(TransferFlag::kPostPendingTransfer));
  post.pending_id = N(10);
  EXPECT_EQ(Results(service->CreateTransfers({post})), std::vector<CR>{CR::kPendingTransferExpired});
}

TEST(LedgerService, StorageFailureStopsTheServiceAndLosesNothingAcknowledged) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  {
    auto inner = store::OpenSqliteStore(path);
    ASSERT_TRUE(inner.ok());
    auto failing = std::make_unique<FailingStore>(std::move(inner).value(), /*fail_at=*/3);
    auto service = LedgerService::Open(std::move(failing));
    ASSERT_TRUE(service.ok());
    ASSERT_TRUE((*service)->CreateAccounts({MakeAccount(1), MakeAccount(2)}).ok());              // append 1
    EXPECT_EQ(Results((*service)->CreateTransfers({MakeTransfer(10, 1, 2, 5)})), std::vector<CR>{CR::kOk});  // 2
    auto failed = (*service)->CreateTransfers({MakeTransfer(11, 1, 2, 7)});                      // 3 fails
    EXPECT_EQ(failed.status().code(), core::StatusCode::kUnavailable);
    EXPECT_FALSE((*service)->Health().ok());
    EXPECT_EQ((*service)->CreateTransfers({MakeTransfer(12, 1, 2, 9)}).status().code(),
              core::StatusCode::kUnavailable);
  }
  auto service = OpenService(path);
  EXPECT_TRUE(service->store().LookupTransfer(N(10))->has_value());
  EXPECT_FALSE(service->store().LookupTransfer(N(11))->has_value());
  EXPECT_FALSE(service->store().LookupTransfer(N(12))->has_value());
  EXPECT_EQ((*service->store().LookupAccount(N(2)))->credits_posted, 5u);
  service.reset();
  ExpectVerified(path);
}

TEST(LedgerService, ConcurrentClientsAllCommitExactlyOnce) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  auto service = OpenService(path);
  ASSERT_TRUE(service->CreateAccounts({MakeAccount(1), MakeAccount(2), MakeAccount(3)}).ok());
  constexpr int kThreads = 8, kRequests = 50, kPerRequest = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRequests; ++r) {
        std::vector<Transfer> batch;
        for (int i = 0; i < kPerRequest; ++i) {
          const uint64_t id = 1000 + (uint64_t(t) * kRequests + r) * kPerRequest + i;
          batch.push_back(MakeTransfer(id, 1 + id % 3, 1 + (id + 1) % 3, 1 + id % 7));
        }
        auto outcomes = service->CreateTransfers(batch);
        for (const auto& o : outcomes.value()) ok += o.result == CR::kOk;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kRequests * kPerRequest);
  // Group commit: fewer batches than requests (8 clients wait on each fsync,
  // so the next batch gathers several of them).
  EXPECT_LT(service->metrics().batches.load(), uint64_t{kThreads * kRequests});
  service.reset();
  ExpectVerified(path);
}

}  // namespace
}  // namespace netfin::ledger
