// The credit role's commands (registered by main.cc through AddCreditCommands),
// and `netfin credit offer`: an offer's schedule and true APR, as the customer
// sees it before accepting, or the refusal with the rule that refused it.

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "core/files.h"
#include "core/money.h"
#include "core/civil_date.h"
#include "core/clock.h"
#include "cli/commands.h"
#include "cli/credit_cli.h"
#include "credit/credit.h"
#include "credit/credit_limits.h"
#include "ml/model_files.h"

namespace netfin::cli {
namespace {

using credit::CreditResult;

// Config files are a few kilobytes; anything this large is not one.
constexpr size_t kConfigBytesMax = 16 * 1024 * 1024;

// "13.03%" from a rate (0.1303).
std::string Percent(double rate) { return fmt::format("{:.2f}%", rate * 100); }
std::string Bps(uint32_t bps) { return fmt::format("{}.{:02}%", bps / 100, bps % 100); }

// China has one time zone and no daylight saving: the business day is UTC+8.
credit::CivilDate TodayInChina() { return core::ChinaDate(core::SystemClock().NowNs()); }

// Why a rule refused an offer, in words. Every code is listed (no default:
// -Werror=switch makes a new code update this); codes MakeOffer never returns
// get their general meaning.
std::string RefusalReason(CreditResult result, const credit::Product& product,
                          const credit::OfferRequest& request, const credit::Offer& offer,
                          const credit::CapPolicy& caps) {
  switch (result) {
    case CreditResult::kOk:
      return "accepted";
    case CreditResult::kPrincipalOutOfRange:
      return fmt::format("the principal must be 0.01..{} CNY", Yuan(credit::kPrincipalMinorMax));
    case CreditResult::kTermsOutOfRange:
      return fmt::format("terms must be 1..{}", credit::kTermsMax);
    case CreditResult::kRateOutOfRange:
      return "a rate of the product is above its maximum";
    case CreditResult::kDueDateInvalid:
      return fmt::format("start date {} is out of the supported range (1901..9989)",
                         request.start_date.ToString());
    case CreditResult::kTermNotOffered: {
      std::string offered;
      for (const uint32_t t : product.terms)
        offered += (offered.empty() ? "" : ", ") + std::to_string(t);
      return fmt::format("{} does not offer {} instalments (it offers {})", product.name,
                         request.terms, offered);
    }
    case CreditResult::kAmountBelowProductMin:
      return fmt::format("{} CNY is below {}'s minimum of {} CNY", Yuan(request.amount_minor),
                         product.name, Yuan(product.amount_min_minor));
    case CreditResult::kAmountAboveProductMax:
      return fmt::format("{} CNY is above {}'s maximum of {} CNY", Yuan(request.amount_minor),
                         product.name, Yuan(product.amount_max_minor));
    case CreditResult::kAprAboveCap:
      return fmt::format("the true APR {} is above the cap of {}", Percent(offer.apr.nominal),
                         Bps(caps.EffectiveAprCapBps()));
    case CreditResult::kPersonCapExceeded:
      return "the person's outstanding credit would pass their cap";
    case CreditResult::kOverCreditLimit:
      return "above the line's available limit";
    case CreditResult::kLineFrozen:
      return "the credit line is frozen";
    case CreditResult::kLoanPaidOff:
      return "the loan is closed";
    case CreditResult::kLoanWrittenOff:
      return "the loan is written off";
    case CreditResult::kZeroAmount:
      return "the amount is zero";
    case CreditResult::kExceedsAmountDue:
      return "more than is due";
    case CreditResult::kPayoffAmountMismatch:
      return "not the payoff quote";
    case CreditResult::kDateBeforeLastRun:
      return "the date goes backwards";
    case CreditResult::kDayClosed:
      return "that day is closed";
    case CreditResult::kDayEndBehind:
      return "an earlier day-end has not run";
    case CreditResult::kCatchUpTooLong:
      return "too many days to catch up";
    case CreditResult::kWrongProductKind:
      return "not this product's kind";
    case CreditResult::kBillNotConvertible:
      return "the bill cannot be converted";
    case CreditResult::kNothingToBill:
      return "nothing to bill";
    case CreditResult::kNotStatementDay:
      return "not the statement day";
  }
  return "unknown result";
}

}  // namespace

core::Result<credit::CreditPolicy> LoadPolicy(const std::string& config_path) {
  if (config_path.empty()) {
    credit::CreditPolicy policy;
    NETFIN_RETURN_IF_ERROR(policy.Validate());
    return policy;
  }
  core::Result<std::string> text = core::ReadWholeFile(config_path, kConfigBytesMax);
  if (!text.ok()) return text.status();
  return credit::ParseCreditConfig(*text);
}

namespace {

void PrintRefusal(const std::string& code_name, int code, const std::string& reason, bool json) {
  if (!json) {
    fmt::print(stderr, "netfin credit offer: refused: {} ({})\n", code_name, reason);
    return;
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("result");
  w.String(code_name.c_str());
  if (code >= 0) {  // a CreditResult's number; unknown_product has none
    w.Key("code");
    w.Int(code);
  }
  w.Key("reason");
  w.String(reason.c_str());
  w.EndObject();
  fmt::print("{}\n", buffer.GetString());
}

void WriteRate(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* prefix,
               const credit::AnnualRate& rate) {
  w.Key(fmt::format("{}_nominal", prefix).c_str());
  w.Double(rate.nominal);
  w.Key(fmt::format("{}_effective", prefix).c_str());
  w.Double(rate.effective);
}

void PrintOfferJson(const credit::Offer& offer, const credit::Product& product) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("result");
  w.String("ok");
  w.Key("product");
  w.String(offer.product_name.c_str());
  w.Key("kind");
  w.String(std::string(credit::ProductKindName(offer.kind)).c_str());
  w.Key("method");
  w.String(std::string(credit::ScheduleMethodName(offer.terms.method)).c_str());
  w.Key("amount_minor");
  w.Uint64(offer.terms.principal_minor);
  w.Key("terms");
  w.Uint(offer.terms.terms);
  w.Key("start_date");
  w.String(offer.terms.start_date.ToString().c_str());
  w.Key("annual_interest_bps");
  w.Uint(offer.terms.annual_interest_bps);
  w.Key("monthly_fee_bps");
  w.Uint(offer.terms.monthly_fee_bps);
  w.Key("penalty_daily_ppm");
  w.Uint(product.penalty_daily_ppm);
  w.Key("instalments");
  w.StartArray();
  for (const credit::Instalment& i : offer.schedule.instalments) {
    w.StartObject();
    w.Key("number");
    w.Uint(i.number);
    w.Key("due_date");
    w.String(i.due_date.ToString().c_str());
    w.Key("principal_minor");
    w.Uint64(i.principal_minor);
    w.Key("interest_minor");
    w.Uint64(i.interest_minor);
    w.Key("fee_minor");
    w.Uint64(i.fee_minor);
    w.Key("total_minor");
    w.Uint64(i.total_minor());
    w.EndObject();
  }
  w.EndArray();
  w.Key("principal_total_minor");
  w.Uint64(offer.schedule.principal_total_minor);
  w.Key("interest_total_minor");
  w.Uint64(offer.schedule.interest_total_minor);
  w.Key("fee_total_minor");
  w.Uint64(offer.schedule.fee_total_minor);
  w.Key("total_minor");
  w.Uint64(offer.schedule.total_minor());
  WriteRate(w, "apr", offer.apr);
  w.Key("apr_nominal_ppm");
  w.Int64(offer.apr.NominalPpm());
  WriteRate(w, "apr_daily", offer.apr_daily);
  w.EndObject();
  fmt::print("{}\n", buffer.GetString());
}

void PrintOfferText(const credit::Offer& offer, const credit::Product& product) {
  const credit::ScheduleTerms& t = offer.terms;
  std::string price;
  if (t.annual_interest_bps > 0)
    price += fmt::format(", interest {} a year", Bps(t.annual_interest_bps));
  if (t.monthly_fee_bps > 0)
    price += fmt::format(", fee {} of the principal a month", Bps(t.monthly_fee_bps));
  fmt::print("{} ({}): {} CNY in {} instalments, {}{}, from {}\n", offer.product_name,
             credit::ProductKindName(offer.kind), Yuan(t.principal_minor), t.terms,
             credit::ScheduleMethodName(t.method), price, t.start_date.ToString());
  fmt::print("{:>4}  {:<10}  {:>14}  {:>12}  {:>12}  {:>14}\n", "#", "due", "principal", "interest",
             "fee", "total");
  for (const credit::Instalment& i : offer.schedule.instalments) {
    fmt::print("{:>4}  {:<10}  {:>14}  {:>12}  {:>12}  {:>14}\n", i.number, i.due_date.ToString(),
               Yuan(i.principal_minor), Yuan(i.interest_minor), Yuan(i.fee_minor),
               Yuan(i.total_minor()));
  }
  const credit::Schedule& s = offer.schedule;
  fmt::print("{:>4}  {:<10}  {:>14}  {:>12}  {:>12}  {:>14}\n", "", "total",
             Yuan(s.principal_total_minor), Yuan(s.interest_total_minor), Yuan(s.fee_total_minor),
             Yuan(s.total_minor()));
  fmt::print("APR (monthly IRR x 12, the disclosed rate): {} nominal, {} effective\n",
             Percent(offer.apr.nominal), Percent(offer.apr.effective));
  fmt::print("APR over the actual days (XIRR):            {} nominal, {} effective\n",
             Percent(offer.apr_daily.nominal), Percent(offer.apr_daily.effective));
  if (product.penalty_daily_ppm > 0) {
    fmt::print(
        "Late payment: penalty interest of {:.3f}% a day on overdue principal and interest\n",
        product.penalty_daily_ppm / 10'000.0);
  }
}

}  // namespace

int RunCreditOffer(const CreditOfferOptions& options) {
  core::Result<credit::CreditPolicy> policy = LoadPolicy(options.config_path);
  if (!policy.ok()) {
    fmt::print(stderr, "netfin credit offer: {}{}\n",
               options.config_path.empty() ? "" : options.config_path + ": ",
               policy.status().message());
    return 2;
  }
  credit::OfferRequest request;
  request.amount_minor = options.amount_minor;
  request.terms = options.terms;
  if (options.start_date.empty()) {
    request.start_date = TodayInChina();
  } else {
    core::Result<credit::CivilDate> start = credit::CivilDate::Parse(options.start_date);
    if (!start.ok()) {
      fmt::print(stderr, "netfin credit offer: --start: {}\n", start.status().message());
      return 2;
    }
    request.start_date = *start;
  }
  const credit::Product* product = policy->FindProduct(options.product);
  if (product == nullptr) {
    std::string names;
    for (const credit::Product& p : policy->products) names += (names.empty() ? "" : ", ") + p.name;
    PrintRefusal("unknown_product", -1,
                 fmt::format("no product named '{}' (products: {})", options.product, names),
                 options.json);
    return 1;
  }
  credit::Offer offer;
  const CreditResult result = credit::MakeOffer(*product, policy->caps, request, &offer);
  if (result != CreditResult::kOk) {
    PrintRefusal(std::string(credit::CreditResultName(result)), static_cast<int>(result),
                 RefusalReason(result, *product, request, offer, policy->caps), options.json);
    return 1;
  }
  if (options.json) {
    PrintOfferJson(offer, *product);
  } else {
    PrintOfferText(offer, *product);
  }
  return 0;
}

namespace {

void AddOfferCommand(const CommandParents& parents, CLI::App& credit_cmd) {
  auto options = std::make_shared<CreditOfferOptions>();
  CLI::App* cmd = credit_cmd.add_subcommand(
      "offer", "Show an offer: its schedule and true APR, or the rule that refuses it");
  cmd->add_option("--product", options->product, "Product name (e.g. pay_later, cash_loan)")
      ->required();
  cmd->add_option("--amount", options->amount_minor, "Principal in fen (1000000 = 10,000.00 CNY)")
      ->required();
  cmd->add_option("--terms", options->terms, "Number of monthly instalments")->required();
  cmd->add_option("--start", options->start_date,
                  "Disbursement date YYYY-MM-DD (default: today, China time)");
  cmd->add_option("--config", options->config_path,
                  "TOML file whose [credit] section sets the caps and products");
  cmd->add_flag("--json", options->json, "Print one JSON object on stdout");
  parents.RunWhenParsed(*cmd, [options] { return RunCreditOffer(*options); });
}

void AddRunDayCommand(const CommandParents& parents, CLI::App& credit_cmd) {
  auto options = std::make_shared<CreditRunDayOptions>();
  CLI::App* cmd = credit_cmd.add_subcommand(
      "run-day", "Run the credit day-end of a date on a node's database; print its JSON summary");
  cmd->add_option("--date", options->date, "The business day, YYYY-MM-DD")->required();
  cmd->add_option("--db", options->db_path, "Database (SQLite) or journal file")->capture_default_str();
  cmd->add_option("--store", options->store, "Storage backend: sqlite or journal")
      ->capture_default_str()
      ->check(CLI::IsMember({"sqlite", "journal"}));
  cmd->add_option("--config", options->config_path,
                  "TOML file whose [credit] section sets the day-end rules");
  parents.RunWhenParsed(*cmd, [options] { return RunCreditRunDay(*options); });
}

void AddBenchCommand(const CommandParents& parents) {
  auto options = std::make_shared<BenchCreditOptions>();
  CLI::App* cmd = parents.bench.add_subcommand(
      "credit", "Day-end over a portfolio of active loans, and offer (schedule + APR) latency");
  cmd->add_option("--loans", options->loans, "Active loans in the portfolio")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{5'000'000}));
  cmd->add_option("--threads", options->threads, "Threads the day-end is sharded over")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--offers", options->offers, "Offers to time")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{0}, uint64_t{10'000'000}));
  cmd->add_option("--date", options->date, "The business day whose day-end is timed")
      ->capture_default_str();
  cmd->add_option("--seed", options->seed, "Seed of the portfolio and the offers")
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "Print one JSON object on stdout");
  parents.RunWhenParsed(*cmd, [options] { return RunBenchCredit(*options); });
}

void AddTrainCommand(const CommandParents& parents) {
  auto options = std::make_shared<TrainCreditOptions>();
  CLI::App* cmd = parents.train.add_subcommand(
      "credit", "Train the credit default model (XGBoost) on a CSV file with a header row");
  cmd->add_option("--data", options->data_path, "CSV file with a header row")->required();
  cmd->add_option("--label", options->label, "The label column")->required();
  cmd->add_option("--positive", options->positive, "The label value meaning default")->required();
  cmd->add_option("--exclude", options->exclude, "Columns left out (ids, leaks), comma-separated")
      ->delimiter(',');
  AddTrainSettings(*cmd, options.get());
  parents.RunWhenParsed(*cmd, [options] { return RunTrainCredit(*options); });
}

void AddEvalCommand(const CommandParents& parents) {
  auto options = std::make_shared<EvalCreditOptions>();
  CLI::App* cmd = parents.eval.add_subcommand(
      "credit", "ROC AUC and KS of a credit model: on its held-out split, or on another file");
  cmd->add_option("--model", options->model_path, "Model file from `netfin train credit`")
      ->capture_default_str();
  cmd->add_option("--data", options->data_path,
                  "CSV file (default: the training file; its held-out part is used)");
  cmd->add_option("--label", options->label, "The label column (default: the training run's)");
  cmd->add_option("--positive", options->positive, "The label value meaning default");
  cmd->add_flag("--json", options->json, "Print one JSON object on stdout");
  parents.RunWhenParsed(*cmd, [options] { return RunEvalCredit(*options); });
}

}  // namespace

void AddCreditCommands(const CommandParents& parents) {
  CLI::App* credit_cmd = parents.app.add_subcommand("credit", "The credit role: offers, loans");
  credit_cmd->require_subcommand(1);
  AddOfferCommand(parents, *credit_cmd);
  AddRunDayCommand(parents, *credit_cmd);
  AddBenchCommand(parents);
  AddTrainCommand(parents);
  AddEvalCommand(parents);
  AddSimulateCreditCommand(parents);
}

std::string Yuan(core::AmountMinor fen) {
  std::string text = core::FormatMinorUnits(fen, 2);
  for (int at = static_cast<int>(text.size()) - 6; at > 0; at -= 3) text.insert(at, ",");
  return text;
}

}  // namespace netfin::cli
