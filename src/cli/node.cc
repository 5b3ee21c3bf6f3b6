#include "cli/node.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <thread>

#include "cli/open_store.h"

namespace netfin::cli {

std::string DefaultMasterKeyPath(const std::string& db_path) { return db_path + ".key"; }

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
  ledger_options.replay_event = [&node](const store::RoleEvent& e) {
    node->payments->Replay(e);
    node->keys->Replay(e);
  };
  auto ledger = ledger::LedgerService::Open(std::move(store).value(), ledger_options);
  if (!ledger.ok()) return ledger.status();
  node->ledger = std::move(ledger).value();
  NETFIN_RETURN_IF_ERROR(node->payments->Start(*node->ledger));
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
                       .replay = node->replay.get()},
      options.server);
  NETFIN_RETURN_IF_ERROR(node->server->Start());
  return node;
}

void Node::Stop() {
  if (server) server->Stop();
  if (webhooks) webhooks->Stop();
  if (payments) payments->Stop();
  if (ledger) ledger->Stop();
}

}  // namespace netfin::cli
