#include "risk/risk_service.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <system_error>

#include <fmt/format.h>

#include "core/assert.h"
#include "core/clock.h"
#include "risk/default_rules.h"

namespace netfin::risk {
namespace {

constexpr double kNoScore = std::numeric_limits<double>::quiet_NaN();

void ReportToStderr(const core::Status& status) {
  if (status.ok()) {
    fmt::print(stderr, "risk: rules reloaded\n");
  } else {
    fmt::print(stderr, "risk: rules reload refused, the rules in force stay: {}\n",
               status.ToString());
  }
}

core::Result<RuleSet> LoadRules(const std::string& path) {
  if (path.empty()) return RuleSet::Parse(DefaultRulesToml(), kDefaultRulesSource);
  return RuleSet::LoadFile(path);
}

// Adds to a counter that only the calling thread writes (RiskService's
// applier-thread counters): readers on other threads see whole values, and
// the store needs no locked instruction.
void Bump(std::atomic<uint64_t>& counter, uint64_t by = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

}  // namespace

std::vector<std::string> Assessment::FiredRuleNames() const {
  std::vector<std::string> names;
  decision.ForEachFired([&](const Rule& rule) { names.push_back(rule.name); });
  return names;
}

std::string Assessment::ReasonsText() const {
  std::string text;
  decision.ForEachFired([&](const Rule& rule) {
    if (!text.empty()) text += ',';
    text += "rule:";
    text += rule.name;
  });
  for (const std::string& feature : features) {
    if (!text.empty()) text += ',';
    text += "feature:";
    text += feature;
  }
  return text;
}

core::Result<std::unique_ptr<RiskService>> RiskService::Open(RiskServiceOptions options) {
  NETFIN_RETURN_IF_ERROR(options.features.Validate());
  // The stamp before the read: a change during the load is seen by the next poll.
  const std::optional<FileStamp> stamp =
      options.rules_path.empty() ? std::nullopt : Stamp(options.rules_path);
  core::Result<RuleSet> rules = LoadRules(options.rules_path);
  if (!rules.ok()) return rules.status();
  std::unique_ptr<RiskService> service;
  if (options.model_path.empty()) {
    service = std::make_unique<RiskService>(std::move(rules).value(), std::move(options));
  } else {
    core::Result<FraudModel> model = FraudModel::Load(options.model_path);
    if (!model.ok()) return model.status();
    service = std::make_unique<RiskService>(std::move(rules).value(), std::move(model).value(),
                                            std::move(options));
  }
  service->rules_stamp_ = stamp;
  return service;
}

RiskService::RiskService(RuleSet rules, RiskServiceOptions options)
    : options_(std::move(options)), engine_(options_.features), rules_(std::move(rules)) {
  if (!options_.on_rules_reload) options_.on_rules_reload = ReportToStderr;
  if (options_.rules_poll_interval_ms == 0) options_.rules_poll_interval_ms = 1;
}

RiskService::RiskService(RuleSet rules, FraudModel model, RiskServiceOptions options)
    : RiskService(std::move(rules), std::move(options)) {
  model_.emplace(std::move(model));
}

RiskService::~RiskService() { StopWatchingRules(); }

size_t LatencyBucketOf(uint64_t duration_ns) {
  size_t bucket = 0;
  while (bucket < kDecisionLatencyBoundsUs.size() &&
         duration_ns > kDecisionLatencyBoundsUs[bucket] * 1000) {
    ++bucket;
  }
  return bucket;
}

Assessment RiskService::Assess(const PaymentEvent& event) {
  const uint64_t start_ns = core::MonotonicNowNs();
  const FeatureVector features = engine_.Compute(event);
  const double score = ScoreOf(features);
  Assessment assessment{.decision = rules_.Decide(features, score), .score = score, .features = {}};
  if (assessment.action() != Action::kAllow) AddModelReasons(features, &assessment);
  CountAction(assessment.action());
  CountLatency(core::MonotonicNowNs() - start_ns);
  return assessment;
}

void RiskService::Observe(const PaymentEvent& event) {
  engine_.Observe(event);
  Bump(observed_);
}

double RiskService::ScoreOf(const FeatureVector& features) {
  if (!model_) return kNoScore;
  const core::Result<float> score = model_->Score(features);
  if (score.ok()) return score.value();
  // A model that cannot score (it never should: the feature set was
  // checked at load) leaves the decision to the rules alone.
  Bump(model_errors_);
  return kNoScore;
}

void RiskService::AddModelReasons(const FeatureVector& features, Assessment* assessment) {
  if (!model_) return;
  core::Result<std::vector<ml::Reason>> reasons = model_->Reasons(features, kModelReasonsMax);
  if (!reasons.ok()) {
    Bump(model_errors_);
    return;
  }
  NETFIN_ASSERT(reasons->size() <= kModelReasonsMax);
  for (ml::Reason& reason : *reasons) assessment->features.push_back(std::move(reason.feature));
}

void RiskService::CountAction(Action action) {
  switch (action) {
    case Action::kAllow:
      Bump(allow_);
      return;
    case Action::kChallenge:
      Bump(challenge_);
      return;
    case Action::kDeny:
      Bump(deny_);
      return;
  }
  NETFIN_ASSERT(false && "unknown action");
}

void RiskService::CountLatency(uint64_t duration_ns) {
  Bump(latency_buckets_[LatencyBucketOf(duration_ns)]);
  Bump(latency_sum_ns_, duration_ns);
}

core::Status RiskService::ReloadRules() {
  if (options_.rules_path.empty()) {
    return core::Status(core::StatusCode::kFailedPrecondition,
                        "the default rules are in force: there is no rules file to reload");
  }
  core::Status status = rules_.ReloadFile(options_.rules_path);
  if (!status.ok()) reload_failures_.fetch_add(1, std::memory_order_relaxed);
  return status;
}

std::optional<RiskService::FileStamp> RiskService::Stamp(const std::string& path) {
  std::error_code error;
  const auto mtime = std::filesystem::last_write_time(path, error);
  if (error) return std::nullopt;
  const uintmax_t size = std::filesystem::file_size(path, error);
  if (error) return std::nullopt;
  return FileStamp{
      .mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch())
                      .count(),
      .size_bytes = static_cast<uint64_t>(size)};
}

bool RiskService::PollRulesFile() {
  if (options_.rules_path.empty()) return false;
  std::lock_guard lock(watch_mutex_);
  const std::optional<FileStamp> stamp = Stamp(options_.rules_path);
  if (stamp == rules_stamp_) return false;
  rules_stamp_ = stamp;
  options_.on_rules_reload(ReloadRules());
  return true;
}

void RiskService::StartWatchingRules() {
  if (options_.rules_path.empty()) return;
  std::lock_guard lock(watch_mutex_);
  if (watcher_.joinable()) return;
  watch_stopping_ = false;
  watcher_ = std::thread([this] { WatchLoop(); });
}

void RiskService::StopWatchingRules() {
  {
    std::lock_guard lock(watch_mutex_);
    if (!watcher_.joinable()) return;
    watch_stopping_ = true;
  }
  watch_wake_.notify_all();
  watcher_.join();
}

void RiskService::WatchLoop() {
  const auto interval = std::chrono::milliseconds(options_.rules_poll_interval_ms);
  std::unique_lock lock(watch_mutex_);
  while (!watch_stopping_) {
    watch_wake_.wait_for(lock, interval, [this] { return watch_stopping_; });
    if (watch_stopping_) return;
    lock.unlock();
    PollRulesFile();
    lock.lock();
  }
}

RiskStats RiskService::Stats() const {
  RiskStats stats{.allow = allow_.load(std::memory_order_relaxed),
                  .challenge = challenge_.load(std::memory_order_relaxed),
                  .deny = deny_.load(std::memory_order_relaxed),
                  .observed = observed_.load(std::memory_order_relaxed),
                  .model_errors = model_errors_.load(std::memory_order_relaxed),
                  .rules_generation = rules_.generation(),
                  .rules_reload_failures = reload_failures_.load(std::memory_order_relaxed),
                  .model_loaded = model_.has_value(),
                  .latency_sum_ns = latency_sum_ns_.load(std::memory_order_relaxed)};
  for (size_t i = 0; i < latency_buckets_.size(); ++i) {
    stats.latency_buckets[i] = latency_buckets_[i].load(std::memory_order_relaxed);
  }
  return stats;
}

}  // namespace netfin::risk
