#include "api/key_registry.h"

#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "core/assert.h"

namespace netfin::api {
namespace {

// Role event types of ledger::Role::kAuth. DO NOT RENUMBER: persisted.
constexpr uint16_t kApiKeyCreated = 1;

std::string_view KeyBytes(const core::SecretKey& key) {
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}

// "key_id\nrole\nparty": small, fixed, and nothing secret in it.
std::string Encode(const ApiKey& key) {
  return fmt::format("{}\n{}\n{}", key.key_id, static_cast<int>(key.role), key.party_id.ToDecimal());
}

std::optional<ApiKey> Decode(std::string_view payload) {
  const size_t a = payload.find('\n');
  const size_t b = a == std::string_view::npos ? a : payload.find('\n', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  ApiKey key;
  key.key_id = std::string(payload.substr(0, a));
  const std::string_view role = payload.substr(a + 1, b - a - 1);
  if (role != "1" && role != "2" && role != "3") return std::nullopt;
  key.role = static_cast<payments::PrincipalRole>(role[0] - '0');
  auto party = core::Id128::ParseDecimal(payload.substr(b + 1));
  if (!party) return std::nullopt;
  key.party_id = *party;
  return key;
}

}  // namespace

std::string ApiKeySecret(const core::SecretKey& master_key, std::string_view key_id) {
  return core::HmacSha256Hex(KeyBytes(master_key), "api-key/" + std::string(key_id));
}

void KeyRegistry::Replay(const store::RoleEvent& event) {
  if (event.role != static_cast<uint16_t>(ledger::Role::kAuth)) return;
  NETFIN_ASSERT(event.type == kApiKeyCreated);
  auto key = Decode(event.payload);
  NETFIN_ASSERT(key.has_value());  // the chain check guards stored events
  Insert(std::move(*key));
}

KeyRegistry::KeyRegistry(const core::SecretKey& master_key)
    : master_key_(master_key),
      operator_{ApiKey{std::string(kOperatorKeyId), payments::PrincipalRole::kOperator, {}},
                core::HmacSha256Key(ApiKeySecret(master_key, kOperatorKeyId))},
      unknown_mac_(core::RandomHex(32)) {}

void KeyRegistry::Insert(ApiKey key) {
  core::HmacSha256Key mac(ApiKeySecret(master_key_, key.key_id));  // outside the lock
  std::unique_lock lock(mutex_);
  std::string id = key.key_id;
  keys_.insert_or_assign(std::move(id), Entry{std::move(key), std::move(mac)});
}

std::optional<ApiKey> KeyRegistry::Find(std::string_view key_id) const {
  return FindWithMac(key_id, nullptr);
}

std::optional<ApiKey> KeyRegistry::FindWithMac(std::string_view key_id,
                                               std::optional<core::HmacSha256Key>* mac) const {
  auto found = [mac](const Entry& entry) {
    if (mac != nullptr) mac->emplace(entry.mac);
    return std::optional<ApiKey>(entry.key);
  };
  if (key_id == kOperatorKeyId) return found(operator_);
  std::shared_lock lock(mutex_);
  auto it = keys_.find(absl::string_view(key_id.data(), key_id.size()));  // no copy
  if (it == keys_.end()) {
    if (mac != nullptr) mac->emplace(unknown_mac_);
    return std::nullopt;
  }
  return found(it->second);
}

void KeyRegistry::Create(ledger::LedgerService& ledger, const std::string& scope,
                         const std::string& idempotency_key, payments::PrincipalRole role,
                         const core::Id128& party_id, Done done) {
  const auto h = core::KeyedHash128(master_key_, "api-key-id/" + scope, idempotency_key);
  ApiKey wanted;
  wanted.key_id = fmt::format("key_{:016x}{:08x}", h[0], static_cast<uint32_t>(h[1]));
  wanted.role = role;
  wanted.party_id = party_id;
  struct Outcome {
    std::optional<ApiKey> key;
    bool conflict = false;
  };
  auto outcome = std::make_shared<Outcome>();
  ledger::Command command;
  command.apply = [this, wanted, outcome](ledger::CommandContext& ctx) {
    if (std::optional<ApiKey> existing = Find(wanted.key_id)) {
      if (existing->role != wanted.role || existing->party_id != wanted.party_id) {
        outcome->conflict = true;
      } else {
        outcome->key = existing;
      }
      return;
    }
    ctx.AppendEvent(ledger::Role::kAuth, kApiKeyCreated, wanted.party_id, {}, Encode(wanted));
    Insert(wanted);
    outcome->key = wanted;
  };
  command.done = [outcome, done = std::move(done)](core::Status status) {
    done(status, status.ok() ? outcome->key : std::nullopt, outcome->conflict);
  };
  ledger.SubmitCommand(std::move(command));
}

}  // namespace netfin::api
