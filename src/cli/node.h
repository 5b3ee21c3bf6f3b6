#pragma once

// A platform node: the store, the ledger, the payments role with its risk
// screen and reminder channels, the credit role with its day-end thread, API
// keys, the webhook dispatcher and the HTTP server, wired in the one order
// that works (the risk screen and the channels are set before anything
// replays; roles replay their events while the ledger recovers, then start:
// payments, then credit). Shared by `serve`, `bench payments` and
// the tests' in-process servers.

#include <memory>
#include <string>
#include <vector>

#include "api/api.h"
#include "api/auth.h"
#include "api/key_registry.h"
#include "api/webhook_dispatcher.h"
#include "cli/credit_day_end.h"
#include "core/crypto.h"
#include "credit/credit_service.h"
#include "credit/gbm_scorer.h"
#include "ledger/ledger_service.h"
#include "payments/payments_service.h"
#include "risk/risk_service.h"

namespace netfin::cli {

// The risk role in the payment flow (docs/risk.md, "In the payment flow").
struct NodeRiskOptions {
  bool enabled = false;     // `serve` turns it on unless --no-risk
  std::string rules_path;   // empty: the default rules; reloaded when it changes
  std::string model_path;   // empty: no model
  // Reminders (safe-transaction notices): by default each channel (sms,
  // push) appends to <db>.notices/<channel>.jsonl; with a webhook URL each
  // POSTs there instead, signed with the secret when one is given.
  std::string notice_webhook_url;
  std::string notice_webhook_secret;
};

struct NodeOptions {
  std::string store = "sqlite";  // "sqlite" or "journal"
  std::string db_path;
  std::string master_key_path;   // empty: db_path + ".key"
  payments::PaymentsConfig payments;
  api::ServerOptions server;
  bool webhooks = true;
  NodeRiskOptions risk;
  // The credit role: the [credit] policy and its day-end schedule.
  CreditNodeConfig credit;
  // The ledger's commit thread (ledger/ledger_service.h): 0 leaves it alone.
  int commit_thread_nice = ledger::LedgerServiceOptions::kCommitThreadNiceDefault;
};

// Members are destroyed in reverse order: the server and the services stop
// (Stop) before the risk screen and the channels they call are freed.
struct Node {
  std::unique_ptr<core::SecretKey> master_key;
  std::unique_ptr<risk::RiskService> risk;  // null when risk is off
  std::unique_ptr<payments::PaymentScreen> screen;
  std::vector<std::unique_ptr<payments::NoticeChannel>> notice_channels;
  std::unique_ptr<payments::PaymentsService> payments;
  std::unique_ptr<credit::CreditScorer> credit_scorer;  // null without [credit] model
  std::unique_ptr<credit::CreditService> credit;
  std::unique_ptr<CreditDayEndRunner> credit_day_end;
  std::unique_ptr<api::KeyRegistry> keys;
  std::unique_ptr<api::ReplayGuard> replay;
  std::unique_ptr<ledger::LedgerService> ledger;
  std::unique_ptr<api::WebhookDispatcher> webhooks;
  std::unique_ptr<api::Server> server;

  // The operator's root key secret (api/key_registry.h).
  std::string OperatorSecret() const { return api::ApiKeySecret(*master_key, api::kOperatorKeyId); }
  // Stops serving, finishes queued work, stops every thread. Idempotent.
  void Stop();
  ~Node() { Stop(); }
};

// Opens and starts everything; the server listens when this returns.
core::Result<std::unique_ptr<Node>> StartNode(const NodeOptions& options);

// Where the master key of a database lives by default.
std::string DefaultMasterKeyPath(const std::string& db_path);
// The credit role's options in a node: the custodian's cash leg into the
// payments reserve of each credit ledger. `netfin credit run-day` builds the
// same, so the role books alike in either process (the scorer is the node's).
credit::CreditServiceOptions NodeCreditOptions(const core::SecretKey& master_key);
// Where the default notice channels write: <db>.notices/.
std::string NoticeDir(const std::string& db_path);

}  // namespace netfin::cli
