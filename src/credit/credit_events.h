#pragma once

// The credit role's events (ledger::Role::kCredit): every change to the
// service's state is one of these, stored as a role event (a JSON payload)
// in the same batch as the transfers it goes with. CreditState::Apply is the
// only code that changes the state, live and at replay.
//
// A loan's events carry its whole new state (a snapshot), not the operation
// that produced it: replay then never re-runs the day-end or repayment rules,
// so a later change of configuration or of those rules cannot make the
// replayed loans disagree with what the ledger booked.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"
#include "credit/credit_records.h"

namespace netfin::credit {

// DO NOT RENUMBER: persisted.
enum class CreditEventType : uint16_t {
  kBooksOpened = 1,
  kLoanOpened = 2,
  kLoanChanged = 3,
  kDayEndStarted = 4,
  kDayEndFinished = 5,
  kBorrowerLimitSet = 6,
  kIdempotencyRecorded = 7,
  kLineOpened = 8,
  kLineChanged = 9,
  kBooksExtended = 10,
  kLimitDecided = 11,
};

struct BooksOpened {
  CreditBooks books;
  CivilDate first_business_date;  // the books' first open day
};

// A loan's new snapshot and the history lines of the change. For a day-end
// run, the before/after bucket and class and the provision change feed the
// day's tally.
struct LoanChanged {
  LoanRecord record;  // entries empty: they are in `entries`
  std::vector<LoanEntry> entries;
  bool day_end = false;
  CivilDate day_end_date;
  Bucket bucket_before = Bucket::kM0;
  LoanClass class_before = LoanClass::kNormal;
  AmountMinor provision_before_minor = 0;
};

struct LoanOpened {
  LoanChanged change;
};

// Moves the open business day past `date`: from now on operations are dated
// date + 1, and loans are brought to the end of `date` in chunks.
struct DayEndStarted {
  CivilDate date;
};
struct DayEndFinished {
  CivilDate date;
};

// A borrower's credit limit (0: none beyond the legal person cap). Written
// before limits had grades and reviews (LimitDecided since); replayed as a
// manual decision.
struct BorrowerLimitSet {
  Id128 borrower_id;
  AmountMinor limit_minor = 0;
};

// A successful response remembered for its Idempotency-Key.
struct CreditIdempotencyRecorded {
  std::string key_id;
  std::string key;
  std::string fingerprint;
  uint16_t status = 200;
  std::string body;
};

// A credit line's new snapshot and the history lines of the change
// (a purchase, a bill cut, limit given back, frozen or unfrozen).
struct LineChanged {
  LineRecord record;  // entries empty: they are in `entries`
  std::vector<LineEntry> entries;
};

struct LineOpened {
  LineChanged change;
};

// Accounts added to books opened before they existed (lender funding, held
// buyer payments): BooksOpened carries them for books opened since.
struct BooksExtended {
  uint32_t ledger = 0;
  Id128 lender_funding;
  Id128 held_payments;
};

// A borrower's limit decided (an assessment, the operator's, the monthly
// review): the borrower's new snapshot and the decision's history line.
struct LimitDecided {
  BorrowerRecord record;  // entries empty: the decision is in `entry`
  LimitDecisionEntry entry;
};

// In CreditEventType order.
using CreditEvent =
    std::variant<BooksOpened, LoanOpened, LoanChanged, DayEndStarted, DayEndFinished,
                 BorrowerLimitSet, CreditIdempotencyRecorded, LineOpened, LineChanged,
                 BooksExtended, LimitDecided>;

CreditEventType TypeOf(const CreditEvent& event);
std::string EncodeCreditEvent(const CreditEvent& event);
// kCorruption when the payload does not match the type.
core::Result<CreditEvent> DecodeCreditEvent(uint16_t type, std::string_view payload);

}  // namespace netfin::credit
