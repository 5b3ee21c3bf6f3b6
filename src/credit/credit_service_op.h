#pragma once

// Private to credit_service*.cc: one command's view (CreditService::Op) and
// the small helpers every operation of the service uses. Not installed, not
// included elsewhere.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "core/assert.h"
#include "credit/credit_service.h"
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

struct Paid {
  AmountMinor interest = 0, fee = 0, fee_billed = 0;
};
inline Paid PaidOf(const Loan& loan) {
  Paid p;
  for (size_t k = 0; k < loan.instalments.size(); ++k) {
    const LoanInstalment& i = loan.instalments[k];
    p.interest += i.interest_paid_minor;
    p.fee += i.fee_paid_minor;
    if (k < loan.statements_issued) p.fee_billed += i.scheduled.fee_minor;
  }
  return p;
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
    const service_detail::Paid paid = service_detail::PaidOf(l);
    const bool closed = l.status == LoanStatus::kPaidOff || l.status == LoanStatus::kConverted;
    const AmountMinor interest_target = closed ? paid.interest : std::max(l.interest_accrued_minor, paid.interest);
    const AmountMinor fee_target = closed ? paid.fee : std::max(paid.fee_billed, paid.fee);
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
