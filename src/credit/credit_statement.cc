#include "credit/credit_statement.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/assert.h"
#include "credit/credit_json.h"

namespace netfin::credit {
namespace {

using json::Writer;

constexpr std::string_view kMinimumPaymentRule =
    "the minimum payment is the whole amount due: these loans do not revolve";

using json::Date;
using json::Done;
using json::Key;
using json::PercentText;
using json::Rate;
using json::Str;
using json::U;

// The history's statement lines (instalment number, position), oldest first.
std::vector<size_t> StatementEntries(const LoanRecord& record) {
  std::vector<size_t> at;
  for (size_t k = 0; k < record.entries.size(); ++k) {
    if (record.entries[k].kind == EntryKind::kStatement) at.push_back(k);
  }
  return at;
}

// Adds a line's amount to the statement's totals and to the running
// balance, by kind: what raises the receivable, and what lowers it.
void Tally(const LoanEntry& e, LoanStatement* s) {
  switch (e.kind) {
    case EntryKind::kDisbursed:
    case EntryKind::kStatement:
    case EntryKind::kWriteOff:
      break;
    case EntryKind::kInterest:
      s->interest_minor += e.amount_minor;
      break;
    case EntryKind::kPenalty:
      s->penalty_minor += e.amount_minor;
      break;
    case EntryKind::kFee:
      s->fees_minor += e.amount_minor;
      break;
    case EntryKind::kRepayment:
      s->repaid_minor += e.amount_minor;
      break;
    case EntryKind::kReversal:
      s->reversed_minor += e.amount_minor;
      break;
  }
}

// The booked balance and the principal left after every line dated up to
// `date`. The history is the receivable's own account of this loan, so the
// balance cannot go below zero unless the history is corrupt.
void OutstandingAt(const LoanRecord& record, CivilDate date, LoanStatement* s) {
  AmountMinor up = 0, down = 0, principal_repaid = 0;
  for (const LoanEntry& e : record.entries) {
    if (e.date > date) continue;
    switch (e.kind) {
      case EntryKind::kDisbursed:
      case EntryKind::kInterest:
      case EntryKind::kPenalty:
      case EntryKind::kFee:
        up += e.amount_minor;
        break;
      case EntryKind::kRepayment:
        principal_repaid += e.allocation.principal_minor;
        down += e.amount_minor;
        break;
      case EntryKind::kReversal:
      case EntryKind::kWriteOff:
        down += e.amount_minor;
        break;
      case EntryKind::kStatement:
        break;
    }
  }
  NETFIN_ASSERT(up >= down);
  NETFIN_ASSERT(record.loan.terms.principal_minor >= principal_repaid);
  s->balance_outstanding_minor = up - down;
  s->principal_outstanding_minor = record.loan.terms.principal_minor - principal_repaid;
}

std::string CurrencyOf(uint32_t ledger) {
  return ledger == 156 ? std::string("CNY") : fmt::format("ledger {}", ledger);
}

std::string Money(AmountMinor amount) { return core::FormatMinorUnits(amount); }

void AllocationJson(Writer& w, const Allocation& a) {
  Key(w, "allocation");
  w.StartObject();
  U(w, "penalty", a.penalty_minor);
  U(w, "fee", a.fee_minor);
  U(w, "interest", a.interest_minor);
  U(w, "principal", a.principal_minor);
  w.EndObject();
}

// What a line says to the borrower.
std::string LineText(const StatementLine& line) {
  switch (line.kind) {
    case EntryKind::kDisbursed:
      return "Loan disbursed";
    case EntryKind::kInterest:
      return "Interest";
    case EntryKind::kPenalty:
      return "Penalty interest (overdue)";
    case EntryKind::kFee:
      return "Fee billed";
    case EntryKind::kRepayment:
      return fmt::format("Repayment (penalty {}, fee {}, interest {}, principal {})",
                         Money(line.allocation.penalty_minor), Money(line.allocation.fee_minor),
                         Money(line.allocation.interest_minor),
                         Money(line.allocation.principal_minor));
    case EntryKind::kReversal:
      return "Reversal: interest or fees not owed after early repayment";
    case EntryKind::kWriteOff:
      return "Written off";
    case EntryKind::kStatement:
      return "Statement";
  }
  return "?";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<uint32_t> IssuedStatements(const LoanRecord& record) {
  std::vector<uint32_t> numbers;
  for (const size_t k : StatementEntries(record)) numbers.push_back(record.entries[k].instalment);
  return numbers;
}

std::optional<LoanStatement> BuildStatement(const LoanRecord& record, uint32_t instalment) {
  const std::vector<size_t> at = StatementEntries(record);
  if (at.empty()) return std::nullopt;
  size_t index = at.size() - 1;  // 0: the latest
  if (instalment != 0) {
    const auto it = std::find_if(at.begin(), at.end(), [&](size_t k) {
      return record.entries[k].instalment == instalment;
    });
    if (it == at.end()) return std::nullopt;
    index = static_cast<size_t>(it - at.begin());
  }
  const LoanEntry& issued = record.entries[at[index]];
  NETFIN_ASSERT(issued.instalment >= 1 && issued.instalment <= record.loan.instalments.size());
  LoanStatement s;
  s.loan_id = record.id;
  s.borrower_id = record.borrower_id;
  s.ledger = record.ledger;
  s.product = record.product;
  s.kind = record.loan.kind;
  s.disbursement = record.disbursement;
  s.apr_ppm = record.apr_ppm;
  s.apr_effective_ppm = record.apr_effective_ppm;
  s.principal_minor = record.loan.terms.principal_minor;
  s.terms = record.loan.terms.terms;
  s.instalment = issued.instalment;
  s.statement_date = issued.date;
  s.due_date = issued.due_date;
  s.scheduled = record.loan.instalments[issued.instalment - 1].scheduled;
  s.amount_due_minor = issued.amount_minor;
  s.minimum_payment_minor = issued.amount_minor;
  // Two statements can share a date (a day-end catching up): the earlier
  // one then took that date's lines, and this one starts after it.
  const bool first = index == 0;
  const CivilDate previous = first ? CivilDate() : record.entries[at[index - 1]].date;
  s.period_start = first ? record.opened_date : previous.AddDays(1);
  for (const LoanEntry& e : record.entries) {
    if (e.kind == EntryKind::kStatement || e.date > s.statement_date) continue;
    if (!first && e.date <= previous) continue;
    s.lines.push_back({e.date, e.kind, e.amount_minor, e.allocation});
    Tally(e, &s);
  }
  OutstandingAt(record, s.statement_date, &s);
  return s;
}

std::string StatementJson(const LoanStatement& s) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  Str(w, "object", "statement");
  Str(w, "loan_id", s.loan_id.ToDecimal());
  Str(w, "borrower_id", s.borrower_id.ToDecimal());
  U(w, "ledger", s.ledger);
  Str(w, "currency", CurrencyOf(s.ledger));
  Str(w, "product", s.product);
  Str(w, "kind", ProductKindName(s.kind));
  Str(w, "disbursement", DisbursementKindName(s.disbursement));
  U(w, "principal", s.principal_minor);
  U(w, "terms", s.terms);
  U(w, "instalment", s.instalment);
  Date(w, "period_start", s.period_start);
  Date(w, "statement_date", s.statement_date);
  Date(w, "due_date", s.due_date);
  Rate(w, "apr", s.apr_ppm);
  Rate(w, "apr_effective", s.apr_effective_ppm);
  Key(w, "scheduled");
  w.StartObject();
  U(w, "principal", s.scheduled.principal_minor);
  U(w, "interest", s.scheduled.interest_minor);
  U(w, "fee", s.scheduled.fee_minor);
  U(w, "total", s.scheduled.total_minor());
  w.EndObject();
  U(w, "amount_due", s.amount_due_minor);
  U(w, "minimum_payment", s.minimum_payment_minor);
  Str(w, "minimum_payment_rule", kMinimumPaymentRule);
  Key(w, "lines");
  w.StartArray();
  for (const StatementLine& line : s.lines) {
    w.StartObject();
    Date(w, "date", line.date);
    Str(w, "kind", EntryKindName(line.kind));
    U(w, "amount", line.amount_minor);
    if (line.kind == EntryKind::kRepayment) AllocationJson(w, line.allocation);
    w.EndObject();
  }
  w.EndArray();
  Key(w, "totals");
  w.StartObject();
  U(w, "interest", s.interest_minor);
  U(w, "fees", s.fees_minor);
  U(w, "penalty", s.penalty_minor);
  U(w, "repayments", s.repaid_minor);
  U(w, "reversals", s.reversed_minor);
  w.EndObject();
  U(w, "principal_outstanding", s.principal_outstanding_minor);
  U(w, "balance_outstanding", s.balance_outstanding_minor);
  w.EndObject();
  return Done(b);
}

std::string StatementHtml(const LoanStatement& s) {
  const std::string currency = HtmlEscape(CurrencyOf(s.ledger));
  std::string rows;
  for (const StatementLine& line : s.lines) {
    rows += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>\n",
                        line.date.ToString(), HtmlEscape(LineText(line)), Money(line.amount_minor));
  }
  if (rows.empty()) rows = "<tr><td colspan=\"3\">No charges or payments in this period.</td></tr>\n";
  const auto row = [](std::string_view label, std::string value) {
    return fmt::format("<tr><th>{}</th><td class=\"n\">{}</td></tr>\n", HtmlEscape(label), value);
  };
  std::string summary;
  summary += row("Amount due", Money(s.amount_due_minor));
  summary += row("Minimum payment", Money(s.minimum_payment_minor));
  summary += row("Due date", s.due_date.ToString());
  summary += row("This instalment as scheduled",
                 fmt::format("principal {}, interest {}, fee {}", Money(s.scheduled.principal_minor),
                             Money(s.scheduled.interest_minor), Money(s.scheduled.fee_minor)));
  summary += row("Principal outstanding", Money(s.principal_outstanding_minor));
  summary += row("Balance outstanding", Money(s.balance_outstanding_minor));
  summary += row("APR (nominal)", HtmlEscape(PercentText(s.apr_ppm)));
  summary += row("APR (effective)", HtmlEscape(PercentText(s.apr_effective_ppm)));
  return fmt::format(
      R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Statement {instalment} of loan {loan}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #111; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border-bottom: 1px solid #ccc; padding: 0.3em 0.8em; text-align: left; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
@media print {{ body {{ margin: 0; }} }}
</style>
</head>
<body>
<h1>Loan statement</h1>
<p>Loan {loan} ({product}, {kind}), borrower {borrower}.<br>
Instalment {instalment} of {terms}; statement date {statement_date}; period {period_start} to {statement_date}.<br>
Amounts in {currency}.</p>
<table>
{summary}</table>
<p>{rule}.</p>
<h2>Charges and payments in this period</h2>
<table>
<tr><th>Date</th><th>Item</th><th>Amount</th></tr>
{rows}<tr><th colspan="2">Interest / fees / penalty charged</th><td class="n">{interest} / {fees} / {penalty}</td></tr>
<tr><th colspan="2">Repaid / reversed</th><td class="n">{repaid} / {reversed}</td></tr>
</table>
</body>
</html>
)",
      fmt::arg("instalment", s.instalment), fmt::arg("loan", s.loan_id.ToDecimal()),
      fmt::arg("product", HtmlEscape(s.product)), fmt::arg("kind", ProductKindName(s.kind)),
      fmt::arg("borrower", s.borrower_id.ToDecimal()), fmt::arg("terms", s.terms),
      fmt::arg("statement_date", s.statement_date.ToString()),
      fmt::arg("period_start", s.period_start.ToString()), fmt::arg("currency", currency),
      fmt::arg("summary", summary), fmt::arg("rule", HtmlEscape(kMinimumPaymentRule)),
      fmt::arg("rows", rows), fmt::arg("interest", Money(s.interest_minor)),
      fmt::arg("fees", Money(s.fees_minor)), fmt::arg("penalty", Money(s.penalty_minor)),
      fmt::arg("repaid", Money(s.repaid_minor)), fmt::arg("reversed", Money(s.reversed_minor)));
}

std::string StatementListJson(const LoanRecord& record) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  Str(w, "loan_id", record.id.ToDecimal());
  Key(w, "data");
  w.StartArray();
  for (const size_t k : StatementEntries(record)) {
    const LoanEntry& e = record.entries[k];
    w.StartObject();
    U(w, "instalment", e.instalment);
    Date(w, "statement_date", e.date);
    Date(w, "due_date", e.due_date);
    U(w, "amount_due", e.amount_minor);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return Done(b);
}

}  // namespace netfin::credit
