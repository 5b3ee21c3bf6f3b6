#include "api/key_registry.h"

#include <gtest/gtest.h>

#include "ledger/command.h"

namespace netfin::api {
namespace {

store::RoleEvent KeyCreated(std::string payload) {
  store::RoleEvent e;
  e.role = static_cast<uint16_t>(ledger::Role::kAuth);
  e.type = 1;  // kApiKeyCreated
  e.payload = std::move(payload);
  return e;
}

TEST(KeyRegistry, AKnownKeyComesWithItsDerivedSecret) {
  const core::SecretKey master = core::SecretKey::Random();
  KeyRegistry keys(master);
  keys.Replay(KeyCreated("key_a\n2\n42"));  // a customer
  std::string secret;
  const std::optional<ApiKey> key = keys.FindWithSecret("key_a", &secret);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->key_id, "key_a");
  EXPECT_EQ(key->role, payments::PrincipalRole::kCustomer);
  EXPECT_EQ(key->party_id, core::Id128::FromU64(42));
  EXPECT_EQ(secret, ApiKeySecret(master, "key_a"));
  EXPECT_EQ(secret, keys.SecretOf("key_a"));
}

TEST(KeyRegistry, TheOperatorKeyExistsWithoutAnEvent) {
  const core::SecretKey master = core::SecretKey::Random();
  KeyRegistry keys(master);
  std::string secret;
  const std::optional<ApiKey> key = keys.FindWithSecret(kOperatorKeyId, &secret);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->role, payments::PrincipalRole::kOperator);
  EXPECT_EQ(secret, ApiKeySecret(master, kOperatorKeyId));
}

TEST(KeyRegistry, AnUnknownKeyHasNoKeyAndASecretNobodyCanSignWith) {
  const core::SecretKey master = core::SecretKey::Random();
  KeyRegistry keys(master);
  std::string secret;
  EXPECT_FALSE(keys.FindWithSecret("key_nobody", &secret).has_value());
  EXPECT_EQ(secret.size(), 64u);  // as long as a real one: the check costs the same
  EXPECT_NE(secret, ApiKeySecret(master, "key_nobody"));
  EXPECT_FALSE(keys.Find("key_nobody").has_value());
}

}  // namespace
}  // namespace netfin::api
