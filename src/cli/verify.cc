// netfin verify: audits a journal (checksum chain and every ledger invariant).

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/open_store.h"
#include "ledger/verify.h"
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
  if (options.json) {
    fmt::print("{{\"ok\": {}, \"batches\": {}, \"accounts\": {}, \"transfers\": {}, "
               "\"pending_transfers\": {}, \"expiries\": {}, \"problems\": {}}}\n",
               report.ok(), report.batches, report.accounts, report.transfers,
               report.pending_transfers, report.expiries, report.problems.size());
  }
  fmt::print(stderr, "{}: {} batches, {} accounts, {} transfers ({} pending, {} expired): {}\n",
             options.db_path, report.batches, report.accounts, report.transfers,
             report.pending_transfers, report.expiries,
             report.ok() ? "chain intact, every invariant holds" : "PROBLEMS FOUND");
  for (const std::string& problem : report.problems) fmt::print(stderr, "  - {}\n", problem);
  return report.ok() ? 0 : 1;
}

}  // namespace netfin::cli
