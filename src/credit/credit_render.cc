#include "credit/credit_render.h"

#include <fmt/format.h>

#include "credit/credit_json.h"

namespace netfin::credit {
namespace {

using json::Date;
using json::Done;
using json::Key;
using json::Rate;
using json::Str;
using json::U;
using json::Writer;

void AllocationFields(Writer& w, const Allocation& a) {
  U(w, "penalty", a.penalty_minor);
  U(w, "fee", a.fee_minor);
  U(w, "interest", a.interest_minor);
  U(w, "principal", a.principal_minor);
  U(w, "total", a.total_minor());
}

void ScheduleJson(Writer& w, const std::vector<LoanInstalment>& instalments) {
  Key(w, "instalments");
  w.StartArray();
  for (const LoanInstalment& i : instalments) {
    w.StartObject();
    U(w, "number", i.scheduled.number);
    Date(w, "statement_date", i.statement_date);
    Date(w, "due_date", i.scheduled.due_date);
    U(w, "principal", i.scheduled.principal_minor);
    U(w, "interest", i.scheduled.interest_minor);
    U(w, "fee", i.scheduled.fee_minor);
    U(w, "principal_paid", i.principal_paid_minor);
    U(w, "interest_paid", i.interest_paid_minor);
    U(w, "fee_paid", i.fee_paid_minor);
    U(w, "interest_waived", i.interest_waived_minor);
    U(w, "fee_waived", i.fee_waived_minor);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

std::string LoanJson(const LoanRecord& r, CivilDate open_date) {
  rapidjson::StringBuffer b;
  Writer w(b);
  const Loan& l = r.loan;
  w.StartObject();
  Str(w, "id", r.id.ToDecimal());
  Str(w, "borrower_id", r.borrower_id.ToDecimal());
  Str(w, "product", r.product);
  Str(w, "kind", ProductKindName(l.kind));
  Str(w, "disbursement", DisbursementKindName(r.disbursement));
  Str(w, "destination_account_id", r.destination_account_id.ToDecimal());
  U(w, "ledger", r.ledger);
  U(w, "principal", l.terms.principal_minor);
  U(w, "terms", l.terms.terms);
  Str(w, "method", ScheduleMethodName(l.terms.method));
  Rate(w, "apr", r.apr_ppm);
  Rate(w, "apr_effective", r.apr_effective_ppm);
  Date(w, "opened_date", r.opened_date);
  Str(w, "status", LoanStatusName(l.status));
  Date(w, "last_run_date", l.last_run_date);
  U(w, "days_past_due", l.days_past_due);
  Str(w, "bucket", BucketName(l.bucket()));
  Str(w, "class", LoanClassName(l.loan_class));
  U(w, "principal_outstanding", OutstandingPrincipalMinor(l));
  U(w, "penalty_unpaid", PenaltyUnpaidMinor(l));
  U(w, "receivable", r.receivable_minor);
  U(w, "provision", r.provision_minor);
  if (!r.line_id.IsZero()) Str(w, "line_id", r.line_id.ToDecimal());
  if (!r.buyer_id.IsZero()) {
    Str(w, "buyer_id", r.buyer_id.ToDecimal());
    U(w, "receivable_face", r.receivable_face_minor);
    U(w, "buyer_payment_held", r.held_minor);
  }
  if (l.status == LoanStatus::kActive) {
    Key(w, "amount_due");
    w.StartObject();
    AllocationFields(w, AmountDue(l, open_date));
    w.EndObject();
    Key(w, "payoff_quote");
    w.StartObject();
    AllocationFields(w, PayoffQuote(l, open_date));
    w.EndObject();
    Date(w, "as_of", open_date);
  }
  ScheduleJson(w, l.instalments);
  w.EndObject();
  return Done(b);
}

std::string LineJson(const LineRecord& r) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  Str(w, "id", r.id.ToDecimal());
  Str(w, "borrower_id", r.borrower_id.ToDecimal());
  Str(w, "product", r.product);
  U(w, "ledger", r.ledger);
  Date(w, "opened_date", r.opened_date);
  Str(w, "state", r.line.state == LineState::kActive ? "active" : "frozen");
  U(w, "limit", r.line.limit_minor);
  U(w, "used", r.line.used_minor);
  U(w, "available", r.line.available_minor());
  U(w, "unbilled", r.line.unbilled_minor);
  if (r.line.unbilled_minor > 0) {
    Date(w, "cycle_start_date", r.cycle_start_date);
    Date(w, "next_statement_date", StatementDateOnOrAfter(r.statement_day, r.cycle_start_date));
  }
  U(w, "statement_day", r.statement_day);
  U(w, "due_day", r.due_day);
  Key(w, "history");
  w.StartArray();
  for (const LineEntry& e : r.entries) {
    w.StartObject();
    Date(w, "date", e.date);
    Str(w, "kind", LineEntryKindName(e.kind));
    U(w, "amount", e.amount_minor);
    if (!e.ref_id.IsZero()) Str(w, "ref_id", e.ref_id.ToDecimal());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return Done(b);
}

std::string OfferJson(const Offer& o) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  Str(w, "product", o.product_name);
  Str(w, "kind", ProductKindName(o.kind));
  U(w, "principal", o.terms.principal_minor);
  U(w, "terms", o.terms.terms);
  Str(w, "method", ScheduleMethodName(o.terms.method));
  Date(w, "start_date", o.terms.start_date);
  U(w, "interest_total", o.schedule.interest_total_minor);
  U(w, "fee_total", o.schedule.fee_total_minor);
  U(w, "repay_total", o.schedule.total_minor());
  U(w, "penalty_daily_ppm", o.penalty_daily_ppm);
  Rate(w, "apr", o.apr.NominalPpm());
  Rate(w, "apr_effective", o.apr.EffectivePpm());
  Rate(w, "apr_daily", o.apr_daily.NominalPpm());
  Key(w, "instalments");
  w.StartArray();
  for (const Instalment& i : o.schedule.instalments) {
    w.StartObject();
    U(w, "number", i.number);
    Date(w, "due_date", i.due_date);
    U(w, "principal", i.principal_minor);
    U(w, "interest", i.interest_minor);
    U(w, "fee", i.fee_minor);
    U(w, "total", i.total_minor());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return Done(b);
}

std::string LoanListJson(const std::vector<std::string>& items, std::optional<Id128> next) {
  std::string out = "{\"data\":[";
  for (size_t k = 0; k < items.size(); ++k) {
    if (k > 0) out += ',';
    out += items[k];
  }
  out += "],\"next_cursor\":";
  out += next ? "\"" + next->ToDecimal() + "\"" : "null";
  out += '}';
  return out;
}

namespace {

void Reasons(Writer& w, const std::vector<ReasonCode>& reasons) {
  Key(w, "reasons");
  w.StartArray();
  for (const ReasonCode& c : reasons) {
    w.StartObject();
    Str(w, "code", c.code);
    Key(w, "contribution");
    w.Double(c.contribution);  // finite: the service refuses a score with other
    w.EndObject();
  }
  w.EndArray();
}

void Decision(Writer& w, const LimitDecisionEntry& e) {
  w.StartObject();
  Date(w, "date", e.date);
  Str(w, "kind", LimitDecisionKindName(e.kind));
  Str(w, "action", LimitActionName(e.action));
  Str(w, "reason", LimitDecisionReasonName(e));
  U(w, "limit_before", e.limit_before_minor);
  U(w, "limit_after", e.limit_after_minor);
  if (e.kind == LimitDecisionKind::kAssessed) {
    Str(w, "grade", GradeName(e.grade));
    U(w, "score", e.score);
  }
  w.EndObject();
}

}  // namespace

std::string AssessmentJson(const Id128& borrower_id, const ScoreResult& score,
                           AmountMinor limit_minor) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  Str(w, "borrower_id", borrower_id.ToDecimal());
  U(w, "score", score.score);
  Str(w, "grade", GradeName(score.grade));
  U(w, "limit", limit_minor);
  Reasons(w, score.reasons);
  w.EndObject();
  return Done(b);
}

std::string BorrowerJson(const BorrowerRecord& r, AmountMinor used_minor) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  Str(w, "borrower_id", r.borrower_id.ToDecimal());
  const bool limited = r.basis != LimitBasis::kNone;
  Key(w, "limit");
  limited ? w.Uint64(r.limit_minor) : w.Null();
  Str(w, "basis", LimitBasisName(r.basis));
  Str(w, "state", LimitStateName(r.state));
  Key(w, "grade");
  const std::string_view grade = GradeName(r.grade);
  r.graded ? w.String(grade.data(), static_cast<rapidjson::SizeType>(grade.size())) : w.Null();
  Key(w, "score");
  r.graded ? w.Uint64(r.score) : w.Null();
  Reasons(w, r.reasons);
  U(w, "used", used_minor);
  // Without a limit only the person cap applies: nothing to show as available.
  Key(w, "available");
  if (!limited) {
    w.Null();
  } else {
    const bool open = r.state == LimitState::kActive && used_minor < r.limit_minor;
    w.Uint64(open ? r.limit_minor - used_minor : 0);
  }
  Key(w, "last_review_date");
  const std::string reviewed = r.last_review_date.ToString();
  r.last_review_date == CivilDate{} ? w.Null() : w.String(reviewed.c_str());
  Key(w, "decisions");
  w.StartArray();
  for (const LimitDecisionEntry& e : r.entries) Decision(w, e);
  w.EndArray();
  w.EndObject();
  return Done(b);
}

std::string DaySummaryJson(CivilDate date, const DayTally& t, const CreditState& state) {
  constexpr Bucket kBuckets[] = {Bucket::kM0, Bucket::kM1, Bucket::kM2, Bucket::kM3, Bucket::kM3Plus};
  constexpr LoanClass kClasses[] = {LoanClass::kNormal, LoanClass::kSpecialMention,
                                    LoanClass::kSubstandard, LoanClass::kDoubtful, LoanClass::kLoss};
  uint32_t by_bucket[5] = {}, by_class[5] = {}, active = 0;
  AmountMinor provision_held = 0, receivable = 0;
  for (const Id128& id : state.AllLoans()) {
    const LoanRecord& r = *state.FindLoan(id);
    provision_held += r.provision_minor;
    receivable += r.receivable_minor;
    if (r.loan.status != LoanStatus::kActive) continue;
    ++active;
    by_bucket[static_cast<size_t>(r.loan.bucket())] += 1;
    by_class[static_cast<size_t>(r.loan.loan_class) - 1] += 1;
  }
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  Date(w, "date", date);
  Key(w, "finished");
  w.Bool(t.finished);
  U(w, "loans_run", t.loans_run);
  U(w, "loans_active", active);
  U(w, "statements", t.statements);
  Key(w, "accrued");
  w.StartObject();
  U(w, "interest", t.interest_minor);
  U(w, "penalty", t.penalty_minor);
  U(w, "fees", t.fees_minor);
  w.EndObject();
  Key(w, "provisions");
  w.StartObject();
  U(w, "charged", t.provision_charged_minor);
  U(w, "released", t.provision_released_minor);
  U(w, "held", provision_held);
  w.EndObject();
  U(w, "written_off", t.written_off_minor);
  U(w, "written_off_loans", t.written_off_loans);
  Key(w, "limit_reviews");
  w.StartObject();
  constexpr std::string_view kReviewed[] = {"raised", "kept", "lowered", "frozen"};
  for (size_t k = 0; k < 4; ++k) U(w, kReviewed[k], t.limit_reviews[k]);
  w.EndObject();
  U(w, "receivable", receivable);
  Key(w, "buckets");
  w.StartObject();
  for (Bucket k : kBuckets) U(w, BucketName(k), by_bucket[static_cast<size_t>(k)]);
  w.EndObject();
  Key(w, "classes");
  w.StartObject();
  for (LoanClass c : kClasses) U(w, LoanClassName(c), by_class[static_cast<size_t>(c) - 1]);
  w.EndObject();
  Key(w, "transitions");
  w.StartArray();
  for (size_t from = 0; from < 5; ++from) {
    for (size_t to = 0; to < 5; ++to) {
      if (t.bucket_moves[from][to] > 0) {
        w.StartObject();
        Str(w, "kind", "bucket");
        Str(w, "from", BucketName(kBuckets[from]));
        Str(w, "to", BucketName(kBuckets[to]));
        U(w, "loans", t.bucket_moves[from][to]);
        w.EndObject();
      }
      if (t.class_moves[from][to] > 0) {
        w.StartObject();
        Str(w, "kind", "class");
        Str(w, "from", LoanClassName(kClasses[from]));
        Str(w, "to", LoanClassName(kClasses[to]));
        U(w, "loans", t.class_moves[from][to]);
        w.EndObject();
      }
    }
  }
  w.EndArray();
  w.EndObject();
  return Done(b);
}

}  // namespace netfin::credit
