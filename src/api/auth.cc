#include "api/auth.h"

#include <absl/container/flat_hash_set.h>

#include <array>
#include <mutex>
#include <utility>
#include <vector>

#include "core/assert.h"

namespace netfin::api {
namespace {

// Shards of the replay guard: enough that 16+ HTTP threads rarely meet on
// one mutex. A power of two, so a hash picks one with a mask.
constexpr size_t kReplayShards = 16;
static_assert((kReplayShards & (kReplayShards - 1)) == 0);
// The span of timestamps in one set of nonces. Coarser means fewer sets to
// probe per Check; finer means memory falls sooner after the window passes.
constexpr int64_t kReplayBucketS = 60;
// The longest window a guard accepts: it bounds the ring of sets per shard.
constexpr int64_t kReplayWindowSMax = int64_t{24} * 3600;
// The largest now_s accepted (the year 33658): a clock's value, asserted so
// that now_s plus or minus a window cannot overflow.
constexpr int64_t kClockSMax = 999'999'999'999;
// A webhook signature header longer than this is refused unread.
constexpr size_t kWebhookHeaderBytesMax = 1024;

using NonceHash = std::array<uint64_t, 2>;

// The hashes are keyed BLAKE2b output, uniformly random to anyone without
// the key, so a word of it is already a good hash for the table.
struct NonceHashHasher {
  size_t operator()(const NonceHash& hash) const { return static_cast<size_t>(hash[1]); }
};

using NonceSet = absl::flat_hash_set<NonceHash, NonceHashHasher>;

// floor(a / b) for b > 0, also for negative a.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && (a < 0)); }

bool IsNonceChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

// Splits "t=...,v1=..." into its items; false when the header is malformed.
struct WebhookHeader {
  std::string_view timestamp;
  std::vector<std::string_view> signatures;
};

bool ParseWebhookHeader(std::string_view header, WebhookHeader& out) {
  if (header.size() > kWebhookHeaderBytesMax) return false;
  int timestamps = 0;
  while (!header.empty()) {  // bounded: header shrinks every turn
    const size_t comma = header.find(',');
    const std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const size_t equals = item.find('=');
    if (equals == std::string_view::npos) return false;
    const std::string_view name = item.substr(0, equals);
    const std::string_view value = item.substr(equals + 1);
    if (name == "t") {
      ++timestamps;
      out.timestamp = value;
    } else if (name == "v1") {
      out.signatures.push_back(value);
    }
  }
  return timestamps == 1 && !out.signatures.empty();
}

}  // namespace

// ---- Canonical requests ---------------------------------------------------------

std::string CanonicalRequest(std::string_view method, std::string_view target,
                             std::string_view timestamp, std::string_view nonce,
                             std::string_view body) {
  const std::string body_hash = core::Sha256Hex(body);
  std::string canonical;
  canonical.reserve(method.size() + target.size() + timestamp.size() + nonce.size() +
                    body_hash.size() + 4);
  for (std::string_view part : {method, target, timestamp, nonce}) {
    canonical.append(part);
    canonical.push_back('\n');
  }
  canonical.append(body_hash);
  return canonical;
}

bool NonceWellFormed(std::string_view nonce) {
  if (nonce.size() < kNonceCharsMin || nonce.size() > kNonceCharsMax) return false;
  for (char c : nonce) {
    if (!IsNonceChar(c)) return false;
  }
  return true;
}

std::optional<int64_t> ParseTimestamp(std::string_view timestamp) {
  if (timestamp.size() > kTimestampDigitsMax || !IsDigits(timestamp)) return std::nullopt;
  int64_t value = 0;
  for (char c : timestamp) value = value * 10 + (c - '0');  // 12 digits cannot overflow
  return value;
}

bool SignatureMatches(const core::HmacSha256Key& secret, std::string_view canonical,
                      std::string_view signature_hex) {
  return core::ConstantTimeEqual(secret.Hex(canonical), signature_hex);
}

namespace {
std::string_view NonEmpty(std::string_view secret) {
  NETFIN_ASSERT(!secret.empty());
  return secret;
}
}  // namespace

RequestSigner::RequestSigner(std::string key_id, std::string_view secret)
    : key_id_(std::move(key_id)), secret_(NonEmpty(secret)) {
  NETFIN_ASSERT(!key_id_.empty());
}

SignatureHeaders RequestSigner::Sign(std::string_view method, std::string_view target,
                                     std::string_view body, int64_t now_s) const {
  NETFIN_ASSERT(now_s >= 0);
  SignatureHeaders headers;
  headers.key_id = key_id_;
  headers.timestamp = std::to_string(now_s);
  headers.nonce = core::RandomHex(16);
  NETFIN_ASSERT(NonceWellFormed(headers.nonce));
  headers.signature =
      secret_.Hex(CanonicalRequest(method, target, headers.timestamp, headers.nonce, body));
  return headers;
}

// ---- Replay protection ----------------------------------------------------------

std::string_view ReplayVerdictName(ReplayVerdict verdict) {
  switch (verdict) {
    case ReplayVerdict::kFresh:
      return "fresh";
    case ReplayVerdict::kTooOld:
      return "timestamp_too_old";
    case ReplayVerdict::kTooNew:
      return "timestamp_too_new";
    case ReplayVerdict::kBeforeStart:
      return "timestamp_before_start";
    case ReplayVerdict::kReused:
      return "nonce_reused";
    case ReplayVerdict::kFull:
      return "replay_guard_full";
  }
  NETFIN_ASSERT(false && "unknown ReplayVerdict");
  return "";
}

// The sets of one shard: a ring indexed by minute of timestamp modulo its
// size. The ring is long enough (2 * window + 3 minutes) that a slot is only
// ever reused for a later minute once the minute it held is wholly older
// than the window.
struct ReplayGuard::Shard {
  struct Bucket {
    int64_t minute = -1;  // timestamp_s / kReplayBucketS of the nonces held; -1: none
    NonceSet nonces;
  };

  // Moves every set older than the window (by now_s) into expired, so that
  // the caller frees it after unlocking. REQUIRES: mutex is held.
  void ExpireLocked(int64_t now_s, int64_t window_s, std::vector<NonceSet>& expired);
  // REQUIRES: mutex is held.
  bool ContainsLocked(const NonceHash& hash) const;

  alignas(64) mutable std::mutex mutex;
  std::vector<Bucket> ring;  // sized at construction, never resized
  size_t nonces = 0;         // over all buckets
  size_t nonces_max = 0;
};

void ReplayGuard::Shard::ExpireLocked(int64_t now_s, int64_t window_s,
                                      std::vector<NonceSet>& expired) {
  const int64_t oldest_kept_s = now_s - window_s;
  for (Bucket& bucket : ring) {
    if (bucket.minute < 0) continue;
    const int64_t newest_in_bucket_s = bucket.minute * kReplayBucketS + kReplayBucketS - 1;
    if (newest_in_bucket_s >= oldest_kept_s) continue;
    NETFIN_ASSERT(nonces >= bucket.nonces.size());
    nonces -= bucket.nonces.size();
    expired.push_back(std::exchange(bucket.nonces, NonceSet()));
    bucket.minute = -1;
  }
}

bool ReplayGuard::Shard::ContainsLocked(const NonceHash& hash) const {
  for (const Bucket& bucket : ring) {
    if (bucket.minute >= 0 && bucket.nonces.contains(hash)) return true;
  }
  return false;
}

ReplayGuard::ReplayGuard(ReplayGuardOptions options)
    : options_(options),
      hash_key_(core::SecretKey::Random()),
      shards_(std::make_unique<Shard[]>(kReplayShards)) {
  NETFIN_ASSERT(options_.window_s > 0 && options_.window_s <= kReplayWindowSMax);
  NETFIN_ASSERT(options_.not_before_s != kReplayNotBeforeUnset);
  NETFIN_ASSERT(options_.not_before_s >= 0);
  NETFIN_ASSERT(options_.nonces_max >= kReplayShards);
  const size_t ring_size = static_cast<size_t>(2 * options_.window_s / kReplayBucketS + 3);
  // A slot is reused for minute m only when the minute it held is at most
  // m - ring_size; that minute's newest timestamp must then be older than
  // the window for any timestamp of minute m that Check can accept.
  static_assert(kReplayBucketS > 0);
  NETFIN_ASSERT(static_cast<int64_t>(ring_size) * kReplayBucketS >
                2 * options_.window_s + kReplayBucketS - 1);
  for (size_t i = 0; i < kReplayShards; ++i) {
    shards_[i].ring.resize(ring_size);
    shards_[i].nonces_max = options_.nonces_max / kReplayShards;
  }
}

ReplayGuard::~ReplayGuard() = default;

ReplayVerdict ReplayGuard::Check(std::string_view key_id, int64_t timestamp_s,
                                 std::string_view nonce, int64_t now_s) {
  NETFIN_ASSERT(now_s >= 0 && now_s <= kClockSMax);  // a clock's value, not user input
  if (timestamp_s > now_s + options_.window_s) return ReplayVerdict::kTooNew;
  if (timestamp_s < now_s - options_.window_s) return ReplayVerdict::kTooOld;
  if (timestamp_s < options_.not_before_s) return ReplayVerdict::kBeforeStart;

  const NonceHash hash = core::TableHash128(hash_key_, key_id, nonce);
  Shard& shard = shards_[hash[0] & (kReplayShards - 1)];
  const int64_t minute = FloorDiv(timestamp_s, kReplayBucketS);
  std::vector<NonceSet> expired;  // freed after the lock is released
  std::lock_guard<std::mutex> lock(shard.mutex);
  shard.ExpireLocked(now_s, options_.window_s, expired);
  Shard::Bucket& bucket = shard.ring[static_cast<size_t>(minute) % shard.ring.size()];
  if (bucket.minute > minute) return ReplayVerdict::kTooOld;  // see the header: clock stepped back
  if (shard.ContainsLocked(hash)) return ReplayVerdict::kReused;
  if (shard.nonces >= shard.nonces_max) return ReplayVerdict::kFull;
  // What the ring size guarantees: the slot is free or already this minute's.
  NETFIN_ASSERT(bucket.minute == -1 || bucket.minute == minute);
  // Point of no return.
  bucket.minute = minute;
  bucket.nonces.insert(hash);
  ++shard.nonces;
  return ReplayVerdict::kFresh;
}

void ReplayGuard::Expire(int64_t now_s) {
  for (size_t i = 0; i < kReplayShards; ++i) {
    std::vector<NonceSet> expired;  // destroyed after the lock is released
    std::lock_guard<std::mutex> lock(shards_[i].mutex);
    shards_[i].ExpireLocked(now_s, options_.window_s, expired);
  }
}

size_t ReplayGuard::NoncesRemembered() const {
  size_t total = 0;
  for (size_t i = 0; i < kReplayShards; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mutex);
    total += shards_[i].nonces;
  }
  return total;
}

// ---- Webhook signatures -----------------------------------------------------------

std::string WebhookSignatureHeader(std::string_view secret, int64_t timestamp_s,
                                   std::string_view body) {
  NETFIN_ASSERT(timestamp_s >= 0);
  const std::string timestamp = std::to_string(timestamp_s);
  std::string signed_text = timestamp + ".";
  signed_text.append(body);
  return "t=" + timestamp + ",v1=" + core::HmacSha256Hex(secret, signed_text);
}

bool VerifyWebhookSignature(std::string_view secret, std::string_view header, std::string_view body,
                            int64_t now_s, int64_t tolerance_s) {
  NETFIN_ASSERT(tolerance_s >= 0);
  NETFIN_ASSERT(now_s >= 0 && now_s <= kClockSMax);  // a clock's value, not user input
  WebhookHeader parsed;
  if (!ParseWebhookHeader(header, parsed)) return false;
  const std::optional<int64_t> timestamp_s = ParseTimestamp(parsed.timestamp);
  if (!timestamp_s) return false;
  const int64_t skew_s = *timestamp_s - now_s;  // both bounded: cannot overflow
  if (skew_s > tolerance_s || -skew_s > tolerance_s) return false;
  std::string signed_text(parsed.timestamp);
  signed_text.push_back('.');
  signed_text.append(body);
  const std::string expected = core::HmacSha256Hex(secret, signed_text);
  bool matched = false;
  for (std::string_view signature : parsed.signatures) {
    matched |= core::ConstantTimeEqual(expected, signature);  // no early exit: constant time
  }
  return matched;
}

}  // namespace netfin::api
