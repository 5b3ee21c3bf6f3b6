#include "cli/node.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <thread>

#include <spdlog/spdlog.h>

#include "cli/notice_channels.h"
#include "cli/open_store.h"
#include "cli/risk_screen.h"
#include "risk/default_rules.h"

namespace netfin::cli {
namespace {

// The risk service (rules checked, model checked) and its screen. A rules
// file with a mistake or a model of another feature set stops the start
// here, with the file's line and reason.
core::Status StartRisk(const NodeRiskOptions& options, Node* node) {
  risk::RiskServiceOptions risk_options;
  risk_options.rules_path = options.rules_path;
  risk_options.model_path = options.model_path;
  risk_options.on_rules_reload = [path = options.rules_path](const core::Status& status) {
    if (status.ok()) {
      spdlog::info("risk: rules reloaded from {}", path);
    } else {
      spdlog::error("risk: rules reload refused, the rules in force stay: {}", status.ToString());
    }
  };
  auto service = risk::RiskService::Open(std::move(risk_options));
  if (!service.ok()) {
    return core::Status(service.status().code(), "risk: " + service.status().message());
  }
  node->risk = std::move(service).value();
  node->screen = std::make_unique<RiskScreen>(*node->risk);
  node->risk->StartWatchingRules();
  spdlog::info("risk: on, rules {}, {}",
               options.rules_path.empty() ? std::string(risk::kDefaultRulesSource)
                                          : options.rules_path,
               options.model_path.empty() ? "no model" : "model " + options.model_path);
  return core::Status::Ok();
}

// The reminder channels: sms and push, each a file or the webhook.
core::Status MakeNoticeChannels(const NodeOptions& options, Node* node) {
  for (const char* name : {"sms", "push"}) {
    if (!options.risk.notice_webhook_url.empty()) {
      auto channel = WebhookNoticeChannel::Make(
          name, NoticeWebhookOptions{.url = options.risk.notice_webhook_url,
                                     .secret = options.risk.notice_webhook_secret});
      if (!channel.ok()) return channel.status();
      node->notice_channels.push_back(std::move(channel).value());
      continue;
    }
    const std::string dir = NoticeDir(options.db_path);
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) return core::IoError("cannot create " + dir + ": " + error.message());
    auto channel = FileNoticeChannel::Open(name, dir + "/" + name + ".jsonl");
    if (!channel.ok()) return channel.status();
    node->notice_channels.push_back(std::move(channel).value());
  }
  return core::Status::Ok();
}

}  // namespace

std::string DefaultMasterKeyPath(const std::string& db_path) { return db_path + ".key"; }

credit::CreditServiceOptions NodeCreditOptions(const core::SecretKey& master_key) {
  credit::CreditServiceOptions options;
  // Money credit lends into wallets and merchant accounts is cash the
  // lender brings to the custodian: each such movement also moves the
  // payments reserve, so its reconciliation keeps holding.
  for (uint32_t ledger : options.ledgers) {
    options.custodian_reserve_accounts[ledger] = payments::ReserveAccountId(master_key, ledger);
  }
  return options;
}
std::string NoticeDir(const std::string& db_path) { return db_path + ".notices"; }

core::Result<std::unique_ptr<Node>> StartNode(const NodeOptions& options) {
  auto node = std::make_unique<Node>();
  const std::string key_path =
      options.master_key_path.empty() ? DefaultMasterKeyPath(options.db_path) : options.master_key_path;
  auto key = core::SecretKey::LoadOrCreate(key_path);
  if (!key.ok()) return key.status();
  node->master_key = std::make_unique<core::SecretKey>(std::move(key).value());

  payments::PaymentsConfig config = options.payments;
  // Settlement files go beside the database unless given an absolute place.
  if (!std::filesystem::path(config.settlement_dir).is_absolute()) {
    config.settlement_dir =
        (std::filesystem::path(options.db_path).parent_path() / config.settlement_dir).string();
  }
  node->payments = std::make_unique<payments::PaymentsService>(std::move(config), *node->master_key);
  // Before the ledger opens: recovery feeds the screen every durable attempt.
  if (options.risk.enabled) {
    NETFIN_RETURN_IF_ERROR(StartRisk(options.risk, node.get()));
    node->payments->SetScreen(node->screen.get());
  }
  // Even with risk off: reminders of challenges made before still go out.
  NETFIN_RETURN_IF_ERROR(MakeNoticeChannels(options, node.get()));
  for (const auto& channel : node->notice_channels) node->payments->AddNoticeChannel(channel.get());
  NETFIN_RETURN_IF_ERROR(options.credit.policy.Validate());
  credit::CreditServiceOptions credit_options = NodeCreditOptions(*node->master_key);
  if (!options.credit.model_path.empty()) {
    auto scorer = credit::GbmScorer::Load(options.credit.model_path,
                                          credit::GbmScorerOptions{.grades = options.credit.policy.grades});
    if (!scorer.ok()) {
      return core::Status(scorer.status().code(), "credit: model " + options.credit.model_path + ": " +
                                                      scorer.status().message());
    }
    node->credit_scorer = std::make_unique<credit::GbmScorer>(std::move(scorer).value());
    credit_options.scorer = node->credit_scorer.get();
  }
  node->credit = std::make_unique<credit::CreditService>(options.credit.policy, *node->master_key,
                                                         std::move(credit_options));
  node->keys = std::make_unique<api::KeyRegistry>(*node->master_key);
  // Nonces live in memory: a request signed before this start could be a
  // replay of one served by the previous process, so it is refused. Times
  // are whole seconds, and the previous process may have served a request
  // signed in this very second: so requests count from the next second on,
  // and the server opens only once that second has begun (below).
  const int64_t not_before_s = static_cast<int64_t>(std::time(nullptr)) + 1;
  node->replay = std::make_unique<api::ReplayGuard>(
      api::ReplayGuardOptions{.not_before_s = not_before_s});

  auto store = OpenStore(options.store, options.db_path, store::Durability::kSync);
  if (!store.ok()) return store.status();
  ledger::LedgerServiceOptions ledger_options;
  ledger_options.commit_thread_nice = options.commit_thread_nice;
  ledger_options.replay_event = [&node](const store::RoleEvent& e) {
    node->payments->Replay(e);
    node->credit->Replay(e);
    node->keys->Replay(e);
  };
  auto ledger = ledger::LedgerService::Open(std::move(store).value(), ledger_options);
  if (!ledger.ok()) return ledger.status();
  node->ledger = std::move(ledger).value();
  NETFIN_RETURN_IF_ERROR(node->payments->Start(*node->ledger));
  if (core::Status started = node->credit->Start(*node->ledger); !started.ok()) {
    return core::Status(started.code(), "credit: " + started.message());
  }
  node->credit_day_end = std::make_unique<CreditDayEndRunner>(
      *node->credit,
      CreditDayEndOptions{.clock = nullptr,
                          .schedule = options.credit.day_end_schedule,
                          .check_interval_ms = options.credit.day_end_check_s * 1000});
  node->credit_day_end->Start();
  if (options.webhooks) {
    node->webhooks = std::make_unique<api::WebhookDispatcher>(*node->payments);
    node->webhooks->Start();
  }
  // Recovery above usually used some of the wait.
  while (static_cast<int64_t>(std::time(nullptr)) < not_before_s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  node->server = std::make_unique<api::Server>(
      api::ApiServices{.ledger = *node->ledger,
                       .payments = node->payments.get(),
                       .keys = node->keys.get(),
                       .replay = node->replay.get(),
                       .credit = node->credit.get(),
                       .credit_day_end =
                           [runner = node->credit_day_end.get()](
                               const credit::CreditCall& call, core::CivilDate date,
                               std::function<void(credit::CreditReply)> done) {
                             runner->RunDay(call, date, std::move(done));
                           },
                       .risk_metrics = [risk = node->risk.get()] { return RiskMetricsOf(risk); }},
      options.server);
  NETFIN_RETURN_IF_ERROR(node->server->Start());
  return node;
}

void Node::Stop() {
  if (server) server->Stop();
  if (credit_day_end) credit_day_end->Stop();
  if (webhooks) webhooks->Stop();
  if (credit) credit->Stop();
  if (payments) payments->Stop();
  if (ledger) ledger->Stop();
  if (risk) risk->StopWatchingRules();
}

}  // namespace netfin::cli
