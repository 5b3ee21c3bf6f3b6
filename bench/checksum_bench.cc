// Micro-benchmarks of the journal's checksums: raw BLAKE2b throughput of
// core::ChecksumBuilder, and store::ChainChecksum, which the store computes
// for every committed batch (field by field, in the journal's canonical
// encoding) and `netfin verify` recomputes for every stored batch.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "core/checksum.h"
#include "core/limits.h"
#include "store/store.h"

namespace netfin {
namespace {

// TigerBeetle's event size: a full batch of 128-byte events is about 1 MiB.
constexpr int64_t kEventBytes = 128;

// BLAKE2b-256 over one contiguous buffer of `bytes` (one Update, one Final).
void BM_ChecksumBuilder(benchmark::State& state) {
  const auto bytes = static_cast<size_t>(state.range(0));
  std::vector<unsigned char> buffer(bytes);
  std::mt19937_64 random(7);
  for (unsigned char& byte : buffer) byte = static_cast<unsigned char>(random());
  for (auto _ : state) {
    core::ChecksumBuilder builder;
    builder.Update(buffer.data(), buffer.size());
    core::Checksum checksum = builder.Final();
    benchmark::DoNotOptimize(checksum);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}
BENCHMARK(BM_ChecksumBuilder)
    ->ArgName("bytes")
    ->Arg(64)
    ->Arg(4096)
    ->Arg(static_cast<int64_t>(core::kBatchEventsMax) * kEventBytes);

// The same hash fed 8 bytes at a time, as ChainChecksum feeds record fields:
// the cost of many small Update calls over the same amount of data.
void BM_ChecksumBuilderU64(benchmark::State& state) {
  const auto values_count = static_cast<size_t>(state.range(0)) / sizeof(uint64_t);
  for (auto _ : state) {
    core::ChecksumBuilder builder;
    for (uint64_t i = 0; i < values_count; ++i) builder.UpdateU64(i);
    core::Checksum checksum = builder.Final();
    benchmark::DoNotOptimize(checksum);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(values_count * sizeof(uint64_t)));
}
BENCHMARK(BM_ChecksumBuilderU64)
    ->ArgName("bytes")
    ->Arg(static_cast<int64_t>(core::kBatchEventsMax) * kEventBytes);

// A batch of `count` transfers with every field set, as a commit produces it.
store::Batch TransferBatch(size_t count) {
  std::mt19937_64 random(11);
  auto random_id = [&random] { return core::Id128{random(), random()}; };
  store::Batch batch;
  batch.transfers_created.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    store::Transfer& t = batch.transfers_created.emplace_back();
    t.id = random_id();
    t.debit_account_id = random_id();
    t.credit_account_id = random_id();
    t.amount = 1 + random() % 1'000'000;
    t.user_data_128 = random_id();
    t.user_data_64 = random();
    t.user_data_32 = static_cast<uint32_t>(random());
    t.ledger = 1;
    t.code = 1;
    t.timestamp = 1'700'000'000'000'000'000ull + i;
  }
  return batch;
}

// The chained checksum of one batch of `transfers` transfers.
void BM_ChainChecksum(benchmark::State& state) {
  const auto count = static_cast<size_t>(state.range(0));
  const store::Batch batch = TransferBatch(count);
  core::Checksum previous{};
  uint64_t batch_number = 0;
  for (auto _ : state) {
    previous = store::ChainChecksum(previous, ++batch_number, batch);
    benchmark::DoNotOptimize(previous);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(count));
}
BENCHMARK(BM_ChainChecksum)
    ->ArgName("transfers")
    ->Arg(1)
    ->Arg(128)
    ->Arg(static_cast<int64_t>(core::kBatchEventsMax));

}  // namespace
}  // namespace netfin
