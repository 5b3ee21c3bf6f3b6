#pragma once

// Private to credit_service*.cc: one command's view (CreditService::Op) and
// the small helpers every operation of the service uses. Not installed, not
// included elsewhere.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/assert.h"
#include "credit/credit_render.h"
#include "credit/credit_service.h"
#include "credit/offer.h"
#include "ledger/results.h"

namespace netfin::credit {
namespace service_detail {

using store::Account;
using store::Transfer;

inline CreditReply Error(CreditError error, std::string message) {
  CreditReply r;
  r.error = error;
  r.message = std::move(message);
  return r;
}

inline CreditReply Refused(CreditResult refusal, std::string message = "") {
  CreditReply r;
  r.error = CreditError::kRefused;
  r.refusal = refusal;
  r.message = message.empty() ? std::string(CreditResultName(refusal)) : std::move(message);
  return r;
}

inline CreditReply Ok(std::string body, uint16_t status = 200) {
  CreditReply r;
  r.http_status = status;
  r.body = std::move(body);
  return r;
}

// A loan's (line's) JSON with its id: what an operation on it answers.
inline CreditReply LoanOk(const LoanRecord& r, CivilDate open_date, uint16_t status) {
  CreditReply ok = Ok(LoanJson(r, open_date), status);
  ok.loan_id = r.id;
  ok.parties = {.borrower_id = r.borrower_id,
                .destination_account_id = r.destination_account_id,
                .buyer_id = r.buyer_id,
                .business = r.loan.kind == ProductKind::kMerchantLoan ||
                            r.loan.kind == ProductKind::kReceivableFinancing};
  return ok;
}
inline CreditReply LineOk(const LineRecord& r, uint16_t status) {
  CreditReply ok = Ok(LineJson(r), status);
  ok.line_id = r.id;
  return ok;
}

// The role's ledger accounts: derived from the ledger, so they are stable
// and need no lookup table.
inline Id128 DerivedId(const core::SecretKey& key, std::string_view kind, uint32_t ledger) {
  return core::KeyedId(key, kind, "credit/" + std::to_string(ledger));
}

// What a credit-normal account (a wallet, a merchant account) can give.
inline AmountMinor Available(const Account& a) {
  const AmountMinor out = a.debits_posted + a.debits_pending;
  return a.credits_posted > out ? a.credits_posted - out : 0;
}

// Fills what a loan takes from the offer it was opened on, accepted on
// `date`: its product, APRs and schedule, and its whole principal as its
// share of the receivable. Returns its first history line.
inline LoanEntry TakeOffer(const Offer& offer, CivilDate date, LoanRecord* r) {
  r->product = offer.product_name;
  r->apr_ppm = offer.apr.NominalPpm();
  r->apr_effective_ppm = offer.apr.EffectivePpm();
  r->opened_date = date;
  r->loan = LoanFromOffer(offer);
  r->receivable_minor = offer.terms.principal_minor;
  return {date, EntryKind::kDisbursed, r->receivable_minor, {}, 0, {}};
}

// An offer's refusal; the APR cap's names the APR and the cap.
inline CreditReply OfferRefused(CreditResult refusal, const Offer& offer, const CapPolicy& caps) {
  NETFIN_ASSERT(refusal != CreditResult::kOk);
  if (refusal != CreditResult::kAprAboveCap) return Refused(refusal);
  return Refused(refusal, fmt::format("the APR {} ppm is above the cap of {} bps",
                                      offer.apr.NominalPpm(), caps.EffectiveAprCapBps()));
}

}  // namespace service_detail

using store::Account;
using store::Transfer;

// One command's view: the context, the state and helpers to book a loan's change.
class CreditService::Op {
 public:
  Op(CreditService& service, ledger::CommandContext& ctx, const CreditCall& call)
      : s_(service), ctx_(ctx), call_(call) {}

  CreditState& state() { return s_.state_; }
  const CreditCall& call() const { return call_; }
  bool IsOperator() const { return call_.role == CallerRole::kOperator; }
  // Whether the caller may act on a borrower's loans.
  bool MaySee(const Id128& borrower_id) const {
    return IsOperator() || (call_.role == CallerRole::kCustomer && call_.party_id == borrower_id);
  }
  // A loan or line that is not there, or not the caller's: the operator is
  // told it does not exist; a customer is refused either way, so that they
  // cannot learn which ids exist.
  CreditReply NoSuch(CreditError unknown, std::string_view what) const {
    if (!IsOperator()) {
      return service_detail::Error(CreditError::kForbidden, fmt::format("no such {} of yours", what));
    }
    return service_detail::Error(unknown, fmt::format("no such {}", what));
  }
  uint64_t now() const { return ctx_.now_ns(); }
  Id128 NewId() { return s_.state_.NextId(ctx_.now_ns()); }
  const Account* Ledger(const Id128& id) { return ctx_.LookupAccount(id); }

  void Emit(const CreditEvent& event, const Id128& subject) {
    const store::RoleEvent& stored = ctx_.AppendEvent(
        ledger::Role::kCredit, static_cast<uint16_t>(TypeOf(event)), subject, Id128{},
        EncodeCreditEvent(event));
    s_.state_.Apply(event, stored.timestamp);
  }

  void Leg(const Id128& debit, const Id128& credit, AmountMinor amount, CreditTransferCode code) {
    if (amount == 0) return;
    Transfer t;
    t.debit_account_id = debit;
    t.credit_account_id = credit;
    t.amount = amount;
    t.code = static_cast<uint16_t>(code);
    legs_.push_back(t);
  }

  // Moves the legs gathered as one linked chain. Empty on success; else the
  // ledger's result of the first failing leg (nothing moved).
  std::string Move(uint32_t ledger, const Id128& loan_id) {
    if (legs_.empty()) return "";
    for (size_t i = 0; i < legs_.size(); ++i) {
      legs_[i].id = NewId();
      legs_[i].ledger = ledger;
      legs_[i].user_data_128 = loan_id;
      if (i + 1 < legs_.size()) legs_[i].flags |= static_cast<uint16_t>(store::TransferFlag::kLinked);
    }
    ctx_.CreateTransfers(legs_, &outcomes_);
    legs_.clear();
    for (const auto& o : outcomes_) {
      if (o.result != ledger::CreateTransferResult::kOk &&
          o.result != ledger::CreateTransferResult::kLinkedEventFailed) {
        return std::string(ledger::ResultName(o.result));
      }
    }
    return "";
  }

  bool CreateAccounts(const std::vector<Account>& accounts) {
    std::vector<ledger::AccountOutcome> outcomes;
    ctx_.CreateAccounts(accounts, &outcomes);
    return std::all_of(outcomes.begin(), outcomes.end(), [](const auto& o) {
      return o.result == ledger::CreateAccountResult::kOk;
    });
  }

  // Brings what is recognised for the loan (interest, fees, penalty) to
  // what its new state calls for, gathering the legs and history lines:
  // recognised interest is the day-end's accrual, or what was paid when a
  // bill was paid before accrual reached it; on closing, exactly what was
  // paid (the rest is reversed). Penalty is recognised as it accrues.
  // `positive` gathers recognitions, `reversals` the opposite legs, which a
  // repayment books after its payment. penalty_before_minor: the penalty the
  // loan had accrued before the change.
  void Recognise(const CreditBooks& b, AmountMinor penalty_before_minor, LoanRecord* r,
                 CivilDate date, std::vector<LoanEntry>* entries,
                 std::vector<Transfer>* reversals) {
    const Loan& l = r->loan;
    const LoanPaid paid = PaidOf(l);
    const bool closed = l.status == LoanStatus::kPaidOff || l.status == LoanStatus::kConverted;
    const AmountMinor interest_target =
        closed ? paid.interest_minor : std::max(l.interest_accrued_minor, paid.interest_minor);
    const AmountMinor fee_target =
        closed ? paid.fee_minor : std::max(paid.fee_billed_minor, paid.fee_minor);
    NETFIN_ASSERT(l.penalty_accrued_minor >= penalty_before_minor);
    const AmountMinor penalty = l.penalty_accrued_minor - penalty_before_minor;
    auto book = [&](AmountMinor* recognised, AmountMinor target, const Id128& income,
                    CreditTransferCode up, CreditTransferCode down, EntryKind kind) {
      if (target > *recognised) {
        const AmountMinor d = target - *recognised;
        Leg(b.receivable, income, d, up);
        r->receivable_minor += d;
        entries->push_back({date, kind, d, {}, 0, {}});
      } else if (target < *recognised) {
        const AmountMinor d = *recognised - target;
        Transfer t;
        t.debit_account_id = income;
        t.credit_account_id = b.receivable;
        t.amount = d;
        t.code = static_cast<uint16_t>(down);
        reversals->push_back(t);
        NETFIN_ASSERT(r->receivable_minor >= d);
        r->receivable_minor -= d;
        entries->push_back({date, EntryKind::kReversal, d, {}, 0, {}});
      }
      *recognised = target;
    };
    book(&r->interest_recognised_minor, interest_target, b.interest_income,
         CreditTransferCode::kInterestAccrued, CreditTransferCode::kInterestReversed, EntryKind::kInterest);
    book(&r->fee_recognised_minor, fee_target, b.fee_income, CreditTransferCode::kFeeBilled,
         CreditTransferCode::kFeeReversed, EntryKind::kFee);
    if (penalty > 0) {
      Leg(b.receivable, b.penalty_income, penalty, CreditTransferCode::kPenaltyAccrued);
      r->receivable_minor += penalty;
      entries->push_back({date, EntryKind::kPenalty, penalty, {}, 0, {}});
    }
  }

  void AppendLegs(const std::vector<Transfer>& legs) { legs_.insert(legs_.end(), legs.begin(), legs.end()); }

 private:
  CreditService& s_;
  ledger::CommandContext& ctx_;
  const CreditCall& call_;
  std::vector<Transfer> legs_;
  std::vector<ledger::TransferOutcome> outcomes_;
};

// A repayment between its checks and its booking: the loan's changed copy
// and what the booking needs (credit_service_lines.cc).
struct CreditService::Staged {
  LoanRecord record;  // the loan's copy, the repayment applied
  LoanChanged change;
  Allocation applied;
  Repayment repayment;
  AmountMinor penalty_before_minor = 0;
};

}  // namespace netfin::credit
