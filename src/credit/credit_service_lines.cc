// CreditService: credit lines (pay next month), merchant sales sweeps and
// receivable financing on the ledger, and the repayment booking every
// collection shares (Repay, SweepSales, BuyerPays). Same discipline as
// credit_service.cc: one command per operation, every check first, then one
// linked chain of transfers and the role's events in the same batch.

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "core/assert.h"
#include "credit/credit_render.h"
#include "credit/credit_service.h"
#include "credit/credit_service_op.h"
#include "credit/financing.h"

namespace netfin::credit {

using service_detail::Available;
using service_detail::Error;
using service_detail::LineOk;
using service_detail::LoanOk;
using service_detail::OfferRefused;
using service_detail::Ok;
using service_detail::Refused;
using service_detail::TakeOffer;

namespace {

// The product a line's bills are cut on: its billing terms as they were
// when the line was opened (a later configuration does not move them).
Product BillingProduct(const LineRecord& l) {
  Product p;
  p.name = l.product;
  p.kind = ProductKind::kCreditLine;
  p.statement_day = l.statement_day;
  p.due_day = l.due_day;
  p.penalty_daily_ppm = l.penalty_daily_ppm;
  return p;
}

// Whether any bill or conversion of the line is past due (at its last
// day-end, counting the payments since) or written off: such a line is frozen.
bool LineOverdue(const CreditState& state, const Id128& line_id) {
  const std::vector<Id128>* ids = state.LoansOfLine(line_id);
  if (ids == nullptr) return false;
  return std::any_of(ids->begin(), ids->end(), [&](const Id128& id) {
    const Loan& l = state.FindLoan(id)->loan;
    if (l.status == LoanStatus::kWrittenOff) return true;
    return l.status == LoanStatus::kActive && DaysPastDue(l, l.last_run_date) > 0;
  });
}

}  // namespace

// ---------------------------------------------------------------------------
// Repayments: shared by Repay, SweepSales and BuyerPays.

CreditReply CreditService::StageRepayment(Op&, const LoanRecord& loan, Repayment repayment,
                                          Staged* staged) {
  staged->record = loan;  // the state keeps no history in it: a cheap copy
  staged->penalty_before_minor = loan.loan.penalty_accrued_minor;
  staged->repayment = repayment;
  const CreditResult result = ApplyRepayment(repayment, &staged->record.loan, &staged->applied);
  if (result != CreditResult::kOk) return Refused(result);
  NETFIN_ASSERT(staged->applied.total_minor() == repayment.amount_minor);
  return CreditReply{};
}

// Gathers the recognition legs, the claim on the receivable, the reversals
// and the provision release. The caller adds where the money comes from
// (into lending funds) before CommitRepayment.
void CreditService::BookRepayment(Op& op, Staged& s) {
  LoanRecord& r = s.record;
  const CreditBooks& b = *state_.Books(r.ledger);
  const CivilDate date = s.repayment.date;
  const AmountMinor amount = s.repayment.amount_minor;
  std::vector<Transfer> reversals;
  op.Recognise(b, s.penalty_before_minor, &r, date, &s.change.entries, &reversals);
  op.Leg(b.lending_funds, b.receivable, amount, CreditTransferCode::kRepaymentClaim);
  op.AppendLegs(reversals);
  NETFIN_ASSERT(r.receivable_minor >= amount);
  r.receivable_minor -= amount;
  s.change.entries.push_back({date, EntryKind::kRepayment, amount, s.applied, 0, {}});
  // A loan repaid in full holds nothing, and needs no provision any more.
  if (r.loan.status != LoanStatus::kActive) {
    NETFIN_ASSERT(r.receivable_minor == 0);
    op.Leg(b.loss_provision, b.provision_expense, r.provision_minor,
           CreditTransferCode::kProvisionReleased);
    r.provision_minor = 0;
    r.loan.provision_target_minor = 0;
  } else {
    NETFIN_ASSERT(r.receivable_minor == BookedBalanceMinor(r));
  }
}

// Moves the legs gathered, then records the loan (and its line's limit).
CreditReply CreditService::CommitRepayment(Op& op, Staged& s) {
  const std::string moved = op.Move(s.record.ledger, s.record.id);
  if (!moved.empty())
    return Error(CreditError::kLedgerRefused, "the ledger refused the repayment: " + moved);
  const Id128 id = s.record.id;
  const Id128 borrower_id = s.record.borrower_id;
  const Id128 line_id = s.record.line_id;
  s.change.record = std::move(s.record);
  op.Emit(CreditEvent(std::move(s.change)), borrower_id);
  if (!line_id.IsZero()) SyncLine(op, line_id, id, s.applied.principal_minor, state_.OpenDate());
  return LoanOk(*state_.FindLoan(id), state_.OpenDate(), 201);
}

void CreditService::Disburse(Op& op, uint32_t ledger, const Id128& to, AmountMinor amount) {
  const CreditBooks& b = *state_.Books(ledger);
  op.Leg(b.lending_funds, to, amount, CreditTransferCode::kDisbursement);
  op.Leg(b.receivable, b.lending_funds, amount, CreditTransferCode::kDisbursementClaim);
  CustodianLeg(op, ledger, amount, Cash::kIntoWallets);
}

void CreditService::CustodianLeg(Op& op, uint32_t ledger, AmountMinor amount, Cash direction) {
  auto it = options_.custodian_reserve_accounts.find(ledger);
  if (it == options_.custodian_reserve_accounts.end()) return;
  const CreditBooks& b = *state_.Books(ledger);
  NETFIN_ASSERT(!b.lender_funding.IsZero());  // Start extends older books
  switch (direction) {
    case Cash::kIntoWallets:
      op.Leg(it->second, b.lender_funding, amount, CreditTransferCode::kCustodianIn);
      break;
    case Cash::kOutOfWallets:
      op.Leg(b.lender_funding, it->second, amount, CreditTransferCode::kCustodianOut);
      break;
  }
}

// Gives back `restored` of the line's limit (principal of loan_id repaid or
// written off) and freezes or unfreezes the line as its loans now stand:
// frozen while one is past due or written off, active again once none is.
void CreditService::SyncLine(Op& op, const Id128& line_id, const Id128& loan_id,
                             AmountMinor restored, CivilDate date) {
  const LineRecord* found = state_.FindLine(line_id);
  NETFIN_ASSERT(found != nullptr);
  LineRecord l = *found;
  LineChanged change;
  if (restored > 0) {
    RestoreLimit(restored, &l.line);
    change.entries.push_back({date, LineEntryKind::kRestored, restored, loan_id});
  }
  const bool overdue = LineOverdue(state_, line_id);
  if (overdue && l.line.state == LineState::kActive) {
    l.line.state = LineState::kFrozen;
    change.entries.push_back({date, LineEntryKind::kFrozen, 0, loan_id});
  } else if (!overdue && l.line.state == LineState::kFrozen) {
    l.line.state = LineState::kActive;
    change.entries.push_back({date, LineEntryKind::kUnfrozen, 0, loan_id});
  }
  if (change.entries.empty()) return;
  const Id128 borrower_id = l.borrower_id;
  change.record = std::move(l);
  op.Emit(CreditEvent(std::move(change)), borrower_id);
}

// ---------------------------------------------------------------------------
// Credit lines.

void CreditService::OpenLine(const CreditCall& call, LineRequest in, CreditReplyFn reply) {
  Submit(
      call, 0, true,
      [this, in = std::move(in)](Op& op) -> CreditReply {
        if (!op.IsOperator())
          return Error(CreditError::kForbidden, "only the operator opens lines");
        if (in.borrower_id.IsZero())
          return Error(CreditError::kInvalidField, "borrower_id: required");
        if (in.limit_minor == 0) return Error(CreditError::kInvalidField, "limit_minor: above 0");
        const Product* product = policy_.FindProduct(in.product);
        if (product == nullptr)
          return Error(CreditError::kUnknownProduct, "no product named " + in.product);
        if (product->kind != ProductKind::kCreditLine) {
          return Refused(CreditResult::kWrongProductKind,
                         fmt::format("{} is a {} product, not a credit line", product->name,
                                     ProductKindName(product->kind)));
        }
        if (state_.Books(in.ledger) == nullptr)
          return Error(CreditError::kNoCreditBooks,
                       fmt::format("ledger {} has no credit books", in.ledger));
        if (in.limit_minor > policy_.caps.person_outstanding_max_minor &&
            policy_.caps.person_outstanding_max_minor > 0) {
          return Refused(CreditResult::kPersonCapExceeded,
                         fmt::format("the limit {} is above the person cap of {}", in.limit_minor,
                                     policy_.caps.person_outstanding_max_minor));
        }
        if (state_.LineOf(in.borrower_id, product->name) != nullptr) {
          return Error(CreditError::kLineExists,
                       "the borrower already has a line on " + product->name);
        }
        // Point of no return.
        LineOpened opened;
        LineRecord& l = opened.change.record;
        l.id = op.NewId();
        l.borrower_id = in.borrower_id;
        l.ledger = in.ledger;
        l.product = product->name;
        l.statement_day = product->statement_day;
        l.due_day = product->due_day;
        l.penalty_daily_ppm = product->penalty_daily_ppm;
        l.opened_date = state_.OpenDate();
        l.line.limit_minor = in.limit_minor;
        opened.change.entries.push_back(
            {l.opened_date, LineEntryKind::kOpened, in.limit_minor, {}});
        const Id128 id = l.id;
        op.Emit(CreditEvent(std::move(opened)), in.borrower_id);
        return LineOk(*state_.FindLine(id), 201);
      },
      std::move(reply));
}

void CreditService::LinePurchase(const CreditCall& call, LinePurchaseRequest in,
                                 CreditReplyFn reply) {
  Submit(
      call, kOpenLegsMax, true,
      [this, in](Op& op) -> CreditReply {
        const LineRecord* found = state_.FindLine(in.line_id);
        if (found == nullptr || !op.MaySee(found->borrower_id))
          return op.NoSuch(CreditError::kUnknownLine, "line");
        const Account* merchant = op.Ledger(in.merchant_account_id);
        if (merchant == nullptr)
          return Error(CreditError::kUnknownAccount, "merchant_account_id: no such ledger account");
        if (merchant->ledger != found->ledger)
          return Error(CreditError::kInvalidField, "merchant_account_id: not in the line's ledger");
        if (!state_.day_end_finished())
          return Error(CreditError::kDayEndRunning, "a day-end is running; retry shortly");
        CreditReply frozen = CheckBorrowerLimit(found->borrower_id, 0, false);
        if (!frozen.ok()) return frozen;
        LineRecord l = *found;
        const CreditResult bought = Purchase(in.amount_minor, &l.line);
        if (bought != CreditResult::kOk) {
          return Refused(bought,
                         bought == CreditResult::kOverCreditLimit
                             ? fmt::format("{} available of the line's {}",
                                           found->line.available_minor(), found->line.limit_minor)
                             : std::string(CreditResultName(bought)));
        }
        // The person cap counts the line's purchases with every loan (the
        // income arm is off: a purchase does not carry the income).
        const AmountMinor outstanding = state_.OutstandingPrincipalOf(l.borrower_id);
        const CreditResult capped = CheckPersonCap(policy_.caps, 0, outstanding, in.amount_minor);
        if (capped != CreditResult::kOk) return Refused(capped);
        // Point of no return.
        const CivilDate date = state_.OpenDate();
        // The cycle starts with its first purchase; no day-end is running, so
        // every earlier purchase of it has its cycle start already.
        if (found->line.unbilled_minor == 0) l.cycle_start_date = date;
        Disburse(op, l.ledger, in.merchant_account_id, in.amount_minor);
        const std::string moved = op.Move(l.ledger, l.id);
        if (!moved.empty())
          return Error(CreditError::kLedgerRefused, "the ledger refused the purchase: " + moved);
        LineChanged change;
        change.entries.push_back(
            {date, LineEntryKind::kPurchase, in.amount_minor, in.merchant_account_id});
        const Id128 borrower_id = l.borrower_id;
        change.record = std::move(l);
        op.Emit(CreditEvent(std::move(change)), borrower_id);
        return LineOk(*state_.FindLine(in.line_id), 201);
      },
      std::move(reply));
}

void CreditService::GetLine(const CreditCall& call, Id128 line_id, CreditReplyFn reply) {
  Read(
      call,
      [this, line_id](Op& op) -> CreditReply {
        const LineRecord* l = state_.FindLine(line_id);
        if (l == nullptr || !op.MaySee(l->borrower_id))
          return op.NoSuch(CreditError::kUnknownLine, "line");
        return LineOk(state_.LineWithHistory(line_id), 200);
      },
      std::move(reply));
}

// Closes the cycles that end by `date` (each on its statement day): the
// purchases become a bill, a loan whose share of the receivable they were.
// No money moves. *done when no line was left to bill.
CreditReply CreditService::BillLinesChunk(CivilDate date, bool* done) {
  const CreditCall platform;
  return Await([&](CreditReplyFn reply) {
    Submit(
        platform, 0, false,
        [this, date, done](Op& op) -> CreditReply {
          const std::vector<Id128> ids = state_.LinesToBill(date, kDayEndLinesPerCommand);
          *done = ids.empty();
          for (const Id128& id : ids) {
            LineRecord l = *state_.FindLine(id);
            const CivilDate statement = StatementDateOnOrAfter(l.statement_day, l.cycle_start_date);
            const AmountMinor amount = l.line.unbilled_minor;
            LoanOpened opened;
            LoanRecord& r = opened.change.record;
            const CreditResult closed = CloseCycle(BillingProduct(l), statement, &l.line, &r.loan);
            // A statement day by construction, with purchases: refusing is a bug.
            NETFIN_ASSERT(closed == CreditResult::kOk);
            NETFIN_ASSERT(r.loan.last_run_date == statement && statement <= date);
            r.id = op.NewId();
            r.borrower_id = l.borrower_id;
            r.ledger = l.ledger;
            r.product = l.product;
            r.disbursement = DisbursementKind::kMerchant;
            r.opened_date = statement;
            r.line_id = id;
            r.receivable_minor = amount;  // the purchases' share, now the bill's
            // Counted with the day-end's statements (DayTally).
            opened.change.day_end = true;
            opened.change.day_end_date = date;
            const Instalment& due = r.loan.instalments[0].scheduled;
            opened.change.entries.push_back(
                {statement, EntryKind::kStatement, amount, {}, due.number, due.due_date});
            const Id128 bill_id = r.id;
            op.Emit(CreditEvent(std::move(opened)), l.borrower_id);
            LineChanged change;
            change.entries.push_back({statement, LineEntryKind::kBilled, amount, bill_id});
            const Id128 borrower_id = l.borrower_id;
            change.record = std::move(l);
            op.Emit(CreditEvent(std::move(change)), borrower_id);
          }
          return CreditReply{};
        },
        std::move(reply));
  });
}

void CreditService::ConvertBill(const CreditCall& call, ConvertBillRequest in,
                                CreditReplyFn reply) {
  Submit(
      call, 0, true,
      [this, in](Op& op) -> CreditReply {
        const LoanRecord* found = state_.FindLoan(in.bill_loan_id);
        if (found == nullptr || !op.MaySee(found->borrower_id))
          return op.NoSuch(CreditError::kUnknownLoan, "loan");
        if (found->line_id.IsZero())
          return Refused(CreditResult::kBillNotConvertible, "not a credit line's bill");
        if (!state_.day_end_finished())
          return Error(CreditError::kDayEndRunning, "a day-end is running; retry shortly");
        const Product* product = policy_.FindProduct(found->product);
        if (product == nullptr)
          return Error(CreditError::kUnknownProduct, "no product named " + found->product);
        LoanRecord bill = *found;
        Offer offer;
        Loan instalments;
        const CivilDate date = state_.OpenDate();
        const CreditResult converted = credit::ConvertBill(*product, policy_.caps, in.terms, date,
                                                           &bill.loan, &offer, &instalments);
        if (converted != CreditResult::kOk) return OfferRefused(converted, offer, policy_.caps);
        // Point of no return. A bill bears no interest or fee, and a convertible
        // one no penalty: its share of the receivable is its principal, which
        // (with its provision) passes to the new loan. Nothing moves in the ledger.
        NETFIN_ASSERT(bill.interest_recognised_minor == 0 && bill.fee_recognised_minor == 0);
        NETFIN_ASSERT(bill.receivable_minor == offer.terms.principal_minor);
        LoanOpened opened;
        LoanRecord& r = opened.change.record;
        r.id = op.NewId();
        r.borrower_id = bill.borrower_id;
        r.destination_account_id = bill.destination_account_id;
        r.ledger = bill.ledger;
        r.product = bill.product;
        r.disbursement = bill.disbursement;
        r.apr_ppm = offer.apr.NominalPpm();
        r.apr_effective_ppm = offer.apr.EffectivePpm();
        r.opened_date = date;
        r.loan = std::move(instalments);
        r.line_id = bill.line_id;
        r.receivable_minor = bill.receivable_minor;
        r.provision_minor = bill.provision_minor;
        r.loan.provision_target_minor = bill.provision_minor;
        opened.change.entries.push_back(
            {date, EntryKind::kDisbursed, r.receivable_minor, {}, 0, {}});
        bill.receivable_minor = 0;
        bill.provision_minor = 0;
        bill.loan.provision_target_minor = 0;
        LoanChanged closed;
        closed.record = std::move(bill);
        const Id128 borrower_id = r.borrower_id;
        const Id128 id = r.id;
        op.Emit(CreditEvent(std::move(closed)), borrower_id);
        op.Emit(CreditEvent(std::move(opened)), borrower_id);
        return LoanOk(*state_.FindLoan(id), date, 201);
      },
      std::move(reply));
}

// ---------------------------------------------------------------------------
// Merchant loans repaid from sales.

void CreditService::SweepSales(const CreditCall& call, SalesSweepRequest in, CreditReplyFn reply) {
  Submit(
      call, kLoanLegsMax, true,
      [this, in](Op& op) -> CreditReply {
        if (!op.IsOperator())
          return Error(CreditError::kForbidden, "only the operator sweeps sales");
        const LoanRecord* found = state_.FindLoan(in.loan_id);
        if (found == nullptr) return Error(CreditError::kUnknownLoan, "no such loan");
        const Account* source = op.Ledger(in.source_account_id);
        if (source == nullptr)
          return Error(CreditError::kUnknownAccount, "source_account_id: no such ledger account");
        if (source->ledger != found->ledger)
          return Error(CreditError::kInvalidField, "source_account_id: not in the loan's ledger");
        if (!state_.day_end_finished())
          return Error(CreditError::kDayEndRunning, "a day-end is running; retry shortly");
        const Product* product = policy_.FindProduct(found->product);
        if (product == nullptr)
          return Error(CreditError::kUnknownProduct, "no product named " + found->product);
        const CivilDate date = state_.OpenDate();
        AmountMinor share = 0;
        const CreditResult swept =
            SalesRepaymentMinor(*product, found->loan, date, in.sales_minor, &share);
        if (swept != CreditResult::kOk) return Refused(swept);
        // The share, at most what is due (SalesRepaymentMinor) and never more
        // than the merchant's account holds: the rest waits for the next sweep.
        const AmountMinor amount = std::min(share, Available(*source));
        if (amount == 0) return LoanOk(*found, date, 200);
        Staged staged;
        CreditReply refused =
            StageRepayment(op, *found, {date, amount, RepaymentKind::kRegular}, &staged);
        if (!refused.ok()) return refused;
        // Point of no return.
        BookRepayment(op, staged);
        op.Leg(in.source_account_id, state_.Books(found->ledger)->lending_funds, amount,
               CreditTransferCode::kRepayment);
        CustodianLeg(op, found->ledger, amount, Cash::kOutOfWallets);
        return CommitRepayment(op, staged);
      },
      std::move(reply));
}

// ---------------------------------------------------------------------------
// Receivable financing.

void CreditService::FinanceReceivable(const CreditCall& call, ReceivableRequest in,
                                      CreditReplyFn reply) {
  Submit(
      call, kOpenLegsMax, true,
      [this, in = std::move(in)](Op& op) -> CreditReply {
        if (!op.IsOperator())
          return Error(CreditError::kForbidden, "only the operator finances receivables");
        if (in.supplier_id.IsZero() || in.buyer_id.IsZero())
          return Error(CreditError::kInvalidField, "supplier_id, buyer_id: required");
        if (in.supplier_id == in.buyer_id)
          return Error(CreditError::kInvalidField, "buyer_id: not the supplier");
        if (in.confirmation != BuyerConfirmation::kConfirmed) {
          return Error(CreditError::kReceivableNotConfirmed,
                       "the buyer has not confirmed the receivable");
        }
        const Product* product = policy_.FindProduct(in.product);
        if (product == nullptr)
          return Error(CreditError::kUnknownProduct, "no product named " + in.product);
        const Account* dest = op.Ledger(in.supplier_account_id);
        if (dest == nullptr)
          return Error(CreditError::kUnknownAccount, "supplier_account_id: no such ledger account");
        if (state_.Books(dest->ledger) == nullptr)
          return Error(CreditError::kNoCreditBooks,
                       fmt::format("ledger {} has no credit books", dest->ledger));
        if (!state_.day_end_finished())
          return Error(CreditError::kDayEndRunning, "a day-end is running; retry shortly");
        AmountMinor advance = 0;
        const CreditResult advanced =
            ReceivableAdvanceMinor(*product, in.receivable_minor, &advance);
        if (advanced != CreditResult::kOk) return Refused(advanced);
        Offer offer;
        const CreditResult offered =
            MakeOffer(*product, policy_.caps, {advance, in.terms, state_.OpenDate()}, &offer);
        if (offered != CreditResult::kOk) return Refused(offered);
        // Point of no return.
        const uint32_t ledger = dest->ledger;
        LoanOpened opened;
        LoanRecord& r = opened.change.record;
        r.id = op.NewId();
        r.borrower_id = in.supplier_id;
        r.destination_account_id = in.supplier_account_id;
        r.ledger = ledger;
        r.disbursement = DisbursementKind::kMerchant;
        r.buyer_id = in.buyer_id;
        r.receivable_face_minor = in.receivable_minor;
        opened.change.entries.push_back(TakeOffer(offer, state_.OpenDate(), &r));
        NETFIN_ASSERT(r.receivable_minor == advance);
        Disburse(op, ledger, in.supplier_account_id, advance);
        const std::string moved = op.Move(ledger, r.id);
        if (!moved.empty())
          return Error(CreditError::kLedgerRefused, "the ledger refused the advance: " + moved);
        const Id128 id = r.id;
        op.Emit(CreditEvent(std::move(opened)), in.supplier_id);
        return LoanOk(*state_.FindLoan(id), state_.OpenDate(), 201);
      },
      std::move(reply));
}

void CreditService::BuyerPays(const CreditCall& call, BuyerPaymentRequest in, CreditReplyFn reply) {
  Submit(
      call, kLoanLegsMax, true,
      [this, in](Op& op) -> CreditReply {
        if (!op.IsOperator())
          return Error(CreditError::kForbidden, "only the operator books buyer payments");
        const LoanRecord* found = state_.FindLoan(in.loan_id);
        if (found == nullptr) return Error(CreditError::kUnknownLoan, "no such loan");
        if (found->buyer_id.IsZero())
          return Refused(CreditResult::kWrongProductKind, "not a receivable financing loan");
        const Account* buyer = op.Ledger(in.buyer_account_id);
        const Account* supplier = op.Ledger(in.supplier_account_id);
        if (buyer == nullptr)
          return Error(CreditError::kUnknownAccount, "buyer_account_id: no such ledger account");
        if (supplier == nullptr)
          return Error(CreditError::kUnknownAccount, "supplier_account_id: no such ledger account");
        if (buyer->ledger != found->ledger || supplier->ledger != found->ledger) {
          return Error(CreditError::kInvalidField,
                       "buyer_account_id, supplier_account_id: in the loan's ledger");
        }
        if (!state_.day_end_finished())
          return Error(CreditError::kDayEndRunning, "a day-end is running; retry shortly");
        if (in.payment_minor == 0) return Refused(CreditResult::kZeroAmount);
        const CivilDate date = state_.OpenDate();
        AmountMinor total = 0;
        if (!core::TryAddAmount(found->held_minor, in.payment_minor, &total)) {
          return Error(CreditError::kInvalidField, "payment_minor: too large");
        }
        BuyerPaymentSplit split;
        const CreditResult result = SplitBuyerPayment(found->loan, date, total, &split);
        if (result != CreditResult::kOk) return Refused(result);
        if (Available(*buyer) < in.payment_minor)
          return Error(CreditError::kInsufficientBalance,
                       "the buyer's account holds less than the payment");
        const CreditBooks& b = *state_.Books(found->ledger);
        if (split.held_minor > 0) {
          // Short of the payoff: held until the rest arrives, so the supplier is
          // never paid ahead of the lender.
          NETFIN_ASSERT(split.held_minor == total);
          // Point of no return.
          LoanChanged change;
          change.record = *found;
          change.record.held_minor = total;
          op.Leg(in.buyer_account_id, b.held_payments, in.payment_minor,
                 CreditTransferCode::kBuyerPaymentHeld);
          CustodianLeg(op, found->ledger, in.payment_minor, Cash::kOutOfWallets);
          const std::string moved = op.Move(found->ledger, found->id);
          if (!moved.empty())
            return Error(CreditError::kLedgerRefused, "the ledger refused the payment: " + moved);
          const Id128 borrower_id = found->borrower_id;
          op.Emit(CreditEvent(std::move(change)), borrower_id);
          return LoanOk(*state_.FindLoan(in.loan_id), date, 201);
        }
        // The payoff is due now, and it only grows while the loan runs, so what
        // was held short of an earlier one is short of this one too.
        const AmountMinor held = found->held_minor;
        NETFIN_ASSERT(held < split.to_loan_minor);
        Staged staged;
        CreditReply refused = StageRepayment(
            op, *found, {date, split.to_loan_minor, RepaymentKind::kPayoff}, &staged);
        if (!refused.ok()) return refused;
        // Point of no return.
        staged.record.held_minor = 0;
        BookRepayment(op, staged);
        const AmountMinor from_buyer = split.to_loan_minor - held;
        op.Leg(b.held_payments, b.lending_funds, held, CreditTransferCode::kBuyerPaymentApplied);
        op.Leg(in.buyer_account_id, b.lending_funds, from_buyer, CreditTransferCode::kRepayment);
        op.Leg(in.buyer_account_id, in.supplier_account_id, split.to_supplier_minor,
               CreditTransferCode::kSupplierPaid);
        // What was held left the wallets when it was held.
        CustodianLeg(op, found->ledger, from_buyer, Cash::kOutOfWallets);
        return CommitRepayment(op, staged);
      },
      std::move(reply));
}

// ---------------------------------------------------------------------------
// Blocking reads.

std::optional<LineRecord> CreditService::LineSnapshot(const Id128& line_id) {
  std::optional<LineRecord> out;
  ReadState([&] {
    if (state_.FindLine(line_id) != nullptr) out = state_.LineWithHistory(line_id);
  });
  return out;
}

std::vector<LineRecord> CreditService::AllLineSnapshots() {
  std::vector<LineRecord> out;
  ReadState([&] {
    for (const Id128& id : state_.AllLines()) out.push_back(state_.LineWithHistory(id));
  });
  return out;
}

}  // namespace netfin::credit
