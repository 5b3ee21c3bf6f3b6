// Micro-benchmarks of the keyed hashes a signed payment computes: the keyed
// BLAKE2b (KeyedHash128, persisted ids such as device and address keys) and
// the SipHash for in-memory tables (TableHash128: the replay guard's nonces,
// the idempotency slots), over a key id and a 32-hex-digit nonce.

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

}  // namespace
}  // namespace netfin
