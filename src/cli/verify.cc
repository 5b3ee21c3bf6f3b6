// netfin verify: audits a journal (checksum chain and every ledger invariant).

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.h"
#include "ledger/verify.h"
#include "store/store.h"

namespace netfin::cli {

int RunVerify(const VerifyOptions& options) {
  if (!std::filesystem::exists(options.db_path)) {
    fmt::print(stderr, "netfin verify: no database at {}\n", options.db_path);
    return 2;
  }
  auto store = store::OpenSqliteStore(options.db_path);
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
