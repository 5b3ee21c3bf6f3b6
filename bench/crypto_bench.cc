// Micro-benchmarks of the keyed hashes a signed payment computes: the keyed
// BLAKE2b (KeyedHash128, persisted ids such as device and address keys) and
// the SipHash for in-memory tables (TableHash128: the replay guard's nonces,
// the idempotency slots), over a key id and a 32-hex-digit nonce; and the
// request signature's HMAC-SHA256 over a canonical request, with the key
// prepared per call (HmacSha256Hex) and once (HmacSha256Key).

#include <benchmark/benchmark.h>

#include <string>

#include "core/crypto.h"

namespace netfin {
namespace {

const std::string kKeyId = "key_0123456789abcdef01234567";
const std::string kNonce = "0123456789abcdef0123456789abcdef";

void BM_KeyedHash128(benchmark::State& state) {
  const core::SecretKey key = core::SecretKey::Random();
  for (auto _ : state) benchmark::DoNotOptimize(core::KeyedHash128(key, kKeyId, kNonce));
}
BENCHMARK(BM_KeyedHash128);

void BM_TableHash128(benchmark::State& state) {
  const core::SecretKey key = core::SecretKey::Random();
  for (auto _ : state) benchmark::DoNotOptimize(core::TableHash128(key, kKeyId, kNonce));
}
BENCHMARK(BM_TableHash128);

// A canonical request as a payment's: method, target, timestamp, nonce and
// the body's SHA-256, one per line.
const std::string kCanonical = "POST\n/v1/payments\n1795572000\n" + kNonce + "\n" +
                               core::Sha256Hex(std::string(250, 'b'));
const std::string kSecret(64, 's');

void BM_HmacSha256Hex(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(core::HmacSha256Hex(kSecret, kCanonical));
}
BENCHMARK(BM_HmacSha256Hex);

void BM_HmacSha256KeyPrepared(benchmark::State& state) {
  const core::HmacSha256Key key(kSecret);
  for (auto _ : state) benchmark::DoNotOptimize(key.Hex(kCanonical));
}
BENCHMARK(BM_HmacSha256KeyPrepared);

}  // namespace
}  // namespace netfin
