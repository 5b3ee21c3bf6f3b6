#include "credit/apr.h"

#include <fmt/format.h>

#include <array>
#include <cmath>

#include "core/assert.h"
#include "credit/credit_limits.h"

namespace netfin::credit {
namespace {

// Converged when the bracket is this narrow relative to the rate: far below
// the 0.0001% an APR is shown to.
constexpr double kRelativeTolerance = 1e-15;
// Bracket steps: upwards from 1% per period, doubling, up to about 10^17 per
// period (a number, not a loan); downwards, halving the distance to -100%.
constexpr uint32_t kBracketStepsMax = 64;

// The one place amounts become doubles: an APR is a rate, not money.
double ToDouble(int64_t amount_minor) { return static_cast<double>(amount_minor); }

int Sign(double v) { return v > 0 ? 1 : (v < 0 ? -1 : 0); }

// A flow's periods from the first flow, so that as i -> infinity only the
// first flow is left.
double Periods(const CashFlow& f, std::span<const CashFlow> flows) {
  return static_cast<double>(f.offset - flows[0].offset);
}

// The sign of the present value of the flows at rate i. The sum is scaled by
// a positive factor so that no term overflows: only its sign is used, for
// bracketing.
int PresentValueSign(std::span<const CashFlow> flows, double i) {
  const double log_growth = std::log1p(i);
  double shift = 0;  // the largest exponent, taken out of every term
  for (const CashFlow& f : flows) shift = std::max(shift, -Periods(f, flows) * log_growth);
  double sum = 0;
  for (const CashFlow& f : flows) {
    sum += ToDouble(f.amount_minor) * std::exp(-Periods(f, flows) * log_growth - shift);
  }
  return Sign(sum);
}

// The present value and its derivative at rate i (may be infinite near -1;
// the caller then bisects).
void PresentValue(std::span<const CashFlow> flows, double i, double* value, double* derivative) {
  const double log_growth = std::log1p(i);
  double v = 0, d = 0;
  for (const CashFlow& f : flows) {
    const double t = Periods(f, flows);
    const double discounted = ToDouble(f.amount_minor) * std::exp(-t * log_growth);
    v += discounted;
    d -= t * discounted / (1 + i);
  }
  *value = v;
  *derivative = d;
}

core::Status CheckFlows(std::span<const CashFlow> flows) {
  if (flows.size() < 2 || flows.size() > kCashFlowsMax) {
    return core::InvalidArgument(
        fmt::format("irr: {} cash flows (2..{})", flows.size(), kCashFlowsMax));
  }
  if (flows[0].amount_minor == 0) return core::InvalidArgument("irr: the first cash flow is zero");
  int last_sign = 0;
  uint32_t sign_changes = 0;
  for (size_t k = 0; k < flows.size(); ++k) {
    if (k > 0 && flows[k].offset <= flows[k - 1].offset) {
      return core::InvalidArgument("irr: cash flow offsets must increase");
    }
    if (flows[k].amount_minor == INT64_MIN)
      return core::InvalidArgument("irr: amount out of range");
    const int s = flows[k].amount_minor > 0 ? 1 : (flows[k].amount_minor < 0 ? -1 : 0);
    if (s != 0 && last_sign != 0 && s != last_sign) ++sign_changes;
    if (s != 0) last_sign = s;
  }
  if (sign_changes != 1) {
    return core::InvalidArgument(fmt::format(
        "irr: no unique rate: the cash flows change sign {} times (a loan changes once)",
        sign_changes));
  }
  return core::Status::Ok();
}

// Finds lo < hi with the root between them. The sign as i -> -1 is the last
// non-zero flow's; as i -> infinity it is the first flow's (offset 0).
core::Status Bracket(std::span<const CashFlow> flows, double* lo, double* hi) {
  int sign_at_minus_one = 0;
  for (const CashFlow& f : flows) {
    if (f.amount_minor != 0) sign_at_minus_one = f.amount_minor > 0 ? 1 : -1;
  }
  const int sign_at_zero = PresentValueSign(flows, 0.0);
  if (sign_at_zero == sign_at_minus_one) {  // the root is above zero
    *lo = 0;
    double x = 0.01;
    for (uint32_t step = 0; step < kBracketStepsMax; ++step, x *= 2) {
      if (PresentValueSign(flows, x) != sign_at_minus_one) {
        *hi = x;
        return core::Status::Ok();
      }
      *lo = x;
    }
    return core::InvalidArgument("irr: no rate found: the repayments grow without bound");
  }
  *hi = 0;         // the root is below zero: repaid less than lent
  double gap = 1;  // distance of lo from -1
  for (uint32_t step = 0; step < kBracketStepsMax; ++step) {
    gap /= 2;
    if (PresentValueSign(flows, -1 + gap) == sign_at_minus_one) {
      *lo = -1 + gap;
      return core::Status::Ok();
    }
    *hi = -1 + gap;
  }
  return core::InvalidArgument("irr: no rate found: almost nothing is repaid");
}

}  // namespace

int64_t AnnualRate::NominalPpm() const {
  NETFIN_ASSERT(std::isfinite(nominal));
  return static_cast<int64_t>(std::nearbyint(nominal * 1e6));  // ties to even (default mode)
}

int64_t AnnualRate::EffectivePpm() const {
  NETFIN_ASSERT(std::isfinite(effective));
  return static_cast<int64_t>(std::nearbyint(effective * 1e6));  // ties to even (default mode)
}

AnnualRate AnnualRateFromPeriodic(double periodic_rate, uint32_t periods_per_year) {
  NETFIN_ASSERT(std::isfinite(periodic_rate) && periodic_rate > -1);
  NETFIN_ASSERT(periods_per_year > 0);
  AnnualRate rate;
  rate.periodic_rate = periodic_rate;
  rate.periods_per_year = periods_per_year;
  rate.nominal = periodic_rate * periods_per_year;
  rate.effective = std::expm1(periods_per_year * std::log1p(periodic_rate));
  return rate;
}

core::Result<double> SolveIrr(std::span<const CashFlow> flows) {
  NETFIN_RETURN_IF_ERROR(CheckFlows(flows));
  if (PresentValueSign(flows, 0.0) == 0) return 0.0;
  double lo = 0, hi = 0;
  NETFIN_RETURN_IF_ERROR(Bracket(flows, &lo, &hi));
  const int sign_lo = PresentValueSign(flows, lo);
  double x = (lo + hi) / 2;
  for (uint32_t iteration = 0; iteration < kIrrIterationsMax; ++iteration) {
    double value = 0, derivative = 0;
    PresentValue(flows, x, &value, &derivative);
    if (value == 0) return x;
    // Keep the bracket: the side whose sign matches moves to x.
    const int sign = std::isfinite(value) ? Sign(value) : PresentValueSign(flows, x);
    if (sign == sign_lo) {
      lo = x;
    } else {
      hi = x;
    }
    if (hi - lo <= kRelativeTolerance * std::max(1.0, std::fabs(x))) return (lo + hi) / 2;
    double next = (std::isfinite(value) && std::isfinite(derivative) && derivative != 0)
                      ? x - value / derivative
                      : lo - 1;  // force bisection
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (std::fabs(next - x) <= kRelativeTolerance * std::max(1.0, std::fabs(x))) return next;
    x = next;
  }
  return core::InvalidArgument("irr: did not converge");
}

core::Result<AnnualRate> MonthlyApr(const Schedule& schedule, core::AmountMinor disbursed_minor) {
  if (disbursed_minor == 0 || disbursed_minor > core::kAmountMax) {
    return core::InvalidArgument("apr: nothing disbursed");
  }
  if (schedule.instalments.size() > kTermsMax) return core::InvalidArgument("apr: too many terms");
  std::array<CashFlow, kTermsMax + 1> flows;  // sized up front: no allocation
  size_t count = 0;
  flows[count++] = {0, -static_cast<int64_t>(disbursed_minor)};
  for (const Instalment& line : schedule.instalments) {
    flows[count++] = {line.number, static_cast<int64_t>(line.total_minor())};
  }
  auto irr = SolveIrr(std::span<const CashFlow>(flows.data(), count));
  if (!irr.ok()) return irr.status();
  return AnnualRateFromPeriodic(irr.value(), 12);
}

core::Result<AnnualRate> DailyApr(std::span<const DatedCashFlow> flows) {
  if (flows.empty() || flows.size() > kCashFlowsMax) {
    return core::InvalidArgument(
        fmt::format("apr: {} cash flows (1..{})", flows.size(), kCashFlowsMax));
  }
  std::array<CashFlow, kCashFlowsMax> by_day;  // same-day flows netted; sized up front
  size_t count = 0;
  for (size_t k = 0; k < flows.size(); ++k) {
    if (k > 0 && flows[k].date < flows[k - 1].date) {
      return core::InvalidArgument("apr: cash flows must be in date order");
    }
    const auto offset = static_cast<uint32_t>(DaysBetween(flows[0].date, flows[k].date));
    if (count == 0 || by_day[count - 1].offset != offset) {
      by_day[count++] = {offset, flows[k].amount_minor};
    } else if (__builtin_add_overflow(by_day[count - 1].amount_minor, flows[k].amount_minor,
                                      &by_day[count - 1].amount_minor)) {
      return core::InvalidArgument("apr: cash flows out of range");
    }
  }
  auto irr = SolveIrr(std::span<const CashFlow>(by_day.data(), count));
  if (!irr.ok()) return irr.status();
  return AnnualRateFromPeriodic(irr.value(), kDailyAprDaysPerYear);
}

std::span<DatedCashFlow> ScheduleFlows(const Schedule& schedule, CivilDate start_date,
                                       core::AmountMinor disbursed_minor,
                                       ScheduleFlowBuffer* buffer) {
  NETFIN_ASSERT(disbursed_minor <= core::kAmountMax);
  NETFIN_ASSERT(schedule.instalments.size() < buffer->size());
  size_t count = 0;
  (*buffer)[count++] = {start_date, -static_cast<int64_t>(disbursed_minor)};
  for (const Instalment& line : schedule.instalments) {
    NETFIN_ASSERT(line.due_date > start_date);
    (*buffer)[count++] = {line.due_date, static_cast<int64_t>(line.total_minor())};
  }
  return std::span<DatedCashFlow>(buffer->data(), count);
}

}  // namespace netfin::credit
