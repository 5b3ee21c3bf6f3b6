#pragma once

// The credit service tests' system under test: a CreditService on a ledger
// on a store in a scratch directory, with a manual clock, plain ledger
// accounts standing in for wallets and merchants (the payments role is not
// needed: the credit role only sees account ids), and a restart that
// recovers from the same files. Test-only.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/scratch_dir.h"
#include "credit/credit_service.h"
#include "ledger/ledger_service.h"
#include "store/store.h"

// A CreditReply that must be ok, or must carry the stable code `name` (a
// refusal's or an error's); the message shows when it does not.
#define ASSERT_OK(r) ASSERT_TRUE((r).ok()) << (r).code() << ": " << (r).message
#define EXPECT_CODE(r, name) EXPECT_EQ((r).code(), name) << (r).message

namespace netfin::credit::test_support {

// 2026-11-25T02:00:00Z.
inline constexpr uint64_t kT0 = 1'795'572'000'000'000'000ull;
inline constexpr uint32_t kLedger = 156;

inline CivilDate Day(const char* text) { return CivilDate::Parse(text).value(); }

// A reply's JSON body, parsed; a body that is not JSON fails the test.
inline rapidjson::Document ParseJson(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  EXPECT_FALSE(d.HasParseError()) << body;
  return d;
}

class CreditOnScratchLedger {
 public:
  // reserves: CreditServiceOptions::custodian_reserve_accounts (Reserve()
  // stands for payments' reserve account).
  // scorer: CreditServiceOptions::scorer (outlives this).
  explicit CreditOnScratchLedger(CreditPolicy policy = {}, CivilDate first = Day("2026-01-01"),
                                 std::map<uint32_t, Id128> reserves = {},
                                 const CreditScorer* scorer = nullptr)
      : policy_(std::move(policy)), first_(first), reserves_(std::move(reserves)), scorer_(scorer) {
    Open();
  }
  ~CreditOnScratchLedger() { Close(); }

  // The operator's call, with a fresh Idempotency-Key unless one is given.
  CreditCall Operator(std::string key = "") {
    CreditCall c;
    c.key_id = "op";
    c.idempotency_key = key.empty() ? "k" + std::to_string(++keys_) : key;
    c.fingerprint = c.idempotency_key;
    return c;
  }
  // Customer n's call (party id {0, n}).
  CreditCall Customer(uint64_t n) {
    CreditCall c = Operator();
    c.role = CallerRole::kCustomer;
    c.party_id = Id128{0, n};
    c.key_id = "customer" + std::to_string(n);
    return c;
  }

  void Open() {
    svc_ = std::make_unique<CreditService>(
        policy_, key_,
        CreditServiceOptions{.clock = &clock_,
                             .ledgers = {kLedger},
                             .first_business_date = first_,
                             .custodian_reserve_accounts = reserves_,
                             .scorer = scorer_});
    auto store = store::OpenSqliteStore(dir_.File("netfin.db"), {.durability = store::Durability::kAsync});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    CreditService* svc = svc_.get();
    auto ledger = ledger::LedgerService::Open(
        std::move(store).value(),
        {.clock = &clock_, .replay_event = [svc](const store::RoleEvent& e) { svc->Replay(e); }});
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(ledger).value();
    const core::Status started = svc_->Start(*ledger_);
    ASSERT_TRUE(started.ok()) << started.ToString();
  }
  void Close() {
    if (svc_) svc_->Stop();
    if (ledger_) ledger_->Stop();
    ledger_.reset();
    svc_.reset();
  }
  void Restart() {
    Close();
    Open();
  }

  // The source of test money (no balance rule) and credit-normal accounts
  // that stand for wallets and merchant accounts.
  static Id128 Funding() { return Id128{1, 1}; }
  static Id128 Account(uint64_t n) { return Id128{2, n}; }
  // Payments' cash at the custodian (debit-normal): Fund puts cash there
  // with the money it gives an account, so reserve = Σ accounts' balances.
  static Id128 Reserve() { return Id128{4, 1}; }
  void OpenAccounts(uint64_t count) {
    std::vector<store::Account> accounts;
    store::Account funding;
    funding.id = Funding();
    funding.ledger = kLedger;
    funding.code = 1;
    accounts.push_back(funding);
    store::Account reserve;
    reserve.id = Reserve();
    reserve.ledger = kLedger;
    reserve.code = 1001;
    reserve.flags = static_cast<uint16_t>(store::AccountFlag::kCreditsMustNotExceedDebits);
    accounts.push_back(reserve);
    for (uint64_t n = 1; n <= count; ++n) {
      store::Account a;
      a.id = Account(n);
      a.ledger = kLedger;
      a.code = 2001;
      a.flags = static_cast<uint16_t>(store::AccountFlag::kDebitsMustNotExceedCredits);
      accounts.push_back(a);
    }
    auto out = ledger_->CreateAccounts(std::move(accounts));
    ASSERT_TRUE(out.ok());
  }
  void Fund(const Id128& account, core::AmountMinor amount) {
    store::Transfer t;
    t.id = Id128{3, ++transfers_};
    t.debit_account_id = Funding();
    t.credit_account_id = account;
    t.amount = amount;
    t.ledger = kLedger;
    t.code = 1;
    store::Transfer cash = t;
    cash.id = Id128{3, ++transfers_};
    cash.debit_account_id = Reserve();
    cash.credit_account_id = Funding();
    auto out = ledger_->CreateTransfers({t, cash});
    ASSERT_TRUE(out.ok());
    ASSERT_EQ(out.value()[0].result, ledger::CreateTransferResult::kOk);
    ASSERT_EQ(out.value()[1].result, ledger::CreateTransferResult::kOk);
  }
  // Posted balance of a credit-normal account (credits - debits), or the
  // debit-normal one (debits - credits); signed.
  int64_t CreditBalance(const Id128& id) {
    auto a = ledger_->store().LookupAccount(id);
    return static_cast<int64_t>(a.value()->credits_posted) - static_cast<int64_t>(a.value()->debits_posted);
  }

  CreditService& svc() { return *svc_; }
  ledger::LedgerService& ledger() { return *ledger_; }
  core::ManualClock& clock() { return clock_; }

 private:
  uint64_t keys_ = 0;
  core::ScratchDir dir_;
  CreditPolicy policy_;
  CivilDate first_;
  std::map<uint32_t, Id128> reserves_;
  const CreditScorer* scorer_ = nullptr;
  core::ManualClock clock_{kT0};
  core::SecretKey key_ = core::SecretKey::Random();
  std::unique_ptr<CreditService> svc_;
  std::unique_ptr<ledger::LedgerService> ledger_;
  uint64_t transfers_ = 0;
};

}  // namespace netfin::credit::test_support
