#pragma once

// The payments role's events: every change to the role's state is one of
// these, stored as a role event (a compact binary payload) in the same batch as the
// transfers it goes with. PaymentsState::Apply is the only code that
// changes the state, both live and when replaying the journal at recovery,
// so the two can never disagree.
//
// Each event type lists its fields once (a Fields template); the binary and
// JSON encoders and decoders all walk that list.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "core/status.h"
#include "payments/model.h"

namespace netfin::payments {

// DO NOT RENUMBER: persisted.
enum class EventType : uint16_t {
  kPlatformOpened = 1,
  kCustomerCreated = 2,
  kCustomerTierChanged = 3,
  kMerchantCreated = 4,
  kPaymentCreated = 5,
  kPaymentProcessing = 6,
  kPaymentSucceeded = 7,
  kPaymentFailed = 8,
  kPaymentCancelled = 9,
  kPaymentExpired = 10,
  kRefundSucceeded = 11,
  kMovementSucceeded = 12,
  kSettlementCreated = 13,
  kSettlementPaid = 14,
  kIdempotencyRecorded = 15,
  kWebhookDelivered = 16,
  kWebhookAttemptFailed = 17,
  kWebhookAbandoned = 18,
  kAttemptScreened = 19,
  kPaymentChallenged = 20,
  kConfirmationFailed = 21,
  kNoticeDelivered = 22,
  kCaseLabelled = 23,
};

// The feed's name of a type ("payment.succeeded").
std::string_view EventTypeName(EventType type);
// Whether the type is shown in the events feed and sent as a webhook
// (business events), as opposed to the role's bookkeeping.
bool IsPublicEvent(EventType type);

struct PlatformOpened {
  uint32_t ledger = 0;
  Id128 reserve_account_id;
  Id128 fee_account_id;
  template <typename F> void Fields(F& f) {
    f("ledger", ledger); f("reserve_account_id", reserve_account_id);
    f("fee_account_id", fee_account_id);
  }
};
// The sealed personal data of a party, as fields of its creation event.
template <typename F> void PersonalFields(F& f, PersonalData& p) {
  f("name_sealed", p.name_sealed); f("phone_sealed", p.phone_sealed);
  f("id_number_sealed", p.id_number_sealed); f("bank_account_sealed", p.bank_account_sealed);
}

struct CustomerCreated {
  Customer customer;  // usage counters zero
  template <typename F> void Fields(F& f) {
    f("id", customer.id); f("wallet_account_id", customer.wallet_account_id);
    f("ledger", customer.ledger); f("tier", customer.tier);
    PersonalFields(f, customer.personal);
  }
};
struct CustomerTierChanged {
  Id128 id;
  uint8_t tier = 0;
  template <typename F> void Fields(F& f) { f("id", id); f("tier", tier); }
};
struct MerchantCreated {
  Merchant merchant;
  template <typename F> void Fields(F& f) {
    f("id", merchant.id); f("merchant_account_id", merchant.merchant_account_id);
    f("payable_account_id", merchant.payable_account_id); f("ledger", merchant.ledger);
    f("fee_bps", merchant.fee_bps); f("webhook_url", merchant.webhook_url);
    PersonalFields(f, merchant.personal);
  }
};
struct PaymentCreated {
  Payment payment;  // status created
  template <typename F> void Fields(F& f) {
    f("id", payment.id); f("merchant_id", payment.merchant_id); f("ledger", payment.ledger);
    f("amount", payment.amount); f("description", payment.description);
    f("expires_at", payment.expires_at_ns);
  }
};
// The client's keys and place, as fields of the event that records them.
template <typename F> void ClientFields(F& f, ClientContext& c) {
  f("device_key", c.device_key); f("ip_key", c.ip_key); f("has_location", c.has_location);
  f("lat_micro_deg", c.lat_micro_deg); f("lon_micro_deg", c.lon_micro_deg);
}

struct PaymentProcessing {
  Id128 id;
  Id128 customer_id;
  template <typename F> void Fields(F& f) { f("id", id); f("customer_id", customer_id); }
};
// The risk screen's decision on an attempt (a payment, or a wallet
// transfer: id is then the movement's, or of a denied transfer, an id no
// movement has), with all the screen needs to observe it again in
// recovery. Kept out of the feed: rules are not for merchants to read.
struct AttemptScreened {
  Id128 id{};
  AttemptKind kind = AttemptKind::kPayment;
  Id128 customer_id{};
  Id128 payee_id{};
  Id128 merchant_id{};
  AmountMinor amount = 0;
  AmountMinor balance_before = 0;
  ClientContext client{};  // default initializers: built with designated fields
  ScreenAction action = ScreenAction::kAllow;
  uint32_t score_ppm = kNoRiskScore;
  std::string reasons{};
  template <typename F> void Fields(F& f) {
    f("id", id); f("kind", kind); f("customer_id", customer_id); f("payee_id", payee_id);
    f("merchant_id", merchant_id); f("amount", amount); f("balance_before", balance_before);
    ClientFields(f, client); f("action", action); f("score_ppm", score_ppm);
    f("reasons", reasons);
  }
};
// The screen challenged the payment: its amount is held (a pending
// transfer) until the customer confirms. The reminder, one-time code
// included, is sealed for the notification outbox; only the code's keyed
// hash is kept to check it.
struct PaymentChallenged {
  Id128 id;
  Id128 customer_id;
  Id128 hold_transfer_id;
  std::string code_hash;
  uint64_t expires_at = 0;  // ns
  std::string phone_masked;
  std::string notice_sealed;
  template <typename F> void Fields(F& f) {
    f("id", id); f("customer_id", customer_id); f("hold_transfer_id", hold_transfer_id);
    f("code_hash", code_hash); f("expires_at", expires_at); f("phone_masked", phone_masked);
    f("notice_sealed", notice_sealed);
  }
};
// A wrong one-time code.
struct ConfirmationFailed {
  Id128 id;
  uint32_t attempts = 0;  // wrong codes so far
  template <typename F> void Fields(F& f) { f("id", id); f("attempts", attempts); }
};
// A reminder went out through every channel (the feed shows it to the
// customer's subscribers; the code is never in it).
struct NoticeDelivered {
  uint64_t event_sequence = 0;  // the PaymentChallenged event's
  Id128 payment_id;
  Id128 customer_id;
  std::string phone_masked;
  std::string channels;  // comma-separated: "sms,push"
  template <typename F> void Fields(F& f) {
    f("event_sequence", event_sequence); f("payment_id", payment_id);
    f("customer_id", customer_id); f("phone_masked", phone_masked); f("channels", channels);
  }
};
// An analyst's label on a risk case.
struct CaseLabelled {
  Id128 id;
  CaseLabel label = CaseLabel::kNone;
  std::string key_id;  // who labelled it
  template <typename F> void Fields(F& f) { f("id", id); f("label", label); f("key_id", key_id); }
};
struct PaymentSucceeded {
  Id128 id;
  Id128 customer_id;
  Id128 merchant_id;
  AmountMinor amount = 0;
  AmountMinor fee = 0;
  template <typename F> void Fields(F& f) {
    f("id", id); f("customer_id", customer_id); f("merchant_id", merchant_id);
    f("amount", amount); f("fee", fee);
  }
};
struct PaymentFailed {
  Id128 id;
  std::string failure_code;
  template <typename F> void Fields(F& f) { f("id", id); f("failure_code", failure_code); }
};
struct PaymentCancelled {
  Id128 id;
  template <typename F> void Fields(F& f) { f("id", id); }
};
struct PaymentExpired {
  Id128 id;
  template <typename F> void Fields(F& f) { f("id", id); }
};
struct RefundSucceeded {
  Refund refund;
  template <typename F> void Fields(F& f) {
    f("id", refund.id); f("payment_id", refund.payment_id); f("merchant_id", refund.merchant_id);
    f("customer_id", refund.customer_id); f("amount", refund.amount);
    f("fee_returned", refund.fee_returned); f("reason", refund.reason);
  }
};
struct MovementSucceeded {
  Movement movement;
  template <typename F> void Fields(F& f) {
    f("id", movement.id); f("kind", movement.kind); f("customer_id", movement.customer_id);
    f("counterparty_id", movement.counterparty_id); f("ledger", movement.ledger);
    f("amount", movement.amount);
  }
};
struct SettlementCreated {
  Settlement settlement;
  template <typename F> void Fields(F& f) {
    f("id", settlement.id); f("merchant_id", settlement.merchant_id);
    f("ledger", settlement.ledger); f("business_date", settlement.business_date);
    f("gross", settlement.gross); f("fees", settlement.fees); f("refunds", settlement.refunds);
    f("carry_in", settlement.carry_in); f("amount", settlement.amount);
    f("carry_out", settlement.carry_out); f("payment_count", settlement.payment_count);
    f("refund_count", settlement.refund_count);
  }
};
struct SettlementPaid {
  Id128 id;
  Id128 merchant_id;
  AmountMinor amount = 0;
  template <typename F> void Fields(F& f) {
    f("id", id); f("merchant_id", merchant_id); f("amount", amount);
  }
};
// A successful response remembered for its Idempotency-Key (scoped by the
// API key that sent it). Bodies that carry a secret are sealed.
struct IdempotencyRecorded {
  std::string key_id;
  std::string key;
  std::string fingerprint;  // SHA-256 of method, target and body
  uint16_t status = 200;
  std::string body;
  bool sealed = false;
  template <typename F> void Fields(F& f) {
    f("key_id", key_id); f("key", key); f("fingerprint", fingerprint); f("status", status);
    f("body", body); f("sealed", sealed);
  }
};
struct WebhookDelivered {
  uint64_t event_sequence = 0;
  uint32_t attempts = 0;
  template <typename F> void Fields(F& f) {
    f("event_sequence", event_sequence); f("attempts", attempts);
  }
};
struct WebhookAttemptFailed {
  uint64_t event_sequence = 0;
  uint32_t attempts = 0;
  uint64_t next_attempt_at = 0;  // ns
  std::string error;
  template <typename F> void Fields(F& f) {
    f("event_sequence", event_sequence); f("attempts", attempts);
    f("next_attempt_at", next_attempt_at); f("error", error);
  }
};
struct WebhookAbandoned {
  uint64_t event_sequence = 0;
  uint32_t attempts = 0;
  template <typename F> void Fields(F& f) {
    f("event_sequence", event_sequence); f("attempts", attempts);
  }
};

// In EventType order.
using Event = std::variant<PlatformOpened, CustomerCreated, CustomerTierChanged, MerchantCreated,
                           PaymentCreated, PaymentProcessing, PaymentSucceeded, PaymentFailed,
                           PaymentCancelled, PaymentExpired, RefundSucceeded, MovementSucceeded,
                           SettlementCreated, SettlementPaid, IdempotencyRecorded,
                           WebhookDelivered, WebhookAttemptFailed, WebhookAbandoned,
                           AttemptScreened, PaymentChallenged, ConfirmationFailed,
                           NoticeDelivered, CaseLabelled>;

EventType TypeOf(const Event& event);
// The parties an event concerns (the feed and webhooks filter on them).
void SubjectsOf(const Event& event, Id128* a, Id128* b);

// The stored payload: a tag byte and the type's fields, binary.
std::string EncodeEvent(const Event& event);
// The event as the feed and webhooks show it: one JSON object with the
// type's fields (ids as decimal strings).
std::string EventJson(const Event& event);
// Decodes a stored payload: binary, or a JSON object (EventJson's form, as
// journals written before the binary encoding hold). kCorruption when the
// payload does not match the type.
core::Result<Event> DecodeEvent(uint16_t type, std::string_view payload);
// A stored payload as EventJson shows it; kCorruption as DecodeEvent.
core::Result<std::string> EventDataJson(uint16_t type, std::string_view payload);

// An event as the feed (GET /v1/events) and webhooks show it:
// {"id": "<sequence>", "type": "<name>", "created_at": <ns>, "data": <payload>}.
std::string EventEnvelopeJson(uint64_t sequence, EventType type, uint64_t timestamp_ns,
                              std::string_view payload);

}  // namespace netfin::payments
