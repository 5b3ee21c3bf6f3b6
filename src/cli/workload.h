#pragma once

// The synthetic workload of the benchmarks and the demo: accounts on ledger 1
// and single-phase transfers between random pairs of them.

#include <cstdint>
#include <random>
#include <vector>

#include "store/records.h"

namespace netfin::cli {

inline constexpr uint32_t kWorkloadLedger = 1;
inline constexpr uint16_t kWorkloadCode = 1;

// Accounts with ids first_id .. first_id + count - 1.
std::vector<store::Account> MakeAccounts(uint64_t first_id, uint64_t count);

// Transfers with sequential ids between accounts [account_first_id,
// account_first_id + accounts), amounts 1..1000 minor units. Deterministic
// for a seed.
class TransferGenerator {
 public:
  TransferGenerator(uint64_t account_first_id, uint64_t accounts, uint64_t transfer_first_id,
                    uint64_t seed);
  std::vector<store::Transfer> Next(size_t count);

 private:
  uint64_t account_first_id_;
  uint64_t accounts_;
  uint64_t next_id_;
  std::mt19937_64 random_;
};

}  // namespace netfin::cli
