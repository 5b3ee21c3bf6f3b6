// netfin simulate credit: a quarter of e-commerce credit driven through the
// signed HTTP API of a running server, as `make run` shows it.
//
// Customers buy from merchants in instalments and on a pay-next-month line,
// and borrow cash into their wallets; each simulated day ends with the operator's day-end of that
// date (POST /v1/credit/day-end), so a quarter passes in seconds. The
// customers keep to four habits, fixed by their number so that every run
// tells the same story:
//
//   prompt   (half)   repays each instalment and bill as soon as it is billed
//   early    (1 in 6) pays the whole loan off a month after taking it
//   late     (1 in 6) repays only once 35 days past due (M2, then cured)
//   never    (1 in 6) never repays: M1, M2, M3, and the classes follow
//
// The day-ends move the books' business date ahead of the calendar: after
// a run, new loans are dated after the simulated quarter, and the server's
// own daily schedule waits until the calendar catches up (docs/credit.md).

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "api/key_registry.h"
#include "cli/bench_stats.h"
#include "cli/commands.h"
#include "cli/credit_cli.h"
#include "cli/payments_client.h"
#include "core/civil_date.h"
#include "core/money.h"

namespace netfin::cli {
namespace {

enum class Habit { kPrompt, kEarly, kLate, kNever };

Habit HabitOf(size_t customer) {
  switch (customer % 6) {
    case 3:
      return Habit::kEarly;
    case 4:
      return Habit::kLate;
    case 5:
      return Habit::kNever;
    default:
      return Habit::kPrompt;
  }
}

std::string_view HabitName(Habit habit) {
  switch (habit) {
    case Habit::kPrompt:
      return "prompt";
    case Habit::kEarly:
      return "early";
    case Habit::kLate:
      return "late";
    case Habit::kNever:
      return "never";
  }
  return "?";
}

// The simulation's one source of chance, seeded, so a run is reproducible.
using Chance = std::mt19937_64;

uint64_t Below(Chance& chance, uint64_t n) { return chance() % n; }

struct Borrower {
  Party party;
  Habit habit = Habit::kPrompt;
  std::unique_ptr<PaymentsClient> client;
  std::vector<std::string> loans;  // ids of the loans they took, opening order
  std::string line_id;             // their pay-next-month line
};

struct QuarterTally {
  uint64_t purchases = 0, purchase_minor = 0;
  uint64_t line_purchases = 0, line_minor = 0;
  uint64_t cash_loans = 0, cash_minor = 0;
  uint64_t refused = 0;
  uint64_t repayments = 0, repaid_minor = 0, payoffs = 0, short_of_money = 0;
  uint64_t day_ends = 0, statements = 0;
  uint64_t interest_minor = 0, penalty_minor = 0, fees_minor = 0;
};

std::string Cny(uint64_t fen) { return Yuan(static_cast<core::AmountMinor>(fen)) + " CNY"; }

uint64_t U64At(const rapidjson::Value& object, const char* a, const char* b = nullptr) {
  if (!object.IsObject() || !object.HasMember(a)) return 0;
  const rapidjson::Value& v = object[a];
  if (b == nullptr) return v.IsUint64() ? v.GetUint64() : 0;
  return v.IsObject() && v.HasMember(b) && v[b].IsUint64() ? v[b].GetUint64() : 0;
}

// One customer's repayments for the day, by their habit, over every loan
// of theirs: those they took and the bills their line's statements cut.
bool Repay(Borrower& b, const core::CivilDate& date, QuarterTally* tally) {
  auto list = b.client->Get("/v1/credit/loans?limit=500");
  if (!Check(list, 200, "list loans")) return false;
  const rapidjson::Value& data = list.value().json["data"];
  for (const rapidjson::Value& l : data.GetArray()) {
    if (!l.HasMember("status") || std::string_view(l["status"].GetString()) != "active") continue;
    const std::string id = l["id"].GetString();
    const uint64_t due = U64At(l, "amount_due", "total");
    const uint64_t payoff = U64At(l, "payoff_quote", "total");
    const uint64_t days_past_due = U64At(l, "days_past_due");
    auto opened = core::CivilDate::Parse(l["opened_date"].GetString());
    uint64_t amount = 0;
    std::string kind = "regular";
    switch (b.habit) {
      case Habit::kPrompt:
        amount = due;
        break;
      case Habit::kEarly:
        if (opened.ok() && date.days_since_epoch() - opened.value().days_since_epoch() >= 30) {
          amount = payoff;
          kind = "payoff";
        } else {
          amount = due;
        }
        break;
      case Habit::kLate:
        if (days_past_due >= 35) amount = due;
        break;
      case Habit::kNever:
        break;
    }
    if (amount == 0) continue;
    auto paid = b.client->Post("/v1/credit/loans/" + id + "/repayments",
                               fmt::format(R"({{"amount":{},"kind":"{}"}})", amount, kind));
    if (paid.ok() && paid.value().ErrorCode() == "insufficient_balance") {
      ++tally->short_of_money;  // the wallet ran dry: the loan waits, as a real one would
      continue;
    }
    if (!Check(paid, 201, "repayment")) return false;
    ++tally->repayments;
    tally->repaid_minor += amount;
    if (kind == "payoff") ++tally->payoffs;
  }
  return true;
}

// A purchase on the pay-next-month line: billed on the 1st, interest-free
// when the bill is paid by the 10th.
bool BuyOnLine(Borrower& b, const std::vector<Party>& merchants, Chance& chance, QuarterTally* tally) {
  const uint64_t amount = 5'000 + Below(chance, 200) * 250;  // 50.00 .. 547.50
  auto bought = b.client->Post("/v1/credit/lines/" + b.line_id + "/purchases",
                               fmt::format(R"({{"amount":{},"merchant_id":"{}"}})", amount,
                                           merchants[Below(chance, merchants.size())].id));
  if (!bought.ok()) return Check(bought, 201, "line purchase");
  if (bought.value().status != 201) {
    ++tally->refused;  // the line is full or frozen: part of the story
    return bought.value().status == 422 || Check(bought, 201, "line purchase");
  }
  ++tally->line_purchases;
  tally->line_minor += amount;
  return true;
}

// A purchase in instalments at a merchant, or cash into the wallet.
bool Borrow(Borrower& b, const std::vector<Party>& merchants, Chance& chance, bool cash,
            QuarterTally* tally) {
  const uint64_t terms[] = {3, 6, 12};
  const uint64_t amount = cash ? 100'000 + Below(chance, 40) * 10'000    // 1,000.00 .. 4,900.00
                               : 30'000 + Below(chance, 270) * 1'000;   // 300.00 .. 2,990.00
  const std::string body =
      cash ? fmt::format(R"({{"customer_id":"{}","product":"cash_loan","amount":{},"terms":6}})",
                         b.party.id, amount)
           : fmt::format(R"({{"customer_id":"{}","product":"instalment","amount":{},"terms":{},"merchant_id":"{}"}})",
                         b.party.id, amount, terms[Below(chance, 3)],
                         merchants[Below(chance, merchants.size())].id);
  auto loan = b.client->Post("/v1/credit/loans", body);
  if (!loan.ok()) return Check(loan, 201, "loan");
  if (loan.value().status != 201) {
    // A limit reached is part of the story, not a failure of the run.
    ++tally->refused;
    return loan.value().status == 422 || loan.value().status == 409 ||
           Check(loan, 201, cash ? "cash loan" : "purchase on credit");
  }
  b.loans.push_back(loan.value().Str("id"));
  if (cash) {
    ++tally->cash_loans;
    tally->cash_minor += amount;
  } else {
    ++tally->purchases;
    tally->purchase_minor += amount;
  }
  return true;
}

void PrintDayEnd(const ApiAnswer& summary) {
  const rapidjson::Value& s = summary.json;
  std::string buckets, classes;
  if (s.HasMember("buckets") && s["buckets"].IsObject()) {
    for (auto it = s["buckets"].MemberBegin(); it != s["buckets"].MemberEnd(); ++it) {
      buckets += fmt::format(" {} {}", it->name.GetString(), it->value.GetUint64());
    }
  }
  if (s.HasMember("classes") && s["classes"].IsObject()) {
    for (auto it = s["classes"].MemberBegin(); it != s["classes"].MemberEnd(); ++it) {
      classes += fmt::format(" {} {}", it->name.GetString(), it->value.GetUint64());
    }
  }
  fmt::print("  {}: {} active loans, receivable {}, provisions held {}\n      buckets:{}\n      classes:{}\n",
             summary.Str("date"), U64At(s, "loans_active"), Cny(U64At(s, "receivable")),
             Cny(U64At(s, "provisions", "held")), buckets, classes);
}

}  // namespace

int RunSimulateCredit(const SimulateCreditOptions& options) {
  auto target = ParseTarget(options.target);
  if (!target) {
    fmt::print(stderr, "simulate credit: --target wants http://HOST:PORT\n");
    return 2;
  }
  PaymentsClient op(std::string(api::kOperatorKeyId), options.operator_secret);
  if (!op.Connect(target->host, target->port).ok()) return 1;

  // Parties: customers with a wallet (topped up, for repayments) and a
  // credit limit, and the merchants they buy from. Numbers 500+ keep their
  // personal data apart from `simulate payments`' parties.
  std::vector<Borrower> borrowers(options.customers);
  std::vector<Party> merchants(2);
  for (size_t i = 0; i < merchants.size(); ++i) {
    if (!OpenParty(op, false, 500 + i, &merchants[i])) return 1;
  }
  for (size_t i = 0; i < borrowers.size(); ++i) {
    Borrower& b = borrowers[i];
    b.habit = HabitOf(i);
    if (!OpenParty(op, true, 500 + i, &b.party)) return 1;
    b.client = std::make_unique<PaymentsClient>(b.party.key_id, b.party.secret);
    if (!b.client->Connect(target->host, target->port).ok()) return 1;
    auto top_up = b.client->Post("/v1/top-ups", fmt::format(R"({{"customer_id":"{}","amount":{},"currency":"CNY"}})",
                                                            b.party.id, 3'000'000));  // 30,000.00
    if (!Check(top_up, 201, "top-up")) return 1;
    auto limit = op.Post("/v1/credit/limits", fmt::format(R"({{"customer_id":"{}","limit":{}}})",
                                                          b.party.id, options.limit_minor));
    if (!Check(limit, 200, "credit limit")) return 1;
    auto line = op.Post("/v1/credit/lines", fmt::format(R"({{"customer_id":"{}","product":"pay_later","limit":{}}})",
                                                        b.party.id, options.limit_minor / 4));
    if (!Check(line, 201, "credit line")) return 1;
    b.line_id = line.value().Str("id");
  }

  // The books' open business day: the start date of any offer.
  auto offer = borrowers[0].client->Post(
      "/v1/credit/offers",
      fmt::format(R"({{"customer_id":"{}","product":"instalment","amount":100000,"terms":3,"merchant_id":"{}"}})",
                  borrowers[0].party.id, merchants[0].id));
  if (!Check(offer, 200, "offer")) return 1;
  auto start = core::CivilDate::Parse(offer.value().Str("start_date"));
  if (!start.ok()) {
    fmt::print(stderr, "simulate credit: the offer has no start_date: {}\n", offer.value().body);
    return 1;
  }
  fmt::print("  an offer before accepting: 1,000.00 CNY in 3 instalments at {} a year (effective {}), repay {}\n",
             offer.value().Str("apr_text"), offer.value().Str("apr_effective_text"),
             Cny(offer.value().U64("repay_total")));
  fmt::print("  {} customers (habits: prompt, early payoff, late, never), {} days from {}\n",
             borrowers.size(), options.days, start.value().ToString());

  Chance chance(options.seed);
  QuarterTally tally;
  ApiAnswer last_summary;
  for (uint32_t d = 0; d < options.days; ++d) {
    const core::CivilDate date = start.value().AddDays(static_cast<int32_t>(d));
    // Borrowing in the first two months, so the last is all repayment and arrears.
    if (d < 60) {
      for (Borrower& b : borrowers) {
        if (Below(chance, 12) == 0 && !Borrow(b, merchants, chance, false, &tally)) return 1;
        if (Below(chance, 40) == 0 && !Borrow(b, merchants, chance, true, &tally)) return 1;
        if (Below(chance, 6) == 0 && !BuyOnLine(b, merchants, chance, &tally)) return 1;
      }
    }
    for (Borrower& b : borrowers) {
      if (!Repay(b, date, &tally)) return 1;
    }
    auto summary = op.Post("/v1/credit/day-end", fmt::format(R"({{"date":"{}"}})", date.ToString()));
    if (!Check(summary, 200, "day-end")) return 1;
    ++tally.day_ends;
    const rapidjson::Value& s = summary.value().json;
    tally.statements += U64At(s, "statements");
    tally.interest_minor += U64At(s, "accrued", "interest");
    tally.penalty_minor += U64At(s, "accrued", "penalty");
    tally.fees_minor += U64At(s, "accrued", "fees");
    if ((d + 1) % 30 == 0 || d + 1 == options.days) PrintDayEnd(summary.value());
    last_summary = std::move(summary).value();
  }

  fmt::print("  {} purchases in instalments ({}), {} pay-next-month purchases ({}), {} cash loans ({}), {} refused at a limit\n",
             tally.purchases, Cny(tally.purchase_minor), tally.line_purchases, Cny(tally.line_minor),
             tally.cash_loans, Cny(tally.cash_minor), tally.refused);
  fmt::print("  {} repayments ({}), {} early payoffs, {} put off for want of money; {} statements over {} day-ends\n",
             tally.repayments, Cny(tally.repaid_minor), tally.payoffs, tally.short_of_money,
             tally.statements, tally.day_ends);
  fmt::print("  earned: interest {}, penalty {}, fees {}\n", Cny(tally.interest_minor),
             Cny(tally.penalty_minor), Cny(tally.fees_minor));
  for (size_t i = 0; i < borrowers.size() && i < 6; ++i) {
    fmt::print("  customer {} ({}): {} loans\n", borrowers[i].party.id, HabitName(borrowers[i].habit),
               borrowers[i].loans.size());
  }
  return 0;
}

void AddSimulateCreditCommand(const CommandParents& parents) {
  auto options = std::make_shared<SimulateCreditOptions>();
  CLI::App* cmd = parents.simulate.add_subcommand(
      "credit", "A quarter of consumer credit: purchases in instalments, cash loans, repayments, arrears");
  cmd->add_option("--target", options->target, "http://HOST:PORT")->capture_default_str();
  cmd->add_option("--operator-secret", options->operator_secret, "`netfin keys operator-secret`")->required();
  cmd->add_option("--customers", options->customers)->capture_default_str()->check(CLI::Range(size_t{1}, size_t{1000}));
  cmd->add_option("--days", options->days, "Simulated days, each ended by the day-end")
      ->capture_default_str()
      ->check(CLI::Range(1, 400));
  cmd->add_option("--limit", options->limit_minor, "Each customer's credit limit, in fen")->capture_default_str();
  cmd->add_option("--seed", options->seed)->capture_default_str();
  parents.RunWhenParsed(*cmd, [options] { return RunSimulateCredit(*options); });
}

}  // namespace netfin::cli
