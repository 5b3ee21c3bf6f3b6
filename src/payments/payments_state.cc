#include "payments/payments_state.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/assert.h"
#include "core/civil_date.h"
#include "core/limits.h"

namespace netfin::payments {
namespace {

// Business dates are YYYYMMDD integers in the payments state (compact in
// records and readable in files); the calendar itself is core's.
// REQUIRES: yyyymmdd >= 0.
core::YearMonthDay YmdOf(int32_t yyyymmdd) {
  return {.year = yyyymmdd / 10000,
          .month = static_cast<uint32_t>(yyyymmdd / 100 % 100),
          .day = static_cast<uint32_t>(yyyymmdd % 100)};
}

// Removes id's entry under key from an expiry index (a multimap: several
// payments may lapse in the same nanosecond).
void EraseFromIndex(std::multimap<uint64_t, Id128>& index, uint64_t key, const Id128& id) {
  auto [lo, hi] = index.equal_range(key);
  for (auto it = lo; it != hi; ++it) {
    if (it->second == id) {
      index.erase(it);
      return;
    }
  }
}

// The ids of an expiry index whose key passed at now_ns, soonest first, at most max.
std::vector<Id128> DueIds(const std::multimap<uint64_t, Id128>& index, uint64_t now_ns,
                          size_t max) {
  std::vector<Id128> ids;
  for (auto it = index.begin(); it != index.end() && ids.size() < max; ++it) {
    if (it->first > now_ns) break;
    ids.push_back(it->second);
  }
  return ids;
}

}  // namespace

int32_t ChinaBusinessDate(uint64_t timestamp_ns) {
  const core::YearMonthDay ymd = core::ChinaDate(timestamp_ns).ToYmd();
  return static_cast<int32_t>(ymd.year * 10000 + ymd.month * 100 + ymd.day);
}

// 1970..2200: a settlement date outside it is a typo, not a business day.
bool IsValidBusinessDate(int32_t yyyymmdd) {
  const int32_t y = yyyymmdd / 10000;
  if (y < 1970 || y > 2200) return false;
  const core::YearMonthDay ymd = YmdOf(yyyymmdd);
  return core::CivilDate::IsValid(ymd.year, ymd.month, ymd.day);
}

uint64_t ChinaDayEndNs(int32_t yyyymmdd) {
  NETFIN_ASSERT(IsValidBusinessDate(yyyymmdd));
  const core::YearMonthDay ymd = YmdOf(yyyymmdd);
  const core::CivilDate date = core::CivilDate::FromYmd(ymd.year, ymd.month, ymd.day);
  return core::ChinaDayStartNs(date.AddDays(1));
}

std::string BusinessDateText(int32_t d) {
  return fmt::format("{:04}-{:02}-{:02}", d / 10000, d / 100 % 100, d % 100);
}

// ---------------------------------------------------------------------------

void PaymentsState::Apply(const Event& event, uint64_t sequence, uint64_t timestamp_ns) {
  timestamp_max_ns_ = std::max(timestamp_max_ns_, timestamp_ns);
  const Id128 notify =
      std::visit([&](const auto& e) { return ApplyOne(e, timestamp_ns); }, event);
  if (!notify.IsZero()) EnqueueWebhook(event, notify, sequence, timestamp_ns);
  if (const auto* challenged = std::get_if<PaymentChallenged>(&event)) {
    notices_.emplace(sequence, NoticeItem{sequence, challenged->id, challenged->customer_id,
                                          challenged->phone_masked, challenged->notice_sealed});
  }
}

void PaymentsState::FenceIds() {
  const uint64_t hi = std::max(last_id_.hi, timestamp_max_ns_);
  NETFIN_ASSERT(hi < UINT64_MAX);
  last_id_ = Id128{hi + 1, 0};
}

Id128 PaymentsState::NextId(uint64_t now_ns) {
  Id128 next = now_ns > last_id_.hi ? Id128{now_ns, 1} : Id128{last_id_.hi, last_id_.lo + 1};
  NETFIN_ASSERT(next > last_id_);
  last_id_ = next;
  return next;
}

void PaymentsState::See(const Id128& id) {
  if (id > last_id_) last_id_ = id;
}

Id128 PaymentsState::ApplyOne(const PlatformOpened& e, uint64_t) {
  NETFIN_ASSERT(Platform(e.ledger) == nullptr);
  platforms_.push_back({e.ledger, e.reserve_account_id, e.fee_account_id});
  return {};
}

Id128 PaymentsState::ApplyOne(const CustomerCreated& e, uint64_t ts) {
  See(e.customer.id);
  Customer c = e.customer;
  c.created_at_ns = ts;
  const bool inserted = customers_.emplace(c.id, std::move(c)).second;
  NETFIN_ASSERT(inserted);
  customers_order_.push_back(e.customer.id);
  return {};
}

Id128 PaymentsState::ApplyOne(const CustomerTierChanged& e, uint64_t) {
  auto it = customers_.find(e.id);
  NETFIN_ASSERT(it != customers_.end());
  it->second.tier = e.tier;
  return {};
}

Id128 PaymentsState::ApplyOne(const MerchantCreated& e, uint64_t ts) {
  See(e.merchant.id);
  Merchant m = e.merchant;
  m.created_at_ns = ts;
  const bool inserted = merchants_.emplace(m.id, std::move(m)).second;
  NETFIN_ASSERT(inserted);
  merchants_order_.push_back(e.merchant.id);
  return {};
}

Id128 PaymentsState::ApplyOne(const PaymentCreated& e, uint64_t ts) {
  See(e.payment.id);
  Payment p = e.payment;
  p.status = PaymentStatus::kCreated;
  p.created_at_ns = ts;
  p.updated_at_ns = ts;
  open_by_expiry_.emplace(p.expires_at_ns, p.id);
  payments_order_.push_back(p.id);
  payments_by_party_[p.merchant_id].push_back(p.id);
  const bool inserted = payments_.Insert(p.id, std::move(p));
  NETFIN_ASSERT(inserted);
  return {};
}

Payment& PaymentsState::MutablePayment(const Id128& id) {
  return payments_.At(id);
}

void PaymentsState::SetStatus(Payment& p, PaymentStatus to, uint64_t ts) {
  NETFIN_ASSERT(!IsFinal(p.status));
  // Leaves its expiry index: only `created` payments expire, and only
  // `requires_confirmation` ones have a hold that lapses.
  if (p.status == PaymentStatus::kCreated) EraseFromIndex(open_by_expiry_, p.expires_at_ns, p.id);
  if (p.status == PaymentStatus::kRequiresConfirmation) {
    EraseFromIndex(held_by_expiry_, p.hold_expires_at_ns, p.id);
  }
  p.status = to;
  p.updated_at_ns = ts;
}

Id128 PaymentsState::ApplyOne(const PaymentProcessing& e, uint64_t ts) {
  Payment& p = MutablePayment(e.id);
  NETFIN_ASSERT(p.status == PaymentStatus::kCreated);
  SetStatus(p, PaymentStatus::kProcessing, ts);
  p.customer_id = e.customer_id;
  // Pages walk these lists by id (PaymentsService::ListPayments), and a
  // customer may pay an older order after a newer one: keep them sorted.
  // Almost always the id is the largest, and this appends.
  std::vector<Id128>& mine = payments_by_party_[e.customer_id];
  mine.insert(std::upper_bound(mine.begin(), mine.end(), p.id), p.id);
  return {};
}

Id128 PaymentsState::ApplyOne(const PaymentSucceeded& e, uint64_t ts) {
  Payment& p = MutablePayment(e.id);
  NETFIN_ASSERT(p.status == PaymentStatus::kProcessing ||
                p.status == PaymentStatus::kRequiresConfirmation);
  NETFIN_ASSERT(p.customer_id == e.customer_id && p.amount == e.amount && e.fee <= e.amount);
  SetStatus(p, PaymentStatus::kSucceeded, ts);
  p.fee = e.fee;
  p.paid_at_ns = ts;
  unsettled_payments_[p.merchant_id].push_back(p.id);
  CountAllowance(p.customer_id, p.amount, ts);
  return p.merchant_id;
}

Id128 PaymentsState::ApplyOne(const PaymentFailed& e, uint64_t ts) {
  Payment& p = MutablePayment(e.id);
  SetStatus(p, PaymentStatus::kFailed, ts);
  p.failure_code = e.failure_code;
  return p.merchant_id;
}

Id128 PaymentsState::ApplyOne(const PaymentCancelled& e, uint64_t ts) {
  Payment& p = MutablePayment(e.id);
  NETFIN_ASSERT(p.status == PaymentStatus::kCreated);
  SetStatus(p, PaymentStatus::kCancelled, ts);
  return p.merchant_id;
}

Id128 PaymentsState::ApplyOne(const PaymentExpired& e, uint64_t ts) {
  Payment& p = MutablePayment(e.id);
  NETFIN_ASSERT(p.status == PaymentStatus::kCreated);
  SetStatus(p, PaymentStatus::kExpired, ts);
  return p.merchant_id;
}

Id128 PaymentsState::ApplyOne(const RefundSucceeded& e, uint64_t ts) {
  See(e.refund.id);
  Payment& p = MutablePayment(e.refund.payment_id);
  NETFIN_ASSERT(p.status == PaymentStatus::kSucceeded);
  core::AmountMinor refunded = 0, fee_refunded = 0;
  NETFIN_ASSERT(core::TryAddAmount(p.refunded, e.refund.amount, &refunded) && refunded <= p.amount);
  NETFIN_ASSERT(core::TryAddAmount(p.fee_refunded, e.refund.fee_returned, &fee_refunded) &&
                fee_refunded <= p.fee);
  p.refunded = refunded;
  p.fee_refunded = fee_refunded;
  p.updated_at_ns = ts;
  Refund r = e.refund;
  r.created_at_ns = ts;
  refunds_by_payment_[r.payment_id].push_back(r.id);
  unsettled_refunds_[r.merchant_id].push_back(r.id);
  refunds_.Insert(r.id, std::move(r));
  return e.refund.merchant_id;
}

Id128 PaymentsState::ApplyOne(const MovementSucceeded& e, uint64_t ts) {
  See(e.movement.id);
  Movement m = e.movement;
  m.created_at_ns = ts;
  movements_by_customer_[m.customer_id].push_back(m.id);
  if (m.kind == MovementKind::kWalletTransfer) {
    movements_by_customer_[m.counterparty_id].push_back(m.id);
    CountAllowance(m.customer_id, m.amount, ts);
  }
  movements_.Insert(m.id, std::move(m));
  return {};
}

Id128 PaymentsState::ApplyOne(const SettlementCreated& e, uint64_t ts) {
  See(e.settlement.id);
  Settlement s = e.settlement;
  s.created_at_ns = ts;
  s.status = SettlementStatus::kPayable;
  const uint64_t cutoff_ns = ChinaDayEndNs(s.business_date);
  // The items the settlement covers: every unsettled one paid before the
  // cutoff (the deques are in time order).
  auto& payments = unsettled_payments_[s.merchant_id];
  auto& settled_payments = settled_payments_[s.id];
  while (!payments.empty() && MutablePayment(payments.front()).paid_at_ns < cutoff_ns) {
    MutablePayment(payments.front()).settled = true;
    settled_payments.push_back(payments.front());
    payments.pop_front();
  }
  auto& refunds = unsettled_refunds_[s.merchant_id];
  auto& settled_refunds = settled_refunds_[s.id];
  while (!refunds.empty() && refunds_.At(refunds.front()).created_at_ns < cutoff_ns) {
    refunds_.At(refunds.front()).settled = true;
    settled_refunds.push_back(refunds.front());
    refunds.pop_front();
  }
  NETFIN_ASSERT(settled_payments.size() == s.payment_count);
  NETFIN_ASSERT(settled_refunds.size() == s.refund_count);
  auto merchant = merchants_.find(s.merchant_id);
  NETFIN_ASSERT(merchant != merchants_.end());
  merchant->second.carry_minor = s.carry_out;
  settlements_order_.push_back(s.id);
  settlements_by_merchant_[s.merchant_id].push_back(s.id);
  settlement_by_day_[{s.merchant_id, s.business_date}] = s.id;
  const Id128 merchant_id = s.merchant_id;
  settlements_.emplace(s.id, std::move(s));
  return merchant_id;
}

Id128 PaymentsState::ApplyOne(const SettlementPaid& e, uint64_t ts) {
  auto it = settlements_.find(e.id);
  NETFIN_ASSERT(it != settlements_.end() && it->second.status == SettlementStatus::kPayable);
  it->second.status = SettlementStatus::kPaid;
  it->second.paid_at_ns = ts;
  return e.merchant_id;
}

Id128 PaymentsState::ApplyOne(const IdempotencyRecorded& e, uint64_t ts) {
  const Id128 slot = IdempotencySlot(e.key_id, e.key);
  idempotency_by_age_.emplace_back(ts, slot);
  // A key recorded again (after it expired) replaces its record.
  idempotency_.InsertOrAssign(
      slot, IdempotencyEntry{e.fingerprint, e.status, e.body, e.sealed, ts, e.key_id + '\n' + e.key});
  return {};
}

Id128 PaymentsState::ApplyOne(const WebhookDelivered& e, uint64_t) {
  outbox_.erase(e.event_sequence);
  return {};
}

Id128 PaymentsState::ApplyOne(const WebhookAttemptFailed& e, uint64_t) {
  auto it = outbox_.find(e.event_sequence);
  if (it == outbox_.end()) return {};
  it->second.attempts = e.attempts;
  it->second.next_attempt_ns = e.next_attempt_at;
  return {};
}

Id128 PaymentsState::ApplyOne(const WebhookAbandoned& e, uint64_t) {
  outbox_.erase(e.event_sequence);
  return {};
}

namespace {
// Inserts id keeping ids sorted (almost always an append).
void InsertSorted(std::vector<Id128>& ids, const Id128& id) {
  ids.insert(std::upper_bound(ids.begin(), ids.end(), id), id);
}
}  // namespace

Id128 PaymentsState::ApplyOne(const AttemptScreened& e, uint64_t) {
  See(e.id);
  if (e.kind != AttemptKind::kPayment) return {};  // a transfer: the screen observes it
  Payment& p = MutablePayment(e.id);
  NETFIN_ASSERT(p.status == PaymentStatus::kCreated);
  p.client = e.client;
  p.risk_action = e.action;
  p.risk_score_ppm = e.score_ppm;
  p.risk_reasons = e.reasons;
  p.risk_balance_before = e.balance_before;
  InsertSorted(screened_, p.id);
  if (e.action == ScreenAction::kChallenge || e.action == ScreenAction::kDeny) {
    InsertSorted(cases_, p.id);
  }
  return {};
}

Id128 PaymentsState::ApplyOne(const PaymentChallenged& e, uint64_t ts) {
  Payment& p = MutablePayment(e.id);
  NETFIN_ASSERT(p.status == PaymentStatus::kProcessing && p.customer_id == e.customer_id);
  SetStatus(p, PaymentStatus::kRequiresConfirmation, ts);
  p.hold_transfer_id = e.hold_transfer_id;
  p.confirm_code_hash = e.code_hash;
  p.confirm_attempts = 0;
  p.hold_expires_at_ns = e.expires_at;
  held_by_expiry_.emplace(e.expires_at, p.id);
  return {};
}

Id128 PaymentsState::ApplyOne(const ConfirmationFailed& e, uint64_t ts) {
  Payment& p = MutablePayment(e.id);
  NETFIN_ASSERT(p.status == PaymentStatus::kRequiresConfirmation);
  p.confirm_attempts = e.attempts;
  p.updated_at_ns = ts;
  return {};
}

Id128 PaymentsState::ApplyOne(const NoticeDelivered& e, uint64_t) {
  notices_.erase(e.event_sequence);
  return {};
}

Id128 PaymentsState::ApplyOne(const CaseLabelled& e, uint64_t ts) {
  Payment& p = MutablePayment(e.id);
  p.label = e.label;
  p.updated_at_ns = ts;
  return {};
}

void PaymentsState::CountAllowance(const Id128& customer_id, core::AmountMinor amount,
                                   uint64_t ts) {
  auto it = customers_.find(customer_id);
  NETFIN_ASSERT(it != customers_.end());
  Customer& c = it->second;
  const int32_t year = ChinaBusinessDate(ts) / 10000;
  if (c.paid_year != year) {
    c.paid_year = year;
    c.paid_in_year = 0;
  }
  // Saturating: a counter past kAmountMax is over every limit anyway.
  if (!core::TryAddAmount(c.paid_total, amount, &c.paid_total)) c.paid_total = core::kAmountMax;
  if (!core::TryAddAmount(c.paid_in_year, amount, &c.paid_in_year)) {
    c.paid_in_year = core::kAmountMax;
  }
}

void PaymentsState::EnqueueWebhook(const Event& event, const Id128& merchant_id, uint64_t seq,
                                   uint64_t ts) {
  auto it = merchants_.find(merchant_id);
  if (it == merchants_.end() || it->second.webhook_url.empty()) return;
  OutboxItem item;
  item.event_sequence = seq;
  item.event_timestamp_ns = ts;
  item.type = TypeOf(event);
  item.payload = EventJson(event);
  item.merchant_id = merchant_id;
  item.next_attempt_ns = ts;
  outbox_.emplace(seq, std::move(item));
}

// ---------------------------------------------------------------------------
// Reads.

namespace {
template <typename Map>
const typename Map::mapped_type* FindIn(const Map& map, const Id128& id) {
  auto it = map.find(id);
  return it == map.end() ? nullptr : &it->second;
}
}  // namespace

const PlatformAccounts* PaymentsState::Platform(uint32_t ledger) const {
  for (const auto& p : platforms_) {
    if (p.ledger == ledger) return &p;
  }
  return nullptr;
}
const Customer* PaymentsState::FindCustomer(const Id128& id) const { return FindIn(customers_, id); }
const Merchant* PaymentsState::FindMerchant(const Id128& id) const { return FindIn(merchants_, id); }
const Payment* PaymentsState::FindPayment(const Id128& id) const { return payments_.Find(id); }
const Refund* PaymentsState::FindRefund(const Id128& id) const { return refunds_.Find(id); }
const Movement* PaymentsState::FindMovement(const Id128& id) const { return movements_.Find(id); }
const Settlement* PaymentsState::FindSettlement(const Id128& id) const {
  return FindIn(settlements_, id);
}
const std::vector<Id128>* PaymentsState::PaymentsOf(const Id128& party_id) const {
  return FindIn(payments_by_party_, party_id);
}
const std::vector<Id128>& PaymentsState::RefundsOfPayment(const Id128& payment_id) const {
  static const std::vector<Id128> kNone;
  const auto* refunds = FindIn(refunds_by_payment_, payment_id);
  return refunds == nullptr ? kNone : *refunds;
}
const std::vector<Id128>* PaymentsState::MovementsOf(const Id128& customer_id) const {
  return FindIn(movements_by_customer_, customer_id);
}
const std::vector<Id128>* PaymentsState::SettlementsOf(const Id128& merchant_id) const {
  return FindIn(settlements_by_merchant_, merchant_id);
}
const std::deque<Id128>* PaymentsState::UnsettledPayments(const Id128& merchant_id) const {
  return FindIn(unsettled_payments_, merchant_id);
}
const std::deque<Id128>* PaymentsState::UnsettledRefunds(const Id128& merchant_id) const {
  return FindIn(unsettled_refunds_, merchant_id);
}
const std::vector<Id128>* PaymentsState::SettledPayments(const Id128& settlement_id) const {
  return FindIn(settled_payments_, settlement_id);
}
const std::vector<Id128>* PaymentsState::SettledRefunds(const Id128& settlement_id) const {
  return FindIn(settled_refunds_, settlement_id);
}

const Settlement* PaymentsState::SettlementFor(const Id128& merchant_id,
                                               int32_t business_date) const {
  auto it = settlement_by_day_.find({merchant_id, business_date});
  return it == settlement_by_day_.end() ? nullptr : FindSettlement(it->second);
}

const IdempotencyEntry* PaymentsState::FindIdempotency(const std::string& key_id,
                                                       const std::string& key,
                                                       uint64_t now_ns) const {
  const IdempotencyEntry* entry = idempotency_.Find(IdempotencySlot(key_id, key));
  if (entry == nullptr || !entry->IsFor(key_id, key)) return nullptr;
  const uint64_t ttl_ns = config_.idempotency_ttl_s * core::kNanosPerSecond;
  if (now_ns > entry->recorded_at_ns && now_ns - entry->recorded_at_ns >= ttl_ns) return nullptr;
  return entry;
}

Id128 PaymentsState::IdempotencySlot(std::string_view key_id, std::string_view key) const {
  const auto h = core::TableHash128(slot_key_, key_id, key);
  return Id128{h[0], h[1]};
}

void PaymentsState::PruneIdempotency(uint64_t now_ns) {
  const uint64_t ttl_ns = config_.idempotency_ttl_s * core::kNanosPerSecond;
  while (!idempotency_by_age_.empty() && now_ns > idempotency_by_age_.front().first &&
         now_ns - idempotency_by_age_.front().first >= ttl_ns) {
    const auto& [recorded_at_ns, slot] = idempotency_by_age_.front();
    // A key re-recorded later (after it had expired) is younger: keep it.
    const IdempotencyEntry* entry = idempotency_.Find(slot);
    if (entry != nullptr && entry->recorded_at_ns == recorded_at_ns) idempotency_.Erase(slot);
    idempotency_by_age_.pop_front();
  }
}

std::vector<Id128> PaymentsState::ExpiredPayments(uint64_t now_ns, size_t max) const {
  return DueIds(open_by_expiry_, now_ns, max);
}

std::vector<Id128> PaymentsState::LapsedHolds(uint64_t now_ns, size_t max) const {
  return DueIds(held_by_expiry_, now_ns, max);
}

std::vector<NoticeItem> PaymentsState::PendingNotices(size_t max) const {
  std::vector<NoticeItem> due;
  for (const auto& [seq, item] : notices_) {
    if (due.size() >= max) break;
    due.push_back(item);
  }
  return due;
}

std::vector<OutboxItem> PaymentsState::DueWebhooks(uint64_t now_ns, size_t max) const {
  std::vector<OutboxItem> due;
  for (const auto& [seq, item] : outbox_) {
    if (due.size() >= max) break;
    if (item.next_attempt_ns <= now_ns) due.push_back(item);
  }
  return due;
}

const OutboxItem* PaymentsState::FindOutboxItem(uint64_t sequence) const {
  auto it = outbox_.find(sequence);
  return it == outbox_.end() ? nullptr : &it->second;
}

core::AmountMinor PaymentsState::AllowanceUsed(const Customer& c, uint64_t now_ns) const {
  const TierConfig* tier = config_.FindTier(c.tier);
  NETFIN_ASSERT(tier != nullptr);
  if (tier->period == TierPeriod::kLifetime) return c.paid_total;
  return c.paid_year == ChinaBusinessDate(now_ns) / 10000 ? c.paid_in_year : 0;
}

core::AmountMinor PaymentsState::AllowanceLeft(const Customer& c, uint64_t now_ns) const {
  const TierConfig* tier = config_.FindTier(c.tier);
  NETFIN_ASSERT(tier != nullptr);
  const core::AmountMinor used = AllowanceUsed(c, now_ns);
  return used >= tier->limit_minor ? 0 : tier->limit_minor - used;
}

}  // namespace netfin::payments
