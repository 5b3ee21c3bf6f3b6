#include "credit/credit_events.h"

#include <limits>
#include <type_traits>

#include <rapidjson/document.h>

#include "credit/credit_json.h"

namespace netfin::credit {
namespace {

using json::I;
using json::Key;
using json::Str;
using json::U;
using json::Writer;
using Value = rapidjson::Value;

// ---- writing: ids as decimal strings, dates as days since the epoch,
// enums and amounts as integers.

void B(Writer& w, std::string_view k, bool v) { Key(w, k); w.Bool(v); }
void Id(Writer& w, std::string_view k, const Id128& v) { Str(w, k, v.ToDecimal()); }
void D(Writer& w, std::string_view k, CivilDate v) { I(w, k, v.days_since_epoch()); }
// An array of items, each written by write_one.
template <typename T, typename WriteOne>
void List(Writer& w, std::string_view k, const std::vector<T>& items, WriteOne write_one) {
  Key(w, k);
  w.StartArray();
  for (const T& item : items) write_one(w, item);
  w.EndArray();
}

void WriteBooks(Writer& w, const CreditBooks& b) {
  U(w, "ledger", b.ledger);
  Id(w, "lending_funds", b.lending_funds);
  Id(w, "receivable", b.receivable);
  Id(w, "interest_income", b.interest_income);
  Id(w, "fee_income", b.fee_income);
  Id(w, "penalty_income", b.penalty_income);
  Id(w, "loss_provision", b.loss_provision);
  Id(w, "provision_expense", b.provision_expense);
  Id(w, "written_off", b.written_off);
  Id(w, "lender_funding", b.lender_funding);
  Id(w, "held_payments", b.held_payments);
}

void WriteInstalment(Writer& w, const LoanInstalment& i) {
  // An array, not an object: a 60-instalment loan stays well inside a role
  // event's 64 KiB.
  w.StartArray();
  const Instalment& s = i.scheduled;
  for (int64_t v : {int64_t{s.number}, int64_t{s.period_start.days_since_epoch()},
                    int64_t{s.due_date.days_since_epoch()}, int64_t(s.principal_minor),
                    int64_t(s.interest_minor), int64_t(s.fee_minor), int64_t(s.balance_after_minor),
                    int64_t{i.statement_date.days_since_epoch()}, int64_t(i.principal_paid_minor),
                    int64_t(i.interest_paid_minor), int64_t(i.fee_paid_minor),
                    int64_t(i.interest_waived_minor), int64_t(i.fee_waived_minor)}) {
    w.Int64(v);
  }
  w.EndArray();
}

void WriteLoan(Writer& w, const Loan& l) {
  w.StartObject();
  U(w, "kind", static_cast<uint64_t>(l.kind));
  U(w, "principal", l.terms.principal_minor);
  U(w, "terms", l.terms.terms);
  U(w, "method", static_cast<uint64_t>(l.terms.method));
  U(w, "annual_interest_bps", l.terms.annual_interest_bps);
  U(w, "monthly_fee_bps", l.terms.monthly_fee_bps);
  U(w, "interest_basis", static_cast<uint64_t>(l.terms.interest_basis));
  U(w, "day_count", static_cast<uint64_t>(l.terms.day_count));
  D(w, "start_date", l.terms.start_date);
  D(w, "first_due_date", l.terms.first_due_date);
  U(w, "penalty_daily_ppm", l.penalty_daily_ppm);
  List(w, "instalments", l.instalments, WriteInstalment);
  U(w, "penalty_accrued", l.penalty_accrued_minor);
  U(w, "penalty_paid", l.penalty_paid_minor);
  U(w, "penalty_carry", l.penalty_carry_fen_ppm);
  U(w, "interest_accrued", l.interest_accrued_minor);
  D(w, "last_run_date", l.last_run_date);
  U(w, "statements_issued", l.statements_issued);
  U(w, "status", static_cast<uint64_t>(l.status));
  D(w, "closed_date", l.closed_date);
  U(w, "days_past_due", l.days_past_due);
  U(w, "class", static_cast<uint64_t>(l.loan_class));
  U(w, "provision_target", l.provision_target_minor);
  w.EndObject();
}

void WriteRecord(Writer& w, const LoanRecord& r) {
  w.StartObject();
  Id(w, "id", r.id);
  Id(w, "borrower_id", r.borrower_id);
  Id(w, "destination_account_id", r.destination_account_id);
  U(w, "ledger", r.ledger);
  Str(w, "product", r.product);
  U(w, "disbursement", static_cast<uint64_t>(r.disbursement));
  I(w, "apr_ppm", r.apr_ppm);
  I(w, "apr_effective_ppm", r.apr_effective_ppm);
  D(w, "opened_date", r.opened_date);
  U(w, "interest_recognised", r.interest_recognised_minor);
  U(w, "fee_recognised", r.fee_recognised_minor);
  U(w, "receivable", r.receivable_minor);
  U(w, "provision", r.provision_minor);
  Id(w, "line_id", r.line_id);
  Id(w, "buyer_id", r.buyer_id);
  U(w, "receivable_face", r.receivable_face_minor);
  U(w, "held", r.held_minor);
  Key(w, "loan");
  WriteLoan(w, r.loan);
  w.EndObject();
}

void WriteEntry(Writer& w, const LoanEntry& e) {
  w.StartArray();
  for (int64_t v : {int64_t{e.date.days_since_epoch()}, int64_t(e.kind), int64_t(e.amount_minor),
                    int64_t(e.allocation.penalty_minor), int64_t(e.allocation.fee_minor),
                    int64_t(e.allocation.interest_minor), int64_t(e.allocation.principal_minor),
                    int64_t{e.instalment}, int64_t{e.due_date.days_since_epoch()}}) {
    w.Int64(v);
  }
  w.EndArray();
}

void WriteChange(Writer& w, const LoanChanged& c) {
  Key(w, "record");
  WriteRecord(w, c.record);
  List(w, "entries", c.entries, WriteEntry);
  B(w, "day_end", c.day_end);
  D(w, "day_end_date", c.day_end_date);
  U(w, "bucket_before", static_cast<uint64_t>(c.bucket_before));
  U(w, "class_before", static_cast<uint64_t>(c.class_before));
  U(w, "provision_before", c.provision_before_minor);
}

void WriteLineEntry(Writer& w, const LineEntry& e) {
  w.StartArray();
  w.Int64(e.date.days_since_epoch());
  w.Int64(static_cast<int64_t>(e.kind));
  w.Int64(static_cast<int64_t>(e.amount_minor));
  const std::string ref = e.ref_id.ToDecimal();
  w.String(ref.data(), static_cast<rapidjson::SizeType>(ref.size()));
  w.EndArray();
}

void WriteLine(Writer& w, const LineChanged& c) {
  const LineRecord& r = c.record;
  Key(w, "record");
  w.StartObject();
  Id(w, "id", r.id);
  Id(w, "borrower_id", r.borrower_id);
  U(w, "ledger", r.ledger);
  Str(w, "product", r.product);
  U(w, "statement_day", r.statement_day);
  U(w, "due_day", r.due_day);
  U(w, "penalty_daily_ppm", r.penalty_daily_ppm);
  D(w, "opened_date", r.opened_date);
  D(w, "cycle_start_date", r.cycle_start_date);
  U(w, "limit", r.line.limit_minor);
  U(w, "unbilled", r.line.unbilled_minor);
  U(w, "used", r.line.used_minor);
  U(w, "state", static_cast<uint64_t>(r.line.state));
  w.EndObject();
  List(w, "entries", c.entries, WriteLineEntry);
}

void WriteFields(Writer& w, const BooksOpened& e) {
  WriteBooks(w, e.books);
  D(w, "first_business_date", e.first_business_date);
}
void WriteFields(Writer& w, const LoanOpened& e) { WriteChange(w, e.change); }
void WriteFields(Writer& w, const LoanChanged& e) { WriteChange(w, e); }
void WriteFields(Writer& w, const DayEndStarted& e) { D(w, "date", e.date); }
void WriteFields(Writer& w, const DayEndFinished& e) { D(w, "date", e.date); }
void WriteFields(Writer& w, const BorrowerLimitSet& e) {
  Id(w, "borrower_id", e.borrower_id);
  U(w, "limit", e.limit_minor);
}
void WriteFields(Writer& w, const LineOpened& e) { WriteLine(w, e.change); }
void WriteFields(Writer& w, const LineChanged& e) { WriteLine(w, e); }
void WriteFields(Writer& w, const BooksExtended& e) {
  U(w, "ledger", e.ledger);
  Id(w, "lender_funding", e.lender_funding);
  Id(w, "held_payments", e.held_payments);
}
void WriteFields(Writer& w, const LimitDecided& e) {
  const BorrowerRecord& r = e.record;
  Key(w, "record");
  w.StartObject();
  Id(w, "borrower_id", r.borrower_id);
  U(w, "basis", static_cast<uint64_t>(r.basis));
  U(w, "limit", r.limit_minor);
  U(w, "ceiling", r.manual_ceiling_minor);
  U(w, "state", static_cast<uint64_t>(r.state));
  B(w, "graded", r.graded);
  U(w, "grade", static_cast<uint64_t>(r.grade));
  U(w, "score", r.score);
  // Contributions are model statistics (log-odds), not money: doubles,
  // written as the shortest text that reads back to the same double.
  List(w, "reasons", r.reasons, [](Writer& w, const ReasonCode& c) {
    w.StartArray();
    w.String(c.code.data(), static_cast<rapidjson::SizeType>(c.code.size()));
    w.Double(c.contribution);
    w.EndArray();
  });
  D(w, "limited_since", r.limited_since);
  D(w, "last_review", r.last_review_date);
  w.EndObject();
  const LimitDecisionEntry& d = e.entry;
  Key(w, "entry");
  w.StartArray();
  for (int64_t v : {int64_t{d.date.days_since_epoch()}, int64_t(d.kind), int64_t(d.action),
                    int64_t(d.reason), int64_t(d.limit_before_minor), int64_t(d.limit_after_minor),
                    int64_t(d.grade), int64_t{d.score}}) {
    w.Int64(v);
  }
  w.EndArray();
}
void WriteFields(Writer& w, const CreditIdempotencyRecorded& e) {
  Str(w, "key_id", e.key_id);
  Str(w, "key", e.key);
  Str(w, "fingerprint", e.fingerprint);
  U(w, "status", e.status);
  Str(w, "body", e.body);
}

// ---- reading: the first missing or mistyped field fails the event.

class Reader {
 public:
  bool ok() const { return ok_; }
  const std::string& bad() const { return bad_; }

  const Value* Member(const Value& o, std::string_view k) {
    if (!ok_) return nullptr;
    if (!o.IsObject()) return Fail(k);
    auto it = o.FindMember(Value(rapidjson::StringRef(k.data(), k.size())));
    if (it == o.MemberEnd()) return Fail(k);
    return &it->value;
  }
  // The integer (or enum) member k of object o.
  template <typename T>
  void Num(const Value& o, std::string_view k, T* out) {
    if (const Value* v = Member(o, k)) Int(*v, k, out);
  }
  // An integer (or enum) value; k names it in the error.
  template <typename T>
  void Int(const Value& v, std::string_view k, T* out) {
    if constexpr (std::is_enum_v<T>) {
      std::underlying_type_t<T> u{};
      Int(v, k, &u);
      *out = static_cast<T>(u);
    } else {
      Integer(v, k, out);
    }
  }
  void Date(const Value& o, std::string_view k, CivilDate* out) {
    if (const Value* v = Member(o, k)) DateAt(*v, k, out);
  }
  void DateAt(const Value& v, std::string_view k, CivilDate* out) {
    int32_t days = 0;
    Int(v, k, &days);
    *out = CivilDate::FromDaysSinceEpoch(days);
  }
  // Members added after the first events: absent in older payloads, where
  // they keep their defaults.
  bool Has(const Value& o, std::string_view k) const {
    return ok_ && o.IsObject() && o.HasMember(Value(rapidjson::StringRef(k.data(), k.size())));
  }
  void IdOpt(const Value& o, std::string_view k, Id128* out) {
    if (Has(o, k)) IdOf(o, k, out);
  }
  template <typename T>
  void NumOpt(const Value& o, std::string_view k, T* out) {
    if (Has(o, k)) Num(o, k, out);
  }
  void IdAt(const Value& v, std::string_view k, Id128* out) {
    if (!ok_) return;
    if (!v.IsString()) return (void)Fail(k);
    auto id = Id128::ParseDecimal({v.GetString(), v.GetStringLength()});
    if (!id) return (void)Fail(k);
    *out = *id;
  }
  void IdOf(const Value& o, std::string_view k, Id128* out) {
    const Value* v = Member(o, k);
    if (v == nullptr) return;
    if (!v->IsString()) return (void)Fail(k);
    auto id = Id128::ParseDecimal({v->GetString(), v->GetStringLength()});
    if (!id) return (void)Fail(k);
    *out = *id;
  }
  void Text(const Value& o, std::string_view k, std::string* out) {
    const Value* v = Member(o, k);
    if (v == nullptr) return;
    if (!v->IsString()) return (void)Fail(k);
    out->assign(v->GetString(), v->GetStringLength());
  }
  void Bool(const Value& o, std::string_view k, bool* out) {
    const Value* v = Member(o, k);
    if (v == nullptr) return;
    if (!v->IsBool()) return (void)Fail(k);
    *out = v->GetBool();
  }
  // The array member k of object o, each element read by read_one into a
  // new element of *out.
  template <typename T, typename ReadOne>
  void List(const Value& o, std::string_view k, std::vector<T>* out, ReadOne read_one) {
    const Value* a = Member(o, k);
    if (a == nullptr) return;
    if (!a->IsArray()) return (void)Fail(k);
    out->resize(a->Size());
    for (rapidjson::SizeType i = 0; i < a->Size() && ok_; ++i) read_one(*this, (*a)[i], &(*out)[i]);
  }
  // An array of exactly n elements.
  const Value* Array(const Value& v, std::string_view k, size_t n) {
    if (!ok_) return nullptr;
    if (!v.IsArray() || v.Size() != n) return Fail(k);
    return &v;
  }
  void Real(const Value& v, std::string_view k, double* out) {
    if (!ok_) return;
    if (!v.IsNumber()) return (void)Fail(k);
    *out = v.GetDouble();
  }
  void TextAt(const Value& v, std::string_view k, std::string* out) {
    if (!ok_) return;
    if (!v.IsString()) return (void)Fail(k);
    out->assign(v.GetString(), v.GetStringLength());
  }
  const Value* Fail(std::string_view k) {
    if (ok_) bad_ = k;
    ok_ = false;
    return nullptr;
  }

 private:
  template <typename T>
  void Integer(const Value& v, std::string_view k, T* out) {
    if (!ok_) return;
    if (!v.IsInt64()) {
      Fail(k);
      return;
    }
    const int64_t x = v.GetInt64();
    if constexpr (std::is_unsigned_v<T>) {
      if (x < 0 || static_cast<uint64_t>(x) > std::numeric_limits<T>::max()) {
        Fail(k);
        return;
      }
    } else {
      if (x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max()) {
        Fail(k);
        return;
      }
    }
    *out = static_cast<T>(x);
  }

  bool ok_ = true;
  std::string bad_;
};

void ReadBooks(Reader& r, const Value& o, CreditBooks* b) {
  r.Num(o, "ledger", &b->ledger);
  r.IdOf(o, "lending_funds", &b->lending_funds);
  r.IdOf(o, "receivable", &b->receivable);
  r.IdOf(o, "interest_income", &b->interest_income);
  r.IdOf(o, "fee_income", &b->fee_income);
  r.IdOf(o, "penalty_income", &b->penalty_income);
  r.IdOf(o, "loss_provision", &b->loss_provision);
  r.IdOf(o, "provision_expense", &b->provision_expense);
  r.IdOf(o, "written_off", &b->written_off);
  r.IdOpt(o, "lender_funding", &b->lender_funding);
  r.IdOpt(o, "held_payments", &b->held_payments);
}

void ReadInstalment(Reader& r, const Value& v, LoanInstalment* i) {
  const Value* a = r.Array(v, "instalment", 13);
  if (a == nullptr) return;
  Instalment& s = i->scheduled;
  r.Int((*a)[0], "number", &s.number);
  r.DateAt((*a)[1], "period_start", &s.period_start);
  r.DateAt((*a)[2], "due_date", &s.due_date);
  r.Int((*a)[3], "principal", &s.principal_minor);
  r.Int((*a)[4], "interest", &s.interest_minor);
  r.Int((*a)[5], "fee", &s.fee_minor);
  r.Int((*a)[6], "balance_after", &s.balance_after_minor);
  r.DateAt((*a)[7], "statement_date", &i->statement_date);
  r.Int((*a)[8], "principal_paid", &i->principal_paid_minor);
  r.Int((*a)[9], "interest_paid", &i->interest_paid_minor);
  r.Int((*a)[10], "fee_paid", &i->fee_paid_minor);
  r.Int((*a)[11], "interest_waived", &i->interest_waived_minor);
  r.Int((*a)[12], "fee_waived", &i->fee_waived_minor);
}

void ReadLoan(Reader& r, const Value& o, Loan* l) {
  r.Num(o, "kind", &l->kind);
  r.Num(o, "principal", &l->terms.principal_minor);
  r.Num(o, "terms", &l->terms.terms);
  r.Num(o, "method", &l->terms.method);
  r.Num(o, "annual_interest_bps", &l->terms.annual_interest_bps);
  r.Num(o, "monthly_fee_bps", &l->terms.monthly_fee_bps);
  r.Num(o, "interest_basis", &l->terms.interest_basis);
  r.Num(o, "day_count", &l->terms.day_count);
  r.Date(o, "start_date", &l->terms.start_date);
  r.Date(o, "first_due_date", &l->terms.first_due_date);
  r.Num(o, "penalty_daily_ppm", &l->penalty_daily_ppm);
  r.List(o, "instalments", &l->instalments, ReadInstalment);
  r.Num(o, "penalty_accrued", &l->penalty_accrued_minor);
  r.Num(o, "penalty_paid", &l->penalty_paid_minor);
  r.Num(o, "penalty_carry", &l->penalty_carry_fen_ppm);
  r.Num(o, "interest_accrued", &l->interest_accrued_minor);
  r.Date(o, "last_run_date", &l->last_run_date);
  r.Num(o, "statements_issued", &l->statements_issued);
  r.Num(o, "status", &l->status);
  r.Date(o, "closed_date", &l->closed_date);
  r.Num(o, "days_past_due", &l->days_past_due);
  r.Num(o, "class", &l->loan_class);
  r.Num(o, "provision_target", &l->provision_target_minor);
}

void ReadRecord(Reader& r, const Value& o, LoanRecord* rec) {
  r.IdOf(o, "id", &rec->id);
  r.IdOf(o, "borrower_id", &rec->borrower_id);
  r.IdOf(o, "destination_account_id", &rec->destination_account_id);
  r.Num(o, "ledger", &rec->ledger);
  r.Text(o, "product", &rec->product);
  r.Num(o, "disbursement", &rec->disbursement);
  r.Num(o, "apr_ppm", &rec->apr_ppm);
  r.Num(o, "apr_effective_ppm", &rec->apr_effective_ppm);
  r.Date(o, "opened_date", &rec->opened_date);
  r.Num(o, "interest_recognised", &rec->interest_recognised_minor);
  r.Num(o, "fee_recognised", &rec->fee_recognised_minor);
  r.Num(o, "receivable", &rec->receivable_minor);
  r.Num(o, "provision", &rec->provision_minor);
  r.IdOpt(o, "line_id", &rec->line_id);
  r.IdOpt(o, "buyer_id", &rec->buyer_id);
  r.NumOpt(o, "receivable_face", &rec->receivable_face_minor);
  r.NumOpt(o, "held", &rec->held_minor);
  if (const Value* loan = r.Member(o, "loan")) ReadLoan(r, *loan, &rec->loan);
}

void ReadEntry(Reader& r, const Value& v, LoanEntry* e) {
  const Value* a = r.Array(v, "entry", 9);
  if (a == nullptr) return;
  r.DateAt((*a)[0], "date", &e->date);
  r.Int((*a)[1], "kind", &e->kind);
  r.Int((*a)[2], "amount", &e->amount_minor);
  r.Int((*a)[3], "penalty", &e->allocation.penalty_minor);
  r.Int((*a)[4], "fee", &e->allocation.fee_minor);
  r.Int((*a)[5], "interest", &e->allocation.interest_minor);
  r.Int((*a)[6], "principal", &e->allocation.principal_minor);
  r.Int((*a)[7], "instalment", &e->instalment);
  r.DateAt((*a)[8], "due_date", &e->due_date);
}

void ReadChange(Reader& r, const Value& o, LoanChanged* c) {
  if (const Value* rec = r.Member(o, "record")) ReadRecord(r, *rec, &c->record);
  r.List(o, "entries", &c->entries, ReadEntry);
  r.Bool(o, "day_end", &c->day_end);
  r.Date(o, "day_end_date", &c->day_end_date);
  r.Num(o, "bucket_before", &c->bucket_before);
  r.Num(o, "class_before", &c->class_before);
  r.Num(o, "provision_before", &c->provision_before_minor);
}

void ReadLineEntry(Reader& r, const Value& v, LineEntry* e) {
  const Value* a = r.Array(v, "line_entry", 4);
  if (a == nullptr) return;
  r.DateAt((*a)[0], "date", &e->date);
  r.Int((*a)[1], "kind", &e->kind);
  r.Int((*a)[2], "amount", &e->amount_minor);
  r.IdAt((*a)[3], "ref", &e->ref_id);
}

void ReadLine(Reader& r, const Value& o, LineChanged* c) {
  const Value* rec = r.Member(o, "record");
  if (rec == nullptr) return;
  LineRecord& l = c->record;
  r.IdOf(*rec, "id", &l.id);
  r.IdOf(*rec, "borrower_id", &l.borrower_id);
  r.Num(*rec, "ledger", &l.ledger);
  r.Text(*rec, "product", &l.product);
  r.Num(*rec, "statement_day", &l.statement_day);
  r.Num(*rec, "due_day", &l.due_day);
  r.Num(*rec, "penalty_daily_ppm", &l.penalty_daily_ppm);
  r.Date(*rec, "opened_date", &l.opened_date);
  r.Date(*rec, "cycle_start_date", &l.cycle_start_date);
  r.Num(*rec, "limit", &l.line.limit_minor);
  r.Num(*rec, "unbilled", &l.line.unbilled_minor);
  r.Num(*rec, "used", &l.line.used_minor);
  r.Num(*rec, "state", &l.line.state);
  r.List(o, "entries", &c->entries, ReadLineEntry);
}

void ReadFields(Reader& r, const Value& o, BooksOpened* e) {
  ReadBooks(r, o, &e->books);
  r.Date(o, "first_business_date", &e->first_business_date);
}
void ReadFields(Reader& r, const Value& o, LoanOpened* e) { ReadChange(r, o, &e->change); }
void ReadFields(Reader& r, const Value& o, LoanChanged* e) { ReadChange(r, o, e); }
void ReadFields(Reader& r, const Value& o, DayEndStarted* e) { r.Date(o, "date", &e->date); }
void ReadFields(Reader& r, const Value& o, DayEndFinished* e) { r.Date(o, "date", &e->date); }
void ReadFields(Reader& r, const Value& o, BorrowerLimitSet* e) {
  r.IdOf(o, "borrower_id", &e->borrower_id);
  r.Num(o, "limit", &e->limit_minor);
}
void ReadFields(Reader& r, const Value& o, LineOpened* e) { ReadLine(r, o, &e->change); }
void ReadFields(Reader& r, const Value& o, LineChanged* e) { ReadLine(r, o, e); }
void ReadFields(Reader& r, const Value& o, BooksExtended* e) {
  r.Num(o, "ledger", &e->ledger);
  r.IdOf(o, "lender_funding", &e->lender_funding);
  r.IdOf(o, "held_payments", &e->held_payments);
}
void ReadReason(Reader& r, const Value& v, ReasonCode* c) {
  const Value* a = r.Array(v, "reason", 2);
  if (a == nullptr) return;
  r.TextAt((*a)[0], "reason.code", &c->code);
  r.Real((*a)[1], "reason.contribution", &c->contribution);
}

// A grade outside A..E would trip LimitForGrade's assertion: refused here.
void CheckGrade(Reader& r, Grade grade) {
  if (grade < Grade::kA || grade > Grade::kE) r.Fail("grade");
}

void ReadFields(Reader& r, const Value& o, LimitDecided* e) {
  if (const Value* rec = r.Member(o, "record")) {
    BorrowerRecord& b = e->record;
    r.IdOf(*rec, "borrower_id", &b.borrower_id);
    r.Num(*rec, "basis", &b.basis);
    r.Num(*rec, "limit", &b.limit_minor);
    r.Num(*rec, "ceiling", &b.manual_ceiling_minor);
    r.Num(*rec, "state", &b.state);
    r.Bool(*rec, "graded", &b.graded);
    r.Num(*rec, "grade", &b.grade);
    CheckGrade(r, b.grade);
    r.Num(*rec, "score", &b.score);
    r.List(*rec, "reasons", &b.reasons, ReadReason);
    r.Date(*rec, "limited_since", &b.limited_since);
    r.Date(*rec, "last_review", &b.last_review_date);
  }
  const Value* entry = r.Member(o, "entry");
  const Value* a = entry == nullptr ? nullptr : r.Array(*entry, "entry", 8);
  if (a == nullptr) return;
  LimitDecisionEntry& d = e->entry;
  r.DateAt((*a)[0], "entry.date", &d.date);
  r.Int((*a)[1], "entry.kind", &d.kind);
  r.Int((*a)[2], "entry.action", &d.action);
  r.Int((*a)[3], "entry.reason", &d.reason);
  r.Int((*a)[4], "entry.limit_before", &d.limit_before_minor);
  r.Int((*a)[5], "entry.limit_after", &d.limit_after_minor);
  r.Int((*a)[6], "entry.grade", &d.grade);
  CheckGrade(r, d.grade);
  r.Int((*a)[7], "entry.score", &d.score);
}
void ReadFields(Reader& r, const Value& o, CreditIdempotencyRecorded* e) {
  r.Text(o, "key_id", &e->key_id);
  r.Text(o, "key", &e->key);
  r.Text(o, "fingerprint", &e->fingerprint);
  r.Num(o, "status", &e->status);
  r.Text(o, "body", &e->body);
}

template <size_t I = 0>
core::Result<CreditEvent> DecodeAlternative(size_t index, const Value& object) {
  if constexpr (I == std::variant_size_v<CreditEvent>) {
    (void)index;
    (void)object;
    return core::Corruption("unknown credit event type");
  } else {
    if (index != I) return DecodeAlternative<I + 1>(index, object);
    std::variant_alternative_t<I, CreditEvent> event;
    Reader reader;
    ReadFields(reader, object, &event);
    if (!reader.ok()) return core::Corruption("credit event: bad field " + reader.bad());
    return CreditEvent(std::move(event));
  }
}

}  // namespace

CreditEventType TypeOf(const CreditEvent& event) {
  return static_cast<CreditEventType>(event.index() + 1);
}

std::string EncodeCreditEvent(const CreditEvent& event) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  std::visit([&w](const auto& e) { WriteFields(w, e); }, event);
  w.EndObject();
  return json::Done(buffer);
}

core::Result<CreditEvent> DecodeCreditEvent(uint16_t type, std::string_view payload) {
  if (type == 0 || type > std::variant_size_v<CreditEvent>) {
    return core::Corruption("unknown credit event type " + std::to_string(type));
  }
  rapidjson::Document d;
  d.Parse(payload.data(), payload.size());
  if (d.HasParseError() || !d.IsObject()) return core::Corruption("credit event: not a JSON object");
  return DecodeAlternative(type - 1, d);
}

}  // namespace netfin::credit
