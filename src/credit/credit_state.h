#pragma once

// The credit service's in-memory state: the books per ledger, the loans with
// their history, the day-end calendar and tallies, borrower limits and
// remembered idempotency keys. Apply (credit_events.h) is the only mutator.
//
// The calendar: the books open on a first business day; every operation is
// dated the open day, the day after the last day-end started (a loan opened
// or repaid belongs to it). A day-end moves the open day on at its start,
// then brings the loans to the end of its date in chunks.
//
// Thread: the ledger's applier thread only (commands and replay).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "credit/credit_events.h"

namespace netfin::credit {

// Months of lateness a borrower's record keeps (the review reads at most
// raise_months_min of them): ten years, so any sane policy fits.
inline constexpr uint32_t kLatenessMonthsKept = 120;

// What the monthly review reads of a borrower's repayment record, from the
// day-ends' days past due (a review period runs from the day after one
// review day to the next).
struct RepaymentRecord {
  uint32_t days_past_due_max_window = 0;  // the worst at a day-end of the period
  uint32_t months_on_time = 0;  // consecutive periods without lateness, this one first
};

class CreditState {
 public:
  // review_day: LimitReviewPolicy::review_day (1..28), which groups the
  // day-ends' lateness into review periods.
  explicit CreditState(uint32_t review_day = 1);

  void Apply(const CreditEvent& event, uint64_t timestamp_ns);

  const CreditBooks* Books(uint32_t ledger) const;
  const std::vector<CreditBooks>& AllBooks() const { return books_; }
  bool opened() const { return !books_.empty(); }

  // The day operations are dated: the day after the last day-end started.
  CivilDate OpenDate() const { return last_run_date_.AddDays(1); }
  // The last day-end started (the day before the books opened when none).
  CivilDate LastRunDate() const { return last_run_date_; }
  // Whether the last day-end started has brought every loan to its date.
  bool day_end_finished() const { return day_end_finished_; }
  const DayTally* Tally(CivilDate date) const;

  // The loan without its history (entries empty): what a change copies.
  const LoanRecord* FindLoan(const Id128& id) const;
  // A copy of the loan with its history lines, oldest first. REQUIRES: the
  // loan exists.
  LoanRecord LoanWithHistory(const Id128& id) const;
  // Ids in opening order (ids increase with time).
  const std::vector<Id128>& AllLoans() const { return loans_order_; }
  const std::vector<Id128>* LoansOf(const Id128& borrower_id) const;
  // Active loans not yet run to `date`, in id order, at most max.
  std::vector<Id128> LoansBehind(CivilDate date, size_t max) const;
  // Principal outstanding over the borrower's active loans.
  AmountMinor OutstandingPrincipalOf(const Id128& borrower_id) const;
  // A borrower's limit without its history (nullptr: never decided), or a
  // copy with it. REQUIRES (WithHistory): the borrower has a record.
  const BorrowerRecord* FindBorrower(const Id128& borrower_id) const;
  BorrowerRecord BorrowerWithHistory(const Id128& borrower_id) const;
  // Whether the borrower has loans or lines (known to the role at all).
  bool HasCredit(const Id128& borrower_id) const;
  // The review day the running day-end covers: the latest review day from
  // the day after the previous day-end's date to `date` (a catch-up run may
  // span one); none when it covers no review day.
  std::optional<CivilDate> ReviewDateIn(CivilDate date) const;
  // Borrowers with a limit whose review of the day-end of `date` has not
  // run, in id order, at most max.
  std::vector<Id128> BorrowersToReview(CivilDate date, size_t max) const;
  // The borrower's repayment record for the review period ending on review_date.
  RepaymentRecord RepaymentRecordOf(const Id128& borrower_id, CivilDate review_date,
                                    uint32_t months_max) const;

  // Credit lines, as loans: without history, or a copy with it.
  const LineRecord* FindLine(const Id128& id) const;
  LineRecord LineWithHistory(const Id128& id) const;
  const std::vector<Id128>& AllLines() const { return lines_order_; }
  const std::vector<Id128>* LinesOf(const Id128& borrower_id) const;
  // The line of a borrower on a product, if one is open.
  const LineRecord* LineOf(const Id128& borrower_id, std::string_view product) const;
  // The bills and conversions drawn on a line, in opening order.
  const std::vector<Id128>* LoansOfLine(const Id128& line_id) const;
  // Lines with purchases whose cycle closes at the end of `date` or
  // earlier, in id order, at most max.
  std::vector<Id128> LinesToBill(CivilDate date, size_t max) const;

  const CreditIdempotencyRecorded* FindIdempotency(const std::string& key_id,
                                                   const std::string& key) const;

  // Ids of the role: time-ordered and strictly increasing, also across
  // restarts (replay and FenceIds advance past every id seen). The low half
  // carries kIdTag so that they never meet the payments role's ids (also
  // time-ordered, low half counting from 1) in the ledger's one id space.
  static constexpr uint64_t kIdTag = 1ull << 62;
  Id128 NextId(uint64_t now_ns);
  // REQUIRES: after replay, before the first command.
  void FenceIds();

 private:
  void See(const Id128& id);
  void ApplyOne(const BooksOpened& e, uint64_t ts);
  void ApplyOne(const LoanOpened& e, uint64_t ts);
  void ApplyOne(const LoanChanged& e, uint64_t ts);
  void ApplyOne(const DayEndStarted& e, uint64_t ts);
  void ApplyOne(const DayEndFinished& e, uint64_t ts);
  void ApplyOne(const BorrowerLimitSet& e, uint64_t ts);
  void ApplyOne(const CreditIdempotencyRecorded& e, uint64_t ts);
  void ApplyOne(const LineOpened& e, uint64_t ts);
  void ApplyOne(const LineChanged& e, uint64_t ts);
  void ApplyOne(const BooksExtended& e, uint64_t ts);
  void ApplyOne(const LimitDecided& e, uint64_t ts);
  void NoteLateness(const LoanChanged& change);
  void StoreLine(const LineChanged& change, bool opened);
  void Store(const LoanChanged& change, bool opened);

  Id128 last_id_;
  uint64_t timestamp_max_ns_ = 0;
  std::vector<CreditBooks> books_;
  CivilDate last_run_date_;
  bool day_end_finished_ = true;
  std::map<CivilDate, DayTally> tallies_;
  absl::flat_hash_map<Id128, LoanRecord, core::Id128Hash> loans_;
  // Each loan's history, kept apart from loans_ so that the day-end and a
  // repayment copy a loan without copying a history that grows every day.
  absl::flat_hash_map<Id128, std::vector<LoanEntry>, core::Id128Hash> histories_;
  std::vector<Id128> loans_order_;
  absl::flat_hash_map<Id128, std::vector<Id128>, core::Id128Hash> loans_by_borrower_;
  std::set<Id128> active_;
  uint32_t review_day_ = 1;
  CivilDate day_end_from_;  // the first day the running (or last) day-end covers
  absl::flat_hash_map<Id128, BorrowerRecord, core::Id128Hash> borrowers_;
  absl::flat_hash_map<Id128, std::vector<LimitDecisionEntry>, core::Id128Hash> borrower_histories_;
  std::set<Id128> limited_;  // borrowers whose basis is not kNone
  // Per borrower: review period (month index of its review day) -> the worst
  // days past due a day-end saw in it; only periods with lateness, at most
  // kLatenessMonthsKept back. Derived from the day-end's loan events.
  absl::flat_hash_map<Id128, std::map<int32_t, uint32_t>, core::Id128Hash> lateness_;
  std::map<std::pair<std::string, std::string>, CreditIdempotencyRecorded> idempotency_;
  absl::flat_hash_map<Id128, LineRecord, core::Id128Hash> lines_;
  absl::flat_hash_map<Id128, std::vector<LineEntry>, core::Id128Hash> line_histories_;
  std::vector<Id128> lines_order_;
  absl::flat_hash_map<Id128, std::vector<Id128>, core::Id128Hash> lines_by_borrower_;
  absl::flat_hash_map<Id128, std::vector<Id128>, core::Id128Hash> loans_by_line_;
  std::set<Id128> unbilled_lines_;  // lines with purchases not yet billed
};

// The first day on or after `from` that falls on statement_day (1..28).
CivilDate StatementDateOnOrAfter(uint32_t statement_day, CivilDate from);

// A decision of `kind` moving a borrower's limit to limit_minor on `date`,
// over their record (found; nullptr: none yet): the record with the new
// limit, and the entry from the old limit (raise, lower or keep) carrying the
// record's grade and score. The caller sets what the kind changes besides.
LimitDecided NewLimitDecision(const BorrowerRecord* found, const Id128& borrower_id,
                              LimitDecisionKind kind, AmountMinor limit_minor, CivilDate date);
// The operator's limit (0 removes it): a manual decision that also lifts a
// freeze. SetBorrowerLimit books it; replay derives it from a BorrowerLimitSet.
LimitDecided ManualLimitDecision(const BorrowerRecord* found, const Id128& borrower_id,
                                 AmountMinor limit_minor, CivilDate date);

}  // namespace netfin::credit
