#include "payments/events.h"

#include <gtest/gtest.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace netfin::payments {
namespace {

// Ids above 2^64 check that both halves travel.
Id128 Big(uint64_t n) { return Id128{0x0123456789abcdefull + n, 0xfedcba9876543210ull + n}; }

PersonalData Sealed(const std::string& tag) {
  return {"name-" + tag, "phone-" + tag, "id-" + tag, "bank-" + tag};
}

// One instance of every alternative, in EventType order, with every field
// set to something other than its default.
std::vector<Event> Samples() {
  std::vector<Event> all;
  all.push_back(PlatformOpened{840, Big(1), Big(2)});

  CustomerCreated customer;
  customer.customer.id = Big(3);
  customer.customer.wallet_account_id = Big(4);
  customer.customer.ledger = 156;
  customer.customer.tier = 3;
  customer.customer.personal = Sealed("c");
  all.push_back(customer);

  all.push_back(CustomerTierChanged{Big(5), 2});

  MerchantCreated merchant;
  merchant.merchant.id = Big(6);
  merchant.merchant.merchant_account_id = Big(7);
  merchant.merchant.payable_account_id = Big(8);
  merchant.merchant.ledger = 978;
  merchant.merchant.fee_bps = 1234;
  merchant.merchant.webhook_url = "http://shop.example/hook?a=1&b=\"2\"";
  merchant.merchant.personal = Sealed("m");
  all.push_back(merchant);

  PaymentCreated payment;
  payment.payment.id = Big(9);
  payment.payment.merchant_id = Big(10);
  payment.payment.ledger = 156;
  payment.payment.amount = core::kAmountMax;
  payment.payment.description = "茶 \\ \"tea\"\n\t";
  payment.payment.expires_at_ns = 1'795'572'000'000'000'123ull;
  all.push_back(payment);

  all.push_back(PaymentProcessing{Big(11), Big(12)});
  all.push_back(PaymentSucceeded{Big(13), Big(14), Big(15), 987'654'321, 5'926});
  all.push_back(PaymentFailed{Big(16), "insufficient_balance"});
  all.push_back(PaymentCancelled{Big(17)});
  all.push_back(PaymentExpired{Big(18)});

  RefundSucceeded refund;
  refund.refund = {Big(19), Big(20), Big(21), Big(22), 333, 2, "damaged", 0, false};
  all.push_back(refund);

  MovementSucceeded movement;
  movement.movement = {Big(23), MovementKind::kWalletTransfer, Big(24), Big(25), 156, 42, 0};
  all.push_back(movement);

  SettlementCreated settlement;
  Settlement& s = settlement.settlement;
  s.id = Big(26);
  s.merchant_id = Big(27);
  s.ledger = 156;
  s.business_date = 20261124;
  s.gross = 100'000;
  s.fees = 600;
  s.refunds = 5'000;
  s.carry_in = 7;
  s.amount = 94'000;
  s.carry_out = 407;
  s.payment_count = 11;
  s.refund_count = 3;
  all.push_back(settlement);

  all.push_back(SettlementPaid{Big(28), Big(29), 94'000});
  all.push_back(IdempotencyRecorded{"key_live_1", "order-7/retry", "f00dfeed", 201,
                                    "{\"id\":\"1\"}", true});
  all.push_back(WebhookDelivered{UINT64_MAX - 1, 3});
  all.push_back(WebhookAttemptFailed{77, 4, 1'795'572'000'000'000'999ull, "timeout after 5000 ms"});
  all.push_back(WebhookAbandoned{78, 20});
  all.push_back(AttemptScreened{Big(30), AttemptKind::kTransfer, Big(31), Big(32), Big(33), 500'000,
                                1'200'000, ClientContext{Big(34), Big(35), true, 31'230'416, 121'473'701},
                                ScreenAction::kChallenge, 730'000,
                                "rule:ato_new_device_new_payee_large,feature:amount"});
  all.push_back(PaymentChallenged{Big(36), Big(37), Big(38), "5f0e4c1a2b3c4d5e6f708192a3b4c5d6",
                                  1'795'572'000'000'000'123ull, "138****5678", "sealed-notice"});
  all.push_back(ConfirmationFailed{Big(39), 2});
  all.push_back(NoticeDelivered{79, Big(40), Big(41), "139****0000", "sms,push"});
  all.push_back(CaseLabelled{Big(42), CaseLabel::kFraud, "key_ops_1"});
  return all;
}

// Collects every field of an event as text, through the event's own list.
class Collector {
 public:
  template <typename T>
  void operator()(std::string_view name, const T& value) {
    std::string text;
    if constexpr (std::is_same_v<T, Id128>) {
      text = value.ToDecimal();
    } else if constexpr (std::is_same_v<T, std::string>) {
      text = value;
    } else if constexpr (std::is_enum_v<T>) {
      text = std::to_string(static_cast<uint64_t>(value));
    } else {
      text = std::to_string(value);
    }
    fields.emplace_back(std::string(name), std::move(text));
  }
  std::vector<std::pair<std::string, std::string>> fields;
};

std::vector<std::pair<std::string, std::string>> FieldsOf(const Event& event) {
  Collector c;
  std::visit([&](auto e) { e.Fields(c); }, event);
  return c.fields;
}

TEST(PaymentsEventsTest, SamplesCoverEveryAlternative) {
  const std::vector<Event> all = Samples();
  ASSERT_EQ(all.size(), std::variant_size_v<Event>);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].index(), i);
    EXPECT_EQ(static_cast<size_t>(TypeOf(all[i])), i + 1);
  }
}

TEST(PaymentsEventsTest, EveryFieldIsNonDefaultInTheSamples) {
  // A field left at its default would round-trip even if the codec lost it.
  for (const Event& event : Samples()) {
    for (const auto& [name, text] : FieldsOf(event)) {
      EXPECT_NE(text, "0") << EventTypeName(TypeOf(event)) << "." << name;
      EXPECT_NE(text, "") << EventTypeName(TypeOf(event)) << "." << name;
    }
  }
}

TEST(PaymentsEventsTest, EveryAlternativeRoundTrips) {
  for (const Event& event : Samples()) {
    const std::string payload = EncodeEvent(event);
    auto decoded = DecodeEvent(static_cast<uint16_t>(TypeOf(event)), payload);
    ASSERT_TRUE(decoded.ok()) << payload << ": " << decoded.status().ToString();
    EXPECT_EQ(decoded->index(), event.index());
    EXPECT_EQ(FieldsOf(decoded.value()), FieldsOf(event)) << payload;
    EXPECT_EQ(EncodeEvent(decoded.value()), payload);
  }
}

// An encoded event holds no spare capacity (a string grown by appending
// would keep up to twice its size while its batch waits for the commit).
TEST(PaymentsEventsTest, EncodedPayloadsHoldNoSpareCapacity) {
  IdempotencyRecorded record;
  record.key_id = "key_0123456789abcdef01234567";
  record.key = "order-42";
  record.fingerprint = std::string(64, 'f');
  record.body = std::string(700, 'b');
  for (const Event& event : Samples()) {
    const std::string payload = EncodeEvent(event);
    EXPECT_LE(payload.capacity(), std::max<size_t>(payload.size(), 15)) << payload;
  }
  const std::string payload = EncodeEvent(Event{record});
  EXPECT_GT(payload.size(), 800u);
  EXPECT_EQ(payload.capacity(), payload.size());
}

TEST(PaymentsEventsTest, JsonFormRoundTripsAndMatchesTheStoredPayload) {
  // The feed's and webhooks' JSON, which journals written before the binary
  // encoding also hold, decodes to the same event.
  for (const Event& event : Samples()) {
    const uint16_t type = static_cast<uint16_t>(TypeOf(event));
    const std::string json = EventJson(event);
    ASSERT_EQ(json.front(), '{');
    auto decoded = DecodeEvent(type, json);
    ASSERT_TRUE(decoded.ok()) << json << ": " << decoded.status().ToString();
    EXPECT_EQ(FieldsOf(decoded.value()), FieldsOf(event)) << json;
    EXPECT_EQ(EncodeEvent(decoded.value()), EncodeEvent(event));
    auto from_binary = EventDataJson(type, EncodeEvent(event));
    ASSERT_TRUE(from_binary.ok());
    EXPECT_EQ(from_binary.value(), json);
    auto from_json = EventDataJson(type, json);
    ASSERT_TRUE(from_json.ok());
    EXPECT_EQ(from_json.value(), json);
    EXPECT_LT(EncodeEvent(event).size(), json.size()) << EventTypeName(TypeOf(event));
  }
}

TEST(PaymentsEventsTest, TruncatedOrPaddedBinaryIsCorruption) {
  for (const Event& event : Samples()) {
    const uint16_t type = static_cast<uint16_t>(TypeOf(event));
    const std::string payload = EncodeEvent(event);
    for (size_t n = 0; n < payload.size(); ++n) {
      auto d = DecodeEvent(type, payload.substr(0, n));
      ASSERT_FALSE(d.ok()) << EventTypeName(TypeOf(event)) << " cut at " << n;
      EXPECT_EQ(d.status().code(), core::StatusCode::kCorruption);
    }
    auto padded = DecodeEvent(type, payload + '\0');
    ASSERT_FALSE(padded.ok()) << EventTypeName(TypeOf(event));
    EXPECT_EQ(padded.status().code(), core::StatusCode::kCorruption);
  }
}

TEST(PaymentsEventsTest, BinaryFieldsAreRangeChecked) {
  const uint16_t tier_changed = static_cast<uint16_t>(EventType::kCustomerTierChanged);
  const std::string tag_and_id = std::string("\x01") + std::string(15, '\0') + '\x05';
  EXPECT_TRUE(DecodeEvent(tier_changed, tag_and_id + "\xff\x01").ok());     // 255
  EXPECT_FALSE(DecodeEvent(tier_changed, tag_and_id + "\x80\x02").ok());    // 256
  EXPECT_FALSE(DecodeEvent(tier_changed, tag_and_id + "\x81\x00").ok());    // 1, overlong
  EXPECT_FALSE(DecodeEvent(tier_changed, tag_and_id + "\x81").ok());         // unfinished
  EXPECT_FALSE(DecodeEvent(tier_changed, std::string("\x02") + tag_and_id.substr(1) + "\x01").ok());
  // A bool is one byte, 0 or 1 (IdempotencyRecorded ends with `sealed`).
  const uint16_t recorded = static_cast<uint16_t>(EventType::kIdempotencyRecorded);
  std::string payload = EncodeEvent(IdempotencyRecorded{"k", "i", "f", 201, "{}", true});
  ASSERT_EQ(payload.back(), '\x01');
  payload.back() = '\x02';
  EXPECT_FALSE(DecodeEvent(recorded, payload).ok());
  // Signed fields keep their sign and range: the extremes round-trip, and a
  // business date beyond int32 is refused.
  SettlementCreated settlement = std::get<SettlementCreated>(Samples()[12]);
  for (int32_t date : {std::numeric_limits<int32_t>::min(), -1, 0, std::numeric_limits<int32_t>::max()}) {
    settlement.settlement.business_date = date;
    auto d = DecodeEvent(static_cast<uint16_t>(EventType::kSettlementCreated), EncodeEvent(settlement));
    ASSERT_TRUE(d.ok()) << date;
    EXPECT_EQ(std::get<SettlementCreated>(d.value()).settlement.business_date, date);
  }
  auto varint = [](uint64_t v) {
    std::string out;
    for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    out.push_back(static_cast<char>(v));
    return out;
  };
  settlement.settlement.business_date = std::numeric_limits<int32_t>::max();
  std::string wide = EncodeEvent(settlement);
  const std::string int32_max = varint(uint64_t{0xfffffffe});  // zigzag(INT32_MAX)
  ASSERT_NE(wide.find(int32_max), std::string::npos);
  wide.replace(wide.find(int32_max), int32_max.size(), varint(uint64_t{1} << 34));  // zigzag(2^33)
  auto too_wide = DecodeEvent(static_cast<uint16_t>(EventType::kSettlementCreated), wide);
  ASSERT_FALSE(too_wide.ok());
  EXPECT_NE(too_wide.status().message().find("business_date"), std::string::npos);
  AttemptScreened screened;
  screened.client.lat_micro_deg = -90'000'000;
  screened.client.lon_micro_deg = -180'000'000;
  auto d = DecodeEvent(static_cast<uint16_t>(EventType::kAttemptScreened), EncodeEvent(screened));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(std::get<AttemptScreened>(d.value()).client.lat_micro_deg, -90'000'000);
  EXPECT_EQ(std::get<AttemptScreened>(d.value()).client.lon_micro_deg, -180'000'000);
}

TEST(PaymentsEventsTest, RoundTripKeepsTheRecords) {
  // Spot checks through the records themselves, not the field lists.
  const std::vector<Event> all = Samples();
  auto round_trip = [](const Event& e) {
    auto d = DecodeEvent(static_cast<uint16_t>(TypeOf(e)), EncodeEvent(e));
    EXPECT_TRUE(d.ok());
    return std::move(d).value();
  };
  const auto customer = std::get<CustomerCreated>(round_trip(all[1])).customer;
  EXPECT_EQ(customer.id, Big(3));
  EXPECT_EQ(customer.wallet_account_id, Big(4));
  EXPECT_EQ(customer.ledger, 156u);
  EXPECT_EQ(customer.tier, 3);
  EXPECT_EQ(customer.personal.name_sealed, "name-c");
  EXPECT_EQ(customer.personal.phone_sealed, "phone-c");
  EXPECT_EQ(customer.personal.id_number_sealed, "id-c");
  EXPECT_EQ(customer.personal.bank_account_sealed, "bank-c");

  const auto merchant = std::get<MerchantCreated>(round_trip(all[3])).merchant;
  EXPECT_EQ(merchant.fee_bps, 1234u);
  EXPECT_EQ(merchant.payable_account_id, Big(8));
  EXPECT_EQ(merchant.webhook_url, "http://shop.example/hook?a=1&b=\"2\"");

  const auto payment = std::get<PaymentCreated>(round_trip(all[4])).payment;
  EXPECT_EQ(payment.amount, core::kAmountMax);
  EXPECT_EQ(payment.description, "茶 \\ \"tea\"\n\t");
  EXPECT_EQ(payment.expires_at_ns, 1'795'572'000'000'000'123ull);

  const auto refund = std::get<RefundSucceeded>(round_trip(all[10])).refund;
  EXPECT_EQ(refund.customer_id, Big(22));
  EXPECT_EQ(refund.fee_returned, 2u);
  EXPECT_EQ(refund.reason, "damaged");

  const auto movement = std::get<MovementSucceeded>(round_trip(all[11])).movement;
  EXPECT_EQ(movement.kind, MovementKind::kWalletTransfer);
  EXPECT_EQ(movement.counterparty_id, Big(25));

  const auto settlement = std::get<SettlementCreated>(round_trip(all[12])).settlement;
  EXPECT_EQ(settlement.business_date, 20261124);
  EXPECT_EQ(settlement.carry_in, 7u);
  EXPECT_EQ(settlement.carry_out, 407u);
  EXPECT_EQ(settlement.refund_count, 3u);

  const auto record = std::get<IdempotencyRecorded>(round_trip(all[14]));
  EXPECT_TRUE(record.sealed);
  EXPECT_EQ(record.status, 201);
  EXPECT_EQ(record.body, "{\"id\":\"1\"}");

  EXPECT_EQ(std::get<WebhookDelivered>(round_trip(all[15])).event_sequence, UINT64_MAX - 1);
}

std::string Write(const rapidjson::Document& doc) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

TEST(PaymentsEventsTest, MissingFieldIsCorruption) {
  for (const Event& event : Samples()) {
    const uint16_t type = static_cast<uint16_t>(TypeOf(event));
    for (const auto& [name, text] : FieldsOf(event)) {
      rapidjson::Document doc;
      doc.Parse(EventJson(event).c_str());
      ASSERT_TRUE(doc.IsObject());
      ASSERT_TRUE(doc.RemoveMember(name.c_str()));
      auto decoded = DecodeEvent(type, Write(doc));
      ASSERT_FALSE(decoded.ok()) << EventTypeName(TypeOf(event)) << " without " << name;
      EXPECT_EQ(decoded.status().code(), core::StatusCode::kCorruption);
      EXPECT_NE(decoded.status().message().find(name), std::string::npos)
          << decoded.status().message();
    }
  }
}

TEST(PaymentsEventsTest, WrongTypeIsCorruption) {
  for (const Event& event : Samples()) {
    const uint16_t type = static_cast<uint16_t>(TypeOf(event));
    for (const auto& [name, text] : FieldsOf(event)) {
      rapidjson::Document doc;
      doc.Parse(EventJson(event).c_str());
      rapidjson::Value& v = doc[name.c_str()];
      // Each kind of field gets a value of another kind.
      if (v.IsString()) {
        v.SetUint64(7);
      } else if (v.IsBool()) {
        v.SetString("true", doc.GetAllocator());
      } else {
        v.SetString("7", doc.GetAllocator());
      }
      auto decoded = DecodeEvent(type, Write(doc));
      ASSERT_FALSE(decoded.ok()) << EventTypeName(TypeOf(event)) << "." << name;
      EXPECT_EQ(decoded.status().code(), core::StatusCode::kCorruption);
    }
  }
}

TEST(PaymentsEventsTest, OutOfRangeNumbersAreCorruption) {
  const uint16_t tier_changed = static_cast<uint16_t>(EventType::kCustomerTierChanged);
  EXPECT_FALSE(DecodeEvent(tier_changed, R"({"id":"5","tier":256})").ok());
  EXPECT_FALSE(DecodeEvent(tier_changed, R"({"id":"5","tier":-1})").ok());
  EXPECT_FALSE(DecodeEvent(tier_changed, R"({"id":"5","tier":1.5})").ok());
  EXPECT_TRUE(DecodeEvent(tier_changed, R"({"id":"5","tier":255})").ok());
  // Ids are decimal strings of at most 2^128 - 1.
  EXPECT_FALSE(DecodeEvent(tier_changed, R"({"id":"0x5","tier":1})").ok());
  EXPECT_FALSE(DecodeEvent(tier_changed, R"({"id":"-5","tier":1})").ok());
  EXPECT_FALSE(
      DecodeEvent(tier_changed, R"({"id":"340282366920938463463374607431768211456","tier":1})")
          .ok());
  EXPECT_TRUE(
      DecodeEvent(tier_changed, R"({"id":"340282366920938463463374607431768211455","tier":1})")
          .ok());
  // A business date that does not fit its int32 field.
  Event settlement = Samples()[12];
  std::string payload = EventJson(settlement);
  const std::string date = "\"business_date\":20261124";
  ASSERT_NE(payload.find(date), std::string::npos);
  payload.replace(payload.find(date), date.size(), "\"business_date\":8589934592");
  auto decoded = DecodeEvent(static_cast<uint16_t>(EventType::kSettlementCreated), payload);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), core::StatusCode::kCorruption);
}

TEST(PaymentsEventsTest, BadPayloadsAndTypesAreCorruption) {
  const std::string valid = EncodeEvent(Samples()[8]);  // payment.cancelled
  for (uint16_t type : {uint16_t{0}, static_cast<uint16_t>(std::variant_size_v<Event> + 1),
                        uint16_t{0xffff}}) {
    auto d = DecodeEvent(type, valid);
    ASSERT_FALSE(d.ok()) << type;
    EXPECT_EQ(d.status().code(), core::StatusCode::kCorruption);
  }
  for (const char* payload : {"", "{", "[]", "null", "\"text\"", "{\"id\":\"1\"} trailing"}) {
    auto d = DecodeEvent(static_cast<uint16_t>(EventType::kPaymentCancelled), payload);
    ASSERT_FALSE(d.ok()) << payload;
    EXPECT_EQ(d.status().code(), core::StatusCode::kCorruption);
  }
}

TEST(PaymentsEventsTest, NamesAndPublicTypes) {
  EXPECT_EQ(EventTypeName(EventType::kPlatformOpened), "platform.opened");
  EXPECT_EQ(EventTypeName(EventType::kPaymentSucceeded), "payment.succeeded");
  EXPECT_EQ(EventTypeName(EventType::kRefundSucceeded), "refund.succeeded");
  EXPECT_EQ(EventTypeName(EventType::kWebhookAbandoned), "webhook.abandoned");
  EXPECT_EQ(EventTypeName(static_cast<EventType>(99)), "unknown");
  EXPECT_TRUE(IsPublicEvent(EventType::kPaymentSucceeded));
  EXPECT_TRUE(IsPublicEvent(EventType::kSettlementCreated));
  EXPECT_FALSE(IsPublicEvent(EventType::kCustomerCreated));
  EXPECT_FALSE(IsPublicEvent(EventType::kIdempotencyRecorded));
  // Rules, code hashes and labels stay out of the feed; the reminder's
  // delivery (without its code) is in it.
  EXPECT_FALSE(IsPublicEvent(EventType::kAttemptScreened));
  EXPECT_FALSE(IsPublicEvent(EventType::kPaymentChallenged));
  EXPECT_FALSE(IsPublicEvent(EventType::kCaseLabelled));
  EXPECT_TRUE(IsPublicEvent(EventType::kNoticeDelivered));
  EXPECT_EQ(EventTypeName(EventType::kNoticeDelivered), "notice.sent");
  for (const Event& e : Samples()) {
    EXPECT_NE(EventTypeName(TypeOf(e)), "") << e.index();
  }
}

TEST(PaymentsEventsTest, SubjectsNameTheParties) {
  Id128 a, b;
  SubjectsOf(Samples()[6], &a, &b);  // payment.succeeded: merchant, customer
  EXPECT_EQ(a, Big(15));
  EXPECT_EQ(b, Big(14));
  SubjectsOf(Samples()[10], &a, &b);  // refund: merchant, customer
  EXPECT_EQ(a, Big(21));
  EXPECT_EQ(b, Big(22));
  SubjectsOf(Samples()[11], &a, &b);  // wallet transfer: sender, receiver
  EXPECT_EQ(a, Big(24));
  EXPECT_EQ(b, Big(25));
  SubjectsOf(Samples()[8], &a, &b);  // cancelled: filled in by the service
  EXPECT_TRUE(a.IsZero());
  EXPECT_TRUE(b.IsZero());
}

}  // namespace
}  // namespace netfin::payments
