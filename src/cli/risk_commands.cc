// The risk role's commands (registered by main.cc through AddRiskCommands):
// `netfin train fraud`, `netfin eval fraud` and `netfin bench risk`
// (cli/risk_cli.h). This file only declares their options.

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>

#include "cli/commands.h"
#include "cli/risk_cli.h"

namespace netfin::cli {
namespace {

void AddTrainFraudCommand(const CommandParents& parents) {
  auto options = std::make_shared<TrainFraudOptions>();
  CLI::App* cmd = parents.train.add_subcommand(
      "fraud", "Replay a labelled PaySim log through the feature engine and train the fraud model");
  cmd->add_option("--data", options->data_path,
                  "PaySim CSV file (step,type,amount,nameOrig,oldbalanceOrg,...,isFraud)")
      ->required();
  cmd->add_flag("--no-balance", options->no_balance,
                "Leave out the balance-derived features (the no_balance feature set)");
  AddTrainSettings(*cmd, options.get());
  parents.RunWhenParsed(*cmd, [options] { return RunTrainFraud(*options); });
}

void AddEvalFraudCommand(const CommandParents& parents) {
  auto options = std::make_shared<EvalFraudOptions>();
  auto balance = std::make_shared<bool>(false);
  auto no_balance = std::make_shared<bool>(false);
  CLI::App* cmd = parents.eval.add_subcommand(
      "fraud", "ROC AUC, AUPRC and recall at 1% FPR of a fraud model, held out or on another file");
  cmd->add_option("--model", options->model_path, "Model file from `netfin train fraud`")
      ->capture_default_str();
  cmd->add_option("--data", options->data_path,
                  "PaySim CSV file (default: the training file; its held-out part is used)");
  CLI::Option* balance_flag =
      cmd->add_flag("--balance", *balance, "Refuse a model that is not of the balance feature set");
  cmd->add_flag("--no-balance", *no_balance,
                "Refuse a model that is not of the no_balance feature set")
      ->excludes(balance_flag);
  cmd->add_flag("--step-check", options->step_check,
                "Instead: measure how much the feature sets tell about PaySim's step (a leak)");
  cmd->add_flag("--json", options->json, "Print one JSON object on stdout");
  parents.RunWhenParsed(*cmd, [options, balance, no_balance] {
    if (*balance) options->expected = ExpectedFeatureSet::kBalance;
    if (*no_balance) options->expected = ExpectedFeatureSet::kNoBalance;
    return RunEvalFraud(*options);
  });
}

void AddBenchRiskCommand(const CommandParents& parents) {
  auto options = std::make_shared<BenchRiskOptions>();
  CLI::App* cmd = parents.bench.add_subcommand(
      "risk", "In-process decision latency: features, fraud model, default rules, observe");
  cmd->add_option("--events", options->events, "Payments to decide (timed)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{20'000'000}));
  cmd->add_option("--customers", options->customers, "Customers paying in the synthetic stream")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{10}, uint64_t{1'000'000}));
  cmd->add_option("--model", options->model_path,
                  "Fraud model from `netfin train fraud` (default: train one on synthetic data)");
  cmd->add_option("--seed", options->seed, "Seed of the synthetic stream")->capture_default_str();
  cmd->add_flag("--json", options->json, "Print a final one-line JSON object on stdout");
  parents.RunWhenParsed(*cmd, [options] { return RunBenchRisk(*options); });
}

}  // namespace

void AddRiskCommands(const CommandParents& parents) {
  AddTrainFraudCommand(parents);
  AddEvalFraudCommand(parents);
  AddBenchRiskCommand(parents);
}

}  // namespace netfin::cli
