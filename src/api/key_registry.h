#pragma once

// API keys: who may call, as which role, for which party.
//
// A key is an id and a secret. The secret is never stored: it is derived
// from the master key and the key id (HMAC-SHA256), so the database holds
// nothing that signs requests and a key's secret can be shown again only to
// whoever holds the master key. The registry keeps each secret in memory
// once derived, beside its key. Keys are created by the operator
// (POST /v1/api-keys) as role events (ledger::Role::kAuth) and rebuilt from
// them at recovery. The operator's own root key, "operator", exists without
// an event; its secret comes from the master key too (`netfin keys
// operator-secret` prints it).
//
// Thread-safe: lookups from any io thread, creation through the ledger.

#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "core/crypto.h"
#include "ledger/ledger_service.h"
#include "payments/model.h"

namespace netfin::api {

inline constexpr std::string_view kOperatorKeyId = "operator";

struct ApiKey {
  std::string key_id;
  payments::PrincipalRole role = payments::PrincipalRole::kCustomer;
  core::Id128 party_id;
};

// The secret of key_id under master_key (hex).
std::string ApiKeySecret(const core::SecretKey& master_key, std::string_view key_id);

class KeyRegistry {
 public:
  explicit KeyRegistry(const core::SecretKey& master_key);

  // Recovery: every durable role event (others are ignored).
  void Replay(const store::RoleEvent& event);

  // The key, or nothing for an unknown id.
  std::optional<ApiKey> Find(std::string_view key_id) const;
  // The key and, in *mac, its secret prepared for checking signatures; for
  // an unknown id nothing, and in *mac a random secret that no signature
  // matches, so that checking a request costs the same whether its key
  // exists or not. Secrets are derived and prepared once, when a key is
  // created or replayed (an HMAC per request before, and the key's two pad
  // blocks hashed again for every request). mac may be null (Find).
  std::optional<ApiKey> FindWithMac(std::string_view key_id,
                                    std::optional<core::HmacSha256Key>* mac) const;
  std::string SecretOf(std::string_view key_id) const { return ApiKeySecret(master_key_, key_id); }

  // Creates (or, for the same idempotency scope and key, finds again) a key
  // for a party. The key id derives from the scope and the idempotency key,
  // so a retry answers the same key; the same idempotency key asked for a
  // different role or party answers nullopt with *conflict set. `done` runs
  // once the key is durable.
  using Done = std::function<void(core::Status, std::optional<ApiKey>, bool conflict)>;
  void Create(ledger::LedgerService& ledger, const std::string& scope,
              const std::string& idempotency_key, payments::PrincipalRole role,
              const core::Id128& party_id, Done done);

 private:
  void Insert(ApiKey key);

  struct Entry {
    ApiKey key;
    core::HmacSha256Key mac;  // of ApiKeySecret(master_key_, key.key_id)
  };

  const core::SecretKey& master_key_;
  const Entry operator_;              // the operator's key, which is never stored
  const core::HmacSha256Key unknown_mac_;  // checked against for ids nobody holds
  mutable std::shared_mutex mutex_;
  absl::flat_hash_map<std::string, Entry> keys_;  // guarded by mutex_
};

}  // namespace netfin::api
