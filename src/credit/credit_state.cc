#include "credit/credit_state.h"

#include <algorithm>

#include "core/assert.h"

namespace netfin::credit {

AmountMinor BookedBalanceMinor(const LoanRecord& r) {
  AmountMinor interest_paid = 0, fee_paid = 0;
  for (const LoanInstalment& i : r.loan.instalments) {
    interest_paid += i.interest_paid_minor;
    fee_paid += i.fee_paid_minor;
  }
  const auto unpaid = [](AmountMinor recognised, AmountMinor paid) {
    return recognised > paid ? recognised - paid : 0;
  };
  return OutstandingPrincipalMinor(r.loan) + unpaid(r.interest_recognised_minor, interest_paid) +
         unpaid(r.fee_recognised_minor, fee_paid) + PenaltyUnpaidMinor(r.loan);
}

std::string_view DisbursementKindName(DisbursementKind kind) {
  switch (kind) {
    case DisbursementKind::kWallet:
      return "wallet";
    case DisbursementKind::kMerchant:
      return "merchant";
  }
  return "?";
}

std::string_view EntryKindName(EntryKind kind) {
  switch (kind) {
    case EntryKind::kDisbursed:
      return "disbursed";
    case EntryKind::kInterest:
      return "interest";
    case EntryKind::kPenalty:
      return "penalty";
    case EntryKind::kFee:
      return "fee";
    case EntryKind::kRepayment:
      return "repayment";
    case EntryKind::kReversal:
      return "reversal";
    case EntryKind::kWriteOff:
      return "write_off";
    case EntryKind::kStatement:
      return "statement";
  }
  return "?";
}

void CreditState::Apply(const CreditEvent& event, uint64_t timestamp_ns) {
  timestamp_max_ns_ = std::max(timestamp_max_ns_, timestamp_ns);
  std::visit([&](const auto& e) { ApplyOne(e, timestamp_ns); }, event);
}

const CreditBooks* CreditState::Books(uint32_t ledger) const {
  for (const CreditBooks& b : books_) {
    if (b.ledger == ledger) return &b;
  }
  return nullptr;
}

const DayTally* CreditState::Tally(CivilDate date) const {
  auto it = tallies_.find(date);
  return it == tallies_.end() ? nullptr : &it->second;
}

const LoanRecord* CreditState::FindLoan(const Id128& id) const {
  auto it = loans_.find(id);
  return it == loans_.end() ? nullptr : &it->second;
}

LoanRecord CreditState::LoanWithHistory(const Id128& id) const {
  LoanRecord r = loans_.at(id);
  auto it = histories_.find(id);
  if (it != histories_.end()) r.entries = it->second;
  return r;
}

const std::vector<Id128>* CreditState::LoansOf(const Id128& borrower_id) const {
  auto it = loans_by_borrower_.find(borrower_id);
  return it == loans_by_borrower_.end() ? nullptr : &it->second;
}

std::vector<Id128> CreditState::LoansBehind(CivilDate date, size_t max) const {
  std::vector<Id128> behind;
  for (const Id128& id : active_) {
    if (behind.size() >= max) break;
    if (loans_.at(id).loan.last_run_date < date) behind.push_back(id);
  }
  return behind;
}

AmountMinor CreditState::OutstandingPrincipalOf(const Id128& borrower_id) const {
  AmountMinor sum = 0;
  if (const auto* ids = LoansOf(borrower_id)) {
    for (const Id128& id : *ids) {
      const LoanRecord& r = loans_.at(id);
      if (r.loan.status == LoanStatus::kActive) sum += OutstandingPrincipalMinor(r.loan);
    }
  }
  return sum;
}

AmountMinor CreditState::LimitOf(const Id128& borrower_id) const {
  auto it = limits_.find(borrower_id);
  return it == limits_.end() ? 0 : it->second;
}

const CreditIdempotencyRecorded* CreditState::FindIdempotency(const std::string& key_id,
                                                              const std::string& key) const {
  auto it = idempotency_.find({key_id, key});
  return it == idempotency_.end() ? nullptr : &it->second;
}

Id128 CreditState::NextId(uint64_t now_ns) {
  Id128 next = now_ns > last_id_.hi ? Id128{now_ns, kIdTag} : Id128{last_id_.hi, last_id_.lo + 1};
  NETFIN_ASSERT(next > last_id_);
  NETFIN_ASSERT((next.lo & kIdTag) != 0);
  last_id_ = next;
  return next;
}

void CreditState::FenceIds() {
  const uint64_t hi = std::max(last_id_.hi, timestamp_max_ns_);
  NETFIN_ASSERT(hi < UINT64_MAX);
  last_id_ = Id128{hi + 1, kIdTag};
}

void CreditState::See(const Id128& id) {
  if (id > last_id_) last_id_ = id;
}

void CreditState::ApplyOne(const BooksOpened& e, uint64_t) {
  NETFIN_ASSERT(Books(e.books.ledger) == nullptr);
  // The first ledger's opening sets the calendar; later ones (a currency
  // added) join it.
  if (books_.empty()) last_run_date_ = e.first_business_date.AddDays(-1);
  books_.push_back(e.books);
}

void CreditState::Store(const LoanChanged& c, bool opened) {
  const Id128 id = c.record.id;
  // The history travels in c.entries; the record's own stays empty.
  NETFIN_ASSERT(c.record.entries.empty());
  See(id);
  auto it = loans_.find(id);
  NETFIN_ASSERT(opened == (it == loans_.end()));
  if (opened) {
    it = loans_.emplace(id, c.record).first;
    loans_order_.push_back(id);
    loans_by_borrower_[c.record.borrower_id].push_back(id);
  } else {
    it->second = c.record;
  }
  std::vector<LoanEntry>& history = histories_[id];
  history.insert(history.end(), c.entries.begin(), c.entries.end());
  if (it->second.loan.status == LoanStatus::kActive) {
    active_.insert(id);
  } else {
    active_.erase(id);
  }
}

void CreditState::ApplyOne(const LoanOpened& e, uint64_t) { Store(e.change, true); }

void CreditState::ApplyOne(const LoanChanged& e, uint64_t) {
  Store(e, false);
  if (!e.day_end) return;
  DayTally& t = tallies_[e.day_end_date];
  const Loan& after = e.record.loan;
  t.loans_run += 1;
  for (const LoanEntry& entry : e.entries) {
    switch (entry.kind) {
      case EntryKind::kInterest:
        t.interest_minor += entry.amount_minor;
        break;
      case EntryKind::kPenalty:
        t.penalty_minor += entry.amount_minor;
        break;
      case EntryKind::kFee:
        t.fees_minor += entry.amount_minor;
        break;
      case EntryKind::kStatement:
        t.statements += 1;
        break;
      case EntryKind::kWriteOff:
        t.written_off_minor += entry.amount_minor;
        t.written_off_loans += 1;
        break;
      case EntryKind::kDisbursed:
      case EntryKind::kRepayment:
      case EntryKind::kReversal:
        break;
    }
  }
  if (e.record.provision_minor > e.provision_before_minor) {
    t.provision_charged_minor += e.record.provision_minor - e.provision_before_minor;
  } else {
    t.provision_released_minor += e.provision_before_minor - e.record.provision_minor;
  }
  const auto b0 = static_cast<size_t>(e.bucket_before), b1 = static_cast<size_t>(after.bucket());
  const auto c0 = static_cast<size_t>(e.class_before) - 1, c1 = static_cast<size_t>(after.loan_class) - 1;
  NETFIN_ASSERT(b0 < 5 && b1 < 5 && c0 < 5 && c1 < 5);
  if (b0 != b1) t.bucket_moves[b0][b1] += 1;
  if (c0 != c1) t.class_moves[c0][c1] += 1;
}

void CreditState::ApplyOne(const DayEndStarted& e, uint64_t) {
  NETFIN_ASSERT(e.date > last_run_date_ && day_end_finished_);
  last_run_date_ = e.date;
  day_end_finished_ = false;
  tallies_[e.date];  // a day with no loans still has its (empty) tally
}

void CreditState::ApplyOne(const DayEndFinished& e, uint64_t) {
  NETFIN_ASSERT(e.date == last_run_date_ && !day_end_finished_);
  day_end_finished_ = true;
  tallies_[e.date].finished = true;
}

void CreditState::ApplyOne(const BorrowerLimitSet& e, uint64_t) {
  limits_[e.borrower_id] = e.limit_minor;
}

void CreditState::ApplyOne(const CreditIdempotencyRecorded& e, uint64_t) {
  idempotency_[{e.key_id, e.key}] = e;
}

}  // namespace netfin::credit
