#pragma once

// A loan's monthly statements, built from its booked history (pure: a
// LoanRecord with its entries in, a value and its JSON or printable HTML
// out).
//
// The day-end issues one statement per instalment it bills (a kStatement
// history line, dated the statement date). Statement N lists every charge
// and payment booked after statement N-1's date (after nothing for the
// first) up to and including its own: the disbursement, interest accrued,
// fees billed, penalty, repayments with their split, reversals and a
// write-off. Amounts booked by one day-end are dated that day-end's date, so
// a day-end that caught up several days books their interest on its last
// day. The statement also carries the APR (nominal and effective), the
// statement and due dates, the amount due, the minimum payment, and the
// balance outstanding at the end of the statement date.
//
// The minimum payment is the whole amount due: these loans do not revolve
// (an instalment not paid in full by its due date is overdue and bears
// penalty interest; there is no minimum-payment credit card arrangement).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "credit/credit_records.h"

namespace netfin::credit {

enum class StatementFormat : uint8_t {
  kJson,
  kHtml,  // a self-contained printable page
};

struct StatementLine {
  CivilDate date;
  EntryKind kind = EntryKind::kDisbursed;
  AmountMinor amount_minor = 0;
  Allocation allocation;  // repayments
};

struct LoanStatement {
  Id128 loan_id;
  Id128 borrower_id;
  uint32_t ledger = 0;
  std::string product;
  ProductKind kind = ProductKind::kCashLoan;
  DisbursementKind disbursement = DisbursementKind::kWallet;
  int64_t apr_ppm = 0;
  int64_t apr_effective_ppm = 0;
  AmountMinor principal_minor = 0;  // the loan's
  uint32_t terms = 0;

  uint32_t instalment = 0;  // 1-based
  CivilDate period_start;   // the day after the previous statement, or the opening day
  CivilDate statement_date;
  CivilDate due_date;
  Instalment scheduled;     // this instalment as the schedule had it
  AmountMinor amount_due_minor = 0;        // billed and unpaid at the statement
  AmountMinor minimum_payment_minor = 0;   // = amount_due_minor: no revolving
  std::vector<StatementLine> lines;        // oldest first
  AmountMinor interest_minor = 0;          // sums of the lines, by kind
  AmountMinor fees_minor = 0;
  AmountMinor penalty_minor = 0;
  AmountMinor repaid_minor = 0;
  AmountMinor reversed_minor = 0;
  // At the end of the statement date: principal not repaid, and the booked
  // balance (principal plus interest, fees and penalty recognised, less
  // what was repaid, reversed or written off).
  AmountMinor principal_outstanding_minor = 0;
  AmountMinor balance_outstanding_minor = 0;
};

// The instalment numbers billed so far, oldest first. REQUIRES: record
// comes with its history (CreditState::LoanWithHistory).
std::vector<uint32_t> IssuedStatements(const LoanRecord& record);

// Statement `instalment` of the loan; 0 asks for the latest. nullopt when
// that instalment has not been billed (or none has). REQUIRES: as above.
std::optional<LoanStatement> BuildStatement(const LoanRecord& record, uint32_t instalment);

std::string StatementJson(const LoanStatement& statement);
// Every text HTML-escaped; amounts in major units of the ledger's currency.
std::string StatementHtml(const LoanStatement& statement);
// {"data":[{instalment, statement_date, due_date, amount_due}, ...]}: the
// statements issued, oldest first.
std::string StatementListJson(const LoanRecord& record);

// text with & < > " ' replaced by their character references.
std::string HtmlEscape(std::string_view text);

}  // namespace netfin::credit
