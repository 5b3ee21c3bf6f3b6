#pragma once

// The credit role's commands, registered by AddCreditCommands
// (cli/credit_commands.cc):
//
//   netfin credit offer   an offer's schedule and true APR (credit_commands.cc)
//   netfin bench credit   day-end over a portfolio, offer latency (credit_bench.cc)
//   netfin train credit   a default model from a CSV file (credit_model.cc)
//   netfin eval credit    ROC AUC and KS of a model (credit_model.cc)
//
// Each Run* prints its result (text, or one JSON object with --json) and
// returns the process exit code: 0 done, 1 refused or failed, 2 bad input.

#include <cstdint>
#include <string>
#include <vector>

#include "cli/model_training.h"
#include "core/money.h"
#include "core/status.h"
#include "credit/credit_config.h"

namespace netfin::cli {

struct CreditOfferOptions {
  std::string product;
  uint64_t amount_minor = 0;  // fen
  uint32_t terms = 0;
  std::string start_date;   // YYYY-MM-DD; empty: today in China (UTC+8)
  std::string config_path;  // empty: the default products and caps
  bool json = false;
};

struct BenchCreditOptions {
  uint64_t loans = 1'000'000;
  uint32_t threads = 2;
  uint64_t offers = 100'000;
  std::string date = "2025-07-01";  // the business day whose day-end is timed
  uint64_t seed = 1;
  bool json = false;
};

// The defaults were chosen on the Taiwan data (docs/credit.md).
struct TrainCreditOptions : TrainSettings {
  TrainCreditOptions() {
    out_path = "credit_model.json";
    rounds = 300;
    max_depth = 4;
    eta = 0.05;
  }
  std::string data_path;
  std::string label;
  std::string positive;
  std::vector<std::string> exclude;
};

struct EvalCreditOptions {
  std::string model_path = "credit_model.json";
  std::string data_path;  // empty: the training file's held-out part
  std::string label;      // empty: the training run's
  std::string positive;   // empty: the training run's
  bool json = false;
};

// `netfin credit run-day`: the day-end on a node's database (same store
// options as `serve` and `verify`).
struct CreditRunDayOptions {
  std::string date;  // YYYY-MM-DD
  std::string db_path = "netfin.db";
  std::string store = "sqlite";
  std::string config_path;  // TOML with a [credit] section; empty: the defaults
};

// `netfin simulate credit`: a quarter of consumer credit against a running
// server (credit_load.cc).
struct SimulateCreditOptions {
  std::string target = "http://127.0.0.1:8080";
  std::string operator_secret;  // `netfin keys operator-secret`
  size_t customers = 12;
  uint32_t days = 92;
  uint64_t limit_minor = 2'000'000;  // 20,000.00 CNY each
  uint64_t seed = 7;
};

// "12,345.67": fen as yuan with thousands separators, exactly (credit_commands.cc).
std::string Yuan(core::AmountMinor fen);

int RunCreditOffer(const CreditOfferOptions& options);
int RunCreditRunDay(const CreditRunDayOptions& options);
// The [credit] policy of a TOML file, or the defaults for an empty path; validated.
core::Result<credit::CreditPolicy> LoadPolicy(const std::string& config_path);
int RunBenchCredit(const BenchCreditOptions& options);
int RunTrainCredit(const TrainCreditOptions& options);
int RunEvalCredit(const EvalCreditOptions& options);
int RunSimulateCredit(const SimulateCreditOptions& options);
// Registers `netfin simulate credit` (credit_load.cc).
struct CommandParents;
void AddSimulateCreditCommand(const CommandParents& parents);

}  // namespace netfin::cli
