// The query contract of store.h, checked against every backend with the same
// data and the same cases, after a reopen (the journal rebuilds its index
// from the file; SQLite reads its tables).

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/limits.h"
#include "core/scratch_dir.h"
#include "store/store.h"
#include "store/store_test_support.h"

namespace netfin::store {
namespace {

using namespace testing;  // NOLINT: the shared builders

using StoreOpener = std::function<std::unique_ptr<Store>(const std::string& dir)>;

struct Backend {
  const char* name;
  StoreOpener open;
};

std::unique_ptr<Store> OpenJournalIn(const std::string& dir) {
  StoreOptions options;
  options.durability = Durability::kAsync;
  return std::move(OpenJournalStore(dir + "/ledger.journal", options)).value();
}

std::unique_ptr<Store> OpenSqliteIn(const std::string& dir) {
  StoreOptions options;
  options.durability = Durability::kAsync;
  return std::move(OpenSqliteStore(dir + "/ledger.db", options)).value();
}

// Account 1's transfers: at 10, 30, ..., 90 it is debited (to 2), at 20, 40,
// ..., 100 credited (from 3). A transfer 2 -> 3 at 55 does not involve it.
// Balance history: account 1 at 10, 20, 30; account 2 at 10.
class BothBackendsQueryTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_.path());
    MustAppend(*store_, NewBatch({NewAccount(1, 1), NewAccount(2, 2), NewAccount(3, 3)}));
    Batch batch;
    for (uint64_t i = 1; i <= 10; ++i) {
      const bool debit = i % 2 == 1;
      batch.transfers_created.push_back(NewTransfer(100 + i, debit ? 1 : 3, debit ? 2 : 1, 10 * i));
      if (i == 5) batch.transfers_created.push_back(NewTransfer(200, 2, 3, 55));
    }
    batch.balances = {NewBalance(1, 10, 10), NewBalance(1, 20, 20), NewBalance(1, 30, 30),
                      NewBalance(2, 10, 10)};
    MustAppend(*store_, batch);
    // Queries must give the same answers after a reopen (the journal rebuilds its index).
    store_.reset();
    store_ = GetParam().open(dir_.path());
  }

  core::ScratchDir dir_;
  std::unique_ptr<Store> store_;
};

struct QueryCase {
  const char* name;
  Query query;
  std::vector<uint64_t> timestamps;
};

constexpr uint64_t kAll = 0;

TEST_P(BothBackendsQueryTest, AccountTransfersFollowEveryFilter) {
  const QueryCase cases[] = {
      {"all", {1, kAll, kAll, 100, true, true, false}, {10, 20, 30, 40, 50, 60, 70, 80, 90, 100}},
      {"limit", {1, kAll, kAll, 3, true, true, false}, {10, 20, 30}},
      {"reversed limit", {1, kAll, kAll, 3, true, true, true}, {100, 90, 80}},
      {"limit 1 reversed", {1, kAll, kAll, 1, true, true, true}, {100}},
      {"limit max",
       {1, kAll, kAll, core::kQueryLimitMax, true, true, false},
       {10, 20, 30, 40, 50, 60, 70, 80, 90, 100}},
      {"debits only", {1, kAll, kAll, 100, true, false, false}, {10, 30, 50, 70, 90}},
      {"credits only", {1, kAll, kAll, 100, false, true, false}, {20, 40, 60, 80, 100}},
      {"credits reversed limit", {1, kAll, kAll, 2, false, true, true}, {100, 80}},
      {"inclusive bounds", {1, 20, 40, 100, true, true, false}, {20, 30, 40}},
      {"inclusive bounds reversed", {1, 20, 40, 100, true, true, true}, {40, 30, 20}},
      {"min only", {1, 90, kAll, 100, true, true, false}, {90, 100}},
      {"max only", {1, kAll, 20, 100, true, true, false}, {10, 20}},
      {"one instant", {1, 30, 30, 100, true, true, false}, {30}},
      {"between transfers", {1, 31, 39, 100, true, true, false}, {}},
      {"min above max", {1, 50, 40, 100, true, true, false}, {}},
      {"max above INT64_MAX", {1, 95, UINT64_MAX, 100, true, true, false}, {100}},
      {"min above INT64_MAX", {1, UINT64_MAX, kAll, 100, true, true, false}, {}},
      {"debits in range reversed", {1, 20, 70, 100, true, false, true}, {70, 50, 30}},
      {"credits in range", {1, 20, 70, 2, false, true, false}, {20, 40}},
      {"neither side", {1, kAll, kAll, 100, false, false, false}, {}},
      {"unknown account", {99, kAll, kAll, 100, true, true, false}, {}},
      {"other account both sides", {2, kAll, kAll, 100, true, true, false},
       {10, 30, 50, 55, 70, 90}},
  };
  for (const QueryCase& c : cases) {
    Result<std::vector<Transfer>> transfers = store_->GetAccountTransfers(c.query.Filter());
    ASSERT_TRUE(transfers.ok()) << c.name << ": " << transfers.status().ToString();
    std::vector<uint64_t> timestamps;
    for (const Transfer& t : transfers.value()) timestamps.push_back(t.timestamp);
    EXPECT_EQ(timestamps, c.timestamps) << c.name;
  }
}

TEST_P(BothBackendsQueryTest, AccountBalancesFollowTheFilterAndIgnoreSides) {
  const QueryCase cases[] = {
      {"all", {1, kAll, kAll, 100, true, true, false}, {10, 20, 30}},
      {"reversed limit", {1, kAll, kAll, 1, true, true, true}, {30}},
      {"inclusive bounds", {1, 20, 30, 100, true, true, false}, {20, 30}},
      {"min above max", {1, 30, 20, 100, true, true, false}, {}},
      {"sides ignored", {1, kAll, kAll, 100, false, false, false}, {10, 20, 30}},
      {"other account", {2, kAll, kAll, 100, true, true, false}, {10}},
      {"no history", {3, kAll, kAll, 100, true, true, false}, {}},
      {"unknown account", {99, kAll, kAll, 100, true, true, false}, {}},
  };
  for (const QueryCase& c : cases) {
    Result<std::vector<AccountBalance>> balances = store_->GetAccountBalances(c.query.Filter());
    ASSERT_TRUE(balances.ok()) << c.name << ": " << balances.status().ToString();
    std::vector<uint64_t> timestamps;
    for (const AccountBalance& b : balances.value()) {
      EXPECT_EQ(b, NewBalance(c.query.account, b.timestamp, b.timestamp)) << c.name;
      timestamps.push_back(b.timestamp);
    }
    EXPECT_EQ(timestamps, c.timestamps) << c.name;
  }
}

TEST_P(BothBackendsQueryTest, LookupsFindStoredRecordsOnly) {
  EXPECT_EQ(store_->LookupAccount(Id128::FromU64(2)).value()->timestamp, 2u);
  EXPECT_FALSE(store_->LookupAccount(Id128::FromU64(99)).value().has_value());
  EXPECT_EQ(store_->LookupTransfer(Id128::FromU64(200)).value()->timestamp, 55u);
  EXPECT_FALSE(store_->LookupTransfer(Id128::FromU64(1)).value().has_value());
}

TEST_P(BothBackendsQueryTest, TransferWithTheSameAccountOnBothSidesIsListedOnce) {
  MustAppend(*store_, NewBatch({}, {NewTransfer(9, 3, 3, 500)}));
  Query query;
  query.account = 3;
  std::vector<size_t> sizes;
  for (auto [debits, credits] : {std::pair{true, true}, {true, false}, {false, true}}) {
    query.debits = debits;
    query.credits = credits;
    query.timestamp_min = 500;
    sizes.push_back(store_->GetAccountTransfers(query.Filter())->size());
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{1, 1, 1}));
}

INSTANTIATE_TEST_SUITE_P(Backends, BothBackendsQueryTest,
                         ::testing::Values(Backend{"journal", OpenJournalIn},
                                           Backend{"sqlite", OpenSqliteIn}),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace netfin::store
