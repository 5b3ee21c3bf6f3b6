#pragma once

// A platform node: the store, the ledger, the payments role, API keys, the
// webhook dispatcher and the HTTP server, wired in the one order that works
// (roles replay their events while the ledger recovers, then start). Shared
// by `serve`, `bench payments` and the tests' in-process servers.

#include <memory>
#include <string>

#include "api/api.h"
#include "api/auth.h"
#include "api/key_registry.h"
#include "api/webhook_dispatcher.h"
#include "core/crypto.h"
#include "ledger/ledger_service.h"
#include "payments/payments_service.h"

namespace netfin::cli {

struct NodeOptions {
  std::string store = "sqlite";  // "sqlite" or "journal"
  std::string db_path;
  std::string master_key_path;   // empty: db_path + ".key"
  payments::PaymentsConfig payments;
  api::ServerOptions server;
  bool webhooks = true;
};

struct Node {
  std::unique_ptr<core::SecretKey> master_key;
  std::unique_ptr<payments::PaymentsService> payments;
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

}  // namespace netfin::cli
