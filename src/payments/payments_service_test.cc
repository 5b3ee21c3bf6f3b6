#include "payments/payments_service.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/limits.h"
#include "core/scratch_dir.h"
#include "ledger/ledger_service.h"
#include "payments/events.h"
#include "payments/payments_test_support.h"
#include "store/store.h"

namespace netfin::payments {
namespace {

constexpr uint64_t kSecondNs = 1'000'000'000ull;
constexpr uint64_t kHourNs = 3600 * kSecondNs;
constexpr uint64_t kDayNs = 24 * kHourNs;
using test_support::Backend;
using test_support::kT0;  // 10:00 on 2026-11-25 in China (UTC+8)
constexpr int32_t kDay0 = 20261125;
constexpr int32_t kDay1 = 20261126;

// The plaintext personal data the tests send; none of it may be stored or shown.
const PersonalInput kAlice{"张三丰", "13812345678", "110101199003071234", "6222021234567890123"};
const PersonalInput kShop{"Li Wei Trading", "13900001111", "11010119800101567X",
                          "6217000010001234567"};

rapidjson::Document Parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  EXPECT_FALSE(d.HasParseError()) << body;
  return d;
}

uint64_t U(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsUint64()) {
    ADD_FAILURE() << "no unsigned member " << key;
    return UINT64_MAX;
  }
  return v[key].GetUint64();
}

std::string S(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) {
    ADD_FAILURE() << "no string member " << key;
    return "<missing>";
  }
  return v[key].GetString();
}

Id128 I(const rapidjson::Value& v, const char* key) {
  auto id = Id128::ParseDecimal(S(v, key));
  EXPECT_TRUE(id.has_value()) << key;
  return id.value_or(Id128{});
}

#define ASSERT_OK(r) \
  ASSERT_EQ((r).error, PaymentsError::kOk) << PaymentsErrorName((r).error) << ": " << (r).message
#define EXPECT_OK(r) \
  EXPECT_EQ((r).error, PaymentsError::kOk) << PaymentsErrorName((r).error) << ": " << (r).message
#define EXPECT_ERR(r, name) EXPECT_EQ(PaymentsErrorName((r).error), name) << (r).message

// A payments service on a ledger on a store in a scratch directory, with a
// manual clock, no sweeper, and helpers that make one call each.
class Harness : public test_support::ServiceOnScratchLedger {
 public:
  explicit Harness(PaymentsConfig config = {}, Backend backend = Backend::kJournal)
      : ServiceOnScratchLedger(std::move(config), backend) {}

  // ---- calls: a fresh idempotency key and fingerprint each
  Call As(PrincipalRole role, Id128 party, std::string key_id) {
    Call c;
    c.principal = {role, party, std::move(key_id)};
    c.idempotency_key = "key-" + std::to_string(++calls_);
    c.fingerprint = "fingerprint-" + c.idempotency_key;
    return c;
  }
  Call Operator() { return As(PrincipalRole::kOperator, {}, "operator-key"); }
  Call Customer(Id128 id) { return As(PrincipalRole::kCustomer, id, "customer-key-" + id.ToDecimal()); }
  Call Merchant(Id128 id) { return As(PrincipalRole::kMerchant, id, "merchant-key-" + id.ToDecimal()); }

  Reply Run(const std::function<void(ReplyFn)>& start) { return svc().Await(start); }

  Reply NewCustomerReply(uint8_t tier, const std::string& currency = "CNY",
                         const PersonalInput& personal = kAlice) {
    NewCustomer in{personal, tier, currency};
    Call call = Operator();
    return Run([&](ReplyFn done) { svc().CreateCustomer(call, in, std::move(done)); });
  }
  Id128 NewCustomerId(uint8_t tier = 3, const std::string& currency = "CNY") {
    Reply r = NewCustomerReply(tier, currency);
    EXPECT_OK(r);
    return I(Parse(r.body), "id");
  }
  Reply NewMerchantReply(std::optional<uint32_t> fee_bps, const std::string& currency = "CNY",
                         const std::string& webhook_url = "") {
    NewMerchant in{kShop, fee_bps, webhook_url, currency};
    Call call = Operator();
    return Run([&](ReplyFn done) { svc().CreateMerchant(call, in, std::move(done)); });
  }
  Id128 NewMerchantId(std::optional<uint32_t> fee_bps = 60, const std::string& currency = "CNY",
                      const std::string& webhook_url = "") {
    Reply r = NewMerchantReply(fee_bps, currency, webhook_url);
    EXPECT_OK(r);
    return I(Parse(r.body), "id");
  }

  Reply TopUp(Id128 customer, AmountMinor amount, const std::string& currency = "CNY") {
    return TopUpAs(Operator(), customer, amount, currency);
  }
  Reply TopUpAs(const Call& call, Id128 customer, AmountMinor amount,
                const std::string& currency = "CNY") {
    MoneyInput in{customer, {}, amount, currency};
    return Run([&](ReplyFn done) { svc().TopUp(call, in, std::move(done)); });
  }
  Reply Withdraw(Id128 customer, AmountMinor amount, const std::string& currency = "CNY") {
    MoneyInput in{customer, {}, amount, currency};
    Call call = Customer(customer);
    return Run([&](ReplyFn done) { svc().Withdraw(call, in, std::move(done)); });
  }
  Reply Transfer(Id128 from, Id128 to, AmountMinor amount, const std::string& currency = "CNY") {
    MoneyInput in{from, to, amount, currency};
    Call call = Customer(from);
    return Run([&](ReplyFn done) { svc().TransferBetweenWallets(call, in, std::move(done)); });
  }
  Reply Order(Id128 merchant, AmountMinor amount, std::optional<uint64_t> expires_in_s = {},
              const std::string& currency = "CNY") {
    return OrderAs(Merchant(merchant), amount, expires_in_s, currency);
  }
  Reply OrderAs(const Call& call, AmountMinor amount, std::optional<uint64_t> expires_in_s = {},
                const std::string& currency = "CNY") {
    NewPayment in{{}, amount, currency, "order", expires_in_s};
    return Run([&](ReplyFn done) { svc().CreatePayment(call, in, std::move(done)); });
  }
  Id128 OrderId(Id128 merchant, AmountMinor amount) {
    Reply r = Order(merchant, amount);
    EXPECT_OK(r);
    return I(Parse(r.body), "id");
  }
  Reply Pay(Id128 customer, Id128 payment) { return PayAs(Customer(customer), payment); }
  Reply PayAs(const Call& call, Id128 payment) {
    return Run([&](ReplyFn done) { svc().PayPayment(call, payment, std::move(done)); });
  }
  Reply Direct(Id128 customer, Id128 merchant, AmountMinor amount,
               const std::string& currency = "CNY") {
    NewPayment in{merchant, amount, currency, "scan", {}};
    Call call = Customer(customer);
    return Run([&](ReplyFn done) { svc().CreatePayment(call, in, std::move(done)); });
  }
  // A paid payment's id.
  Id128 Paid(Id128 customer, Id128 merchant, AmountMinor amount) {
    Reply r = Direct(customer, merchant, amount);
    EXPECT_OK(r);
    return I(Parse(r.body), "id");
  }
  Reply Refund(const Call& call, Id128 payment, std::optional<AmountMinor> amount = {}) {
    NewRefund in{payment, amount, "customer request"};
    return Run([&](ReplyFn done) { svc().CreateRefund(call, in, std::move(done)); });
  }
  Reply Cancel(const Call& call, Id128 payment) {
    return Run([&](ReplyFn done) { svc().CancelPayment(call, payment, std::move(done)); });
  }
  Reply GetPayment(const Call& call, Id128 payment) {
    return Run([&](ReplyFn done) { svc().GetPayment(call, payment, std::move(done)); });
  }
  Reply ListPayments(const Call& call, PageInput page = {}) {
    return Run([&](ReplyFn done) { svc().ListPayments(call, page, std::move(done)); });
  }
  Reply Wallet(Id128 customer) {
    Call call = Operator();
    return Run([&](ReplyFn done) { svc().GetWallet(call, customer, std::move(done)); });
  }
  uint64_t Balance(Id128 customer) {
    Reply r = Wallet(customer);
    EXPECT_OK(r);
    return U(Parse(r.body), "balance");
  }
  Reply GetMerchant(Id128 merchant) {
    Call call = Operator();
    return Run([&](ReplyFn done) { svc().GetMerchant(call, merchant, std::move(done)); });
  }
  uint64_t MerchantBalance(Id128 merchant) {
    Reply r = GetMerchant(merchant);
    EXPECT_OK(r);
    return U(Parse(r.body), "balance");
  }
  Reply Settle(int32_t date, std::optional<Call> call = {}, bool early = false) {
    Call c = call ? *call : Operator();
    return Run([&](ReplyFn done) { svc().RunSettlement(c, date, early, std::move(done)); });
  }
  Reply MarkPaid(Id128 settlement, std::optional<Call> call = {}) {
    Call c = call ? *call : Operator();
    return Run([&](ReplyFn done) { svc().MarkSettlementPaid(c, settlement, std::move(done)); });
  }
  Reply GetSettlement(const Call& call, Id128 settlement) {
    return Run([&](ReplyFn done) { svc().GetSettlement(call, settlement, std::move(done)); });
  }
  Reply SettlementFile(Id128 settlement) {
    Call call = Operator();
    return Run([&](ReplyFn done) { svc().GetSettlementFile(call, settlement, std::move(done)); });
  }
  Reply Reconciliation() {
    Call call = Operator();
    return Run([&](ReplyFn done) { svc().GetReconciliation(call, std::move(done)); });
  }
  // The reconciliation's ledger entry for a currency.
  rapidjson::Document Recon(const std::string& currency = "CNY") {
    Reply r = Reconciliation();
    EXPECT_OK(r);
    rapidjson::Document all = Parse(r.body);
    rapidjson::Document one;
    for (const auto& l : all["ledgers"].GetArray()) {
      if (S(l, "currency") == currency) one.CopyFrom(l, one.GetAllocator());
    }
    EXPECT_TRUE(one.IsObject()) << "no ledger for " << currency << " in " << r.body;
    return one;
  }
  // Reserve = liabilities, no negative account, on every ledger.
  void ExpectBalanced() {
    Reply r = Reconciliation();
    ASSERT_OK(r);
    rapidjson::Document d = Parse(r.body);
    EXPECT_TRUE(d["balanced"].GetBool()) << r.body;
    for (const auto& l : d["ledgers"].GetArray()) {
      EXPECT_EQ(S(l, "difference"), "0") << r.body;
      EXPECT_EQ(U(l, "negative_accounts"), 0u) << r.body;
      EXPECT_EQ(U(l, "reserve"), U(l, "wallets") + U(l, "merchants") +
                                     U(l, "settlement_payables") + U(l, "fee_income"))
          << r.body;
    }
  }

 private:
  uint64_t calls_ = 0;
};

class PaymentsServiceTest : public ::testing::Test {
 protected:
  PaymentsServiceTest() : h_(std::make_unique<Harness>()) {}
  void Reset(PaymentsConfig config) { h_ = std::make_unique<Harness>(std::move(config)); }
  Harness& h() { return *h_; }

  std::unique_ptr<Harness> h_;
};

// ---------------------------------------------------------------------------
// Parties and personal data.

TEST_F(PaymentsServiceTest, CustomerAndMerchantShowPersonalDataMasked) {
  Reply customer = h().NewCustomerReply(2);
  ASSERT_OK(customer);
  EXPECT_EQ(customer.http_status, 201);
  rapidjson::Document c = Parse(customer.body);
  EXPECT_EQ(S(c, "object"), "customer");
  EXPECT_EQ(S(c, "currency"), "CNY");
  EXPECT_EQ(U(c, "tier"), 2u);
  EXPECT_EQ(U(c, "created_at"), kT0);
  EXPECT_EQ(S(c, "name"), "张**");
  EXPECT_EQ(S(c, "phone"), "138****5678");
  EXPECT_EQ(S(c, "id_number"), "110***********1234");
  EXPECT_EQ(S(c, "bank_account"), "****0123");

  Reply merchant = h().NewMerchantReply(75, "CNY", "http://shop.example/hook");
  ASSERT_OK(merchant);
  rapidjson::Document m = Parse(merchant.body);
  EXPECT_EQ(S(m, "object"), "merchant");
  EXPECT_EQ(U(m, "fee_bps"), 75u);
  EXPECT_EQ(U(m, "balance"), 0u);
  EXPECT_EQ(S(m, "phone"), "139****1111");
  EXPECT_EQ(S(m, "id_number"), "110***********567X");
  EXPECT_EQ(S(m, "bank_account"), "****4567");
  EXPECT_EQ(S(m, "name"), "L*************");
  EXPECT_EQ(S(m, "webhook_secret"), h().svc().WebhookSecret(I(m, "id")));
  // The secret is shown once, at creation.
  Reply again = h().GetMerchant(I(m, "id"));
  ASSERT_OK(again);
  EXPECT_FALSE(Parse(again.body).HasMember("webhook_secret"));

  // The default fee applies when none is given.
  Reply plain = h().NewMerchantReply(std::nullopt);
  ASSERT_OK(plain);
  EXPECT_EQ(U(Parse(plain.body), "fee_bps"), 60u);

  for (const PersonalInput& p : {kAlice, kShop}) {
    for (const std::string& secret : {p.name, p.phone, p.id_number, p.bank_account}) {
      EXPECT_EQ(customer.body.find(secret), std::string::npos) << secret;
      EXPECT_EQ(merchant.body.find(secret), std::string::npos) << secret;
      EXPECT_EQ(again.body.find(secret), std::string::npos) << secret;
    }
  }
}

TEST_F(PaymentsServiceTest, PersonalDataIsNeverStoredInPlaintext) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId();
  ASSERT_OK(h().TopUp(customer, 1000));
  ASSERT_OK(h().Direct(customer, merchant, 100));
  auto events = h().ledger().store().ReadEvents({0, Id128::Zero(), core::kQueryLimitMax});
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_GE(events->size(), 5u);
  size_t party_events = 0;
  for (const store::RoleEvent& e : events.value()) {
    if (e.role == static_cast<uint16_t>(ledger::Role::kPayments)) {
      // Stored in the binary form, shorter than the JSON the feed shows.
      EXPECT_NE(e.payload.front(), '{') << "event " << e.sequence << " type " << e.type;
      EXPECT_LT(e.payload.size(), EventDataJson(e.type, e.payload).value().size());
    }
    for (const PersonalInput& p : {kAlice, kShop}) {
      for (const std::string& secret : {p.name, p.phone, p.id_number, p.bank_account}) {
        EXPECT_EQ(e.payload.find(secret), std::string::npos)
            << "event " << e.sequence << " type " << e.type << " holds " << secret;
      }
    }
    if (e.type == static_cast<uint16_t>(EventType::kCustomerCreated) ||
        e.type == static_cast<uint16_t>(EventType::kMerchantCreated)) {
      ++party_events;
      // Sealed, not left empty.
      rapidjson::Document d = Parse(EventDataJson(e.type, e.payload).value());
      EXPECT_GT(S(d, "phone_sealed").size(), 20u);
      EXPECT_GT(S(d, "id_number_sealed").size(), 20u);
    }
  }
  EXPECT_EQ(party_events, 2u);
}

TEST_F(PaymentsServiceTest, BadPartiesAreRefused) {
  struct Case {
    PersonalInput personal;
    const char* field;
  };
  for (const Case& c : {Case{{"", "13812345678", "", "6222021234567890123"}, "name"},
                        Case{{"A", "1381234567", "", "6222021234567890123"}, "phone"},
                        Case{{"A", "1381234567a", "", "6222021234567890123"}, "phone"},
                        Case{{"A", "13812345678", "11010119900307123", "6222021234567890123"},
                             "id_number"},
                        Case{{"A", "13812345678", "11010119900307123Y", "6222021234567890123"},
                             "id_number"},
                        Case{{"A", "13812345678", "", "12345678901"}, "bank_account"},
                        Case{{"A", "13812345678", "", "12345678901234567890"}, "bank_account"}}) {
    Reply r = h().NewCustomerReply(1, "CNY", c.personal);
    EXPECT_ERR(r, "invalid_party");
    EXPECT_NE(r.message.find(c.field), std::string::npos) << r.message;
  }
  // The identity number is optional.
  EXPECT_OK(h().NewCustomerReply(1, "CNY", {"A", "13812345678", "", "622202123456"}));
  EXPECT_ERR(h().NewCustomerReply(9), "unknown_tier");
  EXPECT_ERR(h().NewCustomerReply(1, "EUR"), "unknown_currency");
  EXPECT_ERR(h().NewMerchantReply(1001), "invalid_party");  // above fee_bps_max
  EXPECT_OK(h().NewMerchantReply(1000));
  EXPECT_OK(h().NewMerchantReply(0));
  EXPECT_ERR(h().NewMerchantReply(60, "CNY", "ftp://shop.example"), "invalid_party");
  // Only the operator opens wallets and signs merchants.
  const Id128 customer = h().NewCustomerId();
  NewCustomer in{kAlice, 1, "CNY"};
  Call as_customer = h().Customer(customer);
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().CreateCustomer(as_customer, in, std::move(done)); }),
             "forbidden");
  NewMerchant shop{kShop, 60, "", "CNY"};
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().CreateMerchant(as_customer, shop, std::move(done)); }),
             "forbidden");
  h().ExpectBalanced();
}

// ---------------------------------------------------------------------------
// Wallet movements.

TEST_F(PaymentsServiceTest, TopUpWithdrawalAndWalletTransfer) {
  const Id128 a = h().NewCustomerId();
  const Id128 b = h().NewCustomerId();
  Reply top_up = h().TopUp(a, 50'000);
  ASSERT_OK(top_up);
  EXPECT_EQ(top_up.http_status, 201);
  rapidjson::Document t = Parse(top_up.body);
  EXPECT_EQ(S(t, "object"), "top_up");
  EXPECT_EQ(U(t, "amount"), 50'000u);
  EXPECT_EQ(h().Balance(a), 50'000u);
  h().ExpectBalanced();
  EXPECT_EQ(U(h().Recon(), "reserve"), 50'000u);

  ASSERT_OK(h().Withdraw(a, 10'000));
  EXPECT_EQ(h().Balance(a), 40'000u);
  EXPECT_ERR(h().Withdraw(a, 40'001), "insufficient_balance");
  EXPECT_EQ(h().Balance(a), 40'000u);
  h().ExpectBalanced();
  EXPECT_EQ(U(h().Recon(), "reserve"), 40'000u);

  Reply moved = h().Transfer(a, b, 15'000);
  ASSERT_OK(moved);
  EXPECT_EQ(S(Parse(moved.body), "object"), "wallet_transfer");
  EXPECT_EQ(h().Balance(a), 25'000u);
  EXPECT_EQ(h().Balance(b), 15'000u);
  EXPECT_ERR(h().Transfer(a, b, 25'001), "insufficient_balance");
  EXPECT_ERR(h().Transfer(a, a, 1), "same_wallet");
  EXPECT_ERR(h().Transfer(a, Id128{1, 2}, 1), "unknown_customer");
  ASSERT_OK(h().Transfer(a, b, 25'000));  // everything: the boundary
  EXPECT_EQ(h().Balance(a), 0u);
  EXPECT_ERR(h().Withdraw(a, 1), "insufficient_balance");
  h().ExpectBalanced();
  rapidjson::Document recon = h().Recon();
  EXPECT_EQ(U(recon, "wallets"), 40'000u);
  EXPECT_EQ(U(recon, "wallet_count"), 2u);

  // Both wallets list the transfer; the sender's list has all four movements.
  Call call = h().Operator();
  Reply list = h().Run([&](ReplyFn done) { h().svc().ListMovements(call, a, {}, std::move(done)); });
  ASSERT_OK(list);
  EXPECT_EQ(Parse(list.body)["data"].Size(), 4u);
  list = h().Run([&](ReplyFn done) { h().svc().ListMovements(call, b, {}, std::move(done)); });
  EXPECT_EQ(Parse(list.body)["data"].Size(), 2u);
}

TEST_F(PaymentsServiceTest, InvalidAmountsAreRefused) {
  const Id128 a = h().NewCustomerId();
  const Id128 b = h().NewCustomerId();
  const Id128 m = h().NewMerchantId();
  ASSERT_OK(h().TopUp(a, 1000));
  EXPECT_ERR(h().TopUp(a, 0), "invalid_amount");
  EXPECT_ERR(h().TopUp(a, core::kAmountMax + 1), "invalid_amount");
  EXPECT_ERR(h().Withdraw(a, 0), "invalid_amount");
  EXPECT_ERR(h().Transfer(a, b, 0), "invalid_amount");
  EXPECT_ERR(h().Order(m, 0), "invalid_amount");
  EXPECT_ERR(h().Order(m, core::kAmountMax + 1), "invalid_amount");
  EXPECT_ERR(h().Direct(a, m, 0), "invalid_amount");
  const Id128 paid = h().Paid(a, m, 100);
  EXPECT_ERR(h().Refund(h().Merchant(m), paid, 0), "invalid_amount");
  EXPECT_EQ(h().Balance(a), 900u);
  h().ExpectBalanced();
}

TEST_F(PaymentsServiceTest, OverlongTextFieldsAreInvalidFields) {
  const Id128 a = h().NewCustomerId();
  const Id128 m = h().NewMerchantId();
  ASSERT_OK(h().TopUp(a, 1000));
  Call as_m = h().Merchant(m);
  NewPayment order{{}, 100, "CNY", std::string(257, 'd'), {}};
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().CreatePayment(as_m, order, std::move(done)); }),
             "invalid_field");
  Call as_a = h().Customer(a);
  NewPayment direct{m, 100, "CNY", std::string(257, 'd'), {}};
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().CreatePayment(as_a, direct, std::move(done)); }),
             "invalid_field");
  order.description = std::string(256, 'd');  // the limit itself is fine
  Call as_m_again = h().Merchant(m);
  EXPECT_OK(h().Run([&](ReplyFn done) { h().svc().CreatePayment(as_m_again, order, std::move(done)); }));
  const Id128 paid = h().Paid(a, m, 100);
  NewRefund refund{paid, 10, std::string(257, 'r')};
  Call refunder = h().Merchant(m);
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().CreateRefund(refunder, refund, std::move(done)); }),
             "invalid_field");
  EXPECT_EQ(h().Balance(a), 900u);
  h().ExpectBalanced();
}

// ---------------------------------------------------------------------------
// Payments.

TEST_F(PaymentsServiceTest, MerchantOrderPaidByCustomer) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId(60);
  ASSERT_OK(h().TopUp(customer, 100'000));
  Reply created = h().Order(merchant, 12'345);
  ASSERT_OK(created);
  EXPECT_EQ(created.http_status, 201);
  rapidjson::Document o = Parse(created.body);
  const Id128 id = I(o, "id");
  EXPECT_EQ(S(o, "status"), "created");
  EXPECT_EQ(I(o, "merchant_id"), merchant);
  EXPECT_TRUE(o["customer_id"].IsNull());
  EXPECT_EQ(U(o, "amount"), 12'345u);
  EXPECT_EQ(U(o, "expires_at"), kT0 + 900 * kSecondNs);  // the default expiry
  const std::string qr = S(o, "qr_payload");
  EXPECT_EQ(qr.rfind("netfin://pay?", 0), 0u) << qr;
  EXPECT_NE(qr.find("payment=" + id.ToDecimal()), std::string::npos) << qr;
  EXPECT_NE(qr.find("amount=12345"), std::string::npos) << qr;
  EXPECT_NE(qr.find("&sig="), std::string::npos) << qr;
  // Nothing moved yet.
  EXPECT_EQ(h().Balance(customer), 100'000u);

  // Any customer may look at an open order before paying it.
  Reply seen = h().GetPayment(h().Customer(customer), id);
  ASSERT_OK(seen);
  EXPECT_EQ(S(Parse(seen.body), "status"), "created");

  Reply paid = h().Pay(customer, id);
  ASSERT_OK(paid);
  rapidjson::Document p = Parse(paid.body);
  EXPECT_EQ(S(p, "status"), "succeeded");
  EXPECT_EQ(I(p, "customer_id"), customer);
  // 12,345 * 60 / 10,000 = 74.07 -> 74.
  EXPECT_EQ(U(p, "fee"), 74u);
  EXPECT_EQ(U(p, "paid_at"), kT0);
  // The code is for paying the order: gone once it is paid.
  EXPECT_TRUE(p["qr_payload"].IsNull());
  EXPECT_TRUE(Parse(h().GetPayment(h().Customer(customer), id).body)["qr_payload"].IsNull());
  EXPECT_EQ(h().Balance(customer), 100'000u - 12'345u);
  EXPECT_EQ(h().MerchantBalance(merchant), 12'345u - 74u);
  EXPECT_EQ(U(h().Recon(), "fee_income"), 74u);
  h().ExpectBalanced();

  EXPECT_ERR(h().Pay(customer, id), "payment_not_payable");
  EXPECT_EQ(h().Balance(customer), 100'000u - 12'345u);
  EXPECT_ERR(h().Cancel(h().Merchant(merchant), id), "payment_not_cancellable");
  // Only customers pay.
  EXPECT_ERR(h().PayAs(h().Merchant(merchant), id), "forbidden");
  EXPECT_ERR(h().PayAs(h().Operator(), id), "forbidden");
  h().ExpectBalanced();
}

// The events feed filters on an event's subjects: each party must find every
// transition of its payments there, the merchant the processing step too.
TEST_F(PaymentsServiceTest, EveryTransitionOfAPaymentNamesItsMerchantAndCustomer) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId();
  ASSERT_OK(h().TopUp(customer, 1'000));
  const Id128 order = h().OrderId(merchant, 100);
  ASSERT_OK(h().Pay(customer, order));
  auto types_for = [&](const Id128& party) {
    std::vector<std::string> types;
    auto events = h().ledger().store().ReadEvents({0, party, 1000});
    EXPECT_TRUE(events.ok());
    for (const store::RoleEvent& e : events.value()) {
      const auto type = static_cast<EventType>(e.type);
      if (IsPublicEvent(type)) types.emplace_back(EventTypeName(type));
    }
    return types;
  };
  const std::vector<std::string> merchant_sees = types_for(merchant);
  const std::vector<std::string> customer_sees = types_for(customer);
  for (const char* type : {"payment.created", "payment.processing", "payment.succeeded"}) {
    EXPECT_NE(std::find(merchant_sees.begin(), merchant_sees.end(), type), merchant_sees.end()) << type;
  }
  for (const char* type : {"payment.processing", "payment.succeeded"}) {
    EXPECT_NE(std::find(customer_sees.begin(), customer_sees.end(), type), customer_sees.end()) << type;
  }
}

TEST_F(PaymentsServiceTest, FeeIsRoundedHalfToEven) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId(50);  // amount / 200
  ASSERT_OK(h().TopUp(customer, 1'000'000));
  struct Case {
    AmountMinor amount;
    AmountMinor fee;
  };
  AmountMinor fees = 0;
  for (const Case& c : {Case{1, 0}, Case{100, 0}, Case{199, 1}, Case{201, 1}, Case{300, 2},
                        Case{500, 2}, Case{700, 4}, Case{900, 4}, Case{1100, 6}}) {
    Reply r = h().Direct(customer, merchant, c.amount);
    ASSERT_OK(r);
    EXPECT_EQ(U(Parse(r.body), "fee"), c.fee) << c.amount;
    fees += c.fee;
  }
  EXPECT_EQ(U(h().Recon(), "fee_income"), fees);
  // The largest rate takes 10%.
  const Id128 greedy = h().NewMerchantId(1000);
  Reply r = h().Direct(customer, greedy, 12'345);
  ASSERT_OK(r);
  EXPECT_EQ(U(Parse(r.body), "fee"), 1'234u);  // 1234.5 -> 1234
  const Id128 free = h().NewMerchantId(0);
  r = h().Direct(customer, free, 12'345);
  ASSERT_OK(r);
  EXPECT_EQ(U(Parse(r.body), "fee"), 0u);
  EXPECT_EQ(h().MerchantBalance(free), 12'345u);
  h().ExpectBalanced();
}

TEST_F(PaymentsServiceTest, DirectPaymentByCustomer) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId(60);
  ASSERT_OK(h().TopUp(customer, 10'000));
  Reply r = h().Direct(customer, merchant, 2'500);
  ASSERT_OK(r);
  EXPECT_EQ(r.http_status, 201);
  rapidjson::Document p = Parse(r.body);
  EXPECT_EQ(S(p, "status"), "succeeded");
  EXPECT_EQ(I(p, "customer_id"), customer);
  EXPECT_EQ(I(p, "merchant_id"), merchant);
  EXPECT_EQ(U(p, "fee"), 15u);
  EXPECT_EQ(h().Balance(customer), 7'500u);
  EXPECT_EQ(h().MerchantBalance(merchant), 2'485u);
  // A refused direct payment creates no order at all.
  EXPECT_ERR(h().Direct(customer, merchant, 7'501), "insufficient_balance");
  EXPECT_ERR(h().Direct(customer, Id128{5, 5}, 1), "unknown_merchant");
  Reply list = h().ListPayments(h().Merchant(merchant));
  ASSERT_OK(list);
  EXPECT_EQ(Parse(list.body)["data"].Size(), 1u);
  list = h().ListPayments(h().Customer(customer));
  EXPECT_EQ(Parse(list.body)["data"].Size(), 1u);
  h().ExpectBalanced();
}

TEST_F(PaymentsServiceTest, ExpiredOrderIsRefusedThenSwept) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId();
  ASSERT_OK(h().TopUp(customer, 10'000));
  Reply short_lived = h().Order(merchant, 100, 60);
  ASSERT_OK(short_lived);
  const Id128 expiring = I(Parse(short_lived.body), "id");
  const Id128 on_time = I(Parse(h().Order(merchant, 200, 60).body), "id");
  const Id128 cancelled = I(Parse(h().Order(merchant, 300, 60).body), "id");
  const Id128 long_lived = I(Parse(h().Order(merchant, 400, 7 * 24 * 3600).body), "id");
  EXPECT_ERR(h().Order(merchant, 100, 0), "invalid_date");
  EXPECT_ERR(h().Order(merchant, 100, 7 * 24 * 3600 + 1), "invalid_date");

  h().clock().AdvanceNs(60 * kSecondNs - 1);
  ASSERT_OK(h().Pay(customer, on_time));  // the last ns
  h().clock().AdvanceNs(1);
  EXPECT_ERR(h().Pay(customer, expiring), "payment_expired");
  EXPECT_EQ(h().Balance(customer), 9'800u);
  // Before the sweep the order is still `created`, and may be cancelled.
  ASSERT_OK(h().Cancel(h().Merchant(merchant), cancelled));

  h().svc().SweepNow();
  Reply swept = h().GetPayment(h().Operator(), expiring);
  ASSERT_OK(swept);
  EXPECT_EQ(S(Parse(swept.body), "status"), "expired");
  EXPECT_EQ(S(Parse(h().GetPayment(h().Operator(), on_time).body), "status"), "succeeded");
  EXPECT_EQ(S(Parse(h().GetPayment(h().Operator(), cancelled).body), "status"), "cancelled");
  EXPECT_EQ(S(Parse(h().GetPayment(h().Operator(), long_lived).body), "status"), "created");
  EXPECT_ERR(h().Pay(customer, expiring), "payment_not_payable");
  EXPECT_ERR(h().Cancel(h().Merchant(merchant), expiring), "payment_not_cancellable");
  EXPECT_ERR(h().Refund(h().Merchant(merchant), expiring), "payment_not_refundable");
  ASSERT_OK(h().Pay(customer, long_lived));
  EXPECT_EQ(h().Balance(customer), 9'400u);
  h().ExpectBalanced();
}

TEST_F(PaymentsServiceTest, CancelledOrderCannotBePaidOrRefunded) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId();
  const Id128 other = h().NewMerchantId();
  ASSERT_OK(h().TopUp(customer, 10'000));
  const Id128 order = h().OrderId(merchant, 500);
  EXPECT_ERR(h().Cancel(h().Merchant(other), order), "forbidden");
  EXPECT_ERR(h().Cancel(h().Customer(customer), order), "forbidden");
  Reply r = h().Cancel(h().Merchant(merchant), order);
  ASSERT_OK(r);
  EXPECT_EQ(S(Parse(r.body), "status"), "cancelled");
  EXPECT_ERR(h().Pay(customer, order), "payment_not_payable");
  EXPECT_ERR(h().Refund(h().Merchant(merchant), order), "payment_not_refundable");
  EXPECT_ERR(h().Cancel(h().Merchant(merchant), order), "payment_not_cancellable");
  // The operator may cancel too.
  ASSERT_OK(h().Cancel(h().Operator(), h().OrderId(merchant, 1)));
  EXPECT_EQ(h().Balance(customer), 10'000u);
  h().ExpectBalanced();
}

// ---------------------------------------------------------------------------
// Refunds.

TEST_F(PaymentsServiceTest, FullRefundReturnsTheWholeFee) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId(60);
  ASSERT_OK(h().TopUp(customer, 10'000));
  const Id128 paid = h().Paid(customer, merchant, 10'000);
  Reply r = h().Refund(h().Merchant(merchant), paid);
  ASSERT_OK(r);
  EXPECT_EQ(r.http_status, 201);
  rapidjson::Document refund = Parse(r.body);
  EXPECT_EQ(S(refund, "object"), "refund");
  EXPECT_EQ(U(refund, "amount"), 10'000u);
  EXPECT_EQ(U(refund, "fee_returned"), 60u);
  EXPECT_EQ(I(refund, "customer_id"), customer);
  EXPECT_EQ(h().Balance(customer), 10'000u);
  EXPECT_EQ(h().MerchantBalance(merchant), 0u);
  EXPECT_EQ(U(h().Recon(), "fee_income"), 0u);
  rapidjson::Document p = Parse(h().GetPayment(h().Operator(), paid).body);
  EXPECT_EQ(U(p, "refunded"), 10'000u);
  EXPECT_EQ(U(p, "fee_refunded"), 60u);
  EXPECT_EQ(S(p, "status"), "succeeded");
  EXPECT_ERR(h().Refund(h().Merchant(merchant), paid), "refund_exceeds_payment");
  EXPECT_ERR(h().Refund(h().Merchant(merchant), paid, 1), "refund_exceeds_payment");
  h().ExpectBalanced();
}

TEST_F(PaymentsServiceTest, PartialRefundsReturnTheFeeExactly) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId(60);
  ASSERT_OK(h().TopUp(customer, 1'000));
  const Id128 paid = h().Paid(customer, merchant, 333);
  // 333 * 0.006 = 1.998 -> 2.
  EXPECT_EQ(U(Parse(h().GetPayment(h().Operator(), paid).body), "fee"), 2u);
  AmountMinor returned = 0;
  for (std::optional<AmountMinor> part : {std::optional<AmountMinor>(111),
                                          std::optional<AmountMinor>(111), std::optional<AmountMinor>()}) {
    Reply r = h().Refund(h().Operator(), paid, part);
    ASSERT_OK(r);
    rapidjson::Document d = Parse(r.body);
    EXPECT_EQ(U(d, "amount"), 111u);
    returned += U(d, "fee_returned");
    h().ExpectBalanced();
  }
  EXPECT_EQ(returned, 2u);
  EXPECT_EQ(h().Balance(customer), 1'000u);
  EXPECT_EQ(h().MerchantBalance(merchant), 0u);
  EXPECT_EQ(U(h().Recon(), "fee_income"), 0u);
  Call call = h().Merchant(merchant);
  Reply list = h().Run([&](ReplyFn done) { h().svc().ListRefunds(call, paid, std::move(done)); });
  ASSERT_OK(list);
  EXPECT_EQ(Parse(list.body)["data"].Size(), 3u);
}

TEST_F(PaymentsServiceTest, PartialRefundTwiceThenTheRest) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId(60);
  ASSERT_OK(h().TopUp(customer, 10'000));
  const Id128 paid = h().Paid(customer, merchant, 10'000);  // fee 60
  Reply first = h().Refund(h().Merchant(merchant), paid, 2'500);
  ASSERT_OK(first);
  EXPECT_EQ(U(Parse(first.body), "fee_returned"), 15u);
  Reply second = h().Refund(h().Merchant(merchant), paid, 2'500);
  ASSERT_OK(second);
  EXPECT_EQ(U(Parse(second.body), "fee_returned"), 15u);
  EXPECT_EQ(h().Balance(customer), 5'000u);
  EXPECT_EQ(h().MerchantBalance(merchant), 10'000u - 60u - 2 * 2'485u);
  EXPECT_ERR(h().Refund(h().Merchant(merchant), paid, 5'001), "refund_exceeds_payment");
  Reply rest = h().Refund(h().Merchant(merchant), paid);
  ASSERT_OK(rest);
  EXPECT_EQ(U(Parse(rest.body), "amount"), 5'000u);
  EXPECT_EQ(U(Parse(rest.body), "fee_returned"), 30u);
  EXPECT_EQ(h().Balance(customer), 10'000u);
  h().ExpectBalanced();
}

TEST_F(PaymentsServiceTest, RefundFeeKeepPolicyChargesTheMerchantAll) {
  PaymentsConfig config;
  config.refund_fee = RefundFeePolicy::kKeep;
  Reset(config);
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId(60);
  const Id128 rich = h().NewCustomerId();
  ASSERT_OK(h().TopUp(customer, 10'000));
  ASSERT_OK(h().TopUp(rich, 10'000));
  const Id128 paid = h().Paid(customer, merchant, 10'000);
  // The merchant holds 9,940 and must give back all 10,000.
  EXPECT_ERR(h().Refund(h().Merchant(merchant), paid), "merchant_balance_insufficient");
  h().Paid(rich, merchant, 100);
  Reply r = h().Refund(h().Merchant(merchant), paid);
  ASSERT_OK(r);
  EXPECT_EQ(U(Parse(r.body), "fee_returned"), 0u);
  EXPECT_EQ(h().Balance(customer), 10'000u);
  EXPECT_EQ(U(h().Recon(), "fee_income"), 61u);
  h().ExpectBalanced();
}

TEST_F(PaymentsServiceTest, RefundBeyondThePaymentIsRefused) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId(60);
  ASSERT_OK(h().TopUp(customer, 5'000));
  const Id128 paid = h().Paid(customer, merchant, 1'000);
  EXPECT_ERR(h().Refund(h().Merchant(merchant), paid, 1'001), "refund_exceeds_payment");
  EXPECT_ERR(h().Refund(h().Merchant(merchant), paid, core::kAmountMax), "refund_exceeds_payment");
  ASSERT_OK(h().Refund(h().Merchant(merchant), paid, 1'000));  // exactly all
  EXPECT_ERR(h().Refund(h().Merchant(merchant), paid, 1), "refund_exceeds_payment");
  EXPECT_EQ(h().Balance(customer), 5'000u);
  h().ExpectBalanced();
}

// ---------------------------------------------------------------------------
// Tier allowances.

TEST_F(PaymentsServiceTest, TierOneLifetimeAllowance) {
  const Id128 customer = h().NewCustomerId(1);
  const Id128 friend_ = h().NewCustomerId(3);
  const Id128 merchant = h().NewMerchantId(60);
  ASSERT_OK(h().TopUp(customer, 300'000));  // top-ups do not count
  rapidjson::Document w = Parse(h().Wallet(customer).body);
  EXPECT_EQ(U(w, "tier_limit"), 100'000u);
  EXPECT_EQ(S(w, "tier_period"), "lifetime");
  EXPECT_EQ(U(w, "allowance_left"), 100'000u);

  ASSERT_OK(h().Pay(customer, h().OrderId(merchant, 60'000)));
  ASSERT_OK(h().Transfer(customer, friend_, 30'000));
  const Id128 last = h().Paid(customer, merchant, 10'000);  // exactly 1,000 CNY in all
  w = Parse(h().Wallet(customer).body);
  EXPECT_EQ(U(w, "allowance_used"), 100'000u);
  EXPECT_EQ(U(w, "allowance_left"), 0u);
  EXPECT_EQ(U(w, "balance"), 200'000u);

  const Id128 order = h().OrderId(merchant, 1);
  EXPECT_ERR(h().Pay(customer, order), "tier_limit_exceeded");
  EXPECT_ERR(h().Direct(customer, merchant, 1), "tier_limit_exceeded");
  EXPECT_ERR(h().Transfer(customer, friend_, 1), "tier_limit_exceeded");
  EXPECT_EQ(h().Balance(customer), 200'000u);
  // Withdrawals are not payments; refunds do not give the allowance back.
  ASSERT_OK(h().Withdraw(customer, 1));
  ASSERT_OK(h().Refund(h().Merchant(merchant), last));
  EXPECT_ERR(h().Direct(customer, merchant, 1), "tier_limit_exceeded");
  // A new year does not help a lifetime tier.
  h().clock().AdvanceNs(400 * kDayNs);
  EXPECT_ERR(h().Direct(customer, merchant, 1), "tier_limit_exceeded");

  // Upgraded to tier II: the yearly allowance counts this year's payments only.
  Call call = h().Operator();
  Reply up = h().Run([&](ReplyFn done) { h().svc().SetCustomerTier(call, customer, 2, std::move(done)); });
  ASSERT_OK(up);
  EXPECT_EQ(U(Parse(up.body), "tier"), 2u);
  w = Parse(h().Wallet(customer).body);
  EXPECT_EQ(U(w, "tier_limit"), 10'000'000u);
  EXPECT_EQ(U(w, "allowance_used"), 0u);
  EXPECT_ERR(h().Pay(customer, order), "payment_expired");  // 15 minutes were long over
  ASSERT_OK(h().Pay(customer, h().OrderId(merchant, 1)));
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().SetCustomerTier(h().Operator(), customer, 4, std::move(done)); }),
             "unknown_tier");
  h().ExpectBalanced();
}

TEST_F(PaymentsServiceTest, TierTwoYearlyAllowanceStartsAgainInJanuary) {
  const Id128 customer = h().NewCustomerId(2);
  const Id128 merchant = h().NewMerchantId(0);
  ASSERT_OK(h().TopUp(customer, 20'000'000));
  ASSERT_OK(h().Direct(customer, merchant, 9'999'999));
  ASSERT_OK(h().Direct(customer, merchant, 1));
  EXPECT_ERR(h().Direct(customer, merchant, 1), "tier_limit_exceeded");
  // 2027-01-01 00:00 in China is 2026-12-31T16:00Z.
  const uint64_t new_year = 1'798'732'800'000'000'000ull;
  h().clock().AdvanceNs(new_year - kT0 - 1);
  EXPECT_ERR(h().Direct(customer, merchant, 1), "tier_limit_exceeded");
  h().clock().AdvanceNs(1);
  rapidjson::Document w = Parse(h().Wallet(customer).body);
  EXPECT_EQ(U(w, "allowance_left"), 10'000'000u);
  EXPECT_EQ(S(w, "tier_period"), "year");
  ASSERT_OK(h().Direct(customer, merchant, 10'000'000));
  EXPECT_ERR(h().Direct(customer, merchant, 1), "tier_limit_exceeded");
  h().ExpectBalanced();
}

// ---------------------------------------------------------------------------
// Currencies.

TEST_F(PaymentsServiceTest, UnknownCurrencyIsRefused) {
  const Id128 customer = h().NewCustomerId();
  const Id128 other = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId();
  EXPECT_ERR(h().TopUp(customer, 100, "USD"), "unknown_currency");
  EXPECT_ERR(h().TopUp(customer, 100, ""), "unknown_currency");
  EXPECT_ERR(h().Transfer(customer, other, 100, "USD"), "unknown_currency");
  EXPECT_ERR(h().Order(merchant, 100, {}, "USD"), "unknown_currency");
  EXPECT_ERR(h().Direct(customer, merchant, 100, "cny"), "unknown_currency");
  EXPECT_ERR(h().NewMerchantReply(60, "USD"), "unknown_currency");
  EXPECT_EQ(h().Balance(customer), 0u);
}

TEST_F(PaymentsServiceTest, CurrencyMismatchIsRefused) {
  PaymentsConfig config;
  config.currencies.push_back({"USD", 840, 2});
  Reset(config);
  const Id128 yuan = h().NewCustomerId(3, "CNY");
  const Id128 dollar = h().NewCustomerId(3, "USD");
  const Id128 shop_usd = h().NewMerchantId(60, "USD");
  const Id128 shop_cny = h().NewMerchantId(60, "CNY");
  ASSERT_OK(h().TopUp(yuan, 10'000, "CNY"));
  ASSERT_OK(h().TopUp(dollar, 10'000, "USD"));
  EXPECT_ERR(h().TopUp(yuan, 100, "USD"), "currency_mismatch");
  EXPECT_ERR(h().Withdraw(dollar, 100, "CNY"), "currency_mismatch");
  EXPECT_ERR(h().Transfer(yuan, dollar, 100, "CNY"), "currency_mismatch");
  EXPECT_ERR(h().Transfer(yuan, dollar, 100, "USD"), "currency_mismatch");
  EXPECT_ERR(h().Order(shop_usd, 100, {}, "CNY"), "currency_mismatch");
  Reply order = h().Order(shop_usd, 100, {}, "USD");
  ASSERT_OK(order);
  EXPECT_EQ(S(Parse(order.body), "currency"), "USD");
  const Id128 usd_order = I(Parse(order.body), "id");
  EXPECT_ERR(h().Pay(yuan, usd_order), "currency_mismatch");
  EXPECT_ERR(h().Direct(yuan, shop_usd, 100, "USD"), "currency_mismatch");
  EXPECT_ERR(h().Direct(yuan, shop_usd, 100, "CNY"), "currency_mismatch");
  EXPECT_ERR(h().Direct(dollar, shop_cny, 100, "CNY"), "currency_mismatch");
  EXPECT_EQ(h().Balance(yuan), 10'000u);
  ASSERT_OK(h().Pay(dollar, usd_order));
  ASSERT_OK(h().Direct(yuan, shop_cny, 100, "CNY"));
  h().ExpectBalanced();
  rapidjson::Document usd = h().Recon("USD");
  EXPECT_EQ(U(usd, "ledger"), 840u);
  EXPECT_EQ(U(usd, "reserve"), 10'000u);
  EXPECT_EQ(U(usd, "wallets"), 9'900u);
  EXPECT_EQ(U(h().Recon("CNY"), "wallets"), 9'900u);
}

// ---------------------------------------------------------------------------
// Unknown things and authorization.

TEST_F(PaymentsServiceTest, UnknownPartiesAndPayments) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId();
  const Id128 nobody{7, 7};
  EXPECT_ERR(h().TopUp(nobody, 100), "unknown_customer");
  EXPECT_ERR(h().Wallet(nobody), "unknown_customer");
  EXPECT_ERR(h().Transfer(customer, nobody, 1), "unknown_customer");
  EXPECT_ERR(h().Direct(customer, nobody, 1), "unknown_merchant");
  EXPECT_ERR(h().GetMerchant(nobody), "unknown_merchant");
  EXPECT_ERR(h().Pay(customer, nobody), "forbidden");  // a customer learns nothing
  EXPECT_ERR(h().GetPayment(h().Operator(), nobody), "unknown_payment");
  EXPECT_ERR(h().Refund(h().Operator(), nobody), "unknown_payment");
  EXPECT_ERR(h().Cancel(h().Operator(), nobody), "unknown_payment");
  EXPECT_ERR(h().GetSettlement(h().Operator(), nobody), "unknown_settlement");
  EXPECT_ERR(h().MarkPaid(nobody), "unknown_settlement");
  // A principal whose party does not exist.
  EXPECT_ERR(h().Pay(nobody, h().OrderId(merchant, 5)), "unknown_customer");
  EXPECT_ERR(h().OrderAs(h().Merchant(nobody), 5), "unknown_merchant");
  Call call = h().Operator();
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().SetCustomerTier(call, nobody, 1, std::move(done)); }),
             "unknown_customer");
}

TEST_F(PaymentsServiceTest, AuthorizationRefusesWithoutRevealing) {
  const Id128 alice = h().NewCustomerId();
  const Id128 bob = h().NewCustomerId();
  const Id128 shop = h().NewMerchantId();
  const Id128 rival = h().NewMerchantId();
  ASSERT_OK(h().TopUp(alice, 10'000));
  ASSERT_OK(h().TopUp(bob, 10'000));
  const Id128 alices = h().Paid(alice, shop, 1'000);
  const Id128 nonexistent{alices.hi + 1000, 1};

  // Bob cannot see Alice's payment; a missing one answers the same.
  Reply theirs = h().GetPayment(h().Customer(bob), alices);
  Reply missing = h().GetPayment(h().Customer(bob), nonexistent);
  EXPECT_ERR(theirs, "forbidden");
  EXPECT_ERR(missing, "forbidden");
  EXPECT_EQ(theirs.message, missing.message);
  EXPECT_OK(h().GetPayment(h().Customer(alice), alices));
  EXPECT_OK(h().GetPayment(h().Merchant(shop), alices));
  EXPECT_ERR(h().GetPayment(h().Merchant(rival), alices), "forbidden");
  EXPECT_ERR(h().GetPayment(h().Merchant(rival), nonexistent), "forbidden");
  Call bob_call = h().Customer(bob);
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().ListRefunds(bob_call, alices, std::move(done)); }),
             "forbidden");
  // Bob cannot pay (or probe) Alice's paid payment; Alice is told it is paid.
  Reply pay_theirs = h().Pay(bob, alices);
  Reply pay_missing = h().Pay(bob, nonexistent);
  EXPECT_ERR(pay_theirs, "forbidden");
  EXPECT_ERR(pay_missing, "forbidden");
  EXPECT_EQ(pay_theirs.message, pay_missing.message);
  EXPECT_ERR(h().Pay(alice, alices), "payment_not_payable");
  EXPECT_EQ(h().Balance(bob), 10'000u);
  // Lists show one's own only.
  EXPECT_EQ(Parse(h().ListPayments(h().Customer(bob)).body)["data"].Size(), 0u);
  EXPECT_EQ(Parse(h().ListPayments(h().Merchant(rival)).body)["data"].Size(), 0u);
  EXPECT_EQ(Parse(h().ListPayments(h().Operator()).body)["data"].Size(), 1u);

  // A merchant refunds its own payments only; customers not at all.
  EXPECT_ERR(h().Refund(h().Merchant(rival), alices), "forbidden");
  EXPECT_ERR(h().Refund(h().Merchant(rival), nonexistent), "forbidden");
  EXPECT_ERR(h().Refund(h().Customer(alice), alices), "forbidden");
  EXPECT_EQ(h().Balance(alice), 9'000u);

  // Wallets are their owner's.
  Call as_bob = h().Customer(bob);
  EXPECT_ERR(h().TopUpAs(as_bob, alice, 100), "forbidden");
  EXPECT_OK(h().TopUpAs(as_bob, bob, 100));
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().GetWallet(as_bob, alice, std::move(done)); }),
             "forbidden");
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().GetCustomer(as_bob, alice, std::move(done)); }),
             "forbidden");
  EXPECT_OK(h().Run([&](ReplyFn done) { h().svc().GetWallet(as_bob, bob, std::move(done)); }));
  // (A fresh call each: one idempotency key per request.)
  MoneyInput steal{alice, bob, 100, "CNY"};
  Call bob_transfers = h().Customer(bob);
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().TransferBetweenWallets(bob_transfers, steal, std::move(done)); }),
             "forbidden");
  Call bob_withdraws = h().Customer(bob);
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().Withdraw(bob_withdraws, steal, std::move(done)); }),
             "forbidden");
  EXPECT_EQ(h().Balance(alice), 9'000u);
  // Merchants make orders for themselves; the operator makes none.
  NewPayment for_rival{rival, 100, "CNY", "", {}};
  Call as_shop = h().Merchant(shop);
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().CreatePayment(as_shop, for_rival, std::move(done)); }),
             "forbidden");
  EXPECT_ERR(h().OrderAs(h().Operator(), 100), "forbidden");
  Call as_rival = h().Merchant(rival);
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().GetMerchant(as_rival, shop, std::move(done)); }),
             "forbidden");
  // Settlement and reconciliation are the operator's.
  h().clock().AdvanceNs(kDayNs);
  EXPECT_ERR(h().Settle(kDay0, as_shop), "forbidden");
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().GetReconciliation(as_shop, std::move(done)); }),
             "forbidden");
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().ListSettlements(as_bob, {}, std::move(done)); }),
             "forbidden");
  Reply settled = h().Settle(kDay0);
  ASSERT_OK(settled);
  const Id128 settlement = I(Parse(settled.body)["settlements"]["data"][0], "id");
  EXPECT_ERR(h().GetSettlement(as_rival, settlement), "forbidden");
  EXPECT_ERR(h().GetSettlement(as_rival, nonexistent), "forbidden");
  EXPECT_OK(h().GetSettlement(as_shop, settlement));
  EXPECT_ERR(h().MarkPaid(settlement, as_shop), "forbidden");
  h().ExpectBalanced();
}

// ---------------------------------------------------------------------------
// Idempotency.

TEST_F(PaymentsServiceTest, IdempotentRetryReplaysWithoutMovingMoneyTwice) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId();
  Call call = h().Operator();
  call.idempotency_key = "top-up-2026-11-25-001";
  call.fingerprint = "sha256-a";
  Reply first = h().TopUpAs(call, customer, 5'000);
  ASSERT_OK(first);
  EXPECT_FALSE(first.replayed);
  Reply retry = h().TopUpAs(call, customer, 5'000);
  ASSERT_OK(retry);
  EXPECT_TRUE(retry.replayed);
  EXPECT_EQ(retry.body, first.body);
  EXPECT_EQ(retry.http_status, 201);
  EXPECT_EQ(h().Balance(customer), 5'000u);

  Call changed = call;
  changed.fingerprint = "sha256-b";
  EXPECT_ERR(h().TopUpAs(changed, customer, 6'000), "idempotency_key_reused");
  EXPECT_EQ(h().Balance(customer), 5'000u);

  // Keys belong to the API key that sent them.
  Call other_key = call;
  other_key.principal.key_id = "operator-key-2";
  ASSERT_OK(h().TopUpAs(other_key, customer, 5'000));
  EXPECT_EQ(h().Balance(customer), 10'000u);

  // Paying is idempotent as well: the retry answers succeeded, not "already paid".
  const Id128 order = h().OrderId(merchant, 700);
  Call pay = h().Customer(customer);
  Reply paid = h().PayAs(pay, order);
  ASSERT_OK(paid);
  Reply paid_again = h().PayAs(pay, order);
  ASSERT_OK(paid_again);
  EXPECT_TRUE(paid_again.replayed);
  EXPECT_EQ(paid_again.body, paid.body);
  EXPECT_EQ(h().Balance(customer), 9'300u);

  // After the TTL the key is forgotten and the request runs again.
  h().clock().AdvanceNs(h().config().idempotency_ttl_s * kSecondNs - 1);
  EXPECT_TRUE(h().TopUpAs(call, customer, 5'000).replayed);
  h().clock().AdvanceNs(1);
  h().svc().SweepNow();
  Reply fresh = h().TopUpAs(call, customer, 5'000);
  ASSERT_OK(fresh);
  EXPECT_FALSE(fresh.replayed);
  EXPECT_EQ(h().Balance(customer), 14'300u);
  h().ExpectBalanced();
}

TEST_F(PaymentsServiceTest, IdempotencyKeyIsRequiredAndChecked) {
  const Id128 customer = h().NewCustomerId();
  for (const std::string& bad : {std::string(), std::string("has space"), std::string("tab\tkey"),
                                 std::string(256, 'k'), std::string("ключ")}) {
    Call call = h().Operator();
    call.idempotency_key = bad;
    EXPECT_ERR(h().TopUpAs(call, customer, 100), "idempotency_key_invalid") << bad;
  }
  Call longest = h().Operator();
  longest.idempotency_key = std::string(255, 'k');
  EXPECT_OK(h().TopUpAs(longest, customer, 100));
  EXPECT_EQ(h().Balance(customer), 100u);
  // Reads need none.
  Call read = h().Operator();
  read.idempotency_key.clear();
  EXPECT_OK(h().Run([&](ReplyFn done) { h().svc().GetWallet(read, customer, std::move(done)); }));
  // A refused request records nothing: the same key may then succeed.
  Call call = h().Operator();
  EXPECT_ERR(h().TopUpAs(call, customer, 0), "invalid_amount");
  Reply ok = h().TopUpAs(call, customer, 1);
  ASSERT_OK(ok);
  EXPECT_FALSE(ok.replayed);
}

TEST_F(PaymentsServiceTest, IdempotencyRecordsSurviveARestartSealed) {
  Call call = h().Operator();
  NewMerchant in{kShop, 60, "", "CNY"};
  Reply created = h().Run([&](ReplyFn done) { h().svc().CreateMerchant(call, in, std::move(done)); });
  ASSERT_OK(created);
  ASSERT_NE(created.body.find("webhook_secret"), std::string::npos);
  // The record of a body with a secret is sealed at rest.
  auto events = h().ledger().store().ReadEvents({0, Id128::Zero(), core::kQueryLimitMax});
  ASSERT_TRUE(events.ok());
  const std::string secret = S(Parse(created.body), "webhook_secret");
  for (const store::RoleEvent& e : events.value()) {
    EXPECT_EQ(e.payload.find(secret), std::string::npos) << e.type;
  }
  h().Restart();
  Reply again = h().Run([&](ReplyFn done) { h().svc().CreateMerchant(call, in, std::move(done)); });
  ASSERT_OK(again);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.body, created.body);
  EXPECT_EQ(again.http_status, 201);
  EXPECT_EQ(h().Recon()["merchant_count"].GetUint64(), 1u);
}

// ---------------------------------------------------------------------------
// Settlement.

TEST_F(PaymentsServiceTest, SettlementOfADay) {
  const Id128 alice = h().NewCustomerId();
  const Id128 bob = h().NewCustomerId();
  const Id128 m1 = h().NewMerchantId(60);
  const Id128 m2 = h().NewMerchantId(100);
  const Id128 idle = h().NewMerchantId(60);
  ASSERT_OK(h().TopUp(alice, 1'000'000));
  ASSERT_OK(h().TopUp(bob, 1'000'000));
  // Day 0 (China): 10:00.
  const Id128 p1 = h().OrderId(m1, 10'000);
  ASSERT_OK(h().Pay(alice, p1));                       // fee 60
  h().Paid(bob, m1, 5'000);                            // fee 30
  const Id128 p3 = h().Paid(alice, m2, 20'000);        // fee 200
  ASSERT_OK(h().Refund(h().Merchant(m1), p1, 2'000));  // fee returned 12: merchant part 1,988
  h().ExpectBalanced();
  // 23:00 on day 0.
  h().clock().AdvanceNs(13 * kHourNs);
  h().Paid(bob, m2, 333);  // fee 3
  EXPECT_ERR(h().Settle(kDay0), "invalid_date");  // not over yet
  // 01:00 on day 1: a payment of day 1.
  h().clock().AdvanceNs(2 * kHourNs);
  h().Paid(alice, m1, 7'000);  // fee 42
  EXPECT_ERR(h().Settle(kDay1), "invalid_date");
  EXPECT_ERR(h().Settle(20261131), "invalid_date");
  EXPECT_ERR(h().Settle(kDay1 + 1), "invalid_date");

  Reply run = h().Settle(kDay0);
  ASSERT_OK(run);
  EXPECT_EQ(run.http_status, 201);
  rapidjson::Document d = Parse(run.body);
  EXPECT_EQ(S(d, "business_date"), "2026-11-25");
  ASSERT_EQ(d["settlements"]["data"].Size(), 2u);  // none for the idle merchant
  std::map<Id128, Id128> settlement_of;
  for (const auto& s : d["settlements"]["data"].GetArray()) {
    const Id128 merchant = I(s, "merchant_id");
    settlement_of[merchant] = I(s, "id");
    EXPECT_EQ(S(s, "status"), "payable");
    EXPECT_EQ(S(s, "business_date"), "2026-11-25");
    EXPECT_EQ(U(s, "carry_in"), 0u);
    EXPECT_EQ(U(s, "carry_out"), 0u);
    if (merchant == m1) {
      EXPECT_EQ(U(s, "gross"), 15'000u);
      EXPECT_EQ(U(s, "fees"), 90u);
      EXPECT_EQ(U(s, "refunds"), 1'988u);
      EXPECT_EQ(U(s, "amount"), 15'000u - 90u - 1'988u);
      EXPECT_EQ(U(s, "payment_count"), 2u);
      EXPECT_EQ(U(s, "refund_count"), 1u);
    } else {
      EXPECT_EQ(merchant, m2);
      EXPECT_EQ(U(s, "gross"), 20'333u);
      EXPECT_EQ(U(s, "fees"), 203u);
      EXPECT_EQ(U(s, "refunds"), 0u);
      EXPECT_EQ(U(s, "amount"), 20'130u);
      EXPECT_EQ(U(s, "payment_count"), 2u);
    }
  }
  ASSERT_EQ(settlement_of.size(), 2u);
  EXPECT_EQ(settlement_of.count(idle), 0u);
  // The settled money moved to the payables; day 1's payment stays.
  EXPECT_EQ(h().MerchantBalance(m1), 7'000u - 42u);
  EXPECT_EQ(h().MerchantBalance(m2), 0u);
  rapidjson::Document recon = h().Recon();
  EXPECT_EQ(U(recon, "settlement_payables"), 12'922u + 20'130u);
  EXPECT_EQ(U(recon, "merchants"), 6'958u);
  h().ExpectBalanced();
  EXPECT_TRUE(Parse(h().GetPayment(h().Operator(), p1).body)["settled"].GetBool());

  // Running the day again makes nothing new.
  Reply rerun = h().Settle(kDay0);
  ASSERT_OK(rerun);
  EXPECT_EQ(Parse(rerun.body)["settlements"]["data"].Size(), 0u);
  EXPECT_EQ(U(h().Recon(), "settlement_payables"), 12'922u + 20'130u);
  Call list = h().Operator();
  Reply all = h().Run([&](ReplyFn done) { h().svc().ListSettlements(list, {}, std::move(done)); });
  EXPECT_EQ(Parse(all.body)["data"].Size(), 2u);
  Call as_m1 = h().Merchant(m1);
  Reply mine = h().Run([&](ReplyFn done) { h().svc().ListSettlements(as_m1, {}, std::move(done)); });
  EXPECT_EQ(Parse(mine.body)["data"].Size(), 1u);

  // The settlement file: a header, a line per payment and refund, carries, totals.
  Reply file = h().SettlementFile(settlement_of[m1]);
  ASSERT_OK(file);
  std::istringstream lines(file.body);
  std::string line;
  int payments = 0, refunds = 0, totals = 0, header = 0;
  int64_t nets = 0;  // of every line but the header and the total
  while (std::getline(lines, line)) {
    const std::string net = line.substr(line.rfind(',') + 1);
    if (line.rfind("record,", 0) != 0 && line.rfind("total,", 0) != 0) nets += std::stoll(net);
    if (line.rfind("total,", 0) == 0) {
      EXPECT_EQ(std::stoll(net), 12'922);
    }
    if (line.rfind("record,", 0) == 0) ++header;
    if (line.rfind("payment,", 0) == 0) ++payments;
    if (line.rfind("refund,", 0) == 0) {
      ++refunds;
      EXPECT_NE(line.find(",2000,12,-1988"), std::string::npos) << line;
    }
    if (line.rfind("total,", 0) == 0) {
      ++totals;
      EXPECT_NE(line.find(",CNY,15000,90,12922"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(nets, 12'922);  // the lines sum to the amount settled
  EXPECT_EQ(header, 1);
  EXPECT_EQ(payments, 2);
  EXPECT_EQ(refunds, 1);
  EXPECT_EQ(totals, 1);
  // The sweep writes the same file under settlement_dir/date/merchant.csv.
  h().svc().SweepNow();
  const std::string path =
      h().settlement_dir() + "/2026-11-25/" + m1.ToDecimal() + ".csv";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path;
  std::stringstream written;
  written << in.rdbuf();
  EXPECT_EQ(written.str(), file.body);
  // A file lost before it was written (a crash after the settlement's batch
  // was durable) is written again after the restart.
  std::filesystem::remove(path);
  h().Restart();
  h().svc().SweepNow();
  std::ifstream again(path);
  ASSERT_TRUE(again.good()) << path;
  std::stringstream rewritten;
  rewritten << again.rdbuf();
  EXPECT_EQ(rewritten.str(), file.body);

  // A refund of a settled payment needs money the merchant no longer holds.
  EXPECT_ERR(h().Refund(h().Merchant(m2), p3, 1), "merchant_balance_insufficient");
  EXPECT_EQ(h().Balance(alice), 1'000'000u - 10'000u - 20'000u - 7'000u + 2'000u);

  // Paid out: the payable leaves the reserve.
  const uint64_t reserve = U(h().Recon(), "reserve");
  Reply paid = h().MarkPaid(settlement_of[m1]);
  ASSERT_OK(paid);
  EXPECT_EQ(S(Parse(paid.body), "status"), "paid");
  EXPECT_EQ(U(Parse(paid.body), "paid_at"), h().clock().NowNs());
  EXPECT_ERR(h().MarkPaid(settlement_of[m1]), "settlement_not_payable");
  recon = h().Recon();
  EXPECT_EQ(U(recon, "reserve"), reserve - 12'922u);
  EXPECT_EQ(U(recon, "settlement_payables"), 20'130u);
  h().ExpectBalanced();

  // Day 1 settles day 1's payment only.
  h().clock().AdvanceNs(kDayNs);
  Reply next = h().Settle(kDay1);
  ASSERT_OK(next);
  rapidjson::Document n = Parse(next.body);
  ASSERT_EQ(n["settlements"]["data"].Size(), 1u);
  EXPECT_EQ(I(n["settlements"]["data"][0], "merchant_id"), m1);
  EXPECT_EQ(U(n["settlements"]["data"][0], "amount"), 6'958u);
  EXPECT_EQ(h().MerchantBalance(m1), 0u);
  h().ExpectBalanced();
}

// Regression: settling a day late, after a refund on the next day and a
// payment on the day after, left the next day's net negative, and
// SettleMerchant aborted the process on NETFIN_ASSERT(net >= 0).
TEST_F(PaymentsServiceTest, LateSettlementAfterRefundDoesNotAbort) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId(0);
  ASSERT_OK(h().TopUp(customer, 1'000));
  const Id128 first = h().Paid(customer, merchant, 100);  // day 0
  h().clock().AdvanceNs(kDayNs);
  ASSERT_OK(h().Refund(h().Merchant(merchant), first));  // day 1
  h().clock().AdvanceNs(kDayNs);
  h().Paid(customer, merchant, 100);  // day 2
  h().clock().AdvanceNs(kDayNs);
  // Day 3: the operator catches up, a day at a time.
  Reply day0 = h().Settle(kDay0);
  ASSERT_OK(day0);
  h().ExpectBalanced();
  Reply day1 = h().Settle(kDay1);
  ASSERT_OK(day1);
  h().ExpectBalanced();
  Reply day2 = h().Settle(kDay1 + 1);
  ASSERT_OK(day2);
  h().ExpectBalanced();
  // Over the three days the merchant earned 100 and gave 100 back: what it
  // was paid in total is what it earned.
  uint64_t settled = 0;
  for (const Reply* r : {&day0, &day1, &day2}) {
    const rapidjson::Document d = Parse(r->body);
    for (const auto& s : d["settlements"]["data"].GetArray()) settled += U(s, "amount");
  }
  EXPECT_EQ(settled + h().MerchantBalance(merchant), 100u);
  EXPECT_EQ(h().Balance(customer), 900u);
}

TEST_F(PaymentsServiceTest, SettlementCarriesAShortfall) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId(0);
  ASSERT_OK(h().TopUp(customer, 1'000));
  const Id128 paid = h().Paid(customer, merchant, 300);  // day 0
  h().clock().AdvanceNs(kDayNs);
  ASSERT_OK(h().Refund(h().Merchant(merchant), paid, 200));  // day 1, before settling day 0
  Reply day0 = h().Settle(kDay0);
  ASSERT_OK(day0);
  rapidjson::Document s = Parse(day0.body);
  ASSERT_EQ(s["settlements"]["data"].Size(), 1u);
  EXPECT_EQ(U(s["settlements"]["data"][0], "amount"), 100u);
  EXPECT_EQ(U(s["settlements"]["data"][0], "carry_out"), 200u);
  h().clock().AdvanceNs(kDayNs);
  Reply day1 = h().Settle(kDay1);
  ASSERT_OK(day1);
  s = Parse(day1.body);
  ASSERT_EQ(s["settlements"]["data"].Size(), 1u);
  EXPECT_EQ(U(s["settlements"]["data"][0], "carry_in"), 200u);
  EXPECT_EQ(U(s["settlements"]["data"][0], "refunds"), 200u);
  EXPECT_EQ(U(s["settlements"]["data"][0], "amount"), 0u);
  EXPECT_EQ(U(s["settlements"]["data"][0], "carry_out"), 0u);
  h().ExpectBalanced();
}

TEST_F(PaymentsServiceTest, EarlySettlementClosesTodaySoFar) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId(0);
  ASSERT_OK(h().TopUp(customer, 1'000));
  h().Paid(customer, merchant, 100);
  EXPECT_ERR(h().Settle(kDay0), "invalid_date");
  EXPECT_ERR(h().Settle(kDay1, std::nullopt, true), "invalid_date");  // tomorrow, even early
  Reply early = h().Settle(kDay0, std::nullopt, true);
  ASSERT_OK(early);
  rapidjson::Document d = Parse(early.body);
  ASSERT_EQ(d["settlements"]["data"].Size(), 1u);
  EXPECT_EQ(U(d["settlements"]["data"][0], "amount"), 100u);
  // A later payment of the same day goes into the next day's settlement.
  h().clock().AdvanceNs(kHourNs);
  h().Paid(customer, merchant, 50);
  EXPECT_EQ(Parse(h().Settle(kDay0, std::nullopt, true).body)["settlements"]["data"].Size(), 0u);
  h().clock().AdvanceNs(2 * kDayNs);
  Reply next = h().Settle(kDay1);
  ASSERT_OK(next);
  d = Parse(next.body);
  ASSERT_EQ(d["settlements"]["data"].Size(), 1u);
  EXPECT_EQ(U(d["settlements"]["data"][0], "amount"), 50u);
  EXPECT_EQ(U(d["settlements"]["data"][0], "payment_count"), 1u);
  EXPECT_EQ(h().MerchantBalance(merchant), 0u);
  h().ExpectBalanced();
}

// ---------------------------------------------------------------------------
// Webhooks.

TEST_F(PaymentsServiceTest, WebhooksAreDeliveredRetriedAndAbandoned) {
  const Id128 customer = h().NewCustomerId();
  const Id128 hooked = h().NewMerchantId(60, "CNY", "http://shop.example/hook");
  const Id128 quiet = h().NewMerchantId(60);
  ASSERT_OK(h().TopUp(customer, 10'000));
  h().Paid(customer, quiet, 100);
  EXPECT_TRUE(h().svc().DueWebhooks(10).empty());
  const Id128 paid = h().Paid(customer, hooked, 100);
  auto due = h().svc().DueWebhooks(10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].attempt, 1u);
  EXPECT_EQ(due[0].url, "http://shop.example/hook");
  EXPECT_EQ(due[0].secret, h().svc().WebhookSecret(hooked));
  rapidjson::Document body = Parse(due[0].body);
  EXPECT_EQ(S(body, "type"), "payment.succeeded");
  EXPECT_EQ(S(body, "id"), std::to_string(due[0].event_sequence));
  EXPECT_EQ(I(body["data"], "id"), paid);
  EXPECT_EQ(I(body["data"], "merchant_id"), hooked);
  EXPECT_EQ(I(body["data"], "customer_id"), customer);
  EXPECT_EQ(U(body["data"], "amount"), 100u);
  EXPECT_EQ(U(body["data"], "fee"), 1u);  // 60 bps of 100, rounded half to even
  // The data is the stored event as the feed shows it.
  auto stored = h().ledger().store().ReadEvents({due[0].event_sequence - 1, Id128::Zero(), 1});
  ASSERT_TRUE(stored.ok() && stored->size() == 1u);
  EXPECT_EQ(due[0].body, EventEnvelopeJson(due[0].event_sequence, EventType::kPaymentSucceeded,
                                           stored->front().timestamp,
                                           EventDataJson(stored->front().type, stored->front().payload).value()));
  const std::string first_body = due[0].body;

  h().svc().RecordWebhookAttempt(due[0].event_sequence, false, "connection refused");
  EXPECT_TRUE(h().svc().DueWebhooks(10).empty());
  h().clock().AdvanceNs(h().config().webhook_backoff_ms_base * 1'000'000);
  due = h().svc().DueWebhooks(10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].attempt, 2u);
  EXPECT_EQ(due[0].body, first_body);
  // The outbox survives a restart, the same delivery to the byte.
  h().Restart();
  due = h().svc().DueWebhooks(10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].attempt, 2u);
  EXPECT_EQ(due[0].body, first_body);
  h().svc().RecordWebhookAttempt(due[0].event_sequence, true, "");
  h().clock().AdvanceNs(kDayNs);
  EXPECT_TRUE(h().svc().DueWebhooks(10).empty());

  // Failing every attempt ends in abandonment after webhook_attempts_max.
  ASSERT_OK(h().Refund(h().Merchant(hooked), paid, 10));
  for (uint32_t attempt = 1; attempt <= h().config().webhook_attempts_max; ++attempt) {
    due = h().svc().DueWebhooks(10);
    ASSERT_EQ(due.size(), 1u) << attempt;
    EXPECT_EQ(due[0].attempt, attempt);
    EXPECT_EQ(S(Parse(due[0].body), "type"), "refund.succeeded");
    h().svc().RecordWebhookAttempt(due[0].event_sequence, false, "timeout");
    h().clock().AdvanceNs(h().config().webhook_backoff_ms_max * 1'000'000);
  }
  EXPECT_TRUE(h().svc().DueWebhooks(10).empty());
}

// ---------------------------------------------------------------------------
// Restart.

// Everything a client can read, as JSON texts.
std::vector<std::string> Snapshot(Harness& h, const std::vector<Id128>& customers,
                                  const std::vector<Id128>& merchants) {
  std::vector<std::string> out;
  auto add = [&](const Reply& r) {
    EXPECT_OK(r);
    out.push_back(r.body);
  };
  Call op = h.Operator();
  for (const Id128& c : customers) {
    add(h.Wallet(c));
    add(h.Run([&](ReplyFn done) { h.svc().GetCustomer(op, c, std::move(done)); }));
    add(h.Run([&](ReplyFn done) { h.svc().ListMovements(op, c, {}, std::move(done)); }));
    add(h.ListPayments(h.Customer(c)));
  }
  for (const Id128& m : merchants) add(h.GetMerchant(m));
  Reply payments = h.ListPayments(op, PageInput{.after = Id128::Zero(), .limit = 1000});
  add(payments);
  // (Each Document is named: a temporary would die before the loop body.)
  const rapidjson::Document payment_list = Parse(payments.body);
  for (const auto& p : payment_list["data"].GetArray()) {
    add(h.GetPayment(op, I(p, "id")));
    add(h.Run([&](ReplyFn done) { h.svc().ListRefunds(op, I(p, "id"), std::move(done)); }));
  }
  Reply settlements =
      h.Run([&](ReplyFn done) { h.svc().ListSettlements(op, PageInput{.after = Id128::Zero(), .limit = 1000}, std::move(done)); });
  add(settlements);
  const rapidjson::Document settlement_list = Parse(settlements.body);
  for (const auto& s : settlement_list["data"].GetArray()) {
    add(h.GetSettlement(op, I(s, "id")));
    add(h.SettlementFile(I(s, "id")));
  }
  add(h.Reconciliation());
  return out;
}

class PaymentsRestartTest : public ::testing::TestWithParam<Backend> {};

TEST_P(PaymentsRestartTest, StateIsRebuiltFromEvents) {
  Harness h(PaymentsConfig{}, GetParam());
  const std::vector<Id128> customers = {h.NewCustomerId(1), h.NewCustomerId(3)};
  const std::vector<Id128> merchants = {h.NewMerchantId(60), h.NewMerchantId(250)};
  ASSERT_OK(h.TopUp(customers[0], 90'000));
  ASSERT_OK(h.TopUp(customers[1], 500'000));
  ASSERT_OK(h.Transfer(customers[1], customers[0], 1'000));
  ASSERT_OK(h.Withdraw(customers[0], 500));
  const Id128 order = h.OrderId(merchants[0], 40'000);
  ASSERT_OK(h.Pay(customers[0], order));
  const Id128 direct = h.Paid(customers[1], merchants[1], 123'456);
  ASSERT_OK(h.Refund(h.Merchant(merchants[1]), direct, 23'456));
  ASSERT_OK(h.Cancel(h.Merchant(merchants[0]), h.OrderId(merchants[0], 5)));
  const Id128 expiring = h.OrderId(merchants[1], 7);
  h.clock().AdvanceNs(kDayNs);
  h.svc().SweepNow();
  Reply settled = h.Settle(kDay0);
  ASSERT_OK(settled);
  ASSERT_OK(h.MarkPaid(I(Parse(settled.body)["settlements"]["data"][0], "id")));
  ASSERT_OK(h.Pay(customers[0], h.OrderId(merchants[0], 1'000)));  // unsettled, day 1
  EXPECT_EQ(S(Parse(h.GetPayment(h.Operator(), expiring).body), "status"), "expired");
  h.ExpectBalanced();

  const std::vector<std::string> before = Snapshot(h, customers, merchants);
  // The clock does not move: ids made after the restart must still be new.
  h.Restart();
  const std::vector<std::string> after = Snapshot(h, customers, merchants);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]) << i;

  // The tier I allowance was rebuilt too: 41,000 used of 100,000.
  EXPECT_EQ(U(Parse(h.Wallet(customers[0]).body), "allowance_left"), 59'000u);
  EXPECT_ERR(h.Direct(customers[0], merchants[0], 59'001), "tier_limit_exceeded");

  // Ids keep increasing across the restart, and new work succeeds.
  Id128 newest = Id128::Zero();
  const rapidjson::Document listed =
      Parse(h.ListPayments(h.Operator(), PageInput{.after = Id128::Zero(), .limit = 1000}).body);
  for (const auto& p : listed["data"].GetArray()) {
    newest = std::max(newest, I(p, "id"));
  }
  Reply top_up = h.TopUp(customers[0], 10);
  ASSERT_OK(top_up);
  EXPECT_GT(I(Parse(top_up.body), "id"), newest);
  const Id128 again = h.Paid(customers[0], merchants[0], 10);
  EXPECT_GT(again, newest);
  ASSERT_OK(h.Refund(h.Merchant(merchants[0]), again));
  h.ExpectBalanced();
  // And once more, without the clock moving.
  h.Restart();
  ASSERT_OK(h.TopUp(customers[1], 10));
  ASSERT_OK(h.Direct(customers[1], merchants[1], 10));
  h.ExpectBalanced();
}

INSTANTIATE_TEST_SUITE_P(Backends, PaymentsRestartTest,
                         ::testing::Values(Backend::kJournal, Backend::kSqlite),
                         [](const auto& info) {
                           return info.param == Backend::kJournal ? "Journal" : "Sqlite";
                         });

// Regression: after a restart at the same clock reading (or a clock that
// stepped back), new ids repeated the ids of the transfers made before the
// restart (replay sees only the role's own ids), and the ledger refused them.
TEST_F(PaymentsServiceTest, IdsAfterRestartDoNotRepeatTransferIds) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId(60);
  ASSERT_OK(h().TopUp(customer, 1'000));
  const Id128 order = h().OrderId(merchant, 100);
  h().clock().AdvanceNs(kSecondNs);
  ASSERT_OK(h().Pay(customer, order));  // two transfers, no new role id
  h().Restart();
  ASSERT_OK(h().TopUp(customer, 1'000));
  ASSERT_OK(h().Direct(customer, merchant, 100));
  EXPECT_EQ(h().Balance(customer), 1'800u);
  h().ExpectBalanced();
}

// Regression: a customer's payments were listed in the order they were paid,
// not by id, so a page cursor skipped an order paid after a newer one.
TEST_F(PaymentsServiceTest, CustomerPaymentPagesListEveryPayment) {
  const Id128 customer = h().NewCustomerId();
  const Id128 merchant = h().NewMerchantId();
  ASSERT_OK(h().TopUp(customer, 10'000));
  const Id128 older_order = h().OrderId(merchant, 100);
  h().clock().AdvanceNs(kSecondNs);
  const Id128 direct = h().Paid(customer, merchant, 200);
  h().clock().AdvanceNs(kSecondNs);
  ASSERT_OK(h().Pay(customer, older_order));
  std::vector<Id128> seen;
  PageInput page{.after = Id128::Zero(), .limit = 1};
  for (int i = 0; i < 5; ++i) {
    Reply r = h().ListPayments(h().Customer(customer), page);
    ASSERT_OK(r);
    rapidjson::Document d = Parse(r.body);
    for (const auto& p : d["data"].GetArray()) seen.push_back(I(p, "id"));
    if (d["next_cursor"].IsNull()) break;
    page.after = I(d, "next_cursor");
  }
  EXPECT_EQ(seen, (std::vector<Id128>{older_order, direct}));
}

// ---------------------------------------------------------------------------
// Risk: screened payments, challenges held until confirmed, cases.

// Decides by amount: >= deny_at denies, >= challenge_at challenges; records
// what it was asked and told.
class AmountScreen final : public PaymentScreen {
 public:
  AmountMinor challenge_at = 500'000;
  AmountMinor deny_at = 9'000'000;
  std::vector<ScreenAttempt> screened, observed;

  ScreenDecision Screen(const ScreenAttempt& a) override {
    screened.push_back(a);
    if (a.amount >= deny_at) return {ScreenAction::kDeny, 990'000, "rule:too_big,feature:amount"};
    if (a.amount >= challenge_at) return {ScreenAction::kChallenge, 600'000, "rule:big"};
    return {ScreenAction::kAllow, 1'000, ""};
  }
  void Observe(const ScreenAttempt& a) override { observed.push_back(a); }
};

// Keeps every reminder; can be told to fail.
class CapturingChannel final : public NoticeChannel {
 public:
  std::vector<Notice> sent;
  bool fail = false;
  std::string_view name() const override { return "sms"; }
  core::Status Deliver(const Notice& n) override {
    if (fail) return core::Unavailable("gateway down");
    sent.push_back(n);
    return core::Status::Ok();
  }
  // The one-time code of the latest reminder for a payment.
  std::string CodeFor(const Id128& payment) const {
    for (auto it = sent.rbegin(); it != sent.rend(); ++it) {
      if (it->payment_id != payment) continue;
      const size_t at = it->text.find("code ");
      if (at != std::string::npos) return it->text.substr(at + 5, 6);
    }
    return "";
  }
};

// What the screen was told, field by field (ScreenAttempt has no ==).
void ExpectSameAttempts(const std::vector<ScreenAttempt>& got,
                        const std::vector<ScreenAttempt>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].timestamp_ns, want[i].timestamp_ns) << i;
    EXPECT_EQ(got[i].customer_id, want[i].customer_id) << i;
    EXPECT_EQ(got[i].payee_id, want[i].payee_id) << i;
    EXPECT_EQ(got[i].merchant_id, want[i].merchant_id) << i;
    EXPECT_EQ(got[i].kind, want[i].kind) << i;
    EXPECT_EQ(got[i].amount, want[i].amount) << i;
    EXPECT_EQ(got[i].balance_before, want[i].balance_before) << i;
    EXPECT_EQ(got[i].client.device_key, want[i].client.device_key) << i;
    EXPECT_EQ(got[i].client.ip_key, want[i].client.ip_key) << i;
    EXPECT_EQ(got[i].succeeded, want[i].succeeded) << i;
  }
}

class RiskFlowTest : public PaymentsServiceTest {
 protected:
  RiskFlowTest() {
    h().UseScreen(&screen_);
    h().AddNoticeChannel(&channel_);
    h().Restart();
    customer_ = h().NewCustomerId(3);
    merchant_ = h().NewMerchantId(100);  // 1%
    EXPECT_OK(h().TopUp(customer_, 10'000'000));
  }
  Reply Confirm(const Call& call, Id128 payment, const std::string& code) {
    return h().Run([&](ReplyFn done) { h().svc().ConfirmPayment(call, payment, code, std::move(done)); });
  }
  Reply Decline(const Call& call, Id128 payment) {
    return h().Run([&](ReplyFn done) { h().svc().DeclinePayment(call, payment, std::move(done)); });
  }
  uint64_t Available(Id128 customer) { return U(Parse(h().Wallet(customer).body), "available"); }
  std::string Status(Id128 payment) {
    return S(Parse(h().GetPayment(h().Operator(), payment).body), "status");
  }
  // A challenged payment of amount, its reminder delivered.
  Id128 Challenged(AmountMinor amount) {
    Reply r = h().Direct(customer_, merchant_, amount);
    EXPECT_OK(r);
    rapidjson::Document d = Parse(r.body);
    EXPECT_EQ(S(d, "status"), "requires_confirmation");
    EXPECT_EQ(S(d["risk"], "action"), "challenge");
    EXPECT_EQ(U(d["confirmation"], "attempts_left"), 3u);
    h().svc().SweepNow();
    return I(d, "id");
  }

  AmountScreen screen_;
  CapturingChannel channel_;
  Id128 customer_, merchant_;
};

TEST_F(RiskFlowTest, AllowedPaymentPaysAndIsObservedOnce) {
  const Id128 paid = h().Paid(customer_, merchant_, 10'000);
  EXPECT_EQ(Status(paid), "succeeded");
  ASSERT_EQ(screen_.screened.size(), 1u);
  EXPECT_EQ(screen_.screened[0].balance_before, 10'000'000);
  EXPECT_EQ(screen_.screened[0].merchant_id, merchant_);
  ASSERT_EQ(screen_.observed.size(), 1u);
  EXPECT_TRUE(screen_.observed[0].succeeded);
  EXPECT_EQ(h().Balance(customer_), 10'000'000u - 10'000u);
  h().ExpectBalanced();
}

TEST_F(RiskFlowTest, DeniedPaymentFailsWithItsReasonAndMovesNothing) {
  ASSERT_OK(h().TopUp(customer_, 5'000'000));
  Reply r = h().Direct(customer_, merchant_, 9'500'000);
  ASSERT_OK(r);
  rapidjson::Document d = Parse(r.body);
  EXPECT_EQ(S(d, "status"), "failed");
  EXPECT_EQ(S(d, "failure_code"), "risk_denied");
  // The payer sees the action, not the rules.
  EXPECT_FALSE(d["risk"].HasMember("reasons"));
  EXPECT_EQ(h().Balance(customer_), 15'000'000u);
  EXPECT_EQ(h().MerchantBalance(merchant_), 0u);
  ASSERT_EQ(screen_.observed.size(), 1u);
  EXPECT_FALSE(screen_.observed[0].succeeded);
  // The operator sees why.
  rapidjson::Document seen = Parse(h().GetPayment(h().Operator(), I(d, "id")).body);
  EXPECT_EQ(seen["risk"]["reasons"].Size(), 2u);
  EXPECT_EQ(std::string(seen["risk"]["reasons"][0].GetString()), "rule:too_big");
  h().ExpectBalanced();
}

TEST_F(RiskFlowTest, ChallengeHoldsTheMoneyUntilTheRightCode) {
  const Id128 id = Challenged(600'000);
  // Held: still in the wallet's balance, not available, nothing at the merchant.
  EXPECT_EQ(h().Balance(customer_), 10'000'000u);
  EXPECT_EQ(Available(customer_), 9'400'000u);
  EXPECT_EQ(h().MerchantBalance(merchant_), 0u);
  h().ExpectBalanced();
  ASSERT_EQ(channel_.sent.size(), 1u);
  EXPECT_EQ(channel_.sent[0].phone_masked, "138****5678");
  const std::string code = channel_.CodeFor(id);
  ASSERT_EQ(code.size(), 6u) << channel_.sent[0].text;
  // Delivered once: the next sweep sends nothing again.
  h().svc().SweepNow();
  EXPECT_EQ(channel_.sent.size(), 1u);
  EXPECT_TRUE(screen_.observed.empty());  // not ended yet

  const std::string wrong = code == "000000" ? "000001" : "000000";
  Reply bad = Confirm(h().Customer(customer_), id, wrong);
  EXPECT_ERR(bad, "confirmation_code_invalid");
  EXPECT_NE(bad.message.find("2 attempts left"), std::string::npos) << bad.message;
  EXPECT_ERR(Confirm(h().Customer(customer_), id, "12345"), "invalid_field");
  const Call confirm = h().Customer(customer_);
  Reply ok = Confirm(confirm, id, code);
  ASSERT_OK(ok);
  EXPECT_EQ(S(Parse(ok.body), "status"), "succeeded");
  EXPECT_EQ(h().Balance(customer_), 9'400'000u);
  EXPECT_EQ(Available(customer_), 9'400'000u);
  EXPECT_EQ(h().MerchantBalance(merchant_), 600'000u - 6'000u);  // less the 1% fee
  ASSERT_EQ(screen_.observed.size(), 1u);
  EXPECT_TRUE(screen_.observed[0].succeeded);
  // A retry with the same Idempotency-Key replays; a new confirmation is refused.
  Reply again = Confirm(confirm, id, code);
  ASSERT_OK(again);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.body, ok.body);
  EXPECT_ERR(Confirm(h().Customer(customer_), id, code), "payment_not_confirmable");
  h().ExpectBalanced();
}

TEST_F(RiskFlowTest, ThreeWrongCodesFailThePaymentAndReleaseTheMoney) {
  const Id128 id = Challenged(700'000);
  const std::string code = channel_.CodeFor(id);
  const std::string wrong = code == "999999" ? "999998" : "999999";
  EXPECT_ERR(Confirm(h().Customer(customer_), id, wrong), "confirmation_code_invalid");
  EXPECT_ERR(Confirm(h().Customer(customer_), id, wrong), "confirmation_code_invalid");
  Reply last = Confirm(h().Customer(customer_), id, wrong);
  EXPECT_ERR(last, "confirmation_code_invalid");
  EXPECT_NE(last.message.find("released"), std::string::npos);
  rapidjson::Document d = Parse(h().GetPayment(h().Operator(), id).body);
  EXPECT_EQ(S(d, "status"), "failed");
  EXPECT_EQ(S(d, "failure_code"), "confirmation_failed");
  EXPECT_EQ(Available(customer_), 10'000'000u);
  // The right code is too late now.
  EXPECT_ERR(Confirm(h().Customer(customer_), id, code), "payment_not_confirmable");
  ASSERT_EQ(screen_.observed.size(), 1u);
  EXPECT_FALSE(screen_.observed[0].succeeded);
  h().ExpectBalanced();
}

TEST_F(RiskFlowTest, DeclineAndExpiryReleaseTheMoney) {
  const Id128 declined = Challenged(600'000);
  ASSERT_OK(Decline(h().Customer(customer_), declined));
  EXPECT_EQ(S(Parse(h().GetPayment(h().Operator(), declined).body), "failure_code"), "declined_by_customer");
  EXPECT_EQ(Available(customer_), 10'000'000u);

  const Id128 lapsing = Challenged(800'000);
  h().clock().AdvanceNs(299 * kSecondNs);
  h().svc().SweepNow();
  EXPECT_EQ(Status(lapsing), "requires_confirmation");
  h().clock().AdvanceNs(1 * kSecondNs);
  h().svc().SweepNow();
  rapidjson::Document d = Parse(h().GetPayment(h().Operator(), lapsing).body);
  EXPECT_EQ(S(d, "status"), "failed");
  EXPECT_EQ(S(d, "failure_code"), "confirmation_expired");
  EXPECT_EQ(Available(customer_), 10'000'000u);
  EXPECT_EQ(h().Balance(customer_), 10'000'000u);
  EXPECT_ERR(Confirm(h().Customer(customer_), lapsing, channel_.CodeFor(lapsing)), "payment_not_confirmable");
  EXPECT_EQ(screen_.observed.size(), 2u);
  h().ExpectBalanced();
}

TEST_F(RiskFlowTest, OnlyThePayerConfirmsAndStrangersLearnNothing) {
  const Id128 id = Challenged(600'000);
  const Id128 stranger = h().NewCustomerId(3);
  const std::string code = channel_.CodeFor(id);
  Reply theirs = Confirm(h().Customer(stranger), id, code);
  Reply missing = Confirm(h().Customer(stranger), Id128{12345, 678}, code);
  EXPECT_ERR(theirs, "forbidden");
  EXPECT_ERR(missing, "forbidden");
  EXPECT_EQ(theirs.message, missing.message);
  EXPECT_ERR(Confirm(h().Merchant(merchant_), id, code), "forbidden");
  EXPECT_ERR(Decline(h().Customer(stranger), id), "forbidden");
  EXPECT_EQ(Status(id), "requires_confirmation");
}

TEST_F(RiskFlowTest, AHoldSurvivesARestartAndTheScreenRemembers) {
  const Id128 paid = h().Paid(customer_, merchant_, 20'000);
  const Id128 held = Challenged(600'000);
  const std::string code = channel_.CodeFor(held);
  (void)paid;
  const std::vector<ScreenAttempt> live = std::move(screen_.observed);
  screen_.observed.clear();
  h().Restart();
  // Recovery told the screen again how the ended attempt went.
  ASSERT_EQ(screen_.observed.size(), 1u);
  EXPECT_TRUE(screen_.observed[0].succeeded);
  EXPECT_EQ(screen_.observed[0].amount, 20'000);
  ExpectSameAttempts(screen_.observed, live);
  EXPECT_EQ(Status(held), "requires_confirmation");
  EXPECT_EQ(Available(customer_), 10'000'000u - 20'000u - 600'000u);
  h().ExpectBalanced();
  h().svc().SweepNow();
  EXPECT_EQ(channel_.sent.size(), 1u);  // delivered before the restart: not again
  ASSERT_OK(Confirm(h().Customer(customer_), held, code));
  EXPECT_EQ(h().MerchantBalance(merchant_), 20'000u - 200u + 600'000u - 6'000u);
  h().ExpectBalanced();
}

TEST_F(RiskFlowTest, AReminderThatFailsToGoOutIsRetried) {
  channel_.fail = true;
  const Id128 id = Challenged(600'000);
  EXPECT_TRUE(channel_.sent.empty());
  channel_.fail = false;
  h().Restart();  // the outbox is durable
  h().svc().SweepNow();
  ASSERT_EQ(channel_.sent.size(), 1u);
  EXPECT_EQ(channel_.CodeFor(id).size(), 6u);
}

TEST_F(RiskFlowTest, ADeniedTransferMovesNothingAndIsRemembered) {
  const Id128 other = h().NewCustomerId(3);
  Reply r = h().Transfer(customer_, other, 9'000'000);
  EXPECT_ERR(r, "risk_denied");
  EXPECT_EQ(r.message.find("too_big"), std::string::npos);  // no rule names to the payer
  EXPECT_EQ(h().Balance(customer_), 10'000'000u);
  EXPECT_EQ(h().Balance(other), 0u);
  ASSERT_EQ(screen_.observed.size(), 1u);
  EXPECT_FALSE(screen_.observed[0].succeeded);
  EXPECT_EQ(screen_.observed[0].kind, AttemptKind::kTransfer);
  ASSERT_OK(h().Transfer(customer_, other, 1'000));
  const std::vector<ScreenAttempt> live = std::move(screen_.observed);
  screen_.observed.clear();
  h().Restart();
  // Recovery tells the screen what it was told live, at the same instants.
  ExpectSameAttempts(screen_.observed, live);
}

TEST_F(RiskFlowTest, CasesAreListedLabelledAndExported) {
  h().Paid(customer_, merchant_, 10'000);
  const Id128 held = Challenged(600'000);
  ASSERT_OK(h().TopUp(customer_, 5'000'000));
  const Id128 denied = I(Parse(h().Direct(customer_, merchant_, 9'500'000).body), "id");
  Reply list = h().Run([&](ReplyFn done) { h().svc().ListRiskCases(h().Operator(), {}, std::move(done)); });
  ASSERT_OK(list);
  rapidjson::Document d = Parse(list.body);
  ASSERT_EQ(d["data"].Size(), 2u) << list.body;
  EXPECT_EQ(I(d["data"][0], "id"), held);
  EXPECT_EQ(I(d["data"][1], "id"), denied);
  EXPECT_ERR(h().Run([&](ReplyFn done) { h().svc().ListRiskCases(h().Customer(customer_), {}, std::move(done)); }), "forbidden");

  auto label = [&](const Call& call, Id128 id, CaseLabel l) {
    return h().Run([&](ReplyFn done) { h().svc().LabelRiskCase(call, id, l, std::move(done)); });
  };
  Reply labelled = label(h().Operator(), denied, CaseLabel::kFraud);
  ASSERT_OK(labelled);
  EXPECT_EQ(S(Parse(labelled.body)["risk"], "label"), "fraud");
  EXPECT_ERR(label(h().Operator(), h().Paid(customer_, merchant_, 100), CaseLabel::kFraud), "unknown_case");
  EXPECT_ERR(label(h().Customer(customer_), held, CaseLabel::kGenuine), "forbidden");
  ASSERT_OK(label(h().Operator(), held, CaseLabel::kGenuine));

  Reply csv = h().Run([&](ReplyFn done) { h().svc().ExportRiskLabels(h().Operator(), std::move(done)); });
  ASSERT_OK(csv);
  std::istringstream lines(csv.body);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud");
  std::vector<std::string> rows;
  while (std::getline(lines, line)) rows.push_back(line);
  ASSERT_EQ(rows.size(), 4u) << csv.body;  // every screened payment
  EXPECT_EQ(rows[0], fmt::format("1,PAYMENT,100.00,C{},100000.00,99900.00,M{},0,0,0,0", customer_.ToDecimal(), merchant_.ToDecimal()));
  EXPECT_TRUE(rows[2].ends_with(",1,1")) << rows[2];  // denied and labelled fraud
  EXPECT_TRUE(rows[1].ends_with(",0,1")) << rows[1];  // challenged, labelled genuine
}

}  // namespace
}  // namespace netfin::payments
