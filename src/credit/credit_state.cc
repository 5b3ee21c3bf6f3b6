#include "credit/credit_state.h"

#include <algorithm>

#include "core/assert.h"
#include "credit/credit_limits.h"

namespace netfin::credit {

LoanPaid PaidOf(const Loan& loan) {
  LoanPaid p;
  for (size_t k = 0; k < loan.instalments.size(); ++k) {
    const LoanInstalment& i = loan.instalments[k];
    p.interest_minor += i.interest_paid_minor;
    p.fee_minor += i.fee_paid_minor;
    if (k < loan.statements_issued) p.fee_billed_minor += i.scheduled.fee_minor;
  }
  return p;
}

AmountMinor BookedBalanceMinor(const LoanRecord& r) {
  const LoanPaid paid = PaidOf(r.loan);
  const auto unpaid = [](AmountMinor recognised, AmountMinor paid) {
    return recognised > paid ? recognised - paid : 0;
  };
  return OutstandingPrincipalMinor(r.loan) + unpaid(r.interest_recognised_minor, paid.interest_minor) +
         unpaid(r.fee_recognised_minor, paid.fee_minor) + PenaltyUnpaidMinor(r.loan);
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

std::string_view LineEntryKindName(LineEntryKind kind) {
  switch (kind) {
    case LineEntryKind::kOpened:
      return "opened";
    case LineEntryKind::kPurchase:
      return "purchase";
    case LineEntryKind::kBilled:
      return "billed";
    case LineEntryKind::kRestored:
      return "restored";
    case LineEntryKind::kFrozen:
      return "frozen";
    case LineEntryKind::kUnfrozen:
      return "unfrozen";
    case LineEntryKind::kLimitReviewed:
      return "limit_reviewed";
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

std::string_view LimitBasisName(LimitBasis basis) {
  switch (basis) {
    case LimitBasis::kNone:
      return "none";
    case LimitBasis::kGrade:
      return "grade";
    case LimitBasis::kManual:
      return "manual";
  }
  return "?";
}

std::string_view LimitStateName(LimitState state) {
  switch (state) {
    case LimitState::kActive:
      return "active";
    case LimitState::kFrozen:
      return "frozen";
  }
  return "?";
}

std::string_view LimitDecisionKindName(LimitDecisionKind kind) {
  switch (kind) {
    case LimitDecisionKind::kAssessed:
      return "assessment";
    case LimitDecisionKind::kManual:
      return "manual";
    case LimitDecisionKind::kReviewed:
      return "review";
  }
  return "?";
}

std::string_view LimitDecisionReasonName(const LimitDecisionEntry& entry) {
  switch (entry.kind) {
    case LimitDecisionKind::kAssessed:
      return "assessed";
    case LimitDecisionKind::kManual:
      return "manual";
    case LimitDecisionKind::kReviewed:
      return LimitReasonName(entry.reason);
  }
  return "?";
}

namespace {

// The value under key in one of the state's maps, or nullptr.
template <typename Map, typename Key>
const typename Map::mapped_type* Find(const Map& map, const Key& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

// A copy of the record under id with its history, kept apart (see the
// header), filled in. REQUIRES: the record exists.
template <typename Records, typename Histories>
typename Records::mapped_type WithHistory(const Records& records, const Histories& histories,
                                          const Id128& id) {
  typename Records::mapped_type r = records.at(id);
  if (const auto* history = Find(histories, id)) r.entries = *history;
  return r;
}

// Months since year 0: consecutive months are consecutive numbers.
int32_t MonthIndex(CivilDate date) {
  const YearMonthDay ymd = date.ToYmd();
  return ymd.year * 12 + static_cast<int32_t>(ymd.month) - 1;
}

// The most review days one day-end can span (a catch-up of
// kRunDayCatchUpDaysMax days): bounds ReviewDateIn's loop.
constexpr uint32_t kCatchUpMonthsMax = kRunDayCatchUpDaysMax / 28 + 1;

}  // namespace

CreditState::CreditState(uint32_t review_day) : review_day_(review_day) {
  NETFIN_ASSERT(review_day >= 1 && review_day <= 28);
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

const DayTally* CreditState::Tally(CivilDate date) const { return Find(tallies_, date); }

const LoanRecord* CreditState::FindLoan(const Id128& id) const { return Find(loans_, id); }

LoanRecord CreditState::LoanWithHistory(const Id128& id) const {
  return WithHistory(loans_, histories_, id);
}

const std::vector<Id128>* CreditState::LoansOf(const Id128& borrower_id) const {
  return Find(loans_by_borrower_, borrower_id);
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
  // Purchases on a line not yet billed are credit outstanding too.
  if (const auto* ids = LinesOf(borrower_id)) {
    for (const Id128& id : *ids) sum += lines_.at(id).line.unbilled_minor;
  }
  return sum;
}

const LineRecord* CreditState::FindLine(const Id128& id) const { return Find(lines_, id); }

LineRecord CreditState::LineWithHistory(const Id128& id) const {
  return WithHistory(lines_, line_histories_, id);
}

const std::vector<Id128>* CreditState::LinesOf(const Id128& borrower_id) const {
  return Find(lines_by_borrower_, borrower_id);
}

const LineRecord* CreditState::LineOf(const Id128& borrower_id, std::string_view product) const {
  if (const auto* ids = LinesOf(borrower_id)) {
    for (const Id128& id : *ids) {
      const LineRecord& r = lines_.at(id);
      if (r.product == product) return &r;
    }
  }
  return nullptr;
}

const std::vector<Id128>* CreditState::LoansOfLine(const Id128& line_id) const {
  return Find(loans_by_line_, line_id);
}

std::vector<Id128> CreditState::LinesToBill(CivilDate date, size_t max) const {
  std::vector<Id128> due;
  for (const Id128& id : unbilled_lines_) {
    if (due.size() >= max) break;
    const LineRecord& r = lines_.at(id);
    if (StatementDateOnOrAfter(r.statement_day, r.cycle_start_date) <= date) due.push_back(id);
  }
  return due;
}

LimitDecided NewLimitDecision(const BorrowerRecord* found, const Id128& borrower_id,
                             LimitDecisionKind kind, AmountMinor limit_minor, CivilDate date) {
  LimitDecided d;
  d.record = found != nullptr ? *found : BorrowerRecord{};
  BorrowerRecord& r = d.record;
  const LimitAction action = limit_minor > r.limit_minor   ? LimitAction::kRaise
                             : limit_minor < r.limit_minor ? LimitAction::kLower
                                                           : LimitAction::kKeep;
  d.entry = {date,          kind,        action, LimitReason::kNotYetEligible,
             r.limit_minor, limit_minor, r.grade, r.score};
  r.borrower_id = borrower_id;
  r.limit_minor = limit_minor;
  return d;
}

LimitDecided ManualLimitDecision(const BorrowerRecord* found, const Id128& borrower_id,
                                 AmountMinor limit_minor, CivilDate date) {
  LimitDecided d =
      NewLimitDecision(found, borrower_id, LimitDecisionKind::kManual, limit_minor, date);
  BorrowerRecord& r = d.record;
  if (r.basis == LimitBasis::kNone && limit_minor > 0) r.limited_since = date;
  r.basis = limit_minor > 0 ? LimitBasis::kManual : LimitBasis::kNone;  // 0 removes the limit
  r.manual_ceiling_minor = limit_minor;
  r.state = LimitState::kActive;  // the operator's decision lifts a freeze
  return d;
}

CivilDate StatementDateOnOrAfter(uint32_t statement_day, CivilDate from) {
  NETFIN_ASSERT(statement_day >= 1 && statement_day <= 28);
  const YearMonthDay ymd = from.ToYmd();
  const CivilDate same_month = CivilDate::FromYmd(ymd.year, ymd.month, statement_day);
  return same_month >= from ? same_month : same_month.AddMonths(1);
}

const BorrowerRecord* CreditState::FindBorrower(const Id128& borrower_id) const {
  return Find(borrowers_, borrower_id);
}

BorrowerRecord CreditState::BorrowerWithHistory(const Id128& borrower_id) const {
  return WithHistory(borrowers_, borrower_histories_, borrower_id);
}

bool CreditState::HasCredit(const Id128& borrower_id) const {
  return LoansOf(borrower_id) != nullptr || LinesOf(borrower_id) != nullptr;
}

std::optional<CivilDate> CreditState::ReviewDateIn(CivilDate date) const {
  // The first review day on or after the run's first day; the latest one
  // within the run is then this plus whole months.
  CivilDate review = StatementDateOnOrAfter(review_day_, day_end_from_);
  if (review > date) return std::nullopt;
  for (uint32_t k = 0; k <= kCatchUpMonthsMax && review.AddMonths(1) <= date; ++k) {
    review = review.AddMonths(1);
  }
  NETFIN_ASSERT(review <= date && review.AddMonths(1) > date);
  return review;
}

std::vector<Id128> CreditState::BorrowersToReview(CivilDate date, size_t max) const {
  std::vector<Id128> due;
  for (const Id128& id : limited_) {
    if (due.size() >= max) break;
    if (borrowers_.at(id).last_review_date < date) due.push_back(id);
  }
  return due;
}

RepaymentRecord CreditState::RepaymentRecordOf(const Id128& borrower_id, CivilDate review_date,
                                               uint32_t months_max) const {
  RepaymentRecord out;
  const int32_t period = MonthIndex(review_date);
  const std::map<int32_t, uint32_t> none;
  const std::map<int32_t, uint32_t>* found = Find(lateness_, borrower_id);
  const std::map<int32_t, uint32_t>& late = found != nullptr ? *found : none;
  auto at = late.find(period);
  out.days_past_due_max_window = at == late.end() ? 0 : at->second;
  const uint32_t kept = std::min(months_max, kLatenessMonthsKept);
  while (out.months_on_time < kept && late.count(period - static_cast<int32_t>(out.months_on_time)) == 0) {
    ++out.months_on_time;
  }
  return out;
}

const CreditIdempotencyRecorded* CreditState::FindIdempotency(const std::string& key_id,
                                                              const std::string& key) const {
  return Find(idempotency_, std::pair(key_id, key));
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
    if (!c.record.line_id.IsZero()) loans_by_line_[c.record.line_id].push_back(id);
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

void CreditState::ApplyOne(const LoanOpened& e, uint64_t) {
  Store(e.change, true);
  // A credit line's bill is cut by the day-end already billed: its
  // statement counts with the day's.
  if (!e.change.day_end) return;
  DayTally& t = tallies_[e.change.day_end_date];
  for (const LoanEntry& entry : e.change.entries) {
    if (entry.kind == EntryKind::kStatement) t.statements += 1;
  }
}

// Keeps the worst days past due of each review period, per borrower: what
// the monthly review reads as lateness in its window and months on time.
void CreditState::NoteLateness(const LoanChanged& e) {
  const Loan& loan = e.record.loan;
  if (loan.days_past_due == 0) return;
  const int32_t period = MonthIndex(StatementDateOnOrAfter(review_day_, e.day_end_date));
  std::map<int32_t, uint32_t>& late = lateness_[e.record.borrower_id];
  uint32_t& worst = late[period];
  worst = std::max(worst, loan.days_past_due);
  // Bounded: periods older than any review reads are dropped.
  while (!late.empty() && late.begin()->first < period - static_cast<int32_t>(kLatenessMonthsKept)) {
    late.erase(late.begin());
  }
}

void CreditState::ApplyOne(const LoanChanged& e, uint64_t) {
  Store(e, false);
  if (!e.day_end) return;
  NoteLateness(e);
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
  day_end_from_ = last_run_date_.AddDays(1);
  last_run_date_ = e.date;
  day_end_finished_ = false;
  tallies_[e.date];  // a day with no loans still has its (empty) tally
}

void CreditState::ApplyOne(const DayEndFinished& e, uint64_t) {
  NETFIN_ASSERT(e.date == last_run_date_ && !day_end_finished_);
  day_end_finished_ = true;
  tallies_[e.date].finished = true;
}

// An event from before grades and reviews: a manual decision dated the open
// day it was replayed in (the event has no date).
void CreditState::ApplyOne(const BorrowerLimitSet& e, uint64_t ts) {
  ApplyOne(ManualLimitDecision(FindBorrower(e.borrower_id), e.borrower_id, e.limit_minor, OpenDate()),
           ts);
}

void CreditState::ApplyOne(const LimitDecided& e, uint64_t) {
  const Id128 id = e.record.borrower_id;
  NETFIN_ASSERT(!id.IsZero() && e.record.entries.empty());
  NETFIN_ASSERT(e.record.limit_minor == e.entry.limit_after_minor);
  NETFIN_ASSERT(e.record.basis != LimitBasis::kNone || e.record.limit_minor == 0);
  borrowers_[id] = e.record;
  borrower_histories_[id].push_back(e.entry);
  if (e.record.basis != LimitBasis::kNone) {
    limited_.insert(id);
  } else {
    limited_.erase(id);
  }
  if (e.entry.kind == LimitDecisionKind::kReviewed) {
    const auto action = static_cast<size_t>(e.entry.action) - 1;
    NETFIN_ASSERT(action < 4);
    tallies_[e.entry.date].limit_reviews[action] += 1;
  }
}

void CreditState::StoreLine(const LineChanged& c, bool opened) {
  const Id128 id = c.record.id;
  NETFIN_ASSERT(c.record.entries.empty());
  NETFIN_ASSERT(c.record.line.unbilled_minor <= c.record.line.used_minor);
  See(id);
  auto it = lines_.find(id);
  NETFIN_ASSERT(opened == (it == lines_.end()));
  if (opened) {
    it = lines_.emplace(id, c.record).first;
    lines_order_.push_back(id);
    lines_by_borrower_[c.record.borrower_id].push_back(id);
  } else {
    it->second = c.record;
  }
  std::vector<LineEntry>& history = line_histories_[id];
  history.insert(history.end(), c.entries.begin(), c.entries.end());
  if (it->second.line.unbilled_minor > 0) {
    unbilled_lines_.insert(id);
  } else {
    unbilled_lines_.erase(id);
  }
}

void CreditState::ApplyOne(const LineOpened& e, uint64_t) { StoreLine(e.change, true); }
void CreditState::ApplyOne(const LineChanged& e, uint64_t) { StoreLine(e, false); }

void CreditState::ApplyOne(const BooksExtended& e, uint64_t) {
  for (CreditBooks& b : books_) {
    if (b.ledger != e.ledger) continue;
    NETFIN_ASSERT(b.lender_funding.IsZero() && b.held_payments.IsZero());
    b.lender_funding = e.lender_funding;
    b.held_payments = e.held_payments;
    return;
  }
  NETFIN_ASSERT(false && "books extended before they were opened");
}

void CreditState::ApplyOne(const CreditIdempotencyRecorded& e, uint64_t) {
  idempotency_[{e.key_id, e.key}] = e;
}

}  // namespace netfin::credit
