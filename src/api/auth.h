#pragma once

// Signed requests and signed webhooks.
//
// Requests. Every request except /healthz and /metrics (the router decides)
// carries four headers:
//
//   Netfin-Key:        the key id, naming a secret the server shares with
//                      the client
//   Netfin-Timestamp:  when it was signed, in Unix seconds, decimal
//   Netfin-Nonce:      16 to 64 characters of [A-Za-z0-9_-], never reused
//                      by the key
//   Netfin-Signature:  64 lowercase hex digits: HMAC-SHA256 with the key's
//                      secret over the canonical request
//
// The canonical request is five lines joined by "\n" (no final newline):
//
//   METHOD                  as sent ("POST")
//   target                  path and query exactly as sent, undecoded
//   timestamp               the Netfin-Timestamp header as sent
//   nonce                   the Netfin-Nonce header as sent
//   hex SHA-256 of the body (of the empty string when there is none)
//
// The server recomputes the signature (SignatureMatches) and asks its
// ReplayGuard whether the timestamp is recent and the nonce new. A captured
// request can then be replayed neither after the window nor within it, and
// no header, byte of the target or byte of the body can be changed.
//
// Webhooks. netfin signs each webhook it sends with a header
// "t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>">" under the
// merchant's webhook secret; receivers check it with VerifyWebhookSignature.
//
// Threading: the free functions and RequestSigner (const) may be used from
// any thread; ReplayGuard is thread-safe.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/crypto.h"

namespace netfin::api {

inline constexpr std::string_view kKeyHeader = "Netfin-Key";
inline constexpr std::string_view kTimestampHeader = "Netfin-Timestamp";
inline constexpr std::string_view kNonceHeader = "Netfin-Nonce";
inline constexpr std::string_view kSignatureHeader = "Netfin-Signature";
// The header of outgoing webhooks that carries WebhookSignatureHeader().
inline constexpr std::string_view kWebhookSignatureHeader = "Netfin-Webhook-Signature";

// A nonce long enough to be unguessable when random (16 hex digits are 64
// bits) and short enough to keep the replay guard's input small.
inline constexpr size_t kNonceCharsMin = 16;
inline constexpr size_t kNonceCharsMax = 64;
// Digits of a timestamp: 12 reach the year 33658 and cannot overflow int64.
inline constexpr size_t kTimestampDigitsMax = 12;
// How far a request's timestamp may be from the server's clock, either way.
inline constexpr int64_t kReplayWindowSDefault = 300;

// ---------------------------------------------------------------------------
// Canonical requests and their signatures.

// The string a request's signature covers (see above).
std::string CanonicalRequest(std::string_view method, std::string_view target,
                             std::string_view timestamp, std::string_view nonce,
                             std::string_view body);

// Whether nonce has 16 to 64 characters, each of [A-Za-z0-9_-].
bool NonceWellFormed(std::string_view nonce);

// The value of a Netfin-Timestamp header: 1 to 12 ASCII digits (no sign, no
// spaces), or nullopt.
std::optional<int64_t> ParseTimestamp(std::string_view timestamp);

// Whether signature_hex is the lowercase hex HMAC-SHA256 of canonical under
// secret. The comparison takes the same time wherever the first difference
// is, so a client cannot find a valid signature byte by byte.
bool SignatureMatches(const core::HmacSha256Key& secret, std::string_view canonical,
                      std::string_view signature_hex);

// The values of the four headers of one signed request.
struct SignatureHeaders {
  std::string key_id;
  std::string timestamp;
  std::string nonce;
  std::string signature;
};

// Signs requests with one key. Immutable after construction: Sign() may be
// called from any number of threads.
class RequestSigner {
 public:
  // REQUIRES: key_id and secret are not empty (a loader of configuration
  // checks this and reports it).
  RequestSigner(std::string key_id, std::string_view secret);

  // Headers for one request signed at now_s (Unix seconds) with a fresh
  // random nonce (32 hex digits): two calls never share a nonce, so a
  // resend must be signed again.
  SignatureHeaders Sign(std::string_view method, std::string_view target, std::string_view body,
                        int64_t now_s) const;

  const std::string& key_id() const { return key_id_; }

 private:
  const std::string key_id_;
  const core::HmacSha256Key secret_;  // prepared once: every request is signed with it
};

// ---------------------------------------------------------------------------
// Replay protection.

// What ReplayGuard::Check says of a request. Stable names for clients and
// metrics: ReplayVerdictName.
// DO NOT RENUMBER: the numbers appear in metrics.
enum class ReplayVerdict : int {
  kFresh = 0,        // recent and new: remembered, serve the request
  kTooOld = 1,       // timestamp more than window_s before now
  kTooNew = 2,       // timestamp more than window_s after now
  kBeforeStart = 3,  // timestamp before not_before_s (signed before this process started)
  kReused = 4,       // this key used this nonce within the window
  kFull = 5,         // nonces_max are remembered: cannot vouch for a new one
};

// "fresh", "timestamp_too_old", "timestamp_too_new", "timestamp_before_start",
// "nonce_reused", "replay_guard_full".
std::string_view ReplayVerdictName(ReplayVerdict verdict);

inline constexpr int64_t kReplayNotBeforeUnset = INT64_MIN;

struct ReplayGuardOptions {
  // A request is accepted while its timestamp is within window_s of now,
  // either way; its nonce is remembered at least that long.
  int64_t window_s = kReplayWindowSDefault;
  // REQUIRED: the time this process started (Unix seconds). The guard
  // remembers nonces in memory only, so after a restart it does not know the
  // nonces it accepted before; refusing every request signed before the
  // start makes replaying those impossible. A client whose request was
  // signed just before a restart gets kBeforeStart and signs it again.
  int64_t not_before_s = kReplayNotBeforeUnset;
  // Nonces remembered at most, over all keys. At 50,000 requests/s with a
  // 300 s window about 18 million are live; each costs 20 to 40 bytes.
  size_t nonces_max = size_t{1} << 25;
};

// Remembers (key id, nonce) pairs for as long as their timestamps are
// within the window, and refuses a pair seen again.
//
// Memory: each pair is held as a 128-bit SipHash (core::TableHash128)
// keyed with a random per-process key (nobody outside can aim collisions at
// it), in a set per minute of timestamp. A set is dropped whole once every
// timestamp in it is older than the window, so memory is bounded by the
// request rate times the window, and by nonces_max.
//
// Threading: thread-safe. The pairs are spread over 16 shards by hash, each
// with its own mutex, so concurrent Checks rarely wait for each other.
// Time is an input (now_s) and never read from a clock.
class ReplayGuard {
 public:
  explicit ReplayGuard(ReplayGuardOptions options);
  ~ReplayGuard();
  ReplayGuard(const ReplayGuard&) = delete;
  ReplayGuard& operator=(const ReplayGuard&) = delete;

  // Judges one request whose signature has been verified, in this order:
  // kTooNew, kTooOld, kBeforeStart, then kReused or kFull, else kFresh (and
  // the pair is remembered). The window's edges are inside: a timestamp
  // exactly window_s old or ahead is accepted.
  //
  // If now_s has moved back by more than the window since an earlier call
  // (a wall clock stepped back), a timestamp whose minute's set has been
  // reused for a later minute is refused as kTooOld rather than forgotten.
  ReplayVerdict Check(std::string_view key_id, int64_t timestamp_s, std::string_view nonce,
                      int64_t now_s);

  // Drops every set older than the window in every shard. Check does this
  // for the shard it touches; a server may call this from a timer so that
  // memory falls when traffic stops.
  void Expire(int64_t now_s);

  // Pairs remembered now (for metrics and tests).
  size_t NoncesRemembered() const;

 private:
  struct Shard;

  const ReplayGuardOptions options_;
  const core::SecretKey hash_key_;
  std::unique_ptr<Shard[]> shards_;
};

// ---------------------------------------------------------------------------
// Webhook signatures.

// "t=<timestamp_s>,v1=<lowercase hex HMAC-SHA256 under secret over
// "<timestamp_s>.<body>">".
std::string WebhookSignatureHeader(std::string_view secret, int64_t timestamp_s,
                                   std::string_view body);

// Whether header (as WebhookSignatureHeader writes it) signs body under
// secret at a time within tolerance_s of now_s. Items are separated by ','
// and may come in any order; exactly one t= is required; any one matching
// v1= suffices (a sender rotating secrets may send several); unknown items
// are ignored, so a later scheme can be added beside v1. A header over 1024
// bytes is refused.
bool VerifyWebhookSignature(std::string_view secret, std::string_view header, std::string_view body,
                            int64_t now_s, int64_t tolerance_s);

}  // namespace netfin::api
