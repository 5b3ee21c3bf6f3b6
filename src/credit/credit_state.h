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
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "credit/credit_events.h"

namespace netfin::credit {

class CreditState {
 public:
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
  // 0: no limit set.
  AmountMinor LimitOf(const Id128& borrower_id) const;

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
  absl::flat_hash_map<Id128, AmountMinor, core::Id128Hash> limits_;
  std::map<std::pair<std::string, std::string>, CreditIdempotencyRecorded> idempotency_;
};

}  // namespace netfin::credit
