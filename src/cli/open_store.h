#pragma once

// Which storage backend a command opens (`--store sqlite|journal`).

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/store.h"

namespace netfin::cli {

inline constexpr std::string_view kStoreSqlite = "sqlite";    // the default
inline constexpr std::string_view kStoreJournal = "journal";  // store::OpenJournalStore

// Opens the store of that kind at path; kInvalidArgument for an unknown kind.
core::Result<std::unique_ptr<store::Store>> OpenStore(std::string_view kind,
                                                      const std::string& path,
                                                      store::Durability durability);

// A file name for a fresh benchmark store of that kind.
std::string BenchStoreFileName(std::string_view kind);

}  // namespace netfin::cli
