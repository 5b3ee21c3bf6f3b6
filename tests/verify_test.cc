// `netfin verify` as a user runs it: exit 0 on a sound journal, 1 when any
// record or balance was altered behind the ledger's back (here with the
// sqlite3 shell, as an attacker or a careless operator would), 2 when the
// database cannot be read.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/scratch_dir.h"
#include "ledger/ledger_service.h"
#include "tests/netfin_process.h"

namespace netfin {
namespace {

using core::Id128;

using testing::ExitCode;
using testing::NetfinBin;

class VerifyCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("v.db");
    auto store = store::OpenSqliteStore(db_);
    ASSERT_TRUE(store.ok());
    auto service = ledger::LedgerService::Open(std::move(store).value());
    ASSERT_TRUE(service.ok());
    std::vector<store::Account> accounts(3);
    for (uint64_t i = 0; i < 3; ++i) {
      accounts[i].id = Id128::FromU64(i + 1);
      accounts[i].ledger = 1;
      accounts[i].code = 1;
    }
    ASSERT_TRUE((*service)->CreateAccounts(accounts).ok());
    std::vector<store::Transfer> transfers(2);
    for (uint64_t i = 0; i < 2; ++i) {
      transfers[i].id = Id128::FromU64(100 + i);
      transfers[i].debit_account_id = Id128::FromU64(1);
      transfers[i].credit_account_id = Id128::FromU64(2 + i);
      transfers[i].amount = 250;
      transfers[i].ledger = 1;
      transfers[i].code = 1;
    }
    transfers[1].flags = static_cast<uint16_t>(store::TransferFlag::kPending);
    ASSERT_TRUE((*service)->CreateTransfers(transfers).ok());
  }

  int Verify() { return ExitCode(NetfinBin() + " verify --db " + db_); }
  void Sql(const std::string& statement) {
    ASSERT_EQ(ExitCode("sqlite3 " + db_ + " \"" + statement + "\""), 0) << statement;
  }

  core::ScratchDir dir_;
  std::string db_;
};

TEST_F(VerifyCommand, PassesOnASoundJournal) { EXPECT_EQ(Verify(), 0); }

TEST_F(VerifyCommand, CatchesABalanceThatNoTransferExplains) {
  Sql("UPDATE accounts SET credits_posted = credits_posted + 1 WHERE id = x'00000000000000000000000000000002'");
  EXPECT_EQ(Verify(), 1);
}

TEST_F(VerifyCommand, CatchesABalancedForgeryOfBothSides) {
  // Debits still equal credits, but no transfer moved this money.
  Sql("UPDATE accounts SET debits_posted = debits_posted + 1000 WHERE id = x'00000000000000000000000000000001'");
  Sql("UPDATE accounts SET credits_posted = credits_posted + 1000 WHERE id = x'00000000000000000000000000000003'");
  EXPECT_EQ(Verify(), 1);
}

TEST_F(VerifyCommand, CatchesAnAlteredTransfer) {
  Sql("UPDATE transfers SET amount = 1 WHERE id = x'00000000000000000000000000000064'");
  EXPECT_EQ(Verify(), 1);
}

TEST_F(VerifyCommand, CatchesADeletedTransfer) {
  Sql("DELETE FROM transfers WHERE id = x'00000000000000000000000000000065'");
  EXPECT_EQ(Verify(), 1);
}

TEST_F(VerifyCommand, RefusesAMissingDatabase) {
  EXPECT_EQ(ExitCode(NetfinBin() + " verify --db " + dir_.File("absent.db")), 2);
}

}  // namespace
}  // namespace netfin
