#pragma once

// RiskService: the risk role as the payment flow uses it. It owns the
// streaming features (FeatureEngine), an optional fraud model (FraudModel)
// and the rules in force (RuleEngine), and runs the decision pipeline for
// one payment attempt: Compute -> Score -> Decide, with reasons; Observe
// records the attempt once it has ended.
//
// Lifecycle: Open (which refuses a malformed rules file with its line and
// reason, and a model file that does not match the engine's feature sets),
// then Assess / Observe for every attempt, in time order, replay included.
// StartWatchingRules polls the rules file and reloads it when it changes
// (hot reload without a restart); StopWatchingRules (or the destructor)
// ends the watcher thread.
//
// Threading: Assess and Observe are called from one thread (the payments
// role's applier thread); they are not safe against each other. Reloading
// the rules (ReloadRules, the watcher thread) is safe at any time: the
// RuleEngine swaps rule sets under a short lock, and a decision keeps the
// rule set it was made with. Stats may be read from any thread.

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "risk/feature_engine.h"
#include "risk/fraud_model.h"
#include "risk/payment_event.h"
#include "risk/rule_engine.h"
#include "risk/rule_set.h"

namespace netfin::risk {

// How often the watcher looks at the rules file: a changed file is in force
// within about this long.
inline constexpr uint32_t kRulesPollIntervalMsDefault = 1'000;
// The model's strongest contributions reported for a payment not allowed.
inline constexpr size_t kModelReasonsMax = 3;
// Upper bounds of the decision latency histogram (Assess, start to end), in
// microseconds: from the few microseconds a decision takes to the 1 ms target
// of docs/risk.md and ten times past it.
inline constexpr std::array<uint64_t, 10> kDecisionLatencyBoundsUs = {5,   10,  25,   50,   100,
                                                                      250, 500, 1000, 2500, 10000};

struct RiskServiceOptions {
  FeatureEngineOptions features;
  std::string rules_path;  // empty: the compiled-in default rules
  std::string model_path;  // empty: no model (the score is NaN)
  uint32_t rules_poll_interval_ms = kRulesPollIntervalMsDefault;
  // Told of every reload the watcher attempts (ok or the error, with the
  // file's line and reason); the default writes a line to stderr.
  std::function<void(const core::Status&)> on_rules_reload;
};

// The decision for one attempt. It keeps the rules' Decision (and with it
// the rule set that made it), so the fired rules' names are copied only when
// asked for: most payments are allowed, often with an allow rule fired, and
// their reasons are never shown.
struct Assessment {
  Decision decision;  // the rules' action and which rules fired
  double score = 0;   // the model's P(fraud), 0..1; NaN without a model
  // For an attempt not allowed, with a model: the features that pushed the
  // score up most, strongest first (at most kModelReasonsMax).
  std::vector<std::string> features;

  Action action() const { return decision.action(); }
  // The names of the rules that fired, in file order (allocates).
  std::vector<std::string> FiredRuleNames() const;
  // "rule:<name>,...,feature:<name>,..." (payments/screen.h's format).
  std::string ReasonsText() const;
};

// The slot of RiskStats::latency_buckets a decision of duration_ns counts
// in: the first bound (kDecisionLatencyBoundsUs) it does not exceed, or the
// last slot when it exceeds them all.
size_t LatencyBucketOf(uint64_t duration_ns);

// Decisions so far, by action, and rule reloads. Read from any thread.
struct RiskStats {
  uint64_t allow = 0;
  uint64_t challenge = 0;
  uint64_t deny = 0;
  uint64_t observed = 0;
  uint64_t model_errors = 0;  // a score or its reasons could not be computed
  uint64_t rules_generation = 0;  // successful loads of rules, the first included
  uint64_t rules_reload_failures = 0;
  bool model_loaded = false;
  // Decisions by how long Assess took: latency_buckets[i] counts those
  // within kDecisionLatencyBoundsUs[i] and above the bound before it (not
  // cumulative); the last slot counts those above every bound.
  std::array<uint64_t, kDecisionLatencyBoundsUs.size() + 1> latency_buckets = {};
  uint64_t latency_sum_ns = 0;
};

class RiskService {
 public:
  // Loads the rules (options.rules_path, or the default rules) and the
  // model (options.model_path, either fraud feature set). kInvalidArgument
  // with "<file>:<line>: <reason>" for a malformed rules file;
  // kFailedPrecondition for a model of another feature set; kIoError for a
  // file that cannot be read.
  static core::Result<std::unique_ptr<RiskService>> Open(RiskServiceOptions options);
  // Without files: the given rules, no model (tests).
  RiskService(RuleSet rules, RiskServiceOptions options = {});
  RiskService(RuleSet rules, FraudModel model, RiskServiceOptions options = {});
  ~RiskService();  // StopWatchingRules()
  RiskService(const RiskService&) = delete;
  RiskService& operator=(const RiskService&) = delete;

  // Decides an attempt before any money moves: the features of event
  // against everything observed, the model's score, the rules in force.
  // Does not record the event (Observe does, once the attempt has ended).
  // Times itself (two monotonic clock reads) for Stats' latency histogram.
  Assessment Assess(const PaymentEvent& event);
  // Records an ended attempt (event.outcome says how it ended).
  void Observe(const PaymentEvent& event);

  // Re-reads the rules file now. On error the rules in force stay and the
  // Status gives the file, line and reason. kFailedPrecondition when the
  // service has no rules file (default rules).
  core::Status ReloadRules();
  // One look at the rules file: reloads it when its modification time or
  // size changed since the last look, reporting through on_rules_reload.
  // A file that failed to load is not retried until it changes again.
  // Returns whether it attempted a reload (the watcher's step; tests).
  bool PollRulesFile();
  // Starts (once) the thread that calls PollRulesFile every
  // rules_poll_interval_ms. No-op without a rules file.
  void StartWatchingRules();
  void StopWatchingRules();

  RiskStats Stats() const;
  bool has_model() const { return model_.has_value(); }
  const RuleEngine& rules() const { return rules_; }
  const FeatureEngine& features() const { return engine_; }

 private:
  struct FileStamp {
    int64_t mtime_ns = 0;
    uint64_t size_bytes = 0;
    friend bool operator==(const FileStamp&, const FileStamp&) = default;
  };
  static std::optional<FileStamp> Stamp(const std::string& path);
  void CountAction(Action action);
  void CountLatency(uint64_t duration_ns);
  double ScoreOf(const FeatureVector& features);
  void AddModelReasons(const FeatureVector& features, Assessment* assessment);
  void WatchLoop();

  RiskServiceOptions options_;
  FeatureEngine engine_;            // applier thread only
  std::optional<FraudModel> model_;  // immutable after construction
  RuleEngine rules_;                // thread-safe

  // Written by the applier thread alone (Assess, Observe), read by Stats on
  // any thread: atomics for the reads, bumped with a plain load and store
  // (Bump in the .cc), not a locked read-modify-write, on the hot path.
  std::atomic<uint64_t> allow_{0};
  std::atomic<uint64_t> challenge_{0};
  std::atomic<uint64_t> deny_{0};
  std::atomic<uint64_t> observed_{0};
  std::atomic<uint64_t> model_errors_{0};
  std::array<std::atomic<uint64_t>, kDecisionLatencyBoundsUs.size() + 1> latency_buckets_{};
  std::atomic<uint64_t> latency_sum_ns_{0};
  // ReloadRules may run on any thread (the watcher's, a caller's).
  std::atomic<uint64_t> reload_failures_{0};

  std::mutex watch_mutex_;  // guards the fields below and PollRulesFile
  std::condition_variable watch_wake_;
  bool watch_stopping_ = false;
  std::optional<FileStamp> rules_stamp_;  // of the file as last looked at
  std::thread watcher_;
};

}  // namespace netfin::risk
