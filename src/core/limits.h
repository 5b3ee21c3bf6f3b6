#pragma once

// Every limit of netfin, each with the reason for its value. Limits that
// depend on each other are tied together with static_assert.

#include <cstddef>
#include <cstdint>

namespace netfin::core {

// Events (accounts or transfers) in one request and in one committed batch.
// TigerBeetle's figure: a 1 MiB message of 128-byte events less its header.
inline constexpr size_t kBatchEventsMax = 8190;

// JSON for one transfer is at most ~600 bytes with every field at its widest
// (39-digit ids, all flags named); 8190 of them fit in 8 MiB with room left.
inline constexpr size_t kEventJsonBytesMax = 640;
inline constexpr size_t kRequestBodyBytesMax = 8 * 1024 * 1024;
static_assert(kBatchEventsMax * kEventJsonBytesMax <= kRequestBodyBytesMax);

// Requests waiting for the ledger's applier thread. Past this the server
// answers 503 instead of queueing without bound (back-pressure).
inline constexpr size_t kLedgerQueueRequestsMax = 4096;

// Results of one query page (an account's transfers or balances).
inline constexpr uint32_t kQueryLimitMax = 8190;
inline constexpr uint32_t kQueryLimitDefault = 100;

// Open HTTP connections; each costs a socket and a buffer.
inline constexpr size_t kHttpConnectionsMax = 4096;
// Header bytes of one HTTP request.
inline constexpr size_t kHttpHeaderBytesMax = 16 * 1024;
// An idle keep-alive connection is closed after this long.
inline constexpr uint32_t kHttpIdleTimeoutS = 60;
// Requests one connection may have read and not yet answered (HTTP/1.1
// pipelining); past it the server stops reading that connection until an
// answer is written. Bounds what one client can queue on the ledger.
inline constexpr size_t kHttpPipelineDepthMax = 64;

inline constexpr uint64_t kNanosPerSecond = 1'000'000'000ull;

}  // namespace netfin::core
