#pragma once

// FeatureEngine: the streaming features of the risk role.
//
// Lifecycle: build one per process (or per shard of customers); feed it
// every payment attempt with Observe once the attempt has ended, and call
// Compute for an attempt being scored, before its Observe. Training replays
// a labelled log the same way (Compute, then Observe, event by event), so
// what is served is exactly what was trained on. After a restart, observe
// the journal's ended attempts again in order (the node does: the payments
// role tells its screen of each one while the ledger replays), Rebuild from
// them, or Restore a Snapshot.
//
// What is remembered per entity, and for how long, is bounded: see
// docs/risk.md ("Memory bounds"). Each kind of entity (customers, devices,
// IPs, payees, merchants) is held in a table with a cap from the options;
// past the cap, the least recently observed entity is forgotten, and if it
// comes back it looks new (no history, every device and payee new), which
// errs on the side of caution.
//
// Time: the engine keeps the latest timestamp it has observed. Events are
// expected in time order; one that is older than that (a few microseconds of
// reordering between threads) is treated as happening at that latest time,
// so windows never run backwards.
//
// Thread-compatible: Compute is const and may run on several threads at once
// while no thread calls Observe, Rebuild, Restore or Clear; otherwise the
// caller serialises (or shards customers over several engines).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "risk/features.h"
#include "risk/payment_event.h"

namespace netfin::risk {

struct FeatureEngineOptions {
  // The most entities of each kind held at once. Each costs a fixed number
  // of bytes (EntityTableStats::entity_bytes); memory grows with the
  // entities actually seen, up to these caps.
  size_t customers_max = 100'000;
  size_t devices_max = 100'000;
  size_t ips_max = 100'000;
  size_t payees_max = 100'000;
  size_t merchants_max = 10'000;

  // Each cap in 1 .. 2^31; a Status naming the first that is not.
  core::Status Validate() const;
};

struct EntityTableStats {
  size_t size = 0;
  size_t capacity = 0;
  uint64_t evictions = 0;
  size_t entity_bytes = 0;  // what one entity costs, its index entry aside
};

struct FeatureEngineStats {
  EntityTableStats customers;
  EntityTableStats devices;
  EntityTableStats ips;
  EntityTableStats payees;
  EntityTableStats merchants;
  uint64_t events_observed = 0;
  uint64_t latest_ns = 0;
};

struct FeatureEngineState;  // the inside, in feature_engine_impl.h

class FeatureEngine {
 public:
  // REQUIRES: options.Validate().ok().
  explicit FeatureEngine(const FeatureEngineOptions& options = {});
  ~FeatureEngine();
  FeatureEngine(FeatureEngine&&) noexcept;
  FeatureEngine& operator=(FeatureEngine&&) noexcept;
  FeatureEngine(const FeatureEngine&) = delete;
  FeatureEngine& operator=(const FeatureEngine&) = delete;

  // The features of event against everything observed so far. The event
  // itself counts in its window counts and sums and in its payee's fan-in;
  // its outcome is not read (it is not known yet when scoring).
  FeatureVector Compute(const PaymentEvent& event) const;

  // Records the event. Every attempt counts in the windows; failed attempts
  // also count as failures; only a succeeded attempt teaches the customer's
  // history (amounts, payees, devices, IPs, locations), so that a denied
  // attempt cannot make its new device or payee look familiar on a retry.
  void Observe(const PaymentEvent& event);

  // Forgets everything, then observes events in order (a restart's replay
  // of the journal).
  void Rebuild(std::span<const PaymentEvent> events);
  void Clear();

  // The whole state as bytes (a versioned format with a checksum; see
  // docs/risk.md). Restore accepts a Snapshot of an engine of this build;
  // into smaller caps it keeps the most recently observed entities. On any
  // error the engine is left as it was and the Status says why.
  std::string Snapshot() const;
  core::Status Restore(std::string_view snapshot);

  FeatureEngineStats Stats() const;
  // The most memory the options allow for entity states (caps times
  // EntityBytes; the hash indexes add about 24 bytes an entity).
  static size_t MemoryBytesMax(const FeatureEngineOptions& options);

 private:
  std::unique_ptr<FeatureEngineState> impl_;
};

}  // namespace netfin::risk
