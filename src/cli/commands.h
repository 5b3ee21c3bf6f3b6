#pragma once

// The netfin command's subcommands. main.cc parses the command line (CLI11)
// into these option structs; each Run* returns the process exit code.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "ledger/ledger_service.h"

namespace CLI {
class App;
}  // namespace CLI

namespace netfin::cli {

struct ServeOptions {
  std::string db_path = "netfin.db";
  std::string listen = "127.0.0.1:8080";
  std::string config_path;  // optional TOML file; flags given on the command line win
  std::string store = "sqlite";  // "sqlite" or "journal" (cli/open_store.h)
  uint32_t threads = 2;     // HTTP I/O threads
  std::string master_key_path;  // empty: DB.key (created 0600 when missing)
  bool master_key_given = false;
  bool db_given = false;    // set on the command line (wins over the config file)
  bool listen_given = false;
  bool threads_given = false;
  bool store_given = false;
  // Risk (docs/risk.md): on unless no_risk; the default rules unless a
  // rules file (reloaded when it changes); a fraud model when given.
  bool no_risk = false;
  std::string risk_rules_path;
  std::string fraud_model_path;
  std::string notice_webhook_url;     // empty: reminders go to DB.notices/*.jsonl
  std::string notice_webhook_secret;  // signs the webhook's POSTs when set
  int commit_nice = ledger::LedgerServiceOptions::kCommitThreadNiceDefault;
};

struct VerifyOptions {
  std::string db_path = "netfin.db";
  std::string store = "sqlite";
  bool json = false;
};

struct BenchLedgerOptions {
  uint64_t accounts = 10'000;
  uint64_t transfers = 1'000'000;
  uint32_t batch = 8190;
  uint32_t in_flight = 4;  // batches submitted and not yet acknowledged
  std::string db_path;     // empty: a fresh database in a temporary directory
  std::string store = "sqlite";
  bool json = false;
};

struct BenchHttpOptions {
  std::string target;  // empty: start a server on a temporary database
  uint64_t accounts = 10'000;
  uint64_t transfers = 200'000;
  uint32_t batch = 8190;      // transfers per request
  uint32_t connections = 8;   // keep-alive connections, one client thread each
  std::string store = "sqlite";  // of the in-process server (ignored with --target)
  std::string operator_secret;   // signs requests to a --target (`netfin keys operator-secret`)
  bool json = false;
};

struct KeysOptions {
  std::string db_path = "netfin.db";
  std::string master_key_path;  // empty: DB.key
};

struct SimulatePaymentsOptions {
  std::string target = "http://127.0.0.1:8080";
  std::string operator_secret;  // `netfin keys operator-secret`
  size_t customers = 20;
  size_t merchants = 4;
  size_t payments = 200;
  // The SMS channel's file of the server (cli/notice_channels.h), where the
  // demo reads a challenged payment's one-time code as a phone would.
  std::string notices_path = "netfin.db.notices/sms.jsonl";
};

struct BenchPaymentsOptions {
  uint64_t payments = 200'000;
  // A gateway's few keep-alive connections, each carrying `pipeline`
  // customers' payments in flight (connections * pipeline customers).
  uint32_t connections = 4;
  uint32_t merchants = 8;
  uint32_t server_threads = 2;
  uint32_t client_threads = 1;  // io threads of the asynchronous load client
  uint32_t pipeline = 32;       // requests in flight per connection (HTTP/1.1 pipelining)
  // Payments per second offered, latency counted from when each was due
  // (cli/async_load.h); 0: each connection keeps `pipeline` in flight.
  double rate = 0;
  std::string store = "journal";
  bool risk = false;              // screen every payment (default rules unless --risk-rules)
  std::string risk_rules_path;    // with risk
  std::string fraud_model_path;   // with risk
  int commit_nice = ledger::LedgerServiceOptions::kCommitThreadNiceDefault;
  bool json = false;
};

// The roles' commands register themselves (cli/risk_commands.cc,
// cli/credit_commands.cc): each adds its subcommands under these parents
// and says what main runs if it is the one parsed. The options live as long
// as the App (held by shared_ptr in the function).
struct CommandParents {
  CLI::App& app;
  CLI::App& bench;
  CLI::App& train;
  CLI::App& eval;
  CLI::App& simulate;
  std::function<int()>* run;  // main runs *run after parsing, when set

  // Sets *run to command once cmd has been parsed (main.cc).
  void RunWhenParsed(CLI::App& cmd, std::function<int()> command) const;
};
void AddRiskCommands(const CommandParents& parents);
void AddCreditCommands(const CommandParents& parents);

int RunServe(const ServeOptions& options);
int RunSimulatePayments(const SimulatePaymentsOptions& options);
int RunBenchPayments(const BenchPaymentsOptions& options);
// Prints the operator's root key secret (derived from the master key).
int RunKeysOperator(const KeysOptions& options);
int RunVerify(const VerifyOptions& options);
int RunBenchLedger(const BenchLedgerOptions& options);
int RunBenchHttp(const BenchHttpOptions& options);

}  // namespace netfin::cli
