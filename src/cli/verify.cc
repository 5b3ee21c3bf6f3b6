// netfin verify: audits a journal (checksum chain and every ledger invariant).

#include <cstdio>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/open_store.h"
#include "ledger/verify.h"
#include "payments/config.h"
#include "payments/render.h"
#include "store/journal_store.h"
#include "store/store.h"

namespace netfin::cli {
namespace {

// A journal with a bad frame before its end does not open (recovery refuses
// it); its chain is checked from the file alone, and the first broken batch
// reported.
int ReportUnopenableJournal(const VerifyOptions& options) {
  store::ChainReport chain;
  if (auto status = store::VerifyJournalFile(options.db_path, &chain); !status.ok()) {
    fmt::print(stderr, "netfin verify: {}\n", status.ToString());
    return 2;
  }
  const std::string problem =
      chain.first_bad_batch
          ? fmt::format("checksum chain broken at batch {}: {}", *chain.first_bad_batch, chain.detail)
          : "the journal does not open, yet its chain is intact";
  if (options.json) {
    fmt::print("{{\"ok\": false, \"batches\": {}, \"problems\": 1}}\n", chain.batches_checked);
  }
  fmt::print(stderr, "{}: {} good batches before the damage: PROBLEMS FOUND\n  - {}\n",
             options.db_path, chain.batches_checked, problem);
  return 1;
}

// Collects every account (current balances) for the reconciliation.
class AccountCollector final : public store::StateVisitor {
 public:
  void OnAccount(const store::Account& a) override { accounts.push_back(a); }
  void OnTransfer(const store::Transfer&) override {}
  void OnExpiry(const store::Expiry&) override {}
  std::vector<store::Account> accounts;
};

// The customer reserve against the liabilities, per ledger that has a
// reserve account (payments/render.h). Adds a problem for each imbalance.
core::Status Reconcile(store::Store& store, std::vector<payments::Reconciliation>* out,
                       ledger::VerifyReport* report) {
  AccountCollector collector;
  NETFIN_RETURN_IF_ERROR(store.Load(collector));
  std::set<uint32_t> ledgers;
  for (const store::Account& a : collector.accounts) {
    if (a.code == static_cast<uint16_t>(payments::AccountCode::kReserve)) ledgers.insert(a.ledger);
  }
  const payments::PaymentsConfig defaults;
  for (uint32_t ledger : ledgers) {
    const payments::CurrencyConfig* c = defaults.FindLedger(ledger);
    out->push_back(payments::Reconcile(collector.accounts, ledger,
                                       c != nullptr ? c->code : std::to_string(ledger)));
    const payments::Reconciliation& r = out->back();
    if (!r.balanced()) {
      report->problems.push_back(fmt::format(
          "ledger {}: the reserve does not match the wallets, merchants, payables and fees "
          "(reconciliation: {})",
          ledger, payments::ReconciliationJson({r})));
    }
  }
  return core::Status::Ok();
}

}  // namespace

int RunVerify(const VerifyOptions& options) {
  if (!std::filesystem::exists(options.db_path)) {
    fmt::print(stderr, "netfin verify: no database at {}\n", options.db_path);
    return 2;
  }
  auto store = OpenStore(options.store, options.db_path, store::Durability::kSync);
  if (!store.ok() && store.status().code() == core::StatusCode::kCorruption &&
      options.store == kStoreJournal) {
    return ReportUnopenableJournal(options);
  }
  if (!store.ok()) {
    fmt::print(stderr, "netfin verify: {}\n", store.status().ToString());
    return 2;
  }
  ledger::VerifyReport report;
  if (auto status = ledger::Verify(**store, &report); !status.ok()) {
    fmt::print(stderr, "netfin verify: {}\n", status.ToString());
    return 2;
  }
  std::vector<payments::Reconciliation> reconciliation;
  if (auto status = Reconcile(**store, &reconciliation, &report); !status.ok()) {
    fmt::print(stderr, "netfin verify: {}\n", status.ToString());
    return 2;
  }
  if (options.json) {
    fmt::print("{{\"ok\": {}, \"batches\": {}, \"accounts\": {}, \"transfers\": {}, "
               "\"pending_transfers\": {}, \"expiries\": {}, \"problems\": {}, "
               "\"reconciliation\": {}}}\n",
               report.ok(), report.batches, report.accounts, report.transfers,
               report.pending_transfers, report.expiries, report.problems.size(),
               payments::ReconciliationJson(reconciliation));
  }
  for (const payments::Reconciliation& r : reconciliation) {
    fmt::print(stderr, "reserve of ledger {} ({}): {} = wallets {} + merchants {} + payables {} + fees {}: {}\n",
               r.ledger, r.currency, r.reserve, r.wallets, r.merchants, r.settlement_payables,
               r.fee_income, r.balanced() ? "reconciled" : "NOT RECONCILED");
  }
  fmt::print(stderr, "{}: {} batches, {} accounts, {} transfers ({} pending, {} expired): {}\n",
             options.db_path, report.batches, report.accounts, report.transfers,
             report.pending_transfers, report.expiries,
             report.ok() ? "chain intact, every invariant holds" : "PROBLEMS FOUND");
  for (const std::string& problem : report.problems) fmt::print(stderr, "  - {}\n", problem);
  return report.ok() ? 0 : 1;
}

}  // namespace netfin::cli
