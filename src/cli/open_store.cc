#include "cli/open_store.h"

namespace netfin::cli {

core::Result<std::unique_ptr<store::Store>> OpenStore(std::string_view kind,
                                                      const std::string& path,
                                                      store::Durability durability) {
  store::StoreOptions options;
  options.durability = durability;
  if (kind == kStoreSqlite) return store::OpenSqliteStore(path, options);
  if (kind == kStoreJournal) return store::OpenJournalStore(path, options);
  return core::InvalidArgument("unknown store '" + std::string(kind) + "' (sqlite or journal)");
}

std::string BenchStoreFileName(std::string_view kind) {
  return kind == kStoreJournal ? "bench.journal" : "bench.db";
}

}  // namespace netfin::cli
