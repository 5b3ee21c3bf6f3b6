#pragma once

// The journal store: an append-only binary file of checksummed frames (one
// per committed batch, format in store/journal_codec.h) and an in-memory
// query index rebuilt from it at open. Open it with store::OpenJournalStore
// (store/store.h). Design: docs/design/journal.md, "Journal backend".

#include <string>

#include "store/store.h"

namespace netfin::store {

// Checks a journal file without opening it as a store (so it works on a file
// that OpenJournalStore refuses): re-reads every frame from disk, recomputes
// each frame checksum and the chain, and fills *report with the first bad
// batch. A torn last frame (a write that was never acknowledged) is not a
// break: it is named in report->detail and truncated by the next open.
// Fails only when the file cannot be read.
Status VerifyJournalFile(const std::string& path, ChainReport* report);

}  // namespace netfin::store
