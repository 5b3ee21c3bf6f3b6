// netfin serve: the ledger behind its HTTP API, until SIGINT or SIGTERM.

#include <csignal>
#include <cstdio>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include "api/api.h"
#include "cli/commands.h"
#include "cli/credit_day_end.h"
#include "cli/node.h"
#include "cli/open_store.h"
#include "payments/config.h"
#include "ledger/ledger_service.h"
#include "store/store.h"

namespace netfin::cli {
namespace {

// The config file's [risk] table (docs/risk.md), under the flags: enabled
// (default true), rules, model, notice_webhook, notice_webhook_secret.
bool ApplyRiskConfig(const toml::table& config, const std::string& path, ServeOptions* options) {
  if (!config.contains("risk")) return true;
  const toml::table* risk = config["risk"].as_table();
  if (risk == nullptr) {
    fmt::print(stderr, "netfin serve: {}: risk must be a table ([risk])\n", path);
    return false;
  }
  const auto text = [&](std::string_view key, std::string* out) {
    const toml::node* node = risk->get(key);
    if (node == nullptr) return true;
    if (!node->is_string()) {
      fmt::print(stderr, "netfin serve: {}: risk.{} must be a string\n", path, key);
      return false;
    }
    if (out->empty()) *out = node->value_or(std::string());
    return true;
  };
  for (const auto& [key, value] : *risk) {
    if (key != "enabled" && key != "rules" && key != "model" && key != "notice_webhook" &&
        key != "notice_webhook_secret") {
      fmt::print(stderr,
                 "netfin serve: {}: unknown key 'risk.{}' (known: enabled, rules, model, "
                 "notice_webhook, notice_webhook_secret)\n",
                 path, key.str());
      return false;
    }
  }
  if (const toml::node* enabled = risk->get("enabled")) {
    if (!enabled->is_boolean()) {
      fmt::print(stderr, "netfin serve: {}: risk.enabled must be true or false\n", path);
      return false;
    }
    if (!enabled->value_or(true)) options->no_risk = true;
  }
  return text("rules", &options->risk_rules_path) && text("model", &options->fraud_model_path) &&
         text("notice_webhook", &options->notice_webhook_url) &&
         text("notice_webhook_secret", &options->notice_webhook_secret);
}

// Applies the TOML config file under the flags given on the command line.
bool ApplyConfig(ServeOptions* options, payments::PaymentsConfig* payments_config,
                 CreditNodeConfig* credit_config) {
  if (options->config_path.empty()) return true;
  toml::table config;
  try {
    config = toml::parse_file(options->config_path);
  } catch (const toml::parse_error& e) {
    fmt::print(stderr, "netfin serve: {}: {} (line {})\n", options->config_path, e.description(),
               e.source().begin.line);
    return false;
  }
  for (const auto& [key, value] : config) {
    if (key != "db" && key != "listen" && key != "threads" && key != "store" &&
        key != "master_key" && key != "payments" && key != "risk" && key != "credit") {
      fmt::print(stderr,
                 "netfin serve: {}: unknown key '{}' (known: db, listen, threads, store, "
                 "master_key, [payments], [risk], [credit])\n",
                 options->config_path, key.str());
      return false;
    }
  }
  if (!ApplyRiskConfig(config, options->config_path, options)) return false;
  if (!options->master_key_given) {
    options->master_key_path = config["master_key"].value_or(options->master_key_path);
  }
  std::ostringstream text;
  text << config;
  auto parsed = payments::ParsePaymentsConfig(text.str());
  if (!parsed.ok()) {
    fmt::print(stderr, "netfin serve: {}: {}\n", options->config_path, parsed.status().message());
    return false;
  }
  *payments_config = std::move(parsed).value();
  // [credit] (docs/credit.md): the policy, checked at load, and the day-end schedule.
  auto credit = ParseCreditNodeConfig(text.str());
  if (!credit.ok()) {
    fmt::print(stderr, "netfin serve: {}: {}\n", options->config_path, credit.status().message());
    return false;
  }
  *credit_config = std::move(credit).value();
  if (!options->db_given) options->db_path = config["db"].value_or(options->db_path);
  if (!options->listen_given) options->listen = config["listen"].value_or(options->listen);
  if (!options->threads_given) options->threads = config["threads"].value_or(options->threads);
  if (!options->store_given) options->store = config["store"].value_or(options->store);
  if (options->store != kStoreSqlite && options->store != kStoreJournal) {
    fmt::print(stderr, "netfin serve: {}: store must be \"sqlite\" or \"journal\", got '{}'\n",
               options->config_path, options->store);
    return false;
  }
  return true;
}

bool ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = listen.substr(0, colon);
  try {
    const unsigned long value = std::stoul(listen.substr(colon + 1));
    if (value > 65535) return false;
    *port = static_cast<uint16_t>(value);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace

int RunServe(const ServeOptions& flags) {
  if (flags.no_risk && (!flags.risk_rules_path.empty() || !flags.fraud_model_path.empty())) {
    fmt::print(stderr, "netfin serve: --risk-rules and --fraud-model need risk on (not --no-risk)\n");
    return 2;
  }
  ServeOptions options = flags;
  NodeOptions node_options;
  if (!ApplyConfig(&options, &node_options.payments, &node_options.credit)) return 2;
  if (!ParseListen(options.listen, &node_options.server.host, &node_options.server.port)) {
    fmt::print(stderr, "netfin serve: --listen wants HOST:PORT, got '{}'\n", options.listen);
    return 2;
  }
  node_options.server.threads = options.threads == 0 ? 1 : options.threads;
  node_options.store = options.store;
  node_options.db_path = options.db_path;
  node_options.master_key_path = options.master_key_path;
  node_options.commit_thread_nice = options.commit_nice;
  node_options.risk = NodeRiskOptions{.enabled = !options.no_risk,
                                      .rules_path = options.risk_rules_path,
                                      .model_path = options.fraud_model_path,
                                      .notice_webhook_url = options.notice_webhook_url,
                                      .notice_webhook_secret = options.notice_webhook_secret};

  // Logs go to stderr: stdout carries only the "listening" line that scripts
  // read. A peer that goes away must never kill the server with SIGPIPE.
  spdlog::set_default_logger(spdlog::stderr_color_mt("netfin"));
  std::signal(SIGPIPE, SIG_IGN);

  // Every thread inherits this mask, so only sigwait below sees the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto node = StartNode(node_options);
  if (!node.ok()) {
    spdlog::error("cannot start on {}: {}", options.db_path, node.status().ToString());
    return 1;
  }
  // The one line scripts and tests wait for (the port is the real one when 0 was asked).
  fmt::print("netfin listening on http://{}:{} (db {}, store {})\n", node_options.server.host,
             (*node)->server->port(), options.db_path, options.store);
  std::fflush(stdout);
  spdlog::info("recovered {} batches from {}", (*node)->ledger->store().Head().batch_number,
               options.db_path);
  if (const core::Status& priority = (*node)->ledger->commit_thread_priority(); !priority.ok()) {
    spdlog::warn("the ledger's commit thread runs at the default priority, so under load "
                 "commits wait behind request handling: {}",
                 priority.message());
  }
  if ((*node)->risk != nullptr) {
    const risk::RiskStats stats = (*node)->risk->Stats();
    spdlog::info("risk: {} past attempts observed in recovery; reminders to {}", stats.observed,
                 options.notice_webhook_url.empty() ? NoticeDir(options.db_path)
                                                    : options.notice_webhook_url);
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("signal {}: draining and stopping", signal_number);
  (*node)->Stop();
  if ((*node)->risk != nullptr) {
    const risk::RiskStats stats = (*node)->risk->Stats();
    spdlog::info("risk: {} allowed, {} challenged, {} denied; {} rule reloads refused",
                 stats.allow, stats.challenge, stats.deny, stats.rules_reload_failures);
  }
  return 0;
}

}  // namespace netfin::cli

namespace netfin::cli {

int RunKeysOperator(const KeysOptions& options) {
  const std::string path =
      options.master_key_path.empty() ? DefaultMasterKeyPath(options.db_path) : options.master_key_path;
  auto key = core::SecretKey::LoadOrCreate(path);
  if (!key.ok()) {
    fmt::print(stderr, "netfin keys: {}\n", key.status().ToString());
    return 1;
  }
  fmt::print("{}\n", api::ApiKeySecret(key.value(), api::kOperatorKeyId));
  return 0;
}

}  // namespace netfin::cli
