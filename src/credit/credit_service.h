#pragma once

// CreditService: the credit role on the ledger (credit_records.h shows how
// loans sit in it).
//
// The pure core (credit.h) decides; this service books. Every operation is a
// ledger Command (ledger/command.h) run on the applier thread: it checks
// everything first, runs the pure function on a copy of the loan, then moves
// the money as one linked chain of transfers and appends the loan's new
// snapshot as a role event (Role::kCredit) in the same batch, so the money and
// the role's record of it become durable together, or not at all. Replay
// rebuilds the state from those events at start.
//
// The role never reads another role's tables: where money goes to or comes
// from (the borrower's wallet, the merchant's account) is a ledger account id
// given by the caller; the API resolves a customer to their wallet through
// the payments service. The service checks that the account exists, is in a
// ledger with credit books, and (for a repayment) holds the amount.
//
// Authorization, from the caller the API authenticated: the operator does
// everything; a customer opens, repays and reads their own loans only; the
// day-end and limits are the operator's. Asking for another's loan answers
// kForbidden whether or not it exists.
//
// The day-end (RunDay) starts by moving the open business day past its date
// (so operations during it are dated the next day), then brings every active
// loan to the end of the date in chunks of kDayEndLoansPerCommand, each one
// command; a crash in between is finished at the next Start. Running a date
// again changes nothing; an earlier date is refused (date_before_last_run).
//
// Thread-safe: every public method may be called from any thread but the
// ledger's applier.

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "credit/credit_config.h"
#include "credit/credit_state.h"
#include "ledger/ledger_service.h"

namespace netfin::credit {

// The service's stable error codes, besides the pure core's refusals
// (kRefused, with the CreditResult). The API maps each by an exhaustive switch.
enum class CreditError {
  kOk,
  kRefused,                // a credit rule refused it: see CreditReply::refusal
  kInvalidField,           // a field missing or malformed
  kUnknownProduct,
  kUnknownLoan,
  kUnknownAccount,         // the destination or source ledger account does not exist
  kNoCreditBooks,          // the account's ledger (currency) has no credit books
  kInsufficientBalance,    // the source account holds less than the repayment
  kDayEndRunning,          // a day-end is bringing loans to its date: retry shortly
  kForbidden,
  kIdempotencyKeyReused,
  kIdempotencyKeyInvalid,
  kLedgerRefused,          // the ledger refused a transfer (nothing moved)
  kUnavailable,            // the ledger is stopping, failed or busy: retry
};
std::string_view CreditErrorName(CreditError error);

// DO NOT RENUMBER: persisted with API keys alongside payments' roles.
enum class CallerRole : uint8_t { kOperator = 1, kCustomer = 2, kMerchant = 3 };

struct CreditCall {
  CallerRole role = CallerRole::kOperator;
  Id128 party_id;               // zero for the operator
  std::string key_id;           // the API key (scopes idempotency keys)
  std::string idempotency_key;  // POSTs: 1..255 printable ASCII
  std::string fingerprint;      // of the request (method, target, body)
};

struct CreditReply {
  CreditError error = CreditError::kOk;
  CreditResult refusal = CreditResult::kOk;  // with kRefused
  std::string message;
  uint16_t http_status = 200;
  std::string body;  // JSON (or HTML for a printable statement)
  bool replayed = false;
  Id128 loan_id;     // the loan opened or changed

  bool ok() const { return error == CreditError::kOk; }
  // The stable code: the refusal's name for kRefused, else the error's.
  std::string_view code() const;
};
using CreditReplyFn = std::function<void(CreditReply)>;

struct LoanRequest {
  Id128 borrower_id;
  std::string product;
  AmountMinor amount_minor = 0;
  uint32_t terms = 0;
  DisbursementKind disbursement = DisbursementKind::kWallet;
  Id128 destination_account_id;       // the wallet, or the merchant's account
  AmountMinor annual_income_minor = 0;  // 0: unknown (the person cap's income arm is off)
};

struct RepaymentRequest {
  Id128 loan_id;
  Id128 source_account_id;  // the borrower's wallet
  AmountMinor amount_minor = 0;
  RepaymentKind kind = RepaymentKind::kRegular;
};

struct CreditServiceOptions {
  const core::Clock* clock = nullptr;  // nullptr: the system clock
  std::vector<uint32_t> ledgers = {156};  // currency ledgers with credit books (156: CNY)
  // The books' first business day; unset: the China date of the first start.
  std::optional<CivilDate> first_business_date;
};

// How many loans one day-end command runs: each books at most
// kDayEndLegsPerLoan transfers, and a command must fit one ledger batch.
inline constexpr uint32_t kDayEndLegsPerLoan = 5;
inline constexpr uint32_t kDayEndLoansPerCommand = 1'000;
// A loan's openings, repayments and their recognition legs: at most this many transfers.
inline constexpr uint32_t kLoanLegsMax = 8;
inline constexpr uint32_t kListLimitMax = 500;

class CreditService {
 public:
  // REQUIRES: policy.Validate() passed; master_key outlives the service.
  CreditService(CreditPolicy policy, const core::SecretKey& master_key,
                CreditServiceOptions options = {});
  ~CreditService();

  // Recovery: feed every durable role event before Start (others are ignored).
  void Replay(const store::RoleEvent& event);
  // Opens the books of each configured ledger on first start, and finishes a
  // day-end a crash interrupted. REQUIRES: ledger outlives the service.
  core::Status Start(ledger::LedgerService& ledger);
  void Stop();

  // The offer for a loan: schedule, every charge and the true APR (a read).
  void Quote(const CreditCall& call, LoanRequest request, CreditReplyFn reply);
  // Accepts the offer of the open day and disburses it.
  void OpenLoan(const CreditCall& call, LoanRequest request, CreditReplyFn reply);
  void Repay(const CreditCall& call, RepaymentRequest request, CreditReplyFn reply);
  void GetLoan(const CreditCall& call, Id128 loan_id, CreditReplyFn reply);
  // Loans in opening order after `after`: the customer's own, or all for the operator.
  void ListLoans(const CreditCall& call, Id128 after, uint32_t limit, CreditReplyFn reply);
  // Operator: a borrower's credit limit (0 removes it); purchases above what
  // is left are refused with over_credit_limit.
  void SetBorrowerLimit(const CreditCall& call, Id128 borrower_id, AmountMinor limit_minor,
                        CreditReplyFn reply);

  // The day-end of `date` (operator), blocking; its summary as JSON.
  CreditReply RunDay(const CreditCall& call, CivilDate date);

  // Blocking forms and reads for the CLI, tests and the property test.
  CreditReply Await(const std::function<void(CreditReplyFn)>& start);
  std::optional<LoanRecord> LoanSnapshot(const Id128& loan_id);
  std::vector<LoanRecord> AllLoanSnapshots();
  std::optional<CreditBooks> Books(uint32_t ledger);
  CivilDate OpenDate();

  const CreditPolicy& policy() const { return policy_; }

 private:
  class Op;
  void Submit(const CreditCall& call, uint32_t ledger_events_max, bool records_idempotency,
              std::function<CreditReply(Op&)> body, CreditReplyFn reply);
  void Read(const CreditCall& call, std::function<CreditReply(Op&)> body, CreditReplyFn reply);
  core::Status EnsureBooks(ledger::LedgerService& ledger);
  CreditReply CheckLoanRequest(Op& op, const LoanRequest& in, struct Offer* offer);
  CreditReply StartDayEnd(const CreditCall& call, CivilDate date, bool* run);
  CreditReply RunDayEndChunk(CivilDate date, bool* done);
  CreditReply DaySummary(CivilDate date);

  CreditPolicy policy_;
  const core::SecretKey& master_key_;
  CreditServiceOptions options_;
  core::SystemClock system_clock_;
  const core::Clock* clock_;
  CreditState state_;  // applier thread only
  ledger::LedgerService* ledger_ = nullptr;
  std::mutex day_end_mutex_;  // one day-end at a time
};

}  // namespace netfin::credit
