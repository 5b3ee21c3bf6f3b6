// A reference-model auditor for the payments role: random workloads from a
// fixed seed, every result and balance compared with a model written from
// the rules (docs), not from the service's code.
//
// The model keeps plain integers: each wallet, each merchant account and
// payable, fee income and the reserve; each payment's amount, fee and
// refunds; each customer's tier use. After every step the service must
// agree on the result code, on every wallet and merchant balance, and the
// reconciliation must balance (reserve = liabilities). At the end the
// service restarts from its store and must show the same state.
//
// NETFIN_PAYMENTS_PROPERTY_SEEDS and NETFIN_PAYMENTS_PROPERTY_OPS scale the
// run (defaults: 200 seeds in 4 shards, 48 in Debug and sanitizer builds,
// 300 operations each).

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdlib>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/scratch_dir.h"
#include "ledger/ledger_service.h"
#include "payments/payments_service.h"
#include "payments/payments_test_support.h"
#include "store/store.h"

namespace netfin::payments {
namespace {

constexpr uint64_t kSecondNs = 1'000'000'000ull;
constexpr uint64_t kMinuteNs = 60 * kSecondNs;
constexpr uint64_t kHourNs = 60 * kMinuteNs;
constexpr uint64_t kDayNs = 24 * kHourNs;
using test_support::kT0;  // 2026-11-25T02:00:00Z
constexpr int kShards = 4;
// Debug and sanitizer builds run about 8x slower: fewer seeds keep the test
// near 20 s there (about 10 s for 200 seeds in an optimized build).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || !defined(NDEBUG)
constexpr int kSeedsDefault = 48;
#else
constexpr int kSeedsDefault = 200;
#endif
constexpr int kSeedsToInsistOnOutcomes = 160;  // rare outcomes need many seeds
constexpr int kOpsDefault = 300;
constexpr size_t kCustomers = 6;
constexpr size_t kMerchants = 3;

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : std::atoi(v);
}

// ---------------------------------------------------------------------------
// The rules, independently: rounding, China dates, allowances.

__extension__ typedef unsigned __int128 U128;
__extension__ typedef __int128 I128;

uint64_t RoundHalfEven(U128 numerator, uint64_t denominator) {
  U128 q = numerator / denominator;
  const U128 r = numerator % denominator;
  if (2 * r > denominator || (2 * r == denominator && (q & 1) == 1)) ++q;
  return static_cast<uint64_t>(q);
}

std::chrono::sys_days ChinaDay(uint64_t ns) {
  using namespace std::chrono;
  return floor<days>(sys_time<nanoseconds>(nanoseconds(ns + 8 * kHourNs)));
}

int32_t ChinaDate(uint64_t ns) {
  const std::chrono::year_month_day ymd{ChinaDay(ns)};
  return static_cast<int32_t>(static_cast<int>(ymd.year()) * 10000 +
                              static_cast<unsigned>(ymd.month()) * 100 +
                              static_cast<unsigned>(ymd.day()));
}

// The first ns after the China day that holds ns.
uint64_t ChinaDayEndOf(uint64_t ns) {
  using namespace std::chrono;
  const auto next = ChinaDay(ns) + days(1);
  return static_cast<uint64_t>(duration_cast<nanoseconds>(next.time_since_epoch()).count()) -
         8 * kHourNs;
}

struct TierRule {
  bool lifetime;
  AmountMinor limit;
};
// Smaller than the PBoC defaults so that random workloads reach them.
const std::map<uint8_t, TierRule> kTiers = {
    {1, {true, 100'000}}, {2, {false, 400'000}}, {3, {false, 1'000'000}}};

PaymentsConfig MakeConfig(bool keep_fee) {
  PaymentsConfig c;
  c.tiers = {{1, "I", TierPeriod::kLifetime, 100'000},
             {2, "II", TierPeriod::kYear, 400'000},
             {3, "III", TierPeriod::kYear, 1'000'000}};
  c.refund_fee = keep_fee ? RefundFeePolicy::kKeep : RefundFeePolicy::kReturnProportional;
  return c;
}

// ---------------------------------------------------------------------------
// The model.

struct MCustomer {
  Id128 id;
  uint8_t tier = 1;
  AmountMinor wallet = 0;
  AmountMinor paid_total = 0;
  int32_t paid_year = 0;
  AmountMinor paid_in_year = 0;

  AmountMinor Used(uint64_t now) const {
    if (kTiers.at(tier).lifetime) return paid_total;
    return paid_year == ChinaDate(now) / 10000 ? paid_in_year : 0;
  }
  AmountMinor Left(uint64_t now) const {
    const AmountMinor limit = kTiers.at(tier).limit;
    return Used(now) >= limit ? 0 : limit - Used(now);
  }
  void Count(AmountMinor amount, uint64_t now) {
    const int32_t year = ChinaDate(now) / 10000;
    if (paid_year != year) {
      paid_year = year;
      paid_in_year = 0;
    }
    paid_total += amount;
    paid_in_year += amount;
  }
};

struct MMerchant {
  Id128 id;
  uint32_t fee_bps = 0;
  AmountMinor balance = 0;
  AmountMinor payable = 0;
  AmountMinor carry = 0;
  std::set<int32_t> settled_dates;
};

enum class MStatus { kCreated, kSucceeded, kCancelled, kExpired };

const char* StatusName(MStatus s) {
  switch (s) {
    case MStatus::kCreated: return "created";
    case MStatus::kSucceeded: return "succeeded";
    case MStatus::kCancelled: return "cancelled";
    case MStatus::kExpired: return "expired";
  }
  return "?";
}

struct MPayment {
  Id128 id;
  size_t merchant = 0;
  std::optional<size_t> customer;
  AmountMinor amount = 0;
  AmountMinor fee = 0;
  AmountMinor refunded = 0;
  AmountMinor fee_refunded = 0;
  MStatus status = MStatus::kCreated;
  uint64_t expires_at = 0;
  uint64_t paid_at = 0;
  bool settled = false;
};

struct MRefund {
  size_t merchant = 0;
  AmountMinor merchant_part = 0;
  uint64_t at = 0;
  bool settled = false;
};

struct MSettlement {
  Id128 id;
  size_t merchant = 0;
  AmountMinor amount = 0;
  bool paid = false;
};

struct Model {
  std::vector<MCustomer> customers;
  std::vector<MMerchant> merchants;
  std::vector<MPayment> payments;
  std::vector<MRefund> refunds;
  std::vector<MSettlement> settlements;
  AmountMinor reserve = 0;
  AmountMinor fee_income = 0;
  bool keep_fee = false;

  AmountMinor Fee(const MMerchant& m, AmountMinor amount) const {
    return RoundHalfEven(static_cast<U128>(amount) * m.fee_bps, 10'000);
  }
  void Charge(MPayment& p, size_t c, uint64_t now) {
    MMerchant& m = merchants[p.merchant];
    p.fee = Fee(m, p.amount);
    p.customer = c;
    p.status = MStatus::kSucceeded;
    p.paid_at = now;
    customers[c].wallet -= p.amount;
    customers[c].Count(p.amount, now);
    m.balance += p.amount - p.fee;
    fee_income += p.fee;
  }
  // The result code a payment by customer c of p would have.
  std::string PayResult(const MPayment& p, size_t c, uint64_t now) const {
    // A paid payment is its payer's alone; anyone else is refused as if it
    // did not exist. An order nobody paid is shown to whoever holds its code.
    if (p.status != MStatus::kCreated) return p.customer && *p.customer != c ? "forbidden" : "payment_not_payable";
    if (p.expires_at <= now) return "payment_expired";
    return SpendResult(c, p.amount, now);
  }
  std::string SpendResult(size_t c, AmountMinor amount, uint64_t now) const {
    if (customers[c].Left(now) < amount) return "tier_limit_exceeded";
    if (customers[c].wallet < amount) return "insufficient_balance";
    return "ok";
  }
  AmountMinor Liabilities() const {
    AmountMinor sum = fee_income;
    for (const auto& c : customers) sum += c.wallet;
    for (const auto& m : merchants) sum += m.balance + m.payable;
    return sum;
  }
};

// ---------------------------------------------------------------------------
// The system under test.

class System : public test_support::ServiceOnScratchLedger {
 public:
  System(PaymentsConfig config, bool sqlite)
      : ServiceOnScratchLedger(std::move(config),
                               sqlite ? test_support::Backend::kSqlite : test_support::Backend::kJournal) {}

  uint64_t now() { return clock().NowNs(); }

  Call Fresh(PrincipalRole role, Id128 party) {
    Call c;
    c.principal = {role, party, std::string(PrincipalRoleName(role)) + "-" + party.ToDecimal()};
    c.idempotency_key = "k" + std::to_string(++calls_);
    c.fingerprint = "f" + c.idempotency_key;
    return c;
  }
  Call Operator() { return Fresh(PrincipalRole::kOperator, {}); }
  Call Customer(Id128 id) { return Fresh(PrincipalRole::kCustomer, id); }
  Call Merchant(Id128 id) { return Fresh(PrincipalRole::kMerchant, id); }

  Reply Run(const std::function<void(ReplyFn)>& start) { return svc().Await(start); }

  // Starts every read at once (one batch) and waits for all the answers.
  std::vector<Reply> RunAll(const std::vector<std::function<void(ReplyFn)>>& starts) {
    std::vector<Reply> replies(starts.size());
    std::latch done(static_cast<std::ptrdiff_t>(starts.size()));
    for (size_t i = 0; i < starts.size(); ++i) {
      starts[i]([&replies, &done, i](Reply r) {
        replies[i] = std::move(r);
        done.count_down();
      });
    }
    done.wait();
    return replies;
  }

 private:
  uint64_t calls_ = 0;
};

rapidjson::Document Parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  return d;
}

uint64_t U(const rapidjson::Value& v, const char* key) {
  return v.IsObject() && v.HasMember(key) && v[key].IsUint64() ? v[key].GetUint64() : UINT64_MAX;
}
std::string S(const rapidjson::Value& v, const char* key) {
  return v.IsObject() && v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "<missing>";
}
Id128 I(const rapidjson::Value& v, const char* key) {
  return Id128::ParseDecimal(S(v, key)).value_or(Id128{});
}

// ---------------------------------------------------------------------------
// One seed's run.

// How often each outcome ("refund: merchant_balance_insufficient") came up.
using Tally = std::map<std::string, uint64_t>;

class Audit {
 public:
  Audit(uint64_t seed, Tally* tally)
      : tally_(tally),
        seed_(seed), rng_(seed * 0x9E3779B97F4A7C15ull + 1), sys_(MakeConfig(seed % 4 == 3), seed % 8 == 5) {
    model_.keep_fee = seed % 4 == 3;
  }

  // Returns false (with a gtest failure) at the first disagreement.
  bool Go(int ops) {
    if (!Setup()) return false;
    for (step_ = 0; step_ < ops; ++step_) {
      if (!Step()) return false;
      // Each merchant every few steps (rendering one opens its sealed
      // personal data; their sum is in the reconciliation every step).
      if (!Check(step_ % 8 == 7)) return false;
    }
    return Restart();
  }

 private:
  uint64_t R(uint64_t lo, uint64_t hi) { return lo + rng_() % (hi - lo + 1); }
  bool Chance(unsigned percent) { return R(1, 100) <= percent; }
  size_t Pick(size_t n) { return static_cast<size_t>(R(0, n - 1)); }

  AmountMinor PaymentAmount() {
    const unsigned kind = static_cast<unsigned>(R(1, 100));
    if (kind <= 5) return R(1, 10);
    if (kind <= 75) return R(1, 20'000);
    return R(20'000, 150'000);
  }

  // Records a mismatch of an operation's result.
  bool Expect(const Reply& r, const std::string& expected, const std::string& what) {
    const std::string got(PaymentsErrorName(r.error));
    ++(*tally_)[got];
    if (got == expected) return true;
    ADD_FAILURE() << "seed " << seed_ << " step " << step_ << ": " << what << " answered " << got
                  << " (" << r.message << "), the model expected " << expected;
    return false;
  }
  bool Fail(const std::string& what) {
    ADD_FAILURE() << "seed " << seed_ << " step " << step_ << ": " << what;
    return false;
  }

  bool Setup() {
    const uint8_t tiers[kCustomers] = {1, 1, 2, 2, 3, 3};
    for (uint8_t tier : tiers) {
      NewCustomer in{{"Customer", "13812345678", "", "6222021234567890123"}, tier, "CNY"};
      Call call = sys_.Operator();
      Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().CreateCustomer(call, in, std::move(done)); });
      if (!Expect(r, "ok", "create customer")) return false;
      model_.customers.push_back({I(Parse(r.body), "id"), tier});
    }
    const uint32_t fees[kMerchants] = {0, 60, static_cast<uint32_t>(R(1, 1000))};
    for (uint32_t fee : fees) {
      NewMerchant in{{"Shop", "13900001111", "", "6217000010001234567"}, fee, "", "CNY"};
      Call call = sys_.Operator();
      Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().CreateMerchant(call, in, std::move(done)); });
      if (!Expect(r, "ok", "create merchant")) return false;
      MMerchant m;
      m.id = I(Parse(r.body), "id");
      m.fee_bps = fee;
      model_.merchants.push_back(m);
    }
    return true;
  }

  bool Step() {
    const unsigned op = static_cast<unsigned>(R(1, 100));
    if (op <= 12) return TopUp();
    if (op <= 18) return Withdraw();
    if (op <= 26) return Transfer();
    if (op <= 36) return CreateOrder();
    if (op <= 48) return PayOrder();
    if (op <= 60) return DirectPayment();
    if (op <= 72) return Refund();
    if (op <= 76) return Cancel();
    if (op <= 84) return Advance();
    if (op <= 86) return Sweep();
    if (op <= 92) return Settle();
    if (op <= 96) return MarkPaid();
    if (op <= 98) return Replay();
    return SetTier();
  }

  bool TopUp() {
    const size_t c = Pick(kCustomers);
    const AmountMinor amount = Chance(10) ? R(1, 100) : R(1, 300'000);
    Call call = sys_.Operator();
    MoneyInput in{model_.customers[c].id, {}, amount, "CNY"};
    Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().TopUp(call, in, std::move(done)); });
    if (!Expect(r, "ok", "top-up")) return false;
    model_.customers[c].wallet += amount;
    model_.reserve += amount;
    last_top_up_ = {call, in, sys_.now(), r.body};
    return true;
  }

  bool Withdraw() {
    const size_t c = Pick(kCustomers);
    const AmountMinor wallet = model_.customers[c].wallet;
    const AmountMinor amount = Chance(30) && wallet > 0 ? wallet : R(1, wallet + 1'000);
    Call call = sys_.Customer(model_.customers[c].id);
    MoneyInput in{model_.customers[c].id, {}, amount, "CNY"};
    Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().Withdraw(call, in, std::move(done)); });
    const std::string expected = wallet < amount ? "insufficient_balance" : "ok";
    if (!Expect(r, expected, "withdrawal of " + std::to_string(amount))) return false;
    if (expected == "ok") {
      model_.customers[c].wallet -= amount;
      model_.reserve -= amount;
    }
    return true;
  }

  bool Transfer() {
    const size_t from = Pick(kCustomers);
    const size_t to = Chance(5) ? from : Pick(kCustomers);
    const AmountMinor amount = PaymentAmount();
    Call call = sys_.Customer(model_.customers[from].id);
    MoneyInput in{model_.customers[from].id, model_.customers[to].id, amount, "CNY"};
    Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().TransferBetweenWallets(call, in, std::move(done)); });
    const std::string expected = from == to ? "same_wallet" : model_.SpendResult(from, amount, sys_.now());
    if (!Expect(r, expected, "wallet transfer of " + std::to_string(amount))) return false;
    if (expected == "ok") {
      model_.customers[from].wallet -= amount;
      model_.customers[from].Count(amount, sys_.now());
      model_.customers[to].wallet += amount;
    }
    return true;
  }

  bool CreateOrder() {
    const size_t m = Pick(kMerchants);
    const AmountMinor amount = PaymentAmount();
    const uint64_t expires_in_s = R(60, 6 * 3600);
    Call call = sys_.Merchant(model_.merchants[m].id);
    NewPayment in{{}, amount, "CNY", "order", expires_in_s};
    Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().CreatePayment(call, in, std::move(done)); });
    if (!Expect(r, "ok", "order")) return false;
    rapidjson::Document d = Parse(r.body);
    if (S(d, "status") != "created") return Fail("a new order is " + S(d, "status"));
    MPayment p;
    p.id = I(d, "id");
    p.merchant = m;
    p.amount = amount;
    p.expires_at = sys_.now() + expires_in_s * kSecondNs;
    if (U(d, "expires_at") != p.expires_at) return Fail("order expiry");
    Add(p);
    return true;
  }

  void Add(const MPayment& p) {
    index_[p.id] = model_.payments.size();
    model_.payments.push_back(p);
  }

  bool PayOrder() {
    if (model_.payments.empty()) return CreateOrder();
    // Mostly open orders; sometimes any payment at all.
    std::vector<size_t> open;
    for (size_t i = 0; i < model_.payments.size(); ++i) {
      if (model_.payments[i].status == MStatus::kCreated) open.push_back(i);
    }
    const size_t i = !open.empty() && Chance(85) ? open[Pick(open.size())] : Pick(model_.payments.size());
    const size_t c = Pick(kCustomers);
    MPayment& p = model_.payments[i];
    Call call = sys_.Customer(model_.customers[c].id);
    Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().PayPayment(call, p.id, std::move(done)); });
    const std::string expected = model_.PayResult(p, c, sys_.now());
    if (!Expect(r, expected, "paying " + std::to_string(p.amount) + " (" + StatusName(p.status) + ")")) {
      return false;
    }
    if (expected != "ok") return true;
    model_.Charge(p, c, sys_.now());
    if (U(Parse(r.body), "fee") != p.fee) return Fail("fee of " + std::to_string(p.amount));
    return true;
  }

  bool DirectPayment() {
    const size_t c = Pick(kCustomers);
    const size_t m = Pick(kMerchants);
    const AmountMinor amount = PaymentAmount();
    Call call = sys_.Customer(model_.customers[c].id);
    NewPayment in{model_.merchants[m].id, amount, "CNY", "scan", {}};
    Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().CreatePayment(call, in, std::move(done)); });
    const std::string expected = model_.SpendResult(c, amount, sys_.now());
    if (!Expect(r, expected, "direct payment of " + std::to_string(amount))) return false;
    if (expected != "ok") return true;
    rapidjson::Document d = Parse(r.body);
    MPayment p;
    p.id = I(d, "id");
    p.merchant = m;
    p.amount = amount;
    p.expires_at = sys_.now() + 900 * kSecondNs;
    Add(p);
    model_.Charge(model_.payments.back(), c, sys_.now());
    if (U(d, "fee") != model_.payments.back().fee) return Fail("direct fee");
    if (S(d, "status") != "succeeded") return Fail("direct payment is " + S(d, "status"));
    return true;
  }

  bool Refund() {
    if (model_.payments.empty()) return DirectPayment();
    std::vector<size_t> paid;
    for (size_t i = 0; i < model_.payments.size(); ++i) {
      if (model_.payments[i].status == MStatus::kSucceeded) paid.push_back(i);
    }
    const size_t i = !paid.empty() && Chance(90) ? paid[Pick(paid.size())] : Pick(model_.payments.size());
    MPayment& p = model_.payments[i];
    MMerchant& m = model_.merchants[p.merchant];
    // Who asks: its merchant, the operator, or (rarely) another merchant.
    const unsigned who = static_cast<unsigned>(R(1, 100));
    const size_t other = (p.merchant + 1 + Pick(kMerchants - 1)) % kMerchants;
    Call call = who <= 70   ? sys_.Merchant(m.id)
                : who <= 95 ? sys_.Operator()
                            : sys_.Merchant(model_.merchants[other].id);
    const AmountMinor refundable = p.amount - p.refunded;
    std::optional<AmountMinor> asked;
    const unsigned kind = static_cast<unsigned>(R(1, 100));
    if (kind <= 60) {
      asked = R(1, refundable + 5);
    } else if (kind <= 70) {
      asked = std::max<AmountMinor>(refundable, 1);
    }  // else: no amount, everything left
    NewRefund in{p.id, asked, "model"};
    Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().CreateRefund(call, in, std::move(done)); });

    std::string expected = "ok";
    AmountMinor amount = asked.value_or(refundable);
    AmountMinor fee_returned = 0;
    if (who > 95) {
      expected = "forbidden";
    } else if (p.status != MStatus::kSucceeded) {
      expected = "payment_not_refundable";
    } else if (amount == 0 || amount > refundable) {
      expected = "refund_exceeds_payment";
    } else {
      if (!model_.keep_fee && p.fee > 0) {
        fee_returned =
            RoundHalfEven(static_cast<U128>(p.fee) * (p.refunded + amount), p.amount) - p.fee_refunded;
      }
      if (m.balance < amount - fee_returned) expected = "merchant_balance_insufficient";
    }
    if (!Expect(r, expected, "refund of " + std::to_string(amount) + " of " + std::to_string(p.amount))) {
      return false;
    }
    if (expected != "ok") return true;
    if (U(Parse(r.body), "fee_returned") != fee_returned) return Fail("fee returned");
    p.refunded += amount;
    p.fee_refunded += fee_returned;
    if (p.fee_refunded > p.fee) return Fail("model: more fee returned than taken");
    model_.customers[*p.customer].wallet += amount;
    m.balance -= amount - fee_returned;
    model_.fee_income -= fee_returned;
    model_.refunds.push_back({p.merchant, amount - fee_returned, sys_.now(), false});
    return true;
  }

  bool Cancel() {
    if (model_.payments.empty()) return CreateOrder();
    MPayment& p = model_.payments[Pick(model_.payments.size())];
    Call call = Chance(80) ? sys_.Merchant(model_.merchants[p.merchant].id) : sys_.Operator();
    Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().CancelPayment(call, p.id, std::move(done)); });
    const std::string expected = p.status == MStatus::kCreated ? "ok" : "payment_not_cancellable";
    if (!Expect(r, expected, std::string("cancel of a ") + StatusName(p.status) + " payment")) return false;
    if (expected == "ok") p.status = MStatus::kCancelled;
    return true;
  }

  bool Advance() {
    const unsigned kind = static_cast<unsigned>(R(1, 100));
    uint64_t delta = 0;
    if (kind <= 65) {
      delta = R(1, 120) * kMinuteNs;
    } else if (kind <= 95) {
      delta = R(1, 30) * kHourNs;
    } else {
      delta = R(1, 3) * kDayNs;
    }
    sys_.clock().AdvanceNs(delta + R(0, kSecondNs));
    return Chance(50) ? Sweep() : true;
  }

  bool Sweep() {
    sys_.svc().SweepNow();
    for (MPayment& p : model_.payments) {
      if (p.status == MStatus::kCreated && p.expires_at <= sys_.now()) p.status = MStatus::kExpired;
    }
    return true;
  }

  bool Settle() {
    const uint64_t now = sys_.now();
    const int back = static_cast<int>(R(0, 4));  // days before today
    const bool early = back == 0 && Chance(50);
    const uint64_t in_day = now - static_cast<uint64_t>(back) * kDayNs;
    const int32_t date = ChinaDate(in_day);
    Call call = sys_.Operator();
    Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().RunSettlement(call, date, early, std::move(done)); });
    if (back == 0 && !early) return Expect(r, "invalid_date", "settling today");
    if (!Expect(r, "ok", "settlement of " + std::to_string(date))) return false;

    // The model's settlement of every merchant for the day.
    const uint64_t cutoff = ChinaDayEndOf(in_day);
    std::map<Id128, std::pair<AmountMinor, AmountMinor>> expected;  // amount, carry out
    for (size_t mi = 0; mi < kMerchants; ++mi) {
      MMerchant& m = model_.merchants[mi];
      if (m.settled_dates.count(date) != 0) continue;
      I128 net = m.carry;
      size_t items = 0;
      for (const MPayment& p : model_.payments) {
        if (p.merchant == mi && p.status == MStatus::kSucceeded && !p.settled && p.paid_at < cutoff) {
          net += static_cast<I128>(p.amount) - p.fee;
          ++items;
        }
      }
      for (const MRefund& f : model_.refunds) {
        if (f.merchant == mi && !f.settled && f.at < cutoff) {
          net -= f.merchant_part;
          ++items;
        }
      }
      if (items == 0 && m.carry == 0) continue;
      if (net < 0) {  // deferred to a later day
        ++(*tally_)["settlement deferred"];
        continue;
      }
      for (MPayment& p : model_.payments) {
        if (p.merchant == mi && p.status == MStatus::kSucceeded && !p.settled && p.paid_at < cutoff) {
          p.settled = true;
        }
      }
      for (MRefund& f : model_.refunds) {
        if (f.merchant == mi && !f.settled && f.at < cutoff) f.settled = true;
      }
      const AmountMinor amount = static_cast<AmountMinor>(std::min<I128>(net, m.balance));
      m.carry = static_cast<AmountMinor>(net - amount);
      if (m.carry > 0) ++(*tally_)["settlement carried"];
      m.balance -= amount;
      m.payable += amount;
      m.settled_dates.insert(date);
      expected[m.id] = {amount, m.carry};
    }
    rapidjson::Document d = Parse(r.body);
    const auto& made = d["settlements"]["data"];
    if (made.Size() != expected.size()) {
      return Fail("settlement of " + std::to_string(date) + " made " + std::to_string(made.Size()) +
                  ", the model " + std::to_string(expected.size()) + ": " + r.body);
    }
    for (const auto& s : made.GetArray()) {
      const Id128 merchant = I(s, "merchant_id");
      auto it = expected.find(merchant);
      if (it == expected.end()) return Fail("an unexpected settlement: " + r.body);
      if (U(s, "amount") != it->second.first || U(s, "carry_out") != it->second.second) {
        return Fail("settlement amounts differ: " + r.body);
      }
      size_t mi = 0;
      while (model_.merchants[mi].id != merchant) ++mi;
      model_.settlements.push_back({I(s, "id"), mi, it->second.first, false});
      if (!CheckFile(I(s, "id"), U(s, "amount"), U(s, "payment_count") + U(s, "refund_count"))) {
        return false;
      }
    }
    return true;
  }

  // The settlement file has a line per item, and its lines sum to the amount.
  bool CheckFile(const Id128& id, AmountMinor amount, uint64_t items) {
    Call op = sys_.Operator();
    Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().GetSettlementFile(op, id, std::move(done)); });
    if (!Expect(r, "ok", "settlement file")) return false;
    int64_t nets = 0;
    uint64_t lines = 0;
    size_t start = 0;
    while (start < r.body.size()) {
      const size_t end = r.body.find('\n', start);
      const std::string line = r.body.substr(start, end - start);
      start = end == std::string::npos ? r.body.size() : end + 1;
      if (line.rfind("record,", 0) == 0) continue;  // the header
      const int64_t net = std::stoll(line.substr(line.rfind(',') + 1));
      if (line.rfind("payment,", 0) == 0 || line.rfind("refund,", 0) == 0) ++lines;
      if (line.rfind("total,", 0) == 0) {
        if (net != static_cast<int64_t>(amount)) return Fail("file total: " + r.body);
      } else {
        nets += net;
      }
    }
    if (lines != items || nets != static_cast<int64_t>(amount)) return Fail("file lines: " + r.body);
    return true;
  }

  bool MarkPaid() {
    if (model_.settlements.empty()) return Settle();
    MSettlement& s = model_.settlements[Pick(model_.settlements.size())];
    Call call = sys_.Operator();
    Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().MarkSettlementPaid(call, s.id, std::move(done)); });
    const std::string expected = s.paid ? "settlement_not_payable" : "ok";
    if (!Expect(r, expected, "payout")) return false;
    if (expected == "ok") {
      s.paid = true;
      model_.merchants[s.merchant].payable -= s.amount;
      model_.reserve -= s.amount;
    }
    return true;
  }

  // Sends the last top-up again: a retry replays it within the TTL, a
  // changed request with its key is refused, and after the TTL it runs anew.
  bool Replay() {
    if (!last_top_up_) return TopUp();
    LastTopUp& t = *last_top_up_;
    const uint64_t ttl_ns = 24 * kHourNs;
    const bool remembered = sys_.now() - t.at < ttl_ns;
    if (remembered && Chance(30)) {
      Call changed = t.call;
      changed.fingerprint += "-changed";
      Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().TopUp(changed, t.input, std::move(done)); });
      return Expect(r, "idempotency_key_reused", "a changed retry");
    }
    Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().TopUp(t.call, t.input, std::move(done)); });
    if (!Expect(r, "ok", "a retried top-up")) return false;
    if (r.replayed != remembered) return Fail("replayed should be " + std::to_string(remembered));
    ++(*tally_)[remembered ? "retry replayed" : "retry ran again"];
    if (remembered) return r.body == t.body ? true : Fail("a replay answered another body");
    // Forgotten: it ran again.
    for (MCustomer& c : model_.customers) {
      if (c.id == t.input.customer_id) c.wallet += t.input.amount;
    }
    model_.reserve += t.input.amount;
    t.at = sys_.now();
    t.body = r.body;
    return true;
  }

  bool SetTier() {
    const size_t c = Pick(kCustomers);
    const uint8_t tier = static_cast<uint8_t>(R(1, 3));
    Call call = sys_.Operator();
    Reply r = sys_.Run(
        [&](ReplyFn done) { sys_.svc().SetCustomerTier(call, model_.customers[c].id, tier, std::move(done)); });
    if (!Expect(r, "ok", "tier change")) return false;
    model_.customers[c].tier = tier;
    return true;
  }

  // Every wallet (and merchant) balance, and the reconciliation, in one batch of reads.
  bool Check(bool with_merchants) {
    std::vector<std::function<void(ReplyFn)>> reads;
    Call op = sys_.Operator();
    op.idempotency_key.clear();
    for (const MCustomer& c : model_.customers) {
      reads.push_back([this, op, id = c.id](ReplyFn done) { sys_.svc().GetWallet(op, id, std::move(done)); });
    }
    for (const MMerchant& m : model_.merchants) {
      if (!with_merchants) break;
      reads.push_back([this, op, id = m.id](ReplyFn done) { sys_.svc().GetMerchant(op, id, std::move(done)); });
    }
    reads.push_back([this, op](ReplyFn done) { sys_.svc().GetReconciliation(op, std::move(done)); });
    const std::vector<Reply> replies = sys_.RunAll(reads);
    const uint64_t now = sys_.now();
    for (size_t i = 0; i < kCustomers; ++i) {
      if (!Expect(replies[i], "ok", "wallet read")) return false;
      const MCustomer& c = model_.customers[i];
      rapidjson::Document w = Parse(replies[i].body);
      if (U(w, "balance") != c.wallet || U(w, "available") != c.wallet ||
          U(w, "allowance_used") != c.Used(now) || U(w, "allowance_left") != c.Left(now) ||
          U(w, "tier") != c.tier) {
        return Fail("wallet " + std::to_string(i) + " is " + replies[i].body + "; the model: balance " +
                    std::to_string(c.wallet) + ", used " + std::to_string(c.Used(now)));
      }
    }
    for (size_t i = 0; i < kMerchants && with_merchants; ++i) {
      const Reply& r = replies[kCustomers + i];
      if (!Expect(r, "ok", "merchant read")) return false;
      if (U(Parse(r.body), "balance") != model_.merchants[i].balance) {
        return Fail("merchant " + std::to_string(i) + " is " + r.body + "; the model: " +
                    std::to_string(model_.merchants[i].balance));
      }
    }
    const Reply& rec = replies.back();
    if (!Expect(rec, "ok", "reconciliation")) return false;
    rapidjson::Document d = Parse(rec.body);
    if (!d["balanced"].GetBool()) return Fail("not balanced: " + rec.body);
    const auto& l = d["ledgers"][0];
    AmountMinor wallets = 0, merchants = 0, payables = 0;
    for (const auto& c : model_.customers) wallets += c.wallet;
    for (const auto& m : model_.merchants) {
      merchants += m.balance;
      payables += m.payable;
    }
    if (S(l, "difference") != "0" || U(l, "negative_accounts") != 0 || U(l, "reserve") != model_.reserve ||
        U(l, "wallets") != wallets || U(l, "merchants") != merchants ||
        U(l, "settlement_payables") != payables || U(l, "fee_income") != model_.fee_income ||
        U(l, "held") != 0) {
      return Fail("reconciliation " + rec.body + " differs from the model: reserve " +
                  std::to_string(model_.reserve) + ", fee income " + std::to_string(model_.fee_income));
    }
    // The model conserves money too.
    if (model_.reserve != model_.Liabilities()) return Fail("the model lost money");
    return true;
  }

  // Every payment as the service shows it, against the model.
  bool CheckPayments(std::string* listing) {
    Call op = sys_.Operator();
    Reply r = sys_.Run([&](ReplyFn done) {
      sys_.svc().ListPayments(op, PageInput{.after = Id128::Zero(), .limit = 10'000}, std::move(done));
    });
    if (!Expect(r, "ok", "list payments")) return false;
    *listing = r.body;
    rapidjson::Document d = Parse(r.body);
    if (d["data"].Size() != model_.payments.size()) return Fail("payment count");
    for (const auto& p : d["data"].GetArray()) {
      auto it = index_.find(I(p, "id"));
      if (it == index_.end()) return Fail("an unknown payment");
      const MPayment& m = model_.payments[it->second];
      if (S(p, "status") != StatusName(m.status) || U(p, "amount") != m.amount || U(p, "fee") != m.fee ||
          U(p, "refunded") != m.refunded || U(p, "fee_refunded") != m.fee_refunded ||
          p["settled"].GetBool() != m.settled ||
          (m.customer && I(p, "customer_id") != model_.customers[*m.customer].id)) {
        return Fail("payment differs from the model: " + std::string(S(p, "id")));
      }
    }
    return true;
  }

  std::vector<std::string> Snapshot() {
    std::vector<std::function<void(ReplyFn)>> reads;
    Call op = sys_.Operator();
    for (const MCustomer& c : model_.customers) {
      reads.push_back([this, op, id = c.id](ReplyFn done) { sys_.svc().GetWallet(op, id, std::move(done)); });
    }
    for (const MMerchant& m : model_.merchants) {
      reads.push_back([this, op, id = m.id](ReplyFn done) { sys_.svc().GetMerchant(op, id, std::move(done)); });
    }
    reads.push_back([this, op](ReplyFn done) {
      sys_.svc().ListSettlements(op, PageInput{.after = Id128::Zero(), .limit = 10'000}, std::move(done));
    });
    reads.push_back([this, op](ReplyFn done) { sys_.svc().GetReconciliation(op, std::move(done)); });
    std::vector<std::string> out;
    for (const Reply& r : sys_.RunAll(reads)) out.push_back(r.body);
    return out;
  }

  // Restarts from the store: the same state, and new work still succeeds.
  bool Restart() {
    std::string before_payments, after_payments;
    if (!CheckPayments(&before_payments)) return false;
    const std::vector<std::string> before = Snapshot();
    sys_.Close();
    sys_.Open();
    if (::testing::Test::HasFatalFailure()) return false;
    if (!CheckPayments(&after_payments)) return false;
    if (after_payments != before_payments) return Fail("payments differ after the restart");
    if (Snapshot() != before) return Fail("wallets, merchants or settlements differ after the restart");
    if (!Check(true)) return false;
    // The clock has not moved: new ids must still be new.
    for (size_t c = 0; c < kCustomers; ++c) {
      Call call = sys_.Operator();
      MoneyInput in{model_.customers[c].id, {}, 1, "CNY"};
      Reply r = sys_.Run([&](ReplyFn done) { sys_.svc().TopUp(call, in, std::move(done)); });
      if (!Expect(r, "ok", "top-up after the restart")) return false;
      model_.customers[c].wallet += 1;
      model_.reserve += 1;
    }
    return DirectPayment() && Check(true);
  }

  struct LastTopUp {
    Call call;
    MoneyInput input;
    uint64_t at = 0;
    std::string body;
  };

  Tally* tally_;
  uint64_t seed_;
  std::mt19937_64 rng_;
  System sys_;
  Model model_;
  std::map<Id128, size_t> index_;
  std::optional<LastTopUp> last_top_up_;
  int step_ = -1;
};

class PaymentsPropertyTest : public ::testing::TestWithParam<int> {};

TEST_P(PaymentsPropertyTest, ServiceAgreesWithTheModel) {
  const int seeds = EnvInt("NETFIN_PAYMENTS_PROPERTY_SEEDS", kSeedsDefault);
  const int ops = EnvInt("NETFIN_PAYMENTS_PROPERTY_OPS", kOpsDefault);
  Tally tally;
  for (int seed = GetParam(); seed < seeds; seed += kShards) {
    Audit audit(static_cast<uint64_t>(seed), &tally);
    if (!audit.Go(ops)) {
      FAIL() << "seed " << seed << " failed (NETFIN_PAYMENTS_PROPERTY_SEEDS, _OPS scale the run)";
    }
  }
  std::string summary;
  for (const auto& [outcome, count] : tally) summary += " " + outcome + "=" + std::to_string(count);
  RecordProperty("outcomes", summary);
  if (seeds < kSeedsToInsistOnOutcomes || ops < kOpsDefault / 2) return;  // too small to insist
  // The workload reaches every outcome the model knows.
  for (const char* outcome :
       {"ok", "insufficient_balance", "tier_limit_exceeded", "same_wallet", "payment_not_payable",
        "payment_expired", "payment_not_cancellable", "payment_not_refundable",
        "refund_exceeds_payment", "merchant_balance_insufficient", "forbidden", "invalid_date",
        "settlement_not_payable", "idempotency_key_reused", "retry replayed", "retry ran again",
        "settlement carried", "settlement deferred"}) {
    EXPECT_GT(tally[outcome], 0u) << outcome << " never came up:" << summary;
  }
}

INSTANTIATE_TEST_SUITE_P(Shards, PaymentsPropertyTest, ::testing::Range(0, kShards));

}  // namespace
}  // namespace netfin::payments
