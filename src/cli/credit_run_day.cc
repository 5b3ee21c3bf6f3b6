// `netfin credit run-day --date YYYY-MM-DD [--db PATH] [--store KIND]`: the
// credit day-end on a node's database, as the operator. It recovers the
// ledger and the credit role from the store (as `serve` does), runs the
// day-end of the date, prints its JSON summary and stops. Run it on a
// stopped node: a database is served by one process at a time.

#include <fmt/format.h>

#include <memory>

#include "api/ledger_json.h"
#include "cli/commands.h"
#include "cli/credit_cli.h"
#include "cli/credit_day_end.h"
#include "cli/node.h"
#include "cli/open_store.h"
#include "core/crypto.h"
#include "credit/credit_service.h"
#include "ledger/ledger_service.h"

namespace netfin::cli {

namespace {

// The one error shape of the API, so that scripts read both alike.
void PrintError(std::string_view code, const std::string& message) {
  fmt::print("{}\n", api::ErrorJson(code, message));
}

}  // namespace

int RunCreditRunDay(const CreditRunDayOptions& options) {
  auto date = credit::CivilDate::Parse(options.date);
  if (!date.ok()) {
    PrintError("invalid_field", "--date: " + date.status().message());
    return 2;
  }
  // The node's own [credit] reading, so that the serve config file works
  // here as it is (its schedule keys included).
  auto config = LoadCreditNodeConfig(options.config_path);
  if (!config.ok()) {
    PrintError("invalid_config", config.status().message());
    return 2;
  }
  auto key = core::SecretKey::LoadOrCreate(DefaultMasterKeyPath(options.db_path));
  if (!key.ok()) {
    PrintError("unavailable", key.status().message());
    return 1;
  }
  const core::SecretKey master_key = std::move(key).value();
  auto service = std::make_unique<credit::CreditService>(std::move(config).value().policy, master_key,
                                                         NodeCreditOptions(master_key));
  auto store = OpenStore(options.store, options.db_path, store::Durability::kSync);
  if (!store.ok()) {
    PrintError("unavailable", store.status().message());
    return 1;
  }
  ledger::LedgerServiceOptions ledger_options;
  ledger_options.replay_event = [&service](const store::RoleEvent& e) { service->Replay(e); };
  auto ledger = ledger::LedgerService::Open(std::move(store).value(), ledger_options);
  if (!ledger.ok()) {
    PrintError("unavailable", ledger.status().message());
    return 1;
  }
  if (core::Status started = service->Start(*ledger.value()); !started.ok()) {
    PrintError("unavailable", started.message());
    return 1;
  }
  const credit::CreditReply reply = service->RunDay(credit::CreditCall{}, *date);
  service->Stop();
  ledger.value()->Stop();
  if (!reply.ok()) {
    PrintError(reply.code(), reply.message);
    return 1;
  }
  fmt::print("{}\n", reply.body);
  return 0;
}

}  // namespace netfin::cli
