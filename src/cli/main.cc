// netfin: one binary, several roles. This file only parses the command line
// (CLI11) and hands each subcommand its options.

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace netfin::cli {

void CommandParents::RunWhenParsed(CLI::App& cmd, std::function<int()> command) const {
  cmd.callback([slot = run, command = std::move(command)] { *slot = command; });
}

}  // namespace netfin::cli

int main(int argc, char** argv) {
  using namespace netfin::cli;
  CLI::App app{"netfin: an open-source core for Internet finance with supervision built in"};
  app.require_subcommand(1);

  ServeOptions serve;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Run the ledger and its HTTP API");
  serve_cmd->add_option("--db", serve.db_path, "Database (SQLite) or journal file")->capture_default_str();
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  serve_cmd->add_option("--config", serve.config_path, "TOML config file (flags win over it)");
  serve_cmd->add_option("--threads", serve.threads, "HTTP I/O threads")->capture_default_str();
  serve_cmd->add_option("--master-key", serve.master_key_path,
                        "Master key file (created 0600 when missing; default DB.key)");
  const auto store_kinds = CLI::IsMember({"sqlite", "journal"});
  serve_cmd->add_option("--store", serve.store, "Storage backend: sqlite or journal")
      ->check(store_kinds)
      ->capture_default_str();
  serve_cmd->add_flag("--no-risk", serve.no_risk, "Do not screen payments (risk control off)");
  serve_cmd->add_option("--risk-rules", serve.risk_rules_path,
                        "Risk rules file (TOML, docs/risk.md; reloaded when it changes; default: "
                        "the built-in rules)");
  serve_cmd->add_option("--fraud-model", serve.fraud_model_path,
                        "Fraud model (`netfin train fraud`); default: rules only");
  serve_cmd->add_option("--notice-webhook", serve.notice_webhook_url,
                        "POST safe-transaction reminders to this http:// URL (default: append "
                        "them to DB.notices/sms.jsonl and push.jsonl)");
  serve_cmd->add_option("--notice-webhook-secret", serve.notice_webhook_secret,
                        "Sign reminder POSTs (Netfin-Webhook-Signature) with this secret");
  serve_cmd->add_option("--commit-nice", serve.commit_nice,
                        "Nice value of the ledger's commit thread (0: leave it; raising "
                        "priority needs CAP_SYS_NICE, else it runs at the default)")
      ->capture_default_str()
      ->check(CLI::Range(-20, 19));

  KeysOptions keys;
  CLI::App* keys_cmd = app.add_subcommand("keys", "API keys");
  CLI::App* keys_operator_cmd = keys_cmd->add_subcommand(
      "operator-secret", "Print the operator's root key secret (key id \"operator\")");
  keys_operator_cmd->add_option("--db", keys.db_path, "Database whose master key to use")
      ->capture_default_str();
  keys_operator_cmd->add_option("--master-key", keys.master_key_path, "Master key file (default DB.key)");
  keys_cmd->require_subcommand(1);

  VerifyOptions verify;
  CLI::App* verify_cmd =
      app.add_subcommand("verify", "Check a journal's checksum chain and every ledger invariant");
  verify_cmd->add_option("--db", verify.db_path, "Database (SQLite) or journal file")->capture_default_str();
  verify_cmd->add_option("--store", verify.store, "Storage backend: sqlite or journal")
      ->check(store_kinds)
      ->capture_default_str();
  verify_cmd->add_flag("--json", verify.json, "Print a one-line JSON summary on stdout");

  CLI::App* bench_cmd = app.add_subcommand("bench", "Measure throughput and latency");
  bench_cmd->require_subcommand(1);

  BenchLedgerOptions ledger;
  CLI::App* ledger_cmd = bench_cmd->add_subcommand("ledger", "In-process durable ledger throughput");
  ledger_cmd->add_option("--accounts", ledger.accounts, "Accounts to create")->capture_default_str();
  ledger_cmd->add_option("--transfers", ledger.transfers, "Transfers to commit")->capture_default_str();
  ledger_cmd->add_option("--batch", ledger.batch, "Transfers per batch (1..8190)")->capture_default_str();
  ledger_cmd->add_option("--in-flight", ledger.in_flight, "Batches in flight")->capture_default_str();
  ledger_cmd->add_option("--db", ledger.db_path, "Database file (default: a temporary one)");
  ledger_cmd->add_option("--store", ledger.store, "Storage backend: sqlite or journal")
      ->check(store_kinds)
      ->capture_default_str();
  ledger_cmd->add_flag("--json", ledger.json, "Print a final one-line JSON object on stdout");

  BenchHttpOptions http;
  CLI::App* http_cmd = bench_cmd->add_subcommand("http", "HTTP/JSON load over loopback");
  http_cmd->add_option("--target", http.target,
                       "http://HOST:PORT of a running server (default: start one on a temporary database)");
  http_cmd->add_option("--accounts", http.accounts, "Accounts to create")->capture_default_str();
  http_cmd->add_option("--transfers", http.transfers, "Transfers to send")->capture_default_str();
  http_cmd->add_option("--batch", http.batch, "Transfers per request (1..8190)")->capture_default_str();
  http_cmd->add_option("--connections", http.connections, "Keep-alive connections")->capture_default_str();
  http_cmd->add_option("--store", http.store, "Storage backend of the in-process server")
      ->check(store_kinds)
      ->capture_default_str();
  http_cmd->add_flag("--json", http.json, "Print a final one-line JSON object on stdout");
  http_cmd->add_option("--operator-secret", http.operator_secret,
                       "Sign requests to --target as the operator");

  BenchPaymentsOptions pay;
  CLI::App* pay_cmd = bench_cmd->add_subcommand(
      "payments", "Signed payments over HTTP on loopback, each durable before its answer");
  pay_cmd->add_option("--payments", pay.payments, "Payments to make")->capture_default_str();
  pay_cmd->add_option("--connections", pay.connections,
                      "Keep-alive connections (connections x pipeline customers)")->capture_default_str();
  pay_cmd->add_option("--merchants", pay.merchants, "Merchants paid")->capture_default_str();
  pay_cmd->add_option("--threads", pay.server_threads, "Server I/O threads")->capture_default_str();
  pay_cmd->add_option("--client-threads", pay.client_threads, "I/O threads of the load client")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  pay_cmd->add_option("--pipeline", pay.pipeline,
                      "Requests in flight per connection (HTTP/1.1 pipelining; 1: wait for each answer)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  pay_cmd->add_option("--rate", pay.rate,
                      "Offer this many payments per second, latency counted from when each "
                      "was due (0: as fast as the pipeline allows)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  pay_cmd->add_option("--store", pay.store, "Storage backend")->check(store_kinds)->capture_default_str();
  pay_cmd->add_flag("--risk", pay.risk, "Screen every payment (default rules, no model)");
  pay_cmd->add_option("--risk-rules", pay.risk_rules_path, "With --risk: this rules file");
  pay_cmd->add_option("--fraud-model", pay.fraud_model_path, "With --risk: this fraud model");
  pay_cmd->add_option("--commit-nice", pay.commit_nice,
                      "Nice value of the ledger's commit thread (0: leave it)")
      ->capture_default_str()
      ->check(CLI::Range(-20, 19));
  pay_cmd->add_flag("--json", pay.json, "Print a final one-line JSON object on stdout");

  SimulatePaymentsOptions sim;
  CLI::App* simulate_cmd = app.add_subcommand("simulate", "Drive a running server with a synthetic economy");
  simulate_cmd->require_subcommand(1);
  CLI::App* sim_pay_cmd = simulate_cmd->add_subcommand(
      "payments", "Customers and merchants: top-ups, payments, transfers, refunds, a settlement");
  sim_pay_cmd->add_option("--target", sim.target, "http://HOST:PORT")->capture_default_str();
  sim_pay_cmd->add_option("--operator-secret", sim.operator_secret, "`netfin keys operator-secret`")->required();
  sim_pay_cmd->add_option("--customers", sim.customers)->capture_default_str();
  sim_pay_cmd->add_option("--merchants", sim.merchants)->capture_default_str();
  sim_pay_cmd->add_option("--payments", sim.payments)->capture_default_str();
  sim_pay_cmd->add_option("--notices", sim.notices_path,
                          "The server's SMS reminders file (DB.notices/sms.jsonl)")
      ->capture_default_str();

  CLI::App* train_cmd = app.add_subcommand("train", "Train a model from a labelled data file");
  train_cmd->require_subcommand(1);
  CLI::App* eval_cmd = app.add_subcommand("eval", "Evaluate a model on held-out or other data");
  eval_cmd->require_subcommand(1);
  std::function<int()> role_command;
  const CommandParents parents{app, *bench_cmd, *train_cmd, *eval_cmd, *simulate_cmd, &role_command};
  AddRiskCommands(parents);
  AddCreditCommands(parents);

  CLI11_PARSE(app, argc, argv);
  if (role_command) return role_command();

  if (serve_cmd->parsed()) {
    // Flags given explicitly win over the config file; remember which were.
    serve.db_given = serve_cmd->count("--db") > 0;
    serve.listen_given = serve_cmd->count("--listen") > 0;
    serve.threads_given = serve_cmd->count("--threads") > 0;
    serve.store_given = serve_cmd->count("--store") > 0;
    serve.master_key_given = serve_cmd->count("--master-key") > 0;
    return RunServe(serve);
  }
  if (verify_cmd->parsed()) return RunVerify(verify);
  if (keys_operator_cmd->parsed()) return RunKeysOperator(keys);
  if (ledger_cmd->parsed()) return RunBenchLedger(ledger);
  if (http_cmd->parsed()) return RunBenchHttp(http);
  if (pay_cmd->parsed()) return RunBenchPayments(pay);
  if (sim_pay_cmd->parsed()) return RunSimulatePayments(sim);
  return 2;
}
