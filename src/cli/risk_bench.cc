// `netfin bench risk`: the in-process cost of deciding one payment with
// everything on, as the payment flow will: FeatureEngine::Compute, then
// FraudModel::Score, then RuleEngine::Decide with the default rules, then
// FeatureEngine::Observe. Each step and the whole are timed per payment;
// the model's reasons (SHAP contributions, 16 to 190 us) are computed only
// for payments that are not allowed, as the flow would, and timed apart.
//
// The payments are a synthetic stream from a fixed seed: customers with a
// usual device, IP, place, merchants and friends, paying merchants,
// transferring, withdrawing and topping up, plus a few account takeovers
// (new device and IP, the balance emptied into a mule wallet). Without
// --model, a fraud model of the default size is first trained on another
// stretch of the same stream, labelled by which payments are takeovers.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "cli/bench_stats.h"
#include "cli/model_training.h"
#include "cli/risk_cli.h"
#include "core/assert.h"
#include "core/clock.h"
#include "ml/split.h"
#include "risk/fraud_model.h"
#include "risk/risk.h"

namespace netfin::cli {
namespace {

using core::AmountMinor;
using core::Id128;

// 2026-01-05 00:00 China time: the stream's first payment.
constexpr uint64_t kStreamStartNs = 1'767'542'400'000'000'000ull;
// Mean gap between payments: a stream of 250,000 spans about three days, so
// the 24 h windows fill and nights come round.
constexpr uint64_t kMeanGapNs = 1'000'000'000ull;
// Payments the model is trained on when no --model is given.
constexpr size_t kTrainingEvents = 40'000;
// Mule wallets receiving the takeovers' money (a small pool, so fan-in shows).
constexpr uint64_t kMuleCount = 50;

struct Customer {
  Id128 id;
  Id128 device;
  Id128 ip;
  risk::GeoPoint home;
  AmountMinor typical_minor = 0;
  AmountMinor balance_minor = 0;
  std::array<uint32_t, 3> merchants = {};  // usual merchants
  std::array<uint32_t, 2> friends = {};    // usual transfer payees
};

// A payment and whether it is a takeover.
struct LabelledPayment {
  risk::PaymentEvent event;
  bool fraud = false;
};

Id128 MakeId(uint64_t kind, uint64_t n) { return Id128{kind, n + 1}; }

// The synthetic stream: deterministic for a seed.
class PaymentStream {
 public:
  PaymentStream(uint64_t seed, uint64_t customers)
      : prng_(seed), merchants_(std::max<uint64_t>(10, customers / 25)) {
    NETFIN_ASSERT(customers >= 2);
    customers_.resize(customers);
    for (uint64_t i = 0; i < customers; ++i) customers_[i] = MakeCustomer(i);
  }

  LabelledPayment Next() {
    now_ns_ += 1 + prng_.Below(2 * kMeanGapNs);
    Customer& c = customers_[prng_.Below(customers_.size())];
    if (c.balance_minor >= 100'000 && prng_.Below(1000) < 5) return Takeover(c);
    LabelledPayment p{Ordinary(c), false};
    Settle(c, p.event);
    return p;
  }

 private:
  Customer MakeCustomer(uint64_t i) {
    Customer c;
    c.id = MakeId(1, i);
    c.device = MakeId(2, i);
    c.ip = MakeId(3, i);
    c.home = {static_cast<int32_t>(22'000'000 + prng_.Below(18'000'000)),
              static_cast<int32_t>(100'000'000 + prng_.Below(20'000'000))};
    c.typical_minor = 1'000 + prng_.Below(50'000);
    c.balance_minor = 10 * c.typical_minor + prng_.Below(500'000);
    for (uint32_t& m : c.merchants) m = static_cast<uint32_t>(prng_.Below(merchants_));
    for (uint32_t& f : c.friends) f = static_cast<uint32_t>(prng_.Below(customers_.size()));
    return c;
  }

  risk::PaymentEvent Base(const Customer& c) {
    risk::PaymentEvent e;
    e.timestamp_ns = now_ns_;
    e.customer = c.id;
    e.device = prng_.Below(100) == 0 ? MakeId(4, prng_.Next()) : c.device;
    e.ip = prng_.Below(30) == 0 ? MakeId(5, prng_.Next()) : c.ip;
    e.location = c.home;
    e.location->lat_micro_deg += static_cast<int32_t>(prng_.Below(20'000));
    e.balance_before_minor = c.balance_minor;
    return e;
  }

  risk::PaymentEvent Ordinary(const Customer& c) {
    risk::PaymentEvent e = Base(c);
    e.amount_minor = c.typical_minor * (50 + prng_.Below(150)) / 100;
    const uint64_t roll = prng_.Below(100);
    if (roll < 70) {
      e.kind = risk::EventKind::kPayment;
      const uint64_t m = prng_.Below(5) == 0 ? prng_.Below(merchants_)
                                             : c.merchants[prng_.Below(c.merchants.size())];
      e.payee = e.merchant = MakeId(6, m);
    } else if (roll < 85) {
      e.kind = risk::EventKind::kTransfer;
      const uint64_t f = prng_.Below(4) == 0 ? prng_.Below(customers_.size())
                                             : c.friends[prng_.Below(c.friends.size())];
      e.payee = MakeId(1, f);
    } else if (roll < 93) {
      e.kind = risk::EventKind::kWithdrawal;
    } else {
      e.kind = risk::EventKind::kTopUp;
      e.amount_minor *= 5;
    }
    return e;
  }

  // An account takeover: a new device and IP empty the wallet into a mule.
  LabelledPayment Takeover(Customer& c) {
    risk::PaymentEvent e = Base(c);
    e.device = MakeId(4, prng_.Next());
    e.ip = MakeId(5, prng_.Next());
    e.kind = risk::EventKind::kTransfer;
    e.payee = MakeId(7, prng_.Below(kMuleCount));
    e.amount_minor = c.balance_minor * (90 + prng_.Below(11)) / 100;
    Settle(c, e);
    return {e, true};
  }

  // The balance after the payment (top-ups add; a payment above the
  // balance still goes through, as if funded from a card).
  static void Settle(Customer& c, const risk::PaymentEvent& e) {
    if (e.kind == risk::EventKind::kTopUp) {
      c.balance_minor += e.amount_minor;
    } else {
      c.balance_minor -= std::min(c.balance_minor, e.amount_minor);
    }
  }

  ml::Prng prng_;
  uint64_t merchants_;
  std::vector<Customer> customers_;
  uint64_t now_ns_ = kStreamStartNs;
};

struct ModelSource {
  bool trained = false;
  double train_seconds = 0;
};

core::Result<risk::FraudModel> TrainOnSyntheticStream(const BenchRiskOptions& o) {
  PaymentStream stream(o.seed + 1, o.customers);
  std::vector<risk::PaymentEvent> events;
  std::vector<uint8_t> labels;
  events.reserve(kTrainingEvents);
  labels.reserve(kTrainingEvents);
  for (size_t i = 0; i < kTrainingEvents; ++i) {
    const LabelledPayment p = stream.Next();
    events.push_back(p.event);
    labels.push_back(p.fraud ? 1 : 0);
  }
  const risk::FraudFeatureSet set = risk::FraudFeatureSet::kWithBalance;
  core::Result<ml::Dataset> data = risk::ReplayForTraining(events, labels, set);
  if (!data.ok()) return data.status();
  std::vector<size_t> rows(data->row_count);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  // The default size of `netfin train fraud`, so the latency is a real
  // model's; one thread (XGBoost's OpenMP threads busy-wait).
  const ml::TrainParams params{
      .rounds = 200, .max_depth = 6, .eta = 0.1, .nthread = 1, .seed = o.seed};
  return risk::FraudModel::Train(*data, rows, params, set);
}

// Per-payment samples, in nanoseconds.
struct Samples {
  std::vector<uint64_t> decision, features, model, rules, observe, reasons;
  uint64_t allow = 0, challenge = 0, deny = 0;
  uint64_t takeovers = 0, takeovers_stopped = 0;  // stopped: challenged or denied

  explicit Samples(size_t n) {
    for (auto* v : {&decision, &features, &model, &rules, &observe}) v->reserve(n);
  }
};

double Us(std::vector<uint64_t>& samples_ns, double p) {
  return PercentileMs(samples_ns, p) * 1000;
}

void Count(risk::Action action, Samples& s) {
  switch (action) {
    case risk::Action::kAllow:
      ++s.allow;
      return;
    case risk::Action::kChallenge:
      ++s.challenge;
      return;
    case risk::Action::kDeny:
      ++s.deny;
      return;
  }
}

// Decides one payment, timing each step; reasons for a payment not allowed.
core::Status DecideOne(const LabelledPayment& payment, risk::FeatureEngine& engine,
                       const risk::FraudModel& model, const risk::RuleEngine& rules, Samples& s) {
  risk::PaymentEvent event = payment.event;
  const uint64_t t0 = core::MonotonicNowNs();
  const risk::FeatureVector features = engine.Compute(event);
  const uint64_t t1 = core::MonotonicNowNs();
  const core::Result<float> score = model.Score(features);
  if (!score.ok()) return score.status();
  const uint64_t t2 = core::MonotonicNowNs();
  const risk::Decision decision = rules.Decide(features, score.value());
  const uint64_t t3 = core::MonotonicNowNs();
  event.outcome =
      decision.action() == risk::Action::kDeny ? risk::Outcome::kFailed : risk::Outcome::kSucceeded;
  engine.Observe(event);
  const uint64_t t4 = core::MonotonicNowNs();
  s.features.push_back(t1 - t0);
  s.model.push_back(t2 - t1);
  s.rules.push_back(t3 - t2);
  s.observe.push_back(t4 - t3);
  s.decision.push_back(t4 - t0);
  Count(decision.action(), s);
  s.takeovers += payment.fraud;
  s.takeovers_stopped += payment.fraud && decision.action() != risk::Action::kAllow;
  if (decision.action() == risk::Action::kAllow) return core::Status::Ok();
  const uint64_t r0 = core::MonotonicNowNs();
  const core::Result<std::vector<ml::Reason>> reasons =
      model.Reasons(features, risk::kModelReasonsMax);
  if (!reasons.ok()) return reasons.status();
  s.reasons.push_back(core::MonotonicNowNs() - r0);
  return core::Status::Ok();
}

void PrintText(const BenchRiskOptions& o, const risk::FraudModel& model, const ModelSource& source,
               uint64_t warmup, Samples& s) {
  if (source.trained) {
    fmt::print(
        "no --model given: trained a fraud model first ({} set, 200 trees of depth 6) on {} "
        "synthetic labelled payments in {:.2f} s\n",
        risk::FraudFeatureSetName(model.feature_set()), kTrainingEvents, source.train_seconds);
  } else {
    fmt::print("model {} ({} set, {} features)\n", o.model_path,
               risk::FraudFeatureSetName(model.feature_set()), model.gbm().FeatureCount());
  }
  fmt::print(
      "stream: {} customers (seed {}); {} payments to warm the features (untimed), then {} "
      "decided with the default rules and the model\n",
      o.customers, o.seed, warmup, o.events);
  fmt::print(
      "decision (Compute + Score + Decide + Observe): p50 {:.1f} us, p99 {:.1f} us, "
      "p99.9 {:.1f} us, max {:.1f} us\n",
      Us(s.decision, 50), Us(s.decision, 99), Us(s.decision, 99.9), Us(s.decision, 100));
  fmt::print(
      "  features p50 {:.1f} us p99 {:.1f} us; model p50 {:.1f} us p99 {:.1f} us; rules "
      "p50 {:.2f} us p99 {:.2f} us; observe p50 {:.1f} us p99 {:.1f} us\n",
      Us(s.features, 50), Us(s.features, 99), Us(s.model, 50), Us(s.model, 99), Us(s.rules, 50),
      Us(s.rules, 99), Us(s.observe, 50), Us(s.observe, 99));
  fmt::print(
      "decisions: {} allow, {} challenge, {} deny; reasons for those not allowed "
      "(top {} SHAP contributions): p50 {:.0f} us, p99 {:.0f} us\n",
      s.allow, s.challenge, s.deny, risk::kModelReasonsMax, Us(s.reasons, 50), Us(s.reasons, 99));
  fmt::print("account takeovers in the stream: {}, of which {} challenged or denied\n", s.takeovers,
             s.takeovers_stopped);
  const double p99 = Us(s.decision, 99);
  fmt::print("target p99 <= 1000 us (aim 100 us): {}\n", p99 <= 100    ? "met, and the aim"
                                                         : p99 <= 1000 ? "met"
                                                                       : "NOT met");
}

void PrintJson(const BenchRiskOptions& o, const risk::FraudModel& model, const ModelSource& source,
               Samples& s) {
  fmt::print(
      "{{\"events\":{},\"decision_p50_us\":{:.2f},\"decision_p99_us\":{:.2f},"
      "\"decision_p999_us\":{:.2f},\"features_p50_us\":{:.2f},\"model_p50_us\":{:.2f},"
      "\"rules_p50_us\":{:.3f},\"observe_p50_us\":{:.2f},\"features_p99_us\":{:.2f},"
      "\"model_p99_us\":{:.2f},\"rules_p99_us\":{:.3f},\"reasons_p50_us\":{:.1f},"
      "\"allow\":{},\"challenge\":{},\"deny\":{},\"takeovers\":{},\"takeovers_stopped\":{},"
      "\"model_trained\":{},"
      "\"feature_set\":\"{}\"}}\n",
      o.events, Us(s.decision, 50), Us(s.decision, 99), Us(s.decision, 99.9), Us(s.features, 50),
      Us(s.model, 50), Us(s.rules, 50), Us(s.observe, 50), Us(s.features, 99), Us(s.model, 99),
      Us(s.rules, 99), Us(s.reasons, 50), s.allow, s.challenge, s.deny, s.takeovers,
      s.takeovers_stopped, source.trained ? "true" : "false",
      risk::FraudFeatureSetName(model.feature_set()));
}

int Fail(const core::Status& status) { return FailCommand("bench risk", status); }

}  // namespace

int RunBenchRisk(const BenchRiskOptions& o) {
  ModelSource source;
  const uint64_t train_start_ns = core::MonotonicNowNs();
  core::Result<risk::FraudModel> model =
      o.model_path.empty() ? TrainOnSyntheticStream(o) : risk::FraudModel::Load(o.model_path);
  if (!model.ok()) return Fail(model.status());
  source.trained = o.model_path.empty();
  source.train_seconds = static_cast<double>(core::MonotonicNowNs() - train_start_ns) / 1e9;
  core::Result<risk::RuleSet> rule_set =
      risk::RuleSet::Parse(risk::DefaultRulesToml(), risk::kDefaultRulesSource);
  if (!rule_set.ok()) return Fail(rule_set.status());
  const risk::RuleEngine rules(std::move(rule_set).value());

  PaymentStream stream(o.seed, o.customers);
  risk::FeatureEngine engine;
  const uint64_t warmup = o.events / 4;
  for (uint64_t i = 0; i < warmup; ++i) engine.Observe(stream.Next().event);
  Samples samples(o.events);
  for (uint64_t i = 0; i < o.events; ++i) {
    const core::Status decided = DecideOne(stream.Next(), engine, *model, rules, samples);
    if (!decided.ok()) return Fail(decided);
  }
  if (o.json) {
    PrintJson(o, *model, source, samples);
  } else {
    PrintText(o, *model, source, warmup, samples);
  }
  return 0;
}

}  // namespace netfin::cli
