#include "credit/credit_service.h"

#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "core/assert.h"
#include "credit/credit_limits.h"
#include "credit/credit_render.h"
#include "credit/credit_service_op.h"
#include "ledger/results.h"

namespace netfin::credit {

using store::Account;
using store::Transfer;

using service_detail::Available;
using service_detail::DerivedId;
using service_detail::Error;
using service_detail::LoanOk;
using service_detail::OfferRefused;
using service_detail::Ok;
using service_detail::Refused;
using service_detail::TakeOffer;

std::string_view CreditErrorName(CreditError error) {
  switch (error) {
    case CreditError::kOk: return "ok";
    case CreditError::kRefused: return "refused";
    case CreditError::kInvalidField: return "invalid_field";
    case CreditError::kUnknownProduct: return "unknown_product";
    case CreditError::kUnknownLoan: return "unknown_loan";
    case CreditError::kUnknownStatement: return "unknown_statement";
    case CreditError::kUnknownAccount: return "unknown_account";
    case CreditError::kNoCreditBooks: return "no_credit_books";
    case CreditError::kInsufficientBalance: return "insufficient_balance";
    case CreditError::kDayEndRunning: return "day_end_running";
    case CreditError::kForbidden: return "forbidden";
    case CreditError::kIdempotencyKeyReused: return "idempotency_key_reused";
    case CreditError::kIdempotencyKeyInvalid: return "idempotency_key_invalid";
    case CreditError::kLedgerRefused: return "ledger_refused";
    case CreditError::kUnavailable: return "unavailable";
    case CreditError::kUnknownLine: return "unknown_line";
    case CreditError::kLineExists: return "line_exists";
    case CreditError::kReceivableNotConfirmed: return "receivable_not_confirmed";
    case CreditError::kNoScorer: return "no_scorer";
    case CreditError::kInvalidFeature: return "invalid_feature";
    case CreditError::kScoringFailed: return "scoring_failed";
    case CreditError::kLimitFrozen: return "limit_frozen";
    case CreditError::kUnknownBorrower: return "unknown_borrower";
  }
  return "?";
}

std::string_view CreditReply::code() const {
  return error == CreditError::kRefused ? CreditResultName(refusal) : CreditErrorName(error);
}

CreditService::CreditService(CreditPolicy policy, const core::SecretKey& master_key,
                             CreditServiceOptions options)
    : policy_(std::move(policy)),
      master_key_(master_key),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock_),
      state_(policy_.limit_review.review_day) {}

CreditService::~CreditService() { Stop(); }

void CreditService::Replay(const store::RoleEvent& event) {
  if (event.role != static_cast<uint16_t>(ledger::Role::kCredit)) return;
  auto decoded = DecodeCreditEvent(event.type, event.payload);
  // A durable event that no longer decodes is corruption the chain check
  // would have caught; stop rather than serve a wrong state.
  NETFIN_ASSERT(decoded.ok());
  state_.Apply(decoded.value(), event.timestamp);
}

// ---------------------------------------------------------------------------
// Plumbing: commands, idempotency, start and stop.

void CreditService::Submit(const CreditCall& call, uint32_t ledger_events_max,
                           bool records_idempotency, std::function<CreditReply(Op&)> body,
                           CreditReplyFn reply) {
  if (records_idempotency && !ledger::IsValidIdempotencyKey(call.idempotency_key)) {
    reply(Error(CreditError::kIdempotencyKeyInvalid,
                std::string(ledger::kIdempotencyKeyInvalidMessage)));
    return;
  }
  if (ledger_ == nullptr) {
    reply(Error(CreditError::kUnavailable, "credit is not started"));
    return;
  }
  auto apply = [this, call, records_idempotency,
                body = std::move(body)](ledger::CommandContext& ctx) -> CreditReply {
    Op op(*this, ctx, call);
    if (!records_idempotency) return body(op);
    if (const auto* seen = state_.FindIdempotency(call.key_id, call.idempotency_key)) {
      if (!core::ConstantTimeEqual(seen->fingerprint, call.fingerprint)) {
        return Error(CreditError::kIdempotencyKeyReused,
                     std::string(ledger::kIdempotencyKeyReusedMessage));
      }
      CreditReply replayed = Ok(seen->body, seen->status);
      replayed.replayed = true;
      return replayed;
    }
    CreditReply result = body(op);
    if (result.ok()) {
      op.Emit(CreditIdempotencyRecorded{call.key_id, call.idempotency_key, call.fingerprint,
                                        result.http_status, result.body},
              Id128{});
    }
    return result;
  };
  ledger_->SubmitCommand(ledger::ReplyCommand<CreditReply>(
      ledger_events_max, std::move(apply), std::move(reply), [](const core::Status& status) {
        return Error(CreditError::kUnavailable, status.message());
      }));
}

void CreditService::Read(const CreditCall& call, std::function<CreditReply(Op&)> body,
                         CreditReplyFn reply) {
  Submit(call, 0, false, std::move(body), std::move(reply));
}

CreditReply CreditService::Await(const std::function<void(CreditReplyFn)>& start) {
  return ledger::AwaitReply<CreditReply>(start);
}

namespace {

// The ledger account of one of the role's books, with the side it must keep.
Account BookAccount(const Id128& id, uint32_t ledger, CreditAccountCode code) {
  constexpr auto kDebitNormal = store::AccountFlag::kCreditsMustNotExceedDebits;
  constexpr auto kCreditNormal = store::AccountFlag::kDebitsMustNotExceedCredits;
  Account a;
  a.id = id;
  a.ledger = ledger;
  a.code = static_cast<uint16_t>(code);
  // Assets and expenses hold debit balances, income, the provision and
  // money held for others credit balances: the ledger itself then refuses a
  // booking that would turn one negative. Lending funds is a clearing
  // account and balances to zero within each chain; lender funding is the
  // lender's net cash at the custodian, either way.
  switch (code) {
    case CreditAccountCode::kLendingFunds:
    case CreditAccountCode::kLenderFunding:
      break;
    case CreditAccountCode::kLoanReceivable:
    case CreditAccountCode::kProvisionExpense:
    case CreditAccountCode::kWrittenOff:
      a.flags = static_cast<uint16_t>(kDebitNormal);
      break;
    case CreditAccountCode::kInterestIncome:
    case CreditAccountCode::kFeeIncome:
    case CreditAccountCode::kPenaltyIncome:
    case CreditAccountCode::kLossProvision:
    case CreditAccountCode::kHeldBuyerPayments:
      a.flags = static_cast<uint16_t>(kCreditNormal);
      break;
  }
  return a;
}

}  // namespace

core::Status CreditService::EnsureBooks(ledger::LedgerService& ledger) {
  const CivilDate first = options_.first_business_date.value_or(core::ChinaDate(clock_->NowNs()));
  return ledger.RunCommand(
      [this, first](ledger::CommandContext& ctx) {
        const CreditCall platform;
        Op op(*this, ctx, platform);
        for (uint32_t l : options_.ledgers) {
          const Id128 lender_funding = DerivedId(master_key_, "lender_funding", l);
          const Id128 held_payments = DerivedId(master_key_, "held_payments", l);
          if (const CreditBooks* b = state_.Books(l)) {
            // Books opened before lender funding and held buyer payments
            // existed get them now, once.
            if (!b->lender_funding.IsZero()) continue;
            NETFIN_ASSERT(op.CreateAccounts(
                {BookAccount(lender_funding, l, CreditAccountCode::kLenderFunding),
                 BookAccount(held_payments, l, CreditAccountCode::kHeldBuyerPayments)}));
            op.Emit(BooksExtended{l, lender_funding, held_payments}, Id128{});
            continue;
          }
          BooksOpened opened{{l,
                              DerivedId(master_key_, "lending_funds", l),
                              DerivedId(master_key_, "receivable", l),
                              DerivedId(master_key_, "interest_income", l),
                              DerivedId(master_key_, "fee_income", l),
                              DerivedId(master_key_, "penalty_income", l),
                              DerivedId(master_key_, "loss_provision", l),
                              DerivedId(master_key_, "provision_expense", l),
                              DerivedId(master_key_, "written_off", l),
                              lender_funding,
                              held_payments},
                             first};
          const CreditBooks& b = opened.books;
          const std::pair<Id128, CreditAccountCode> accounts[] = {
              {b.lending_funds, CreditAccountCode::kLendingFunds},
              {b.receivable, CreditAccountCode::kLoanReceivable},
              {b.interest_income, CreditAccountCode::kInterestIncome},
              {b.fee_income, CreditAccountCode::kFeeIncome},
              {b.penalty_income, CreditAccountCode::kPenaltyIncome},
              {b.loss_provision, CreditAccountCode::kLossProvision},
              {b.provision_expense, CreditAccountCode::kProvisionExpense},
              {b.written_off, CreditAccountCode::kWrittenOff},
              {b.lender_funding, CreditAccountCode::kLenderFunding},
              {b.held_payments, CreditAccountCode::kHeldBuyerPayments}};
          std::vector<Account> made;
          for (const auto& [id, code] : accounts) made.push_back(BookAccount(id, l, code));
          // One batch holds the accounts and the event: either both are
          // durable or neither, so an existing account here is a clash.
          NETFIN_ASSERT(op.CreateAccounts(made));
          op.Emit(opened, Id128{});
        }
      },
      static_cast<uint32_t>(kBookAccounts * options_.ledgers.size()));
}

core::Status CreditService::Start(ledger::LedgerService& ledger) {
  NETFIN_ASSERT(ledger_ == nullptr);
  state_.FenceIds();  // replay is over; no command has run yet
  NETFIN_RETURN_IF_ERROR(EnsureBooks(ledger));
  ledger_ = &ledger;
  // A day-end a crash interrupted is finished before anything else: until
  // then repayments would be refused as day_end_running.
  if (!state_.day_end_finished()) {
    const CreditCall operator_call;
    const CreditReply r = RunDay(operator_call, state_.LastRunDate());
    if (!r.ok()) return core::Unavailable("credit: finishing the interrupted day-end: " + r.message);
  }
  return core::Status::Ok();
}

void CreditService::Stop() {}

// ---------------------------------------------------------------------------
// Loans.

// Every check of a loan request, and its offer. An empty error means ok.
CreditReply CreditService::CheckLoanRequest(Op& op, const LoanRequest& in, Offer* offer) {
  if (!op.MaySee(in.borrower_id)) return Error(CreditError::kForbidden, "a customer borrows for themselves only");
  if (in.borrower_id.IsZero()) return Error(CreditError::kInvalidField, "borrower_id: required");
  const Product* product = policy_.FindProduct(in.product);
  if (product == nullptr) return Error(CreditError::kUnknownProduct, "no product named " + in.product);
  // Credit lines and receivable financing have their own flows (a limit and
  // bills; an advance against a receivable), not an offer's single disbursement.
  if (product->kind == ProductKind::kCreditLine || product->kind == ProductKind::kReceivableFinancing) {
    return Refused(CreditResult::kWrongProductKind,
                   fmt::format("{} is a {} product, not opened from an offer", product->name,
                               ProductKindName(product->kind)));
  }
  const Account* dest = op.Ledger(in.destination_account_id);
  if (dest == nullptr) return Error(CreditError::kUnknownAccount, "destination_account_id: no such ledger account");
  if (state_.Books(dest->ledger) == nullptr) return Error(CreditError::kNoCreditBooks, fmt::format("ledger {} has no credit books", dest->ledger));
  if (!state_.day_end_finished()) return Error(CreditError::kDayEndRunning, "a day-end is running; retry shortly");
  const CreditResult offered = MakeOffer(*product, policy_.caps,
                                         {in.amount_minor, in.terms, state_.OpenDate()}, offer);
  if (offered != CreditResult::kOk) return OfferRefused(offered, *offer, policy_.caps);
  const AmountMinor outstanding = state_.OutstandingPrincipalOf(in.borrower_id);
  const CreditResult capped = CheckPersonCap(policy_.caps, in.annual_income_minor, outstanding, in.amount_minor);
  if (capped != CreditResult::kOk) {
    return Refused(capped, fmt::format("outstanding {} + {} would pass the person cap of {}", outstanding,
                                       in.amount_minor, PersonCapMinor(policy_.caps, in.annual_income_minor)));
  }
  return CheckBorrowerLimit(in.borrower_id, in.amount_minor, true);
}

void CreditService::Quote(const CreditCall& call, LoanRequest in, CreditReplyFn reply) {
  Read(call, [this, in = std::move(in)](Op& op) -> CreditReply {
    Offer offer;
    CreditReply refused = CheckLoanRequest(op, in, &offer);
    if (!refused.ok()) return refused;
    return Ok(OfferJson(offer));
  }, std::move(reply));
}

void CreditService::OpenLoan(const CreditCall& call, LoanRequest in, CreditReplyFn reply) {
  Submit(call, kOpenLegsMax, true, [this, in = std::move(in)](Op& op) -> CreditReply {
    Offer offer;
    CreditReply refused = CheckLoanRequest(op, in, &offer);
    if (!refused.ok()) return refused;
    const uint32_t ledger = op.Ledger(in.destination_account_id)->ledger;
    LoanOpened opened;
    LoanRecord& r = opened.change.record;
    r.id = op.NewId();
    r.borrower_id = in.borrower_id;
    r.destination_account_id = in.destination_account_id;
    r.ledger = ledger;
    r.disbursement = in.disbursement;
    opened.change.entries.push_back(TakeOffer(offer, state_.OpenDate(), &r));
    NETFIN_ASSERT(r.receivable_minor == in.amount_minor);
    // Point of no return.
    Disburse(op, ledger, in.destination_account_id, in.amount_minor);
    const std::string moved = op.Move(ledger, r.id);
    if (!moved.empty()) return Error(CreditError::kLedgerRefused, "the ledger refused the disbursement: " + moved);
    const Id128 id = r.id;
    op.Emit(CreditEvent(std::move(opened)), in.borrower_id);
    return LoanOk(*state_.FindLoan(id), state_.OpenDate(), 201);
  }, std::move(reply));
}

void CreditService::Repay(const CreditCall& call, RepaymentRequest in, CreditReplyFn reply) {
  Submit(call, kLoanLegsMax, true, [this, in](Op& op) -> CreditReply {
    const LoanRecord* found = state_.FindLoan(in.loan_id);
    if (found == nullptr || !op.MaySee(found->borrower_id)) return op.NoSuch(CreditError::kUnknownLoan, "loan");
    const Account* source = op.Ledger(in.source_account_id);
    if (source == nullptr) return Error(CreditError::kUnknownAccount, "source_account_id: no such ledger account");
    if (source->ledger != found->ledger) return Error(CreditError::kInvalidField, "source_account_id: not in the loan's ledger");
    if (!state_.day_end_finished()) return Error(CreditError::kDayEndRunning, "a day-end is running; retry shortly");
    Staged staged;
    CreditReply refused = StageRepayment(op, *found, {state_.OpenDate(), in.amount_minor, in.kind}, &staged);
    if (!refused.ok()) return refused;
    if (Available(*source) < in.amount_minor) return Error(CreditError::kInsufficientBalance, "the source account holds less than the amount");
    // Point of no return.
    BookRepayment(op, staged);
    const CreditBooks& b = *state_.Books(found->ledger);
    op.Leg(in.source_account_id, b.lending_funds, in.amount_minor, CreditTransferCode::kRepayment);
    CustodianLeg(op, found->ledger, in.amount_minor, Cash::kOutOfWallets);
    return CommitRepayment(op, staged);
  }, std::move(reply));
}

void CreditService::GetLoan(const CreditCall& call, Id128 loan_id, CreditReplyFn reply) {
  Read(call, [this, loan_id](Op& op) -> CreditReply {
    const LoanRecord* r = state_.FindLoan(loan_id);
    if (r == nullptr || !op.MaySee(r->borrower_id)) return op.NoSuch(CreditError::kUnknownLoan, "loan");
    return LoanOk(*r, state_.OpenDate(), 200);
  }, std::move(reply));
}

void CreditService::Statement(const CreditCall& call, Id128 loan_id, uint32_t instalment,
                              StatementFormat format, CreditReplyFn reply) {
  Read(call, [this, loan_id, instalment, format](Op& op) -> CreditReply {
    const LoanRecord* r = state_.FindLoan(loan_id);
    if (r == nullptr || !op.MaySee(r->borrower_id)) return op.NoSuch(CreditError::kUnknownLoan, "loan");
    const std::optional<LoanStatement> s = BuildStatement(state_.LoanWithHistory(loan_id), instalment);
    if (!s) {
      return Error(CreditError::kUnknownStatement,
                   instalment == 0 ? std::string("no statement has been issued for this loan yet")
                                   : fmt::format("no statement of instalment {} has been issued", instalment));
    }
    CreditReply ok = Ok(format == StatementFormat::kHtml ? StatementHtml(*s) : StatementJson(*s));
    ok.loan_id = loan_id;
    return ok;
  }, std::move(reply));
}

void CreditService::ListStatements(const CreditCall& call, Id128 loan_id, CreditReplyFn reply) {
  Read(call, [this, loan_id](Op& op) -> CreditReply {
    const LoanRecord* r = state_.FindLoan(loan_id);
    if (r == nullptr || !op.MaySee(r->borrower_id)) return op.NoSuch(CreditError::kUnknownLoan, "loan");
    CreditReply ok = Ok(StatementListJson(state_.LoanWithHistory(loan_id)));
    ok.loan_id = loan_id;
    return ok;
  }, std::move(reply));
}

void CreditService::ListLoans(const CreditCall& call, Id128 after, uint32_t limit, CreditReplyFn reply) {
  Read(call, [this, after, limit](Op& op) -> CreditReply {
    if (limit == 0 || limit > kListLimitMax) return Error(CreditError::kInvalidField, fmt::format("limit: 1..{}", kListLimitMax));
    if (!op.IsOperator() && op.call().role != CallerRole::kCustomer) return Error(CreditError::kForbidden, "loans are their borrowers' and the operator's");
    const std::vector<Id128>* ids = op.IsOperator() ? &state_.AllLoans() : state_.LoansOf(op.call().party_id);
    std::vector<std::string> items;
    std::optional<Id128> next;
    if (ids != nullptr) {
      auto it = std::upper_bound(ids->begin(), ids->end(), after);
      for (; it != ids->end() && items.size() < limit; ++it) items.push_back(LoanJson(*state_.FindLoan(*it), state_.OpenDate()));
      if (it != ids->end() && !items.empty()) next = *(it - 1);
    }
    return Ok(LoanListJson(items, next));
  }, std::move(reply));
}

// ---------------------------------------------------------------------------
// The day-end.

CreditReply CreditService::StartDayEnd(const CreditCall& call, CivilDate date, bool* run) {
  return Await([&](CreditReplyFn done) {
    Submit(call, 0, false, [this, date, run](Op& op) -> CreditReply {
      if (!op.IsOperator()) return Error(CreditError::kForbidden, "only the operator runs the day-end");
      const CivilDate last = state_.LastRunDate();
      if (date < last) {
        return Refused(CreditResult::kDateBeforeLastRun,
                       fmt::format("the day-end of {} has run; {} is earlier", last.ToString(), date.ToString()));
      }
      if (date == last) {
        *run = !state_.day_end_finished();  // finish an interrupted one; else nothing to do
        return CreditReply{};
      }
      if (!state_.day_end_finished()) return Error(CreditError::kDayEndRunning, "the day-end of " + last.ToString() + " is still running");
      if (DaysBetween(last, date) > static_cast<int32_t>(kRunDayCatchUpDaysMax)) {
        return Refused(CreditResult::kCatchUpTooLong, fmt::format("at most {} days at once", kRunDayCatchUpDaysMax));
      }
      *run = true;
      op.Emit(DayEndStarted{date}, Id128{});
      return CreditReply{};
    }, std::move(done));
  });
}

// Runs up to kDayEndLoansPerCommand loans to the end of `date` in one
// command; *done when none was left behind (then the day is finished).
CreditReply CreditService::RunDayEndChunk(CivilDate date, bool* done) {
  const CreditCall platform;
  return Await([&](CreditReplyFn reply) {
    Submit(platform, kDayEndLegsPerLoan * kDayEndLoansPerCommand, false, [this, date, done](Op& op) -> CreditReply {
      const std::vector<Id128> ids = state_.LoansBehind(date, kDayEndLoansPerCommand);
      *done = ids.empty();
      if (*done) return CreditReply{};  // the review's last chunk finishes the day
      DayEvents events;  // reused: RunDay overwrites it
      for (const Id128& id : ids) {
        LoanRecord r = *state_.FindLoan(id);  // the state keeps no history in it: a cheap copy
        const AmountMinor penalty_before_minor = r.loan.penalty_accrued_minor;
        const LoanStatus status_before = r.loan.status;
        const CreditResult result = credit::RunDay(policy_.day_end, date, &r.loan, &events);
        // The state's calendar only moves forward and loans are behind it,
        // so the pure run cannot refuse.
        NETFIN_ASSERT(result == CreditResult::kOk);
        const bool written_off =
            r.loan.status == LoanStatus::kWrittenOff && status_before == LoanStatus::kActive;
        const CreditBooks& b = *state_.Books(r.ledger);
        LoanChanged change;
        change.day_end = true;
        change.day_end_date = date;
        change.bucket_before = events.bucket_before;
        change.class_before = events.class_before;
        change.provision_before_minor = r.provision_minor;
        for (const StatementEvent& s : events.statements) {
          change.entries.push_back({s.statement_date, EntryKind::kStatement, s.amount_due_minor, {}, s.instalment_number, s.due_date});
        }
        std::vector<Transfer> reversals;
        op.Recognise(b, penalty_before_minor, &r, date, &change.entries, &reversals);
        NETFIN_ASSERT(reversals.empty());  // a day-end never closes a loan as paid
        if (written_off) {
          // The whole booked balance goes, against the provision released below.
          op.Leg(b.written_off, b.receivable, r.receivable_minor, CreditTransferCode::kWrittenOff);
          change.entries.push_back({date, EntryKind::kWriteOff, r.receivable_minor, {}, 0, {}});
          r.receivable_minor = 0;
        } else {
          NETFIN_ASSERT(r.receivable_minor == BookedBalanceMinor(r));
        }
        const AmountMinor target = r.loan.provision_target_minor;
        if (target > r.provision_minor) {
          op.Leg(b.provision_expense, b.loss_provision, target - r.provision_minor, CreditTransferCode::kProvisionCharged);
        } else {
          op.Leg(b.loss_provision, b.provision_expense, r.provision_minor - target, CreditTransferCode::kProvisionReleased);
        }
        r.provision_minor = target;
        const std::string moved = op.Move(r.ledger, r.id);
        // Every leg was sized from the role's own accounts; a refusal is a bug.
        NETFIN_ASSERT(moved.empty());
        const Id128 borrower_id = r.borrower_id;
        const Id128 line_id = r.line_id;
        // A line's limit comes back with principal written off (the line
        // stays frozen: SyncLine).
        const AmountMinor written_off_principal_minor = written_off ? OutstandingPrincipalMinor(r.loan) : 0;
        change.record = std::move(r);
        op.Emit(CreditEvent(std::move(change)), borrower_id);
        if (!line_id.IsZero()) SyncLine(op, line_id, id, written_off_principal_minor, date);
      }
      return CreditReply{};
    }, std::move(reply));
  });
}

CreditReply CreditService::DaySummary(CivilDate date) {
  const CreditCall platform;
  return Await([&](CreditReplyFn reply) {
    Read(platform, [this, date](Op&) -> CreditReply {
      const DayTally* t = state_.Tally(date);
      return Ok(DaySummaryJson(date, t != nullptr ? *t : DayTally{}, state_));
    }, std::move(reply));
  });
}

CreditReply CreditService::RunDay(const CreditCall& call, CivilDate date) {
  std::lock_guard lock(day_end_mutex_);
  bool run = false;
  CreditReply started = StartDayEnd(call, date, &run);
  if (!started.ok()) return started;
  // Credit lines' cycles close first, so that their new bills are run with
  // the other loans. Purchases are refused during a day-end, and each chunk
  // bills up to kDayEndLinesPerCommand lines: the loop ends.
  for (bool done = !run; !done;) {
    CreditReply chunk = BillLinesChunk(date, &done);
    if (!chunk.ok()) return chunk;
  }
  // Each chunk runs up to kDayEndLoansPerCommand loans, and loans opened
  // meanwhile are dated after `date`: the loop ends within loans/chunk + 1 rounds.
  for (bool done = !run; !done;) {
    CreditReply chunk = RunDayEndChunk(date, &done);
    if (!chunk.ok()) return chunk;
  }
  // The monthly review reads the loans as this day-end left them. Each
  // chunk decides up to kDayEndReviewsPerCommand borrowers, each once a
  // day-end, and limits are not decided meanwhile (day_end_running): the
  // loop ends; its last chunk finishes the day.
  for (bool done = !run; !done;) {
    CreditReply chunk = ReviewLimitsChunk(date, &done);
    if (!chunk.ok()) return chunk;
  }
  return DaySummary(date);
}

// ---------------------------------------------------------------------------
// Blocking reads.

void CreditService::ReadState(const std::function<void()>& read) {
  const CreditCall platform;
  Await([&](CreditReplyFn reply) {
    Read(platform, [&](Op&) -> CreditReply {
      read();
      return CreditReply{};
    }, std::move(reply));
  });
}

std::optional<LoanRecord> CreditService::LoanSnapshot(const Id128& loan_id) {
  std::optional<LoanRecord> out;
  ReadState([&] {
    if (state_.FindLoan(loan_id) != nullptr) out = state_.LoanWithHistory(loan_id);
  });
  return out;
}

std::vector<LoanRecord> CreditService::AllLoanSnapshots() {
  std::vector<LoanRecord> out;
  ReadState([&] {
    for (const Id128& id : state_.AllLoans()) out.push_back(state_.LoanWithHistory(id));
  });
  return out;
}

std::optional<CreditBooks> CreditService::Books(uint32_t ledger) {
  std::optional<CreditBooks> out;
  ReadState([&] {
    if (const CreditBooks* b = state_.Books(ledger)) out = *b;
  });
  return out;
}

CivilDate CreditService::OpenDate() {
  CivilDate out;
  ReadState([&] { out = state_.OpenDate(); });
  return out;
}

}  // namespace netfin::credit
