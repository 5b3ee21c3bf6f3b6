#pragma once

// The payments role's in-memory state: parties, payments, refunds, wallet
// movements, settlements, remembered idempotency keys and the webhook
// outbox. Apply is the only mutator (see events.h); everything else reads.
//
// Thread: the ledger's applier thread only (commands and replay).

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/crypto.h"
#include "core/id_map.h"
#include "payments/config.h"
#include "payments/events.h"
#include "payments/model.h"

namespace netfin::payments {

struct PlatformAccounts {
  uint32_t ledger = 0;
  Id128 reserve_account_id;
  Id128 fee_account_id;
};

struct IdempotencyEntry {
  std::string fingerprint;
  uint16_t status = 200;
  std::string body;
  bool sealed = false;
  uint64_t recorded_at_ns = 0;
  std::string key;  // key_id '\n' key: the slot is a digest, this is exact

  bool IsFor(std::string_view key_id, std::string_view k) const {
    return key.size() == key_id.size() + 1 + k.size() && key.starts_with(key_id) &&
           key[key_id.size()] == '\n' && key.ends_with(k);
  }
};

// A business event waiting to be delivered to its merchant's webhook.
struct OutboxItem {
  uint64_t event_sequence = 0;
  uint64_t event_timestamp_ns = 0;
  EventType type = EventType::kPaymentSucceeded;
  std::string payload;  // the event's JSON (EventJson)
  Id128 merchant_id;
  uint32_t attempts = 0;
  uint64_t next_attempt_ns = 0;
};

// A safe-transaction reminder not yet delivered (sealed: it holds the code).
struct NoticeItem {
  uint64_t event_sequence = 0;  // the PaymentChallenged event's
  Id128 payment_id;
  Id128 customer_id;
  std::string phone_masked;
  std::string notice_sealed;
};

// The business date (yyyymmdd) of a moment in China time (UTC+8), which
// settlement and yearly tier allowances use.
int32_t ChinaBusinessDate(uint64_t timestamp_ns);
// Whether yyyymmdd is a real calendar date.
bool IsValidBusinessDate(int32_t yyyymmdd);
// The first ns of the next China day after yyyymmdd (the settlement cutoff).
uint64_t ChinaDayEndNs(int32_t yyyymmdd);
// yyyymmdd as "YYYY-MM-DD" (the API's dates, settlement file folders).
std::string BusinessDateText(int32_t yyyymmdd);

class PaymentsState {
 public:
  explicit PaymentsState(const PaymentsConfig& config) : config_(config) {}

  // The one mutator. A webhook's data is the event's JSON (EventJson), made
  // here for merchants that have a webhook only.
  // REQUIRES: event follows the role's rules (the service checked it before
  // appending, or it was durable already).
  void Apply(const Event& event, uint64_t sequence, uint64_t timestamp_ns);

  const PlatformAccounts* Platform(uint32_t ledger) const;
  const Customer* FindCustomer(const Id128& id) const;
  const Merchant* FindMerchant(const Id128& id) const;
  const Payment* FindPayment(const Id128& id) const;
  const Refund* FindRefund(const Id128& id) const;
  const Settlement* FindSettlement(const Id128& id) const;
  const Movement* FindMovement(const Id128& id) const;
  // REQUIRES: now_ns is the command's time; expired keys are absent.
  const IdempotencyEntry* FindIdempotency(const std::string& key_id, const std::string& key,
                                          uint64_t now_ns) const;

  // Ids in creation order (ids increase with time).
  const std::vector<Id128>& AllPayments() const { return payments_order_; }
  const std::vector<Id128>* PaymentsOf(const Id128& party_id) const;
  const std::vector<Id128>& RefundsOfPayment(const Id128& payment_id) const;
  const std::vector<Id128>* MovementsOf(const Id128& customer_id) const;
  const std::vector<Id128>& AllSettlements() const { return settlements_order_; }
  const std::vector<Id128>* SettlementsOf(const Id128& merchant_id) const;
  const std::vector<Id128>& AllMerchants() const { return merchants_order_; }
  const std::vector<Id128>& AllCustomers() const { return customers_order_; }
  // The settlement of merchant for a business date, if one was made.
  const Settlement* SettlementFor(const Id128& merchant_id, int32_t business_date) const;

  // A merchant's payments and refunds not yet in a settlement, oldest first.
  const std::deque<Id128>* UnsettledPayments(const Id128& merchant_id) const;
  const std::deque<Id128>* UnsettledRefunds(const Id128& merchant_id) const;
  // The payments and refunds a settlement covered, for its file.
  const std::vector<Id128>* SettledPayments(const Id128& settlement_id) const;
  const std::vector<Id128>* SettledRefunds(const Id128& settlement_id) const;

  // Payments in `created` whose expiry passed at now_ns, at most max.
  std::vector<Id128> ExpiredPayments(uint64_t now_ns, size_t max) const;
  // Challenged payments whose hold lapsed at now_ns, at most max.
  std::vector<Id128> LapsedHolds(uint64_t now_ns, size_t max) const;
  // Risk cases (challenged or denied payments) in id order.
  const std::vector<Id128>& RiskCases() const { return cases_; }
  // Every screened payment, in id order (the labelled export).
  const std::vector<Id128>& ScreenedPayments() const { return screened_; }
  // Reminders not yet delivered, oldest first, at most max.
  std::vector<NoticeItem> PendingNotices(size_t max) const;

  // Outbox items due at now_ns, at most max, oldest first.
  std::vector<OutboxItem> DueWebhooks(uint64_t now_ns, size_t max) const;
  const OutboxItem* FindOutboxItem(uint64_t sequence) const;
  size_t outbox_size() const { return outbox_.size(); }

  // Forgets idempotency keys older than the configured TTL.
  void PruneIdempotency(uint64_t now_ns);
  size_t idempotency_size() const { return idempotency_.size(); }

  // The next id: time-ordered (hi = ns) and strictly increasing, also
  // across restarts (replay advances it past every id seen).
  Id128 NextId(uint64_t now_ns);
  // Recovery is over: the next id comes after every id made before it,
  // including the ids of the role's transfers, which no event names (a
  // payment's legs get new ids in the command that pays it, and replay sees
  // only the payment's older id). All ids of one command share one hi, at
  // most the larger of its batch's timestamp and the ids made before, so a
  // hi past every replayed timestamp and id is new. REQUIRES: before the
  // first command after replay.
  void FenceIds();

  // The customer's tier allowance left at now_ns.
  core::AmountMinor AllowanceLeft(const Customer& customer, uint64_t now_ns) const;
  // Use counted against the allowance at now_ns (the year's, or lifetime).
  core::AmountMinor AllowanceUsed(const Customer& customer, uint64_t now_ns) const;

  const PaymentsConfig& config() const { return config_; }

 private:
  void See(const Id128& id);
  // Each applies one kind of event and returns the merchant whose webhook
  // gets it (zero: none).
  Id128 ApplyOne(const PlatformOpened& e, uint64_t ts);
  Id128 ApplyOne(const CustomerCreated& e, uint64_t ts);
  Id128 ApplyOne(const CustomerTierChanged& e, uint64_t ts);
  Id128 ApplyOne(const MerchantCreated& e, uint64_t ts);
  Id128 ApplyOne(const PaymentCreated& e, uint64_t ts);
  Id128 ApplyOne(const PaymentProcessing& e, uint64_t ts);
  Id128 ApplyOne(const PaymentSucceeded& e, uint64_t ts);
  Id128 ApplyOne(const PaymentFailed& e, uint64_t ts);
  Id128 ApplyOne(const PaymentCancelled& e, uint64_t ts);
  Id128 ApplyOne(const PaymentExpired& e, uint64_t ts);
  Id128 ApplyOne(const RefundSucceeded& e, uint64_t ts);
  Id128 ApplyOne(const MovementSucceeded& e, uint64_t ts);
  Id128 ApplyOne(const SettlementCreated& e, uint64_t ts);
  Id128 ApplyOne(const SettlementPaid& e, uint64_t ts);
  Id128 ApplyOne(const IdempotencyRecorded& e, uint64_t ts);
  Id128 ApplyOne(const WebhookDelivered& e, uint64_t ts);
  Id128 ApplyOne(const WebhookAttemptFailed& e, uint64_t ts);
  Id128 ApplyOne(const WebhookAbandoned& e, uint64_t ts);
  Id128 ApplyOne(const AttemptScreened& e, uint64_t ts);
  Id128 ApplyOne(const PaymentChallenged& e, uint64_t ts);
  Id128 ApplyOne(const ConfirmationFailed& e, uint64_t ts);
  Id128 ApplyOne(const NoticeDelivered& e, uint64_t ts);
  Id128 ApplyOne(const CaseLabelled& e, uint64_t ts);
  Payment& MutablePayment(const Id128& id);
  void CountAllowance(const Id128& customer_id, core::AmountMinor amount, uint64_t ts);
  void EnqueueWebhook(const Event& event, const Id128& merchant_id, uint64_t seq, uint64_t ts);
  void SetStatus(Payment& p, PaymentStatus to, uint64_t ts);
  // Where (key_id, key) is remembered in idempotency_.
  Id128 IdempotencySlot(std::string_view key_id, std::string_view key) const;

  const PaymentsConfig& config_;
  Id128 last_id_;
  uint64_t timestamp_max_ns_ = 0;  // of every event applied
  std::vector<PlatformAccounts> platforms_;
  absl::flat_hash_map<Id128, Customer, core::Id128Hash> customers_;
  absl::flat_hash_map<Id128, Merchant, core::Id128Hash> merchants_;
  // What grows with traffic sits in IdMaps, whose rehashes move no record.
  core::IdMap<Payment> payments_;
  core::IdMap<Refund> refunds_;
  core::IdMap<Movement> movements_;
  absl::flat_hash_map<Id128, Settlement, core::Id128Hash> settlements_;
  std::vector<Id128> customers_order_, merchants_order_, payments_order_, settlements_order_;
  absl::flat_hash_map<Id128, std::vector<Id128>, core::Id128Hash> payments_by_party_;
  absl::flat_hash_map<Id128, std::vector<Id128>, core::Id128Hash> refunds_by_payment_;
  absl::flat_hash_map<Id128, std::vector<Id128>, core::Id128Hash> movements_by_customer_;
  absl::flat_hash_map<Id128, std::vector<Id128>, core::Id128Hash> settlements_by_merchant_;
  absl::flat_hash_map<Id128, std::deque<Id128>, core::Id128Hash> unsettled_payments_;
  absl::flat_hash_map<Id128, std::deque<Id128>, core::Id128Hash> unsettled_refunds_;
  absl::flat_hash_map<Id128, std::vector<Id128>, core::Id128Hash> settled_payments_;
  absl::flat_hash_map<Id128, std::vector<Id128>, core::Id128Hash> settled_refunds_;
  std::map<std::pair<Id128, int32_t>, Id128> settlement_by_day_;
  // Payments still `created`, by expiry time.
  std::multimap<uint64_t, Id128> open_by_expiry_;
  // Remembered keys by slot: a keyed 128-bit digest of (key_id, key), so
  // that the table grows without rehashing strings (an IdMap, like the
  // records). The secret digest key makes slots unpredictable to clients, so
  // none can aim two keys at one slot; the entry keeps the key, and a
  // lookup checks it.
  core::IdMap<IdempotencyEntry> idempotency_;
  std::deque<std::pair<uint64_t, Id128>> idempotency_by_age_;  // (recorded_at_ns, slot)
  core::SecretKey slot_key_ = core::SecretKey::Random();
  std::map<uint64_t, OutboxItem> outbox_;
  // Payments in requires_confirmation, by when their hold lapses.
  std::multimap<uint64_t, Id128> held_by_expiry_;
  std::vector<Id128> cases_, screened_;
  std::map<uint64_t, NoticeItem> notices_;
};

}  // namespace netfin::payments
