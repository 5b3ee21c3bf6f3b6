// `netfin bench credit`: the day-end over a portfolio of active loans, and the
// latency of an offer (schedule + true APR).
//
// The portfolio: N loans of the default products, each drawn from its own
// seed (so the portfolio is the same for any thread count): product by a
// fixed mix, a term the product offers, a log-uniform amount, a start date
// in the past, and for ~6% of loans a borrower who stopped paying some
// instalments ago. Each loan is brought to the end of the day before the
// bench date in the state a day-end run with on-time repayments would have
// left it (paid instalments, statements issued, interest and penalty accrued,
// days past due, class and provision), directly rather than by replaying
// every past day, which would take minutes. Then ONE day-end (RunDay for the
// bench date) runs over every loan, sharded over the threads, and is timed
// alone; building the portfolio is timed and reported apart.
//
// Offers are timed one by one on one thread: MakeOffer (checks, schedule,
// monthly IRR and XIRR, the cap) for requests drawn in advance.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "cli/bench_stats.h"
#include "cli/credit_cli.h"
#include "core/assert.h"
#include "core/clock.h"
#include "credit/credit.h"

namespace netfin::cli {
namespace {

using credit::CivilDate;
using credit::CreditResult;
using credit::kPpmScale;
using credit::Loan;

// The product mix of the portfolio (per mille), by default product name.
struct ProductShare {
  const char* name;
  uint32_t per_mille;
};
constexpr std::array<ProductShare, 5> kMix = {{{"pay_later", 350},
                                               {"instalment", 300},
                                               {"cash_loan", 200},
                                               {"merchant_loan", 100},
                                               {"receivable_financing", 50}}};

// Loans whose borrower is behind: about 6%, the order of the M1+ share of
// Chinese consumer-credit portfolios (a few per cent), rounded up so that the
// late paths (penalty, classification, provisions) carry their weight.
constexpr uint32_t kLatePerMille = 60;
// Amounts are log-uniform from a product's minimum to this many times it
// (and at most its maximum): 100.00 to 50,000.00 CNY for most products.
constexpr uint64_t kAmountSpreadMax = 500;

// SplitMix64: a fast generator with a fixed sequence, one per loan.
class LoanRandom {
 public:
  explicit LoanRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound); the modulo bias (< 2^-40 here) does not matter to a bench.
  uint64_t Below(uint64_t bound) { return Next() % bound; }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

struct Draw {
  const credit::Product* product = nullptr;
  credit::OfferRequest request;
  bool late = false;
  uint32_t missed_back = 0;  // how many due instalments before the last one the arrears start
};

// Everything a draw needs: the products of the mix, the bench date, the seed.
struct World {
  credit::CreditPolicy policy;
  std::array<const credit::Product*, kMix.size()> products{};
  CivilDate date;  // the day whose day-end is timed
  uint64_t seed = 0;
};

const credit::Product& PickProduct(const World& world, LoanRandom& random) {
  uint32_t pick = static_cast<uint32_t>(random.Below(1000));
  for (size_t k = 0; k < kMix.size(); ++k) {
    if (pick < kMix[k].per_mille) return *world.products[k];
    pick -= kMix[k].per_mille;
  }
  return *world.products.back();
}

// Log-uniform in whole yuan between the product's minimum and its spread.
core::AmountMinor PickAmount(const credit::Product& product, LoanRandom& random) {
  const core::AmountMinor low = product.amount_min_minor;
  const core::AmountMinor high = std::min(product.amount_max_minor, low * kAmountSpreadMax);
  const double amount =
      static_cast<double>(low) * std::pow(static_cast<double>(high) / low, random.Unit());
  const core::AmountMinor whole_yuan = static_cast<core::AmountMinor>(amount) / 100 * 100;
  return std::clamp(whole_yuan, low, high);
}

Draw DrawLoan(const World& world, uint64_t index) {
  LoanRandom random(world.seed * 0x2545f4914f6cdd1dull + index);
  Draw draw;
  draw.product = &PickProduct(world, random);
  const credit::Product& p = *draw.product;
  draw.request.terms = p.terms[random.Below(p.terms.size())];
  draw.request.amount_minor = PickAmount(p, random);
  draw.late = random.Below(1000) < kLatePerMille;
  const uint32_t terms = draw.request.terms;
  // A current loan still has an instalment due on or after the bench date:
  // its last due date is at least (terms - 1) months and 6 days after the
  // start. A late one is old enough (63 days) to have one due, and may be
  // past its last due date (the M3+ tail).
  const uint32_t age_days = draw.late ? 63 + static_cast<uint32_t>(random.Below(30 * terms + 180))
                                      : static_cast<uint32_t>(random.Below(28 * (terms - 1) + 6));
  draw.request.start_date = world.date.AddDays(-static_cast<int32_t>(age_days));
  // Arrears start at the last due instalment, or 1, 2... before it (halving odds).
  while (draw.missed_back < terms && random.Below(2) == 0) ++draw.missed_back;
  return draw;
}

void PayInFull(credit::LoanInstalment* i) {
  i->principal_paid_minor = i->scheduled.principal_minor;
  i->interest_paid_minor = i->scheduled.interest_minor;
  i->fee_paid_minor = i->scheduled.fee_minor;
}

// Brings a new loan to the end of `through` (the day before the bench date):
// instalments due by then are paid, from `first_unpaid` on they are not;
// statements, interest and penalty accrual and the classification are those
// the day-ends up to `through` would have left.
void AgeLoan(const credit::DayEndPolicy& policy, CivilDate through, size_t first_unpaid,
             Loan* loan) {
  NETFIN_ASSERT(loan->last_run_date <= through);
  if (loan->last_run_date == through) return;  // opened on the bench date: no day-end has run
  uint64_t penalty_fen_ppm = 0;
  for (size_t k = 0; k < loan->instalments.size(); ++k) {
    credit::LoanInstalment& i = loan->instalments[k];
    if (i.statement_date <= through) ++loan->statements_issued;
    loan->interest_accrued_minor += credit::InterestToDayMinor(i.scheduled, through.AddDays(1));
    if (i.scheduled.due_date > through) continue;
    if (k < first_unpaid) {
      PayInFull(&i);
      continue;
    }
    // Penalty accrues from the day after the due date through `through`.
    const uint64_t late_days =
        static_cast<uint64_t>(credit::DaysBetween(i.scheduled.due_date, through));
    penalty_fen_ppm += (i.scheduled.principal_minor + i.scheduled.interest_minor) *
                       loan->penalty_daily_ppm * late_days;
  }
  loan->penalty_accrued_minor = penalty_fen_ppm / kPpmScale;
  loan->penalty_carry_fen_ppm = static_cast<uint32_t>(penalty_fen_ppm % kPpmScale);
  loan->last_run_date = through;
  credit::ClassifyLoan(policy, through, loan);
  NETFIN_ASSERT(loan->status == credit::LoanStatus::kActive);
  NETFIN_ASSERT(!credit::IsSettled(*loan));  // something is still to pay: the loan is active
}

// The index of the first unpaid instalment: past every instalment due by
// `through` for a current loan; missed_back before the last due one for a late one.
size_t FirstUnpaid(const Loan& loan, CivilDate through, const Draw& draw) {
  size_t due = 0;
  while (due < loan.instalments.size() && loan.instalments[due].scheduled.due_date <= through)
    ++due;
  if (!draw.late || due == 0) return due;
  return due - 1 - std::min<size_t>(draw.missed_back, due - 1);
}

bool BuildLoan(const World& world, uint64_t index, credit::Schedule* scratch, Loan* loan) {
  const Draw draw = DrawLoan(world, index);
  const credit::Product& p = *draw.product;
  const credit::ScheduleTerms terms = credit::ProductScheduleTerms(
      p, draw.request.amount_minor, draw.request.terms, draw.request.start_date);
  if (credit::BuildSchedule(terms, scratch) != CreditResult::kOk) return false;
  *loan = credit::NewLoan(p.kind, terms, *scratch, p.penalty_daily_ppm, p.statement_day,
                          draw.request.start_date);
  const CivilDate through = world.date.AddDays(-1);
  AgeLoan(world.policy.day_end, through, FirstUnpaid(*loan, through, draw), loan);
  return true;
}

// The first field where a replayed loan and a built one differ, for the message.
std::string FirstDifference(const Loan& replayed, const Loan& built) {
  for (size_t k = 0; k < replayed.instalments.size() && k < built.instalments.size(); ++k) {
    const credit::LoanInstalment& a = replayed.instalments[k];
    const credit::LoanInstalment& b = built.instalments[k];
    if (!(a == b)) {
      return fmt::format("instalment {}: paid {}/{}/{} vs {}/{}/{}", k + 1, a.principal_paid_minor,
                         a.interest_paid_minor, a.fee_paid_minor, b.principal_paid_minor,
                         b.interest_paid_minor, b.fee_paid_minor);
    }
  }
  const std::pair<const char*, std::pair<uint64_t, uint64_t>> fields[] = {
      {"penalty_accrued", {replayed.penalty_accrued_minor, built.penalty_accrued_minor}},
      {"penalty_carry", {replayed.penalty_carry_fen_ppm, built.penalty_carry_fen_ppm}},
      {"penalty_paid", {replayed.penalty_paid_minor, built.penalty_paid_minor}},
      {"interest_accrued", {replayed.interest_accrued_minor, built.interest_accrued_minor}},
      {"statements_issued", {replayed.statements_issued, built.statements_issued}},
      {"days_past_due", {replayed.days_past_due, built.days_past_due}},
      {"provision", {replayed.provision_target_minor, built.provision_target_minor}},
      {"status", {static_cast<uint64_t>(replayed.status), static_cast<uint64_t>(built.status)}},
      {"last_run",
       {static_cast<uint64_t>(replayed.last_run_date.days_since_epoch()),
        static_cast<uint64_t>(built.last_run_date.days_since_epoch())}},
  };
  for (const auto& [name, values] : fields) {
    if (values.first != values.second) {
      return fmt::format("{}: replayed {}, built {}", name, values.first, values.second);
    }
  }
  return "another field";
}

// Builds loan `index` again, the slow and sure way: from its start through
// the day before the bench date, a real day-end each day and each paid
// instalment repaid (ApplyRepayment) on its due date. True when the result
// equals the loan AgeLoan made: the portfolio's state is one the credit core
// itself reaches.
bool ReplayMatches(const World& world, uint64_t index, const Loan& built) {
  const Draw draw = DrawLoan(world, index);
  const credit::Product& p = *draw.product;
  const credit::ScheduleTerms terms = credit::ProductScheduleTerms(
      p, draw.request.amount_minor, draw.request.terms, draw.request.start_date);
  credit::Schedule schedule;
  if (credit::BuildSchedule(terms, &schedule) != CreditResult::kOk) return false;
  Loan loan = credit::NewLoan(p.kind, terms, schedule, p.penalty_daily_ppm, p.statement_day,
                              draw.request.start_date);
  const CivilDate through = world.date.AddDays(-1);
  const size_t first_unpaid = FirstUnpaid(loan, through, draw);
  credit::DayEvents events;
  credit::Allocation applied;
  for (CivilDate day = draw.request.start_date; day <= through; day = day.AddDays(1)) {
    for (size_t k = 0; k < first_unpaid; ++k) {
      const credit::Instalment& i = loan.instalments[k].scheduled;
      if (i.due_date != day) continue;
      const credit::Repayment repayment{.date = day, .amount_minor = i.total_minor()};
      if (credit::ApplyRepayment(repayment, &loan, &applied) != CreditResult::kOk) return false;
    }
    if (credit::RunDay(world.policy.day_end, day, &loan, &events) != CreditResult::kOk)
      return false;
  }
  if (loan == built) return true;
  fmt::print(stderr, "bench credit: loan {} ({}, {} terms, from {}, late {}): {}\n", index, p.name,
             terms.terms, terms.start_date.ToString(), draw.late, FirstDifference(loan, built));
  return false;
}

// Splits [0, count) into `parts` contiguous ranges and runs body(begin, end, part) on a thread
// each.
template <typename Body>
void Sharded(uint64_t count, uint32_t parts, const Body& body) {
  std::vector<std::thread> threads;
  threads.reserve(parts);
  for (uint32_t s = 0; s < parts; ++s) {
    const uint64_t begin = count * s / parts;
    const uint64_t end = count * (s + 1) / parts;
    threads.emplace_back([&body, begin, end, s] { body(begin, end, s); });
  }
  for (std::thread& t : threads) t.join();
}

// What one day-end reported, summed.
struct DayEndTally {
  uint64_t loans = 0;
  uint64_t refused = 0;
  uint64_t statements = 0;
  std::array<uint64_t, 5> buckets{};  // by Bucket
  std::array<uint64_t, 5> classes{};  // by LoanClass - 1
  core::AmountMinor provisions_minor = 0;
  core::AmountMinor provisions_before_minor = 0;
  core::AmountMinor interest_accrued_minor = 0;
  core::AmountMinor penalty_accrued_minor = 0;
  core::AmountMinor written_off_minor = 0;

  void Add(const DayEndTally& o) {
    loans += o.loans;
    refused += o.refused;
    statements += o.statements;
    for (size_t k = 0; k < buckets.size(); ++k) buckets[k] += o.buckets[k];
    for (size_t k = 0; k < classes.size(); ++k) classes[k] += o.classes[k];
    provisions_minor += o.provisions_minor;
    provisions_before_minor += o.provisions_before_minor;
    interest_accrued_minor += o.interest_accrued_minor;
    penalty_accrued_minor += o.penalty_accrued_minor;
    written_off_minor += o.written_off_minor;
  }
};

void RunShard(const credit::DayEndPolicy& policy, CivilDate date, std::span<Loan> loans,
              DayEndTally* tally) {
  credit::DayEvents events;
  for (Loan& loan : loans) {
    ++tally->loans;
    if (credit::RunDay(policy, date, &loan, &events) != CreditResult::kOk || events.days_run != 1) {
      ++tally->refused;
      continue;
    }
    tally->statements += events.statements.size();
    ++tally->buckets[static_cast<size_t>(events.bucket_after)];
    ++tally->classes[static_cast<size_t>(events.class_after) - 1];
    tally->provisions_minor += events.provision_after_minor;
    tally->provisions_before_minor += events.provision_before_minor;
    tally->interest_accrued_minor += events.interest_accrued_minor;
    tally->penalty_accrued_minor += events.penalty_accrued_minor;
    tally->written_off_minor += events.written_off_principal_minor;
  }
}

// A field of /proc/self/status in bytes (VmRSS, VmHWM); 0 when unreadable.
uint64_t ProcStatusBytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0)
      return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10) * 1024;
  }
  return 0;
}

// Loans of the portfolio replayed day by day to check its construction
// (ReplayMatches): the first ones, about 60 of them late.
constexpr uint64_t kReplayedLoansMax = 1000;

struct Portfolio {
  std::vector<Loan> loans;
  uint64_t failed = 0;
  uint64_t replayed = 0;
  uint64_t replay_mismatches = 0;
  uint64_t instalments = 0;
  uint64_t bytes = 0;  // the loans and their instalment arrays
  double build_seconds = 0;
};

Portfolio BuildPortfolio(const World& world, uint64_t count, uint32_t threads) {
  Portfolio portfolio;
  portfolio.loans.resize(count);
  std::vector<uint64_t> failed(threads, 0);
  const uint64_t start_ns = core::MonotonicNowNs();
  Sharded(count, threads, [&](uint64_t begin, uint64_t end, uint32_t part) {
    credit::Schedule scratch;
    for (uint64_t i = begin; i < end; ++i) {
      if (!BuildLoan(world, i, &scratch, &portfolio.loans[i])) ++failed[part];
    }
  });
  portfolio.build_seconds = static_cast<double>(core::MonotonicNowNs() - start_ns) / 1e9;
  for (const uint64_t f : failed) portfolio.failed += f;
  portfolio.bytes = portfolio.loans.capacity() * sizeof(Loan);
  for (const Loan& loan : portfolio.loans) {
    portfolio.instalments += loan.instalments.size();
    portfolio.bytes += loan.instalments.capacity() * sizeof(credit::LoanInstalment);
  }
  portfolio.replayed = std::min(count, kReplayedLoansMax);
  for (uint64_t i = 0; i < portfolio.replayed; ++i) {
    if (!ReplayMatches(world, i, portfolio.loans[i])) ++portfolio.replay_mismatches;
  }
  return portfolio;
}

struct DayEndRun {
  DayEndTally tally;
  double seconds = 0;
};

DayEndRun RunDayEnd(const World& world, std::vector<Loan>* loans, uint32_t threads) {
  std::vector<DayEndTally> tallies(threads);
  const uint64_t start_ns = core::MonotonicNowNs();
  Sharded(loans->size(), threads, [&](uint64_t begin, uint64_t end, uint32_t part) {
    RunShard(world.policy.day_end, world.date, std::span<Loan>(loans->data() + begin, end - begin),
             &tallies[part]);
  });
  DayEndRun run;
  run.seconds = static_cast<double>(core::MonotonicNowNs() - start_ns) / 1e9;
  for (const DayEndTally& t : tallies) run.tally.Add(t);
  return run;
}

struct OfferRun {
  uint64_t offers = 0;
  uint64_t refused = 0;
  double p50_us = 0;
  double p99_us = 0;
  double mean_us = 0;
  double max_us = 0;
};

// Offers drawn like the portfolio's loans (other seeds), starting on the bench date.
OfferRun RunOffers(const World& world, uint64_t count) {
  std::vector<Draw> draws;
  draws.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    Draw d = DrawLoan(world, (uint64_t{1} << 40) + i);
    d.request.start_date = world.date;
    draws.push_back(d);
  }
  std::vector<uint64_t> samples_ns;
  samples_ns.reserve(count);
  OfferRun run;
  credit::Offer offer;
  uint64_t total_ns = 0;
  for (const Draw& d : draws) {
    const uint64_t t0 = core::MonotonicNowNs();
    const CreditResult result = credit::MakeOffer(*d.product, world.policy.caps, d.request, &offer);
    const uint64_t t1 = core::MonotonicNowNs();
    if (result != CreditResult::kOk) ++run.refused;
    samples_ns.push_back(t1 - t0);
    total_ns += t1 - t0;
  }
  run.offers = count;
  if (count > 0) {
    run.mean_us = static_cast<double>(total_ns) / 1e3 / static_cast<double>(count);
    run.p50_us = PercentileMs(samples_ns, 50) * 1e3;
    run.p99_us = PercentileMs(samples_ns, 99) * 1e3;
    run.max_us = static_cast<double>(samples_ns.back()) / 1e3;  // sorted by PercentileMs
  }
  return run;
}

void PrintJson(const BenchCreditOptions& o, const Portfolio& p, const DayEndRun& d,
               const OfferRun& r, uint64_t rss_max) {
  const DayEndTally& t = d.tally;
  fmt::print(
      "{{\"bench\":\"credit\",\"date\":\"{}\",\"threads\":{},\"loans\":{},\"build_seconds\":{:.3f},"
      "\"build_failed\":{},\"replayed\":{},\"replay_mismatches\":{},\"instalments\":{},\"portfolio_"
      "bytes\":{},\"bytes_per_loan\":{},"
      "\"rss_max_bytes\":{},\"day_end_seconds\":{:.3f},\"loans_per_s\":{:.0f},\"day_end_refused\":{"
      "},"
      "\"statements\":{},\"bucket_m0\":{},\"bucket_m1\":{},\"bucket_m2\":{},\"bucket_m3\":{},"
      "\"bucket_m3_plus\":{},\"class_normal\":{},\"class_special_mention\":{},"
      "\"class_substandard\":{},\"class_doubtful\":{},\"class_loss\":{},\"provisions_minor\":{},"
      "\"provisions_before_minor\":{},\"interest_accrued_minor\":{},\"penalty_accrued_minor\":{},"
      "\"written_off_minor\":{},\"offers\":{},\"offer_refused\":{},\"offer_p50_us\":{:.2f},"
      "\"offer_p99_us\":{:.2f},\"offer_mean_us\":{:.2f},\"offer_max_us\":{:.1f}}}\n",
      o.date, o.threads, p.loans.size(), p.build_seconds, p.failed, p.replayed, p.replay_mismatches,
      p.instalments, p.bytes, p.loans.empty() ? 0 : p.bytes / p.loans.size(), rss_max, d.seconds,
      static_cast<double>(t.loans) / std::max(d.seconds, 1e-9), t.refused, t.statements,
      t.buckets[0], t.buckets[1], t.buckets[2], t.buckets[3], t.buckets[4], t.classes[0],
      t.classes[1], t.classes[2], t.classes[3], t.classes[4], t.provisions_minor,
      t.provisions_before_minor, t.interest_accrued_minor, t.penalty_accrued_minor,
      t.written_off_minor, r.offers, r.refused, r.p50_us, r.p99_us, r.mean_us, r.max_us);
}

void PrintText(const BenchCreditOptions& o, const Portfolio& p, const DayEndRun& d,
               const OfferRun& r, uint64_t rss_max) {
  const DayEndTally& t = d.tally;
  fmt::print(
      "bench credit: built {} active loans ({} instalments) in {:.2f} s on {} threads; "
      "{:.0f} MB of loans ({} bytes a loan), peak RSS {:.0f} MB; {} of {} replayed "
      "day by day differ\n",
      p.loans.size(), p.instalments, p.build_seconds, o.threads, p.bytes / 1e6,
      p.loans.empty() ? 0 : p.bytes / p.loans.size(), rss_max / 1e6, p.replay_mismatches,
      p.replayed);
  fmt::print(
      "day-end {} over {} loans on {} threads: {:.3f} s = {:.0f} loans/s; {} statements; "
      "buckets M0 {} M1 {} M2 {} M3 {} M3+ {}; classes normal {} special-mention {} "
      "substandard {} doubtful {} loss {}; provisions {} CNY (from {}); "
      "interest {} CNY, penalty {} CNY accrued; {} refused\n",
      o.date, t.loans, o.threads, d.seconds,
      static_cast<double>(t.loans) / std::max(d.seconds, 1e-9), t.statements, t.buckets[0],
      t.buckets[1], t.buckets[2], t.buckets[3], t.buckets[4], t.classes[0], t.classes[1],
      t.classes[2], t.classes[3], t.classes[4], core::FormatMinorUnits(t.provisions_minor),
      core::FormatMinorUnits(t.provisions_before_minor),
      core::FormatMinorUnits(t.interest_accrued_minor),
      core::FormatMinorUnits(t.penalty_accrued_minor), t.refused);
  fmt::print(
      "offers (schedule + monthly APR + XIRR, one thread): {} in total, p50 {:.2f} us, "
      "p99 {:.2f} us, mean {:.2f} us, max {:.1f} us; {} refused\n",
      r.offers, r.p50_us, r.p99_us, r.mean_us, r.max_us, r.refused);
}

}  // namespace

int RunBenchCredit(const BenchCreditOptions& options) {
  World world;
  world.seed = options.seed;
  core::Result<CivilDate> date = CivilDate::Parse(options.date);
  if (!date.ok() || !credit::IsLoanStartDateInRange(date->AddDays(-4000))) {
    fmt::print(stderr, "bench credit: --date: {}\n",
               date.ok() ? "too close to the supported range's edge" : date.status().message());
    return 2;
  }
  world.date = *date;
  for (size_t k = 0; k < kMix.size(); ++k) {
    world.products[k] = world.policy.FindProduct(kMix[k].name);
    NETFIN_ASSERT(world.products[k] != nullptr);  // the default products
  }
  NETFIN_ASSERT(world.policy.Validate().ok());
  Portfolio portfolio = BuildPortfolio(world, options.loans, options.threads);
  if (!options.json) {
    fmt::print(stderr, "bench credit: portfolio built in {:.2f} s\n", portfolio.build_seconds);
  }
  const DayEndRun day_end = RunDayEnd(world, &portfolio.loans, options.threads);
  const OfferRun offers = RunOffers(world, options.offers);
  const uint64_t rss_max = ProcStatusBytes("VmHWM");
  if (options.json) {
    PrintJson(options, portfolio, day_end, offers, rss_max);
  } else {
    PrintText(options, portfolio, day_end, offers, rss_max);
  }
  const bool clean = portfolio.failed == 0 && portfolio.replay_mismatches == 0 &&
                     day_end.tally.refused == 0 && offers.refused == 0;
  return clean ? 0 : 1;
}

}  // namespace netfin::cli
