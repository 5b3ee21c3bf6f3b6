#pragma once

// The credit role's records on the ledger: its account and transfer codes,
// the books it opens per currency ledger, and a loan as the service keeps it
// (the pure Loan value plus what has been booked for it).
//
// How a loan sits in the ledger (one ledger per currency, 156 for CNY):
//
//   loan receivable (asset, debit balance)
//     = Σ over loans of (principal unpaid + interest, fees and penalty
//       recognised and not yet paid)
//     + Σ over credit lines of the purchases not yet billed
//   held buyer payments (credit balance) = Σ over receivable loans of the
//       buyer's payments held short of the payoff
//
// Every booking is a linked chain of transfers, all or nothing:
//   disbursement     Dr lending funds / Cr destination (wallet or merchant),
//                    Dr receivable / Cr lending funds
//                    (also each credit-line purchase, to the merchant)
//   repayment        Dr source / Cr lending funds, Dr lending funds / Cr receivable
//                    (also a sales sweep from the merchant's account, and
//                    the payoff part of a buyer's payment)
//   accrual          Dr receivable / Cr interest (penalty, fee) income
//   reversal         Dr interest (fee) income / Cr receivable (waived on an early payoff)
//   provision        Dr provision expense / Cr loss provision (a release reverses it)
//   write-off        Dr written off / Cr receivable (the whole booked balance)
//   buyer payment    short of the payoff: Dr buyer / Cr held buyer payments;
//                    in full: Dr held buyer payments (what was held) and
//                    Dr buyer / Cr lending funds (the payoff, repaid as above),
//                    Dr buyer / Cr supplier (the rest)
//   cash at the      when CreditServiceOptions::custodian_reserve_accounts
//   custodian        names the ledger's reserve (payments' cash at the
//                    custodian): money into a wallet or merchant account
//                    adds Dr reserve / Cr lender funding, money out of one
//                    (a collection, a buyer payment held) adds Dr lender
//                    funding / Cr reserve; so the payments reconciliation
//                    reserve = wallets + merchant balances + settlement
//                    payables keeps holding. Lender funding's balance is the
//                    lender's net cash in the custodian pool (credit: lent
//                    out more than collected).
//
// Lending funds is a clearing account: every yuan lent and collected passes
// through it, so its posted totals are the disbursements and collections and
// its balance is always zero. A bill's conversion into instalments moves
// its share of the receivable to the new loan and books nothing.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/id.h"
#include "core/money.h"
#include "credit/credit_line.h"
#include "credit/grade.h"
#include "credit/loan.h"
#include "credit/repayment.h"

namespace netfin::credit {

using core::AmountMinor;
using core::Id128;

// Ledger account codes of the credit role. DO NOT RENUMBER: persisted in the ledger.
// (Payments uses 1xxx and 2xxx.)
enum class CreditAccountCode : uint16_t {
  kLendingFunds = 3001,
  kLoanReceivable = 3002,
  kInterestIncome = 3003,
  kFeeIncome = 3004,
  kPenaltyIncome = 3005,
  kLossProvision = 3006,
  kProvisionExpense = 3007,
  kWrittenOff = 3008,
  kLenderFunding = 3009,      // the lender's cash at the custodian (see above)
  kHeldBuyerPayments = 3010,  // buyer payments short of a receivable loan's payoff
};

// Ledger transfer codes of the credit role. DO NOT RENUMBER: persisted in the ledger.
enum class CreditTransferCode : uint16_t {
  kDisbursement = 301,       // lending funds -> destination
  kDisbursementClaim = 302,  // receivable <- lending funds
  kRepayment = 303,          // source -> lending funds
  kRepaymentClaim = 304,     // lending funds -> receivable
  kInterestAccrued = 305,
  kPenaltyAccrued = 306,
  kFeeBilled = 307,
  kInterestReversed = 308,
  kFeeReversed = 309,
  kProvisionCharged = 310,
  kProvisionReleased = 311,
  kWrittenOff = 312,
  kCustodianIn = 313,         // reserve <- lender funding: cash into a wallet or merchant
  kCustodianOut = 314,        // lender funding <- reserve: cash out of a wallet or merchant
  kBuyerPaymentHeld = 315,    // buyer -> held buyer payments
  kBuyerPaymentApplied = 316, // held buyer payments -> lending funds
  kSupplierPaid = 317,        // buyer -> supplier: the receivable beyond the payoff
};

// The role's accounts in one currency ledger.
struct CreditBooks {
  uint32_t ledger = 0;
  Id128 lending_funds;
  Id128 receivable;
  Id128 interest_income;
  Id128 fee_income;
  Id128 penalty_income;
  Id128 loss_provision;
  Id128 provision_expense;
  Id128 written_off;
  // Added after the first books: zero in books opened before them until
  // the next start adds them (BooksExtended).
  Id128 lender_funding;
  Id128 held_payments;
};

// Where a loan's money went. DO NOT RENUMBER: persisted.
enum class DisbursementKind : uint8_t {
  kWallet = 1,    // cash into the borrower's wallet
  kMerchant = 2,  // a purchase on credit: straight to the merchant
};
std::string_view DisbursementKindName(DisbursementKind kind);

// One line of a loan's history, as booked: what statements list. DO NOT RENUMBER.
enum class EntryKind : uint8_t {
  kDisbursed = 1,
  kInterest = 2,   // accrued (or recognised on collection)
  kPenalty = 3,
  kFee = 4,        // billed
  kRepayment = 5,  // amount = the whole payment; the parts in allocation
  kReversal = 6,   // interest or fees not owed after an early payoff
  kWriteOff = 7,
  kStatement = 8,  // an instalment billed: amount = the amount due with it
};
std::string_view EntryKindName(EntryKind kind);

struct LoanEntry {
  CivilDate date;
  EntryKind kind = EntryKind::kDisbursed;
  AmountMinor amount_minor = 0;
  Allocation allocation;    // repayments
  uint32_t instalment = 0;  // statements
  CivilDate due_date;       // statements
  friend bool operator==(const LoanEntry&, const LoanEntry&) = default;
};

// A loan as the service keeps it. receivable_minor is this loan's share of
// the receivable account: the service changes it only together with a
// transfer on that account, so the account is the sum over loans.
struct LoanRecord {
  Id128 id;
  Id128 borrower_id;
  Id128 destination_account_id;
  uint32_t ledger = 0;
  std::string product;
  DisbursementKind disbursement = DisbursementKind::kWallet;
  int64_t apr_ppm = 0;            // the disclosed nominal APR (monthly IRR x 12)
  int64_t apr_effective_ppm = 0;
  CivilDate opened_date;
  Loan loan;
  AmountMinor interest_recognised_minor = 0;
  AmountMinor fee_recognised_minor = 0;
  AmountMinor receivable_minor = 0;
  AmountMinor provision_minor = 0;  // this loan's share of the loss provision
  // A credit line's bill or its conversion: the line (else zero), whose
  // limit comes back as this loan's principal is repaid or written off.
  Id128 line_id;
  // Receivable financing: the buyer who confirmed the receivable (else
  // zero), its face amount, and the buyer's payments held short of the
  // payoff (this loan's share of the held buyer payments account).
  Id128 buyer_id;
  AmountMinor receivable_face_minor = 0;
  AmountMinor held_minor = 0;
  // The history, rebuilt from events and not part of a snapshot: filled only
  // in the copies CreditState::LoanWithHistory makes (a LoanChanged carries
  // its new lines in its own entries).
  std::vector<LoanEntry> entries;
  friend bool operator==(const LoanRecord&, const LoanRecord&) = default;
};

// One line of a credit line's history. DO NOT RENUMBER.
enum class LineEntryKind : uint8_t {
  kOpened = 1,    // amount = the limit
  kPurchase = 2,  // ref = the merchant's account
  kBilled = 3,    // the cycle's purchases became a bill; ref = the bill
  kRestored = 4,  // principal repaid or written off; ref = the loan
  kFrozen = 5,    // a bill or conversion of the line is past due or written off
  kUnfrozen = 6,  // none is any more
  kLimitReviewed = 7,  // the monthly review moved the borrower's limit: amount = the new limit
};
std::string_view LineEntryKindName(LineEntryKind kind);

struct LineEntry {
  CivilDate date;
  LineEntryKind kind = LineEntryKind::kOpened;
  AmountMinor amount_minor = 0;
  Id128 ref_id;
  friend bool operator==(const LineEntry&, const LineEntry&) = default;
};

// A pay-next-month line as the service keeps it. line.unbilled_minor is
// this line's share of the receivable (the purchases were disbursed to the
// merchants); its bills and their conversions are LoanRecords with line_id.
// Invariant: line.used_minor = unbilled + Σ its active loans' principal unpaid.
struct LineRecord {
  Id128 id;
  Id128 borrower_id;
  uint32_t ledger = 0;
  std::string product;
  // The product's billing terms when the line was opened: a bill is cut on
  // them even if the configuration changes later (as a loan keeps its terms).
  uint32_t statement_day = 0;
  uint32_t due_day = 0;
  uint32_t penalty_daily_ppm = 0;
  CivilDate opened_date;
  // The open day of the first purchase not yet billed (when unbilled > 0):
  // the cycle closes on the first statement day on or after it.
  CivilDate cycle_start_date;
  CreditLine line;
  std::vector<LineEntry> entries;  // as LoanRecord::entries
};

// How a borrower's limit was last set. DO NOT RENUMBER: persisted.
enum class LimitBasis : uint8_t {
  kNone = 0,    // no limit: loans are capped by the person cap only
  kGrade = 1,   // an assessment: the grade's limit is the review's ceiling
  kManual = 2,  // the operator's: the manual limit is the review's ceiling
};
std::string_view LimitBasisName(LimitBasis basis);

// DO NOT RENUMBER: persisted.
enum class LimitState : uint8_t {
  kActive = 1,
  kFrozen = 2,  // the monthly review found the borrower overdue: no new credit
};
std::string_view LimitStateName(LimitState state);

// What made a limit decision. DO NOT RENUMBER: persisted.
enum class LimitDecisionKind : uint8_t {
  kAssessed = 1,  // AssessBorrower: a score, a grade and the grade's limit
  kManual = 2,    // SetBorrowerLimit
  kReviewed = 3,  // the monthly review (ReviewLimit)
};
std::string_view LimitDecisionKindName(LimitDecisionKind kind);

// One line of a borrower's limit history. For an assessment or a manual
// limit the action is raise, lower or keep by the new limit against the old;
// the reason is a review's only.
struct LimitDecisionEntry {
  CivilDate date;
  LimitDecisionKind kind = LimitDecisionKind::kManual;
  LimitAction action = LimitAction::kKeep;
  LimitReason reason = LimitReason::kNotYetEligible;  // kReviewed only
  AmountMinor limit_before_minor = 0;
  AmountMinor limit_after_minor = 0;
  Grade grade = Grade::kE;  // kAssessed: the new grade; else the borrower's (if graded)
  uint32_t score = 0;
  friend bool operator==(const LimitDecisionEntry&, const LimitDecisionEntry&) = default;
};
// "manual", "assessed", or the review's reason (LimitReasonName).
std::string_view LimitDecisionReasonName(const LimitDecisionEntry& entry);

// A borrower's credit limit as the service keeps it. Loans from offers are
// refused above it (over_credit_limit, with basis kNone: no limit), and
// loans and line purchases while it is frozen (limit_frozen).
struct BorrowerRecord {
  Id128 borrower_id;
  LimitBasis basis = LimitBasis::kNone;
  AmountMinor limit_minor = 0;
  // kManual: the operator's limit. A review raises it at most to the higher
  // of this and the grade's limit (when graded).
  AmountMinor manual_ceiling_minor = 0;
  LimitState state = LimitState::kActive;
  bool graded = false;  // whether an assessment ever ran
  Grade grade = Grade::kE;  // the last assessment's
  uint32_t score = 0;
  std::vector<ReasonCode> reasons;  // the last assessment's, strongest first
  CivilDate limited_since;          // the first day with a limit: months on book
  CivilDate last_review_date;       // the day-end whose review last covered it
  std::vector<LimitDecisionEntry> entries;  // as LoanRecord::entries
};

// What a loan's instalments have had paid, and the fees of those billed so
// far (the first statements_issued).
struct LoanPaid {
  AmountMinor interest_minor = 0;
  AmountMinor fee_minor = 0;
  AmountMinor fee_billed_minor = 0;
};
LoanPaid PaidOf(const Loan& loan);

// Interest, fees and penalty recognised and not paid, and the principal
// unpaid: what the receivable should hold for an active loan.
AmountMinor BookedBalanceMinor(const LoanRecord& record);

// What one day-end run did, summed over the loans it ran.
struct DayTally {
  uint32_t loans_run = 0;
  uint32_t statements = 0;
  AmountMinor interest_minor = 0;
  AmountMinor penalty_minor = 0;
  AmountMinor fees_minor = 0;
  AmountMinor provision_charged_minor = 0;
  AmountMinor provision_released_minor = 0;
  AmountMinor written_off_minor = 0;
  uint32_t written_off_loans = 0;
  // The monthly review's decisions, by LimitAction - 1 (raise, keep, lower, freeze).
  uint32_t limit_reviews[4] = {};
  // [from][to] counts of loans whose bucket (class) changed.
  uint32_t bucket_moves[5][5] = {};
  uint32_t class_moves[5][5] = {};
  bool finished = false;
};

}  // namespace netfin::credit
