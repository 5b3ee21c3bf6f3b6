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
//
// Every booking is a linked chain of transfers, all or nothing:
//   disbursement     Dr lending funds / Cr destination (wallet or merchant),
//                    Dr receivable / Cr lending funds
//   repayment        Dr source / Cr lending funds, Dr lending funds / Cr receivable
//   accrual          Dr receivable / Cr interest (penalty, fee) income
//   reversal         Dr interest (fee) income / Cr receivable (waived on an early payoff)
//   provision        Dr provision expense / Cr loss provision (a release reverses it)
//   write-off        Dr written off / Cr receivable (the whole booked balance)
//
// Lending funds is a clearing account: every yuan lent and collected passes
// through it, so its posted totals are the disbursements and collections and
// its balance is always zero. (The cash leg at the custodian is the payments
// role's; see docs/credit.md.)

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/id.h"
#include "core/money.h"
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
  // The history, rebuilt from events and not part of a snapshot: filled only
  // in the copies CreditState::LoanWithHistory makes (a LoanChanged carries
  // its new lines in its own entries).
  std::vector<LoanEntry> entries;
};

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
  // [from][to] counts of loans whose bucket (class) changed.
  uint32_t bucket_moves[5][5] = {};
  uint32_t class_moves[5][5] = {};
  bool finished = false;
};

}  // namespace netfin::credit
