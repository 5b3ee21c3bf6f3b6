#pragma once

// The risk role's commands, registered by AddRiskCommands
// (cli/risk_commands.cc):
//
//   netfin train fraud   replay a PaySim log through the feature engine and
//                        train the fraud model (risk_model.cc)
//   netfin eval fraud    ROC AUC, AUPRC and recall at 1% FPR of a fraud
//                        model on its held-out part or another file
//                        (risk_model.cc)
//                        (--step-check: how much the feature sets know of
//                        PaySim's step, risk_step_check.cc)
//   netfin bench risk    in-process decision latency: features, model,
//                        rules, observe (risk_bench.cc)
//
// Each Run* prints its result (text, or one JSON object with --json) and
// returns the process exit code: 0 done, 1 refused or failed, 2 bad input.

#include <cstdint>
#include <string>

#include "cli/model_training.h"

namespace netfin::cli {

struct TrainFraudOptions : TrainSettings {
  TrainFraudOptions() { out_path = "fraud_model.json"; }
  std::string data_path;
  bool no_balance = false;  // the no_balance feature set (risk/fraud_model.h)
};

// Which feature set eval expects of the model.
enum class ExpectedFeatureSet { kModels, kBalance, kNoBalance };

struct EvalFraudOptions {
  std::string model_path = "fraud_model.json";
  std::string data_path;  // empty: the training file's held-out part
  ExpectedFeatureSet expected = ExpectedFeatureSet::kModels;
  // Instead of evaluating: measure how much the feature sets tell about
  // PaySim's step (risk_step_check.cc; no model needed with --data).
  bool step_check = false;
  bool json = false;
};

struct BenchRiskOptions {
  uint64_t events = 200'000;
  uint64_t customers = 50'000;
  std::string model_path;  // empty: train one on a synthetic labelled stream first
  uint64_t seed = 1;
  bool json = false;
};

int RunTrainFraud(const TrainFraudOptions& options);
int RunEvalFraud(const EvalFraudOptions& options);
int RunBenchRisk(const BenchRiskOptions& options);
// The step check of a PaySim file (risk_step_check.cc).
int RunStepCheck(const std::string& data_path);

}  // namespace netfin::cli
