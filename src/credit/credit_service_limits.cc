// CreditService: borrowers' credit limits and grades. An assessment scores
// the borrower (off the applier thread) and records the grade's limit; the
// operator may set one by hand; the day-end of the review day reviews every
// limit (ReviewLimit) from the borrower's loans and lines, and each line's
// own limit follows a reviewed limit that moved. Same discipline as
// credit_service.cc: every check first, then the role's events in one
// command.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/assert.h"
#include "credit/credit_render.h"
#include "credit/credit_service.h"
#include "credit/credit_service_op.h"

namespace netfin::credit {

using service_detail::Error;
using service_detail::Ok;
using service_detail::Refused;

namespace {

// Whole months from `from` to `to` (0 when to is earlier).
uint32_t MonthsBetween(CivilDate from, CivilDate to) {
  if (to <= from) return 0;
  const YearMonthDay a = from.ToYmd(), b = to.ToYmd();
  int32_t months = (b.year - a.year) * 12 + static_cast<int32_t>(b.month) -
                   static_cast<int32_t>(a.month) - (b.day < a.day ? 1 : 0);
  NETFIN_ASSERT(months >= 0);
  return static_cast<uint32_t>(months);
}

// The borrower's worst days past due as the last day-end left their loans;
// a written-off loan counts as overdue for good.
uint32_t DaysPastDueNow(const CreditState& state, const Id128& borrower_id) {
  uint32_t worst = 0;
  const std::vector<Id128>* ids = state.LoansOf(borrower_id);
  if (ids == nullptr) return 0;
  for (const Id128& id : *ids) {
    const Loan& l = state.FindLoan(id)->loan;
    if (l.status == LoanStatus::kActive) worst = std::max(worst, l.days_past_due);
    if (l.status == LoanStatus::kWrittenOff) worst = std::max({worst, l.days_past_due, 1u});
  }
  return worst;
}

// A scorer's answer within CreditScorer's contract, and recordable: a
// score of 0..1000, a grade A..E, at most kReasonCodesMax reasons with
// bounded codes and finite contributions (JSON has no NaN).
CreditReply CheckScore(const ScoreResult& s) {
  const bool grade_ok = s.grade >= Grade::kA && s.grade <= Grade::kE;
  if (s.score > kScoreMax || !grade_ok || s.reasons.size() > kReasonCodesMax) {
    return Error(CreditError::kScoringFailed,
                 fmt::format("the scorer answered score {} with {} reasons: out of contract",
                             s.score, s.reasons.size()));
  }
  for (const ReasonCode& c : s.reasons) {
    if (c.code.empty() || c.code.size() > kReasonCodeBytesMax || !std::isfinite(c.contribution)) {
      return Error(CreditError::kScoringFailed, "the scorer answered a malformed reason code");
    }
  }
  return CreditReply{};
}

CreditReply CheckAssessment(const CreditCall& call, const AssessmentRequest& in,
                            const CreditScorer* scorer) {
  if (call.role != CallerRole::kOperator)
    return Error(CreditError::kForbidden, "only the operator assesses borrowers");
  if (in.borrower_id.IsZero()) return Error(CreditError::kInvalidField, "borrower_id: required");
  if (in.features.empty() || in.features.size() > kAssessmentFeaturesMax) {
    return Error(CreditError::kInvalidField,
                 fmt::format("features: 1..{} of them", kAssessmentFeaturesMax));
  }
  if (scorer == nullptr)
    return Error(CreditError::kNoScorer, "this node has no credit scorer configured");
  if (!ledger::IsValidIdempotencyKey(call.idempotency_key)) {
    return Error(CreditError::kIdempotencyKeyInvalid,
                 std::string(ledger::kIdempotencyKeyInvalidMessage));
  }
  return CreditReply{};
}

}  // namespace

// ---------------------------------------------------------------------------
// Checks every loan and purchase makes.

CreditReply CreditService::CheckBorrowerLimit(const Id128& borrower_id, AmountMinor amount_minor,
                                              bool check_amount) {
  const BorrowerRecord* b = state_.FindBorrower(borrower_id);
  if (b == nullptr) return CreditReply{};
  if (b->state == LimitState::kFrozen) {
    return Error(CreditError::kLimitFrozen,
                 fmt::format("the borrower's limit is frozen since the review of {}",
                             b->last_review_date.ToString()));
  }
  if (!check_amount || b->basis == LimitBasis::kNone) return CreditReply{};
  const AmountMinor limit = b->limit_minor;
  const AmountMinor outstanding = state_.OutstandingPrincipalOf(borrower_id);
  if (outstanding > limit || amount_minor > limit - outstanding) {
    return Refused(CreditResult::kOverCreditLimit,
                   fmt::format("the borrower's limit is {}, {} of it in use", limit, outstanding));
  }
  return CreditReply{};
}

// ---------------------------------------------------------------------------
// Assessment and manual limits.

void CreditService::AssessBorrower(const CreditCall& call, AssessmentRequest in,
                                   CreditReplyFn reply) {
  CreditReply refused = CheckAssessment(call, in, options_.scorer);
  if (!refused.ok()) return reply(std::move(refused));
  // The model runs here, on the caller's thread: the applier only books.
  core::Result<ScoreResult> scored = options_.scorer->Score(in.features);
  if (!scored.ok()) {
    const bool feature = scored.status().code() == core::StatusCode::kInvalidArgument;
    return reply(Error(feature ? CreditError::kInvalidFeature : CreditError::kScoringFailed,
                       scored.status().message()));
  }
  refused = CheckScore(scored.value());
  if (!refused.ok()) return reply(std::move(refused));
  Submit(
      call, 0, true,
      [this, id = in.borrower_id, score = std::move(scored).value()](Op& op) -> CreditReply {
        if (!state_.day_end_finished())
          return Error(CreditError::kDayEndRunning, "a day-end is running; retry shortly");
        const AmountMinor limit = LimitForGrade(score.grade, policy_.grades);
        const CivilDate date = state_.OpenDate();
        // Point of no return.
        LimitDecided d = NewLimitDecision(state_.FindBorrower(id), id,
                                          LimitDecisionKind::kAssessed, limit, date);
        d.entry.grade = score.grade;
        d.entry.score = score.score;
        BorrowerRecord& r = d.record;
        if (r.basis == LimitBasis::kNone) r.limited_since = date;
        r.basis = LimitBasis::kGrade;
        r.manual_ceiling_minor = 0;
        r.graded = true;
        r.grade = score.grade;
        r.score = score.score;
        r.reasons = score.reasons;
        // A freeze stays: only a review (or the operator's limit) lifts it.
        op.Emit(CreditEvent(std::move(d)), id);
        return Ok(AssessmentJson(id, score, limit), 201);
      },
      std::move(reply));
}

void CreditService::SetBorrowerLimit(const CreditCall& call, Id128 borrower_id, AmountMinor limit,
                                     CreditReplyFn reply) {
  Submit(
      call, 0, true,
      [this, borrower_id, limit](Op& op) -> CreditReply {
        if (!op.IsOperator())
          return Error(CreditError::kForbidden, "only the operator sets limits");
        if (borrower_id.IsZero()) return Error(CreditError::kInvalidField, "borrower_id: required");
        if (limit > core::kAmountMax) return Error(CreditError::kInvalidField, "limit: too large");
        if (!state_.day_end_finished())
          return Error(CreditError::kDayEndRunning, "a day-end is running; retry shortly");
        // Point of no return.
        op.Emit(ManualLimitDecision(state_.FindBorrower(borrower_id), borrower_id, limit,
                                    state_.OpenDate()),
                borrower_id);
        return Ok(fmt::format(R"({{"borrower_id":"{}","limit":{},"outstanding":{}}})",
                              borrower_id.ToDecimal(), limit,
                              state_.OutstandingPrincipalOf(borrower_id)));
      },
      std::move(reply));
}

void CreditService::GetBorrower(const CreditCall& call, Id128 borrower_id, CreditReplyFn reply) {
  Read(
      call,
      [this, borrower_id](Op& op) -> CreditReply {
        if (!op.MaySee(borrower_id))
          return Error(CreditError::kForbidden, "no such borrower of yours");
        const BorrowerRecord* found = state_.FindBorrower(borrower_id);
        if (found == nullptr && !state_.HasCredit(borrower_id))
          return Error(CreditError::kUnknownBorrower, "no limit, loan or line of this borrower");
        BorrowerRecord r;
        if (found != nullptr) {
          r = state_.BorrowerWithHistory(borrower_id);
        } else {
          r.borrower_id = borrower_id;  // loans without a limit: the person cap only
        }
        return Ok(BorrowerJson(r, state_.OutstandingPrincipalOf(borrower_id)));
      },
      std::move(reply));
}

std::optional<BorrowerRecord> CreditService::BorrowerSnapshot(const Id128& borrower_id) {
  std::optional<BorrowerRecord> out;
  ReadState([&] {
    if (state_.FindBorrower(borrower_id) != nullptr) out = state_.BorrowerWithHistory(borrower_id);
  });
  return out;
}

// ---------------------------------------------------------------------------
// The monthly review.

// Reviews up to kDayEndReviewsPerCommand borrowers in the day-end of `date`
// when it covers a review day; when none is left, finishes the day.
CreditReply CreditService::ReviewLimitsChunk(CivilDate date, bool* done) {
  const CreditCall platform;
  return Await([&](CreditReplyFn reply) {
    Submit(
        platform, 0, false,
        [this, date, done](Op& op) -> CreditReply {
          NETFIN_ASSERT(!state_.day_end_finished() && state_.LastRunDate() == date);
          const std::optional<CivilDate> review = state_.ReviewDateIn(date);
          const std::vector<Id128> ids =
              review ? state_.BorrowersToReview(date, kDayEndReviewsPerCommand)
                     : std::vector<Id128>{};
          *done = ids.empty();
          if (*done) {
            op.Emit(DayEndFinished{date}, Id128{});
            return CreditReply{};
          }
          for (const Id128& id : ids) ReviewBorrower(op, *state_.FindBorrower(id), *review, date);
          return CreditReply{};
        },
        std::move(reply));
  });
}

// One borrower's review: ReviewLimit on what their loans and lines show at
// the end of `date`, recorded with its reason. A graded limit's ceiling is
// the grade's limit (as configured now). A manual limit's is the higher of
// it and the grade's (if graded): a limit set below the grade grows towards
// it, one set above it is never cut for the grade alone.
void CreditService::ReviewBorrower(Op& op, const BorrowerRecord& b, CivilDate review_date,
                                   CivilDate date) {
  NETFIN_ASSERT(b.basis != LimitBasis::kNone && b.last_review_date < date);
  GradePolicy manual = policy_.grades;
  LimitReviewInput in;
  in.grade = b.grade;
  if (b.basis == LimitBasis::kManual) {
    const AmountMinor ceiling =
        std::max(b.manual_ceiling_minor, b.graded ? LimitForGrade(b.grade, policy_.grades) : 0);
    for (GradeBand& band : manual.bands) band.limit_minor = ceiling;
    in.grade = Grade::kA;  // every band carries the ceiling: any grade reads the same
  }
  const RepaymentRecord record =
      state_.RepaymentRecordOf(b.borrower_id, review_date, policy_.limit_review.raise_months_min);
  in.limit_minor = b.limit_minor;
  in.used_minor = state_.OutstandingPrincipalOf(b.borrower_id);
  in.days_past_due_now = DaysPastDueNow(state_, b.borrower_id);
  in.days_past_due_max_window = record.days_past_due_max_window;
  in.months_on_book = MonthsBetween(b.limited_since, review_date);
  in.months_on_time = std::min(record.months_on_time, in.months_on_book);
  const LimitDecision decision = ReviewLimit(
      in, policy_.limit_review, b.basis == LimitBasis::kManual ? manual : policy_.grades);
  // b is the state's record, which the event below replaces.
  const AmountMinor before = b.limit_minor;
  NETFIN_ASSERT((decision.action == LimitAction::kRaise) == (decision.limit_minor > before));
  NETFIN_ASSERT((decision.action == LimitAction::kLower) == (decision.limit_minor < before));
  LimitDecided d;
  d.record = b;
  d.record.limit_minor = decision.limit_minor;
  d.record.state =
      decision.action == LimitAction::kFreeze ? LimitState::kFrozen : LimitState::kActive;
  d.record.last_review_date = date;
  d.entry = {date,   LimitDecisionKind::kReviewed, decision.action, decision.reason,
             before, decision.limit_minor,         b.grade,         b.score};
  const Id128 id = b.borrower_id;
  op.Emit(CreditEvent(std::move(d)), id);
  if (decision.limit_minor != before) FollowLimit(op, id, decision.limit_minor, date);
}

// Each of the borrower's lines takes the reviewed limit as its own: a line
// is the borrower's credit, so raising or lowering the one moves the other.
// What is used is kept; a line lowered below it has nothing available.
void CreditService::FollowLimit(Op& op, const Id128& borrower_id, AmountMinor limit_minor,
                                CivilDate date) {
  const std::vector<Id128>* ids = state_.LinesOf(borrower_id);
  if (ids == nullptr) return;
  for (const Id128& id : *ids) {
    const LineRecord& found = *state_.FindLine(id);
    if (found.line.limit_minor == limit_minor) continue;
    LineChanged change;
    change.record = found;
    change.record.line.limit_minor = limit_minor;
    change.entries.push_back({date, LineEntryKind::kLimitReviewed, limit_minor, {}});
    op.Emit(CreditEvent(std::move(change)), borrower_id);
  }
}

}  // namespace netfin::credit
