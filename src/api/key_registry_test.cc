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
  std::optional<core::HmacSha256Key> mac;
  const std::optional<ApiKey> key = keys.FindWithMac("key_a", &mac);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->key_id, "key_a");
  EXPECT_EQ(key->role, payments::PrincipalRole::kCustomer);
  EXPECT_EQ(key->party_id, core::Id128::FromU64(42));
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(mac->Hex("a request"), core::HmacSha256Hex(ApiKeySecret(master, "key_a"), "a request"));
  EXPECT_EQ(keys.SecretOf("key_a"), ApiKeySecret(master, "key_a"));
}

TEST(KeyRegistry, TheOperatorKeyExistsWithoutAnEvent) {
  const core::SecretKey master = core::SecretKey::Random();
  KeyRegistry keys(master);
  std::optional<core::HmacSha256Key> mac;
  const std::optional<ApiKey> key = keys.FindWithMac(kOperatorKeyId, &mac);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->role, payments::PrincipalRole::kOperator);
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(mac->Hex("a request"),
            core::HmacSha256Hex(ApiKeySecret(master, kOperatorKeyId), "a request"));
}

TEST(KeyRegistry, AnUnknownKeyHasNoKeyAndASecretNobodyCanSignWith) {
  const core::SecretKey master = core::SecretKey::Random();
  KeyRegistry keys(master);
  std::optional<core::HmacSha256Key> mac;
  EXPECT_FALSE(keys.FindWithMac("key_nobody", &mac).has_value());
  // A secret all the same (the check costs what a real key's does), and not
  // the one the id would have.
  ASSERT_TRUE(mac.has_value());
  EXPECT_NE(mac->Hex("a request"),
            core::HmacSha256Hex(ApiKeySecret(master, "key_nobody"), "a request"));
  EXPECT_FALSE(keys.Find("key_nobody").has_value());
}

}  // namespace
}  // namespace netfin::api
