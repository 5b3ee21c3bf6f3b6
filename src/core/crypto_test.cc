#include "core/crypto.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "core/scratch_dir.h"

namespace netfin::core {
namespace {

constexpr std::string_view kHexKey =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

bool SameKey(const SecretKey& a, const SecretKey& b) {
  return std::memcmp(a.data(), b.data(), SecretKey::size()) == 0;
}

void WriteFile(const std::string& path, std::string_view content, mode_t mode = 0600) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> DirectoryEntries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  while (dirent* entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  return names;
}

std::vector<unsigned char> DecodeBase64(const std::string& text) {
  std::vector<unsigned char> bytes(text.size());
  size_t size = 0;
  EXPECT_EQ(sodium_base642bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr, &size,
                              nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
            0);
  bytes.resize(size);
  return bytes;
}

std::string EncodeBase64(const std::vector<unsigned char>& bytes) {
  std::string text(
      sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  text.resize(std::strlen(text.c_str()));
  return text;
}

// ---- SecretKey ----------------------------------------------------------------

TEST(SecretKey, FromHexAcceptsExactly64HexDigitsOfEitherCase) {
  Result<SecretKey> key = SecretKey::FromHex(kHexKey);
  ASSERT_TRUE(key.ok());
  for (size_t i = 0; i < SecretKey::size(); ++i) EXPECT_EQ(key->data()[i], i);
  std::string upper(kHexKey);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Result<SecretKey> upper_key = SecretKey::FromHex(upper);
  ASSERT_TRUE(upper_key.ok());
  EXPECT_TRUE(SameKey(*key, *upper_key));
}

TEST(SecretKey, FromHexRefusesAnythingElse) {
  const std::string good(kHexKey);
  for (const std::string& bad :
       {std::string(), good.substr(0, 63), good + "0", good + "\n", "g" + good.substr(1),
        good.substr(0, 63) + " ", " " + good.substr(1), std::string(64, 'x')}) {
    Result<SecretKey> key = SecretKey::FromHex(bad);
    ASSERT_FALSE(key.ok()) << bad;
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(SecretKey, RandomKeysDifferAndMoveTransfersTheBytes) {
  SecretKey a = SecretKey::Random();
  SecretKey b = SecretKey::Random();
  EXPECT_FALSE(SameKey(a, b));
  std::vector<unsigned char> a_bytes(a.data(), a.data() + SecretKey::size());
  SecretKey moved = std::move(a);
  EXPECT_EQ(std::memcmp(moved.data(), a_bytes.data(), a_bytes.size()), 0);
  b = std::move(moved);
  EXPECT_EQ(std::memcmp(b.data(), a_bytes.data(), a_bytes.size()), 0);
}

TEST(SecretKey, LoadOrCreateCreatesA0600FileAndReloadsTheSameKey) {
  ScratchDir dir;
  const std::string path = dir.File("pii.key");
  Result<SecretKey> created = SecretKey::LoadOrCreate(path);
  ASSERT_TRUE(created.ok()) << created.status().ToString();

  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const std::string content = ReadFile(path);
  ASSERT_EQ(content.size(), 65u);
  EXPECT_EQ(content.back(), '\n');
  EXPECT_EQ(content.find_first_not_of("0123456789abcdef"), 64u);
  // Nothing is left behind under a temporary name.
  EXPECT_EQ(DirectoryEntries(dir.path()), std::vector<std::string>{"pii.key"});

  Result<SecretKey> reloaded = SecretKey::LoadOrCreate(path);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  EXPECT_TRUE(SameKey(*created, *reloaded));
  Result<SecretKey> from_hex = SecretKey::FromHex(std::string_view(content).substr(0, 64));
  ASSERT_TRUE(from_hex.ok());
  EXPECT_TRUE(SameKey(*created, *from_hex));
}

TEST(SecretKey, LoadOrCreateReadsAFileWithoutANewlineAndWithUpperCase) {
  ScratchDir dir;
  const std::string path = dir.File("k");
  std::string upper(kHexKey);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& content : {std::string(kHexKey), upper, upper + "\n"}) {
    WriteFile(path, content, 0400);
    Result<SecretKey> key = SecretKey::LoadOrCreate(path);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_TRUE(SameKey(*key, *SecretKey::FromHex(kHexKey)));
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  }
}

TEST(SecretKey, LoadOrCreateRefusesBadKeyFiles) {
  ScratchDir dir;
  const std::string good(kHexKey);
  struct Case {
    std::string content;
    std::string_view why;
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"\n", "only a newline"},
      {good.substr(0, 63) + "\n", "63 digits"},
      {good + "0\n", "65 digits"},
      {good + "\n\n", "two newlines"},
      {good + "\r\n", "CRLF"},
      {good + " \n", "trailing space"},
      {" " + good, "leading space"},
      {good.substr(0, 10) + "z" + good.substr(11), "a non-hex digit"},
      {good + "\n" + good + "\n", "two keys"},
      {std::string(4096, 'a'), "a large file"},
  };
  for (const Case& c : cases) {
    const std::string path = dir.File("bad.key");
    WriteFile(path, c.content);
    Result<SecretKey> key = SecretKey::LoadOrCreate(path);
    ASSERT_FALSE(key.ok()) << c.why;
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument) << c.why;
    EXPECT_NE(key.status().message().find("64 hex digits"), std::string::npos) << c.why;
    // The file is left as it was: a bad key is never replaced by a new one.
    EXPECT_EQ(ReadFile(path), c.content) << c.why;
  }
}

TEST(SecretKey, LoadOrCreateRefusesAFileOthersMayRead) {
  ScratchDir dir;
  const std::string path = dir.File("open.key");
  for (mode_t mode : {0644, 0640, 0604, 0620}) {
    WriteFile(path, std::string(kHexKey) + "\n", mode);
    Result<SecretKey> key = SecretKey::LoadOrCreate(path);
    ASSERT_FALSE(key.ok()) << mode;
    EXPECT_EQ(key.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(key.status().message().find("chmod 600"), std::string::npos);
  }
}

TEST(SecretKey, LoadOrCreateRefusesADirectoryAndAMissingDirectory) {
  ScratchDir dir;
  const std::string sub = dir.File("sub");
  ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
  Result<SecretKey> directory = SecretKey::LoadOrCreate(sub);
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().code(), StatusCode::kInvalidArgument);

  Result<SecretKey> missing = SecretKey::LoadOrCreate(dir.File("no/such/dir/k"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
}

TEST(SecretKey, ConcurrentLoadOrCreateAgreesOnOneKey) {
  ScratchDir dir;
  const std::string path = dir.File("raced.key");
  constexpr int kThreads = 8;
  std::vector<std::vector<unsigned char>> keys(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Result<SecretKey> key = SecretKey::LoadOrCreate(path);
      ASSERT_TRUE(key.ok()) << key.status().ToString();
      keys[t].assign(key->data(), key->data() + SecretKey::size());
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(keys[t], keys[0]);
  EXPECT_EQ(DirectoryEntries(dir.path()), std::vector<std::string>{"raced.key"});
}

// ---- Authenticated encryption ------------------------------------------------

TEST(SealText, RoundTrips) {
  const SecretKey key = SecretKey::Random();
  for (const std::string& plaintext :
       {std::string(), std::string("13812345678"), std::string("张三丰"), std::string(10000, 'x'),
        std::string("\0binary\xff", 8)}) {
    const std::string sealed = SealText(key, plaintext, "party:42:phone");
    EXPECT_EQ(sealed.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    // 24-byte nonce + 16-byte tag, base64 without padding.
    EXPECT_EQ(sealed.size(), ((24 + plaintext.size() + 16) * 4 + 2) / 3);
    Result<std::string> opened = OpenText(key, sealed, "party:42:phone");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(*opened, plaintext);
  }
}

TEST(SealText, SealingTwiceGivesDifferentTexts) {
  const SecretKey key = SecretKey::Random();
  EXPECT_NE(SealText(key, "13812345678", "a"), SealText(key, "13812345678", "a"));
}

TEST(OpenText, RefusesEveryAlteredByte) {
  const SecretKey key = SecretKey::Random();
  const std::string sealed = SealText(key, "110101199003071234", "party:7:id_number");
  const std::vector<unsigned char> bytes = DecodeBase64(sealed);
  ASSERT_EQ(bytes.size(), 24u + 18u + 16u);
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char bit : {0x01, 0x80}) {
      std::vector<unsigned char> altered = bytes;
      altered[i] ^= bit;
      Result<std::string> opened = OpenText(key, EncodeBase64(altered), "party:7:id_number");
      ASSERT_FALSE(opened.ok()) << "byte " << i;
      EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
    }
  }
}

TEST(OpenText, RefusesWrongAssociatedDataAndWrongKey) {
  const SecretKey key = SecretKey::Random();
  const std::string sealed = SealText(key, "13812345678", "party:42:phone");
  for (std::string_view other : {"party:43:phone", "party:42:email", "", "party:42:phone "}) {
    Result<std::string> opened = OpenText(key, sealed, other);
    ASSERT_FALSE(opened.ok()) << other;
    EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  }
  Result<std::string> wrong_key = OpenText(SecretKey::Random(), sealed, "party:42:phone");
  ASSERT_FALSE(wrong_key.ok());
  EXPECT_EQ(wrong_key.status().code(), StatusCode::kCorruption);
}

TEST(OpenText, RefusesMalformedText) {
  const SecretKey key = SecretKey::Random();
  const std::string sealed = SealText(key, "x", "ad");
  const std::vector<std::string> malformed = {
      "",
      "AAAA",                                          // too short for nonce and tag
      sealed.substr(0, sealed.size() - 1),             // truncated
      sealed.substr(0, 53),                            // exactly nonce + tag less one byte
      sealed + "=",                                    // padding
      "!" + sealed.substr(1),                          // not base64
      sealed.substr(0, 10) + "+" + sealed.substr(11),  // standard, not URL-safe, alphabet
      sealed + "\n",
  };
  for (const std::string& text : malformed) {
    Result<std::string> opened = OpenText(key, text, "ad");
    ASSERT_FALSE(opened.ok()) << text;
    EXPECT_EQ(opened.status().code(), StatusCode::kCorruption) << text;
  }
}

// ---- Hashes, MACs, comparison ---------------------------------------------------

TEST(Sha256Hex, KnownAnswers) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // FIPS 180-2's two-block message.
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(HmacSha256Hex, Rfc4231TestVectors) {
  // Test case 1: a 20-byte key.
  EXPECT_EQ(HmacSha256Hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a key shorter than the output.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a 131-byte key, longer than SHA-256's 64-byte block.
  EXPECT_EQ(HmacSha256Hex(std::string(131, '\xaa'),
                          "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // Test case 7: a long key and a long message.
  EXPECT_EQ(HmacSha256Hex(std::string(131, '\xaa'),
                          "This is a test using a larger than block-size key and a larger than "
                          "block-size data. The key needs to be hashed before being used by the "
                          "HMAC algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

// libsodium's HMAC-SHA256, as hex: a reference independent of OpenSSL and
// of HmacSha256Key (which HmacSha256Hex is built on).
std::string ReferenceHmacSha256Hex(std::string_view key, std::string_view message) {
  crypto_auth_hmacsha256_state state;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[2 * sizeof mac + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

// A prepared key answers every message as an independent HMAC does, for
// keys shorter than, as long as and longer than a block, and messages
// around the padding boundaries, from copies and from several threads at
// once; the one-shot function agrees too.
TEST(HmacSha256Key, MatchesTheOneShotMacForEveryMessage) {
  std::mt19937_64 random(9);
  auto bytes = [&random](size_t size) {
    std::string out(size, '\0');
    for (char& c : out) c = static_cast<char>(random());
    return out;
  };
  for (size_t key_size : {0, 1, 32, 63, 64, 65, 200}) {
    const std::string key = bytes(key_size);
    const HmacSha256Key prepared(key);
    const HmacSha256Key copy = prepared;
    for (size_t message_size : {0, 1, 55, 56, 64, 300, 5000}) {
      const std::string message = bytes(message_size);
      const std::string expected = ReferenceHmacSha256Hex(key, message);
      EXPECT_EQ(prepared.Hex(message), expected) << key_size << "/" << message_size;
      EXPECT_EQ(copy.Hex(message), expected) << key_size << "/" << message_size;
      EXPECT_EQ(HmacSha256Hex(key, message), expected) << key_size << "/" << message_size;
    }
  }
  EXPECT_EQ(HmacSha256Key("Jefe").Hex("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const HmacSha256Key shared(std::string(20, '\x0b'));
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (shared.Hex("Hi There") !=
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7") {
          ++wrong;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(HmacSha256Hex, EmptyKeyAndMessageWork) {
  // Right after a call with a key: nothing of that key may carry over.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HmacSha256Hex("", ""),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacSha256Hex, SeveralThreadsAtOnceAgree) {
  // Hashes and MACs computed on several threads at once agree.
  std::vector<std::string> macs(4), hashes(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < macs.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        macs[t] = HmacSha256Hex("key " + std::to_string(i % 7), "message");
        hashes[t] = Sha256Hex("abc");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t t = 0; t < macs.size(); ++t) {
    EXPECT_EQ(macs[t], HmacSha256Hex("key " + std::to_string(999 % 7), "message"));
    EXPECT_EQ(hashes[t], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEqual("", ""));
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEqual("", "a"));
  EXPECT_FALSE(ConstantTimeEqual(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(KeyedHash128, DependsOnKeyAndDataAndFramesTwoParts) {
  const SecretKey key = SecretKey::FromHex(kHexKey).value();
  const SecretKey other = SecretKey::Random();
  EXPECT_EQ(KeyedHash128(key, "nonce"), KeyedHash128(key, "nonce"));
  EXPECT_NE(KeyedHash128(key, "nonce"), KeyedHash128(key, "nonce2"));
  EXPECT_NE(KeyedHash128(key, "nonce"), KeyedHash128(other, "nonce"));
  EXPECT_EQ(KeyedHash128(key, "ab", "c"), KeyedHash128(key, "ab", "c"));
  EXPECT_NE(KeyedHash128(key, "ab", "c"), KeyedHash128(key, "a", "bc"));
  EXPECT_NE(KeyedHash128(key, "", "abc"), KeyedHash128(key, "abc", ""));
  // BLAKE2b-128 keyed with bytes 00..1f of the empty input: the first bytes
  // of the output as little-endian words.
  unsigned char expected[16];
  ASSERT_EQ(crypto_generichash(expected, sizeof expected, nullptr, 0, key.data(), key.size()), 0);
  uint64_t low = 0;
  for (int i = 7; i >= 0; --i) low = (low << 8) | expected[i];
  EXPECT_EQ(KeyedHash128(key, "")[0], low);
}

TEST(TableHash128, IsSipHashOverTheFramedPartsAndDependsOnKeyAndData) {
  const SecretKey key = SecretKey::FromHex(kHexKey).value();
  const SecretKey other = SecretKey::Random();
  EXPECT_EQ(TableHash128(key, "key_1", "nonce"), TableHash128(key, "key_1", "nonce"));
  EXPECT_NE(TableHash128(key, "key_1", "nonce"), TableHash128(key, "key_1", "nonce2"));
  EXPECT_NE(TableHash128(key, "key_1", "nonce"), TableHash128(other, "key_1", "nonce"));
  EXPECT_NE(TableHash128(key, "ab", "c"), TableHash128(key, "a", "bc"));
  EXPECT_NE(TableHash128(key, "", "abc"), TableHash128(key, "abc", ""));
  EXPECT_NE(TableHash128(key, "ab", "c"), KeyedHash128(key, "ab", "c"));
  // Short (on the stack) and long (on the heap) inputs: SipHash-2-4-128
  // keyed with the key's first 16 bytes over length(first) as a
  // little-endian u64, first, second.
  for (const size_t second_size : {size_t{0}, size_t{40}, size_t{503}, size_t{504}, size_t{5000}}) {
    const std::string first = "key_abc";
    const std::string second(second_size, 'n');
    std::string framed(8, '\0');
    framed[0] = static_cast<char>(first.size());
    framed += first + second;
    unsigned char expected[16];
    const auto* framed_bytes = reinterpret_cast<const unsigned char*>(framed.data());
    ASSERT_EQ(crypto_shorthash_siphashx24(expected, framed_bytes, framed.size(), key.data()), 0);
    uint64_t low = 0;
    uint64_t high = 0;
    for (int i = 7; i >= 0; --i) low = (low << 8) | expected[i];
    for (int i = 15; i >= 8; --i) high = (high << 8) | expected[i];
    EXPECT_EQ(TableHash128(key, first, second), (std::array<uint64_t, 2>{low, high}))
        << second_size;
  }
}

// ---- Random ---------------------------------------------------------------------

TEST(RandomHex, HasTwoDigitsPerByteAndDiffers) {
  EXPECT_EQ(RandomHex(0), "");
  const std::string a = RandomHex(16);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, RandomHex(16));
}

TEST(RandomHex, DrawsNeverRepeatAcrossPoolRefillsAndThreads) {
  // Far more than one 4 KiB pool per thread, and sizes that straddle refills.
  std::set<std::string> seen;
  std::mutex mutex;
  auto draw = [&] {
    std::vector<std::string> mine;
    for (int i = 0; i < 2000; ++i) mine.push_back(RandomHex(16 + i % 7));
    mine.push_back(RandomHex(4096));  // past the pool: straight from libsodium
    std::lock_guard lock(mutex);
    for (auto& s : mine) EXPECT_TRUE(seen.insert(std::move(s)).second);
  };
  std::thread other(draw);
  draw();
  other.join();
  EXPECT_EQ(seen.size(), 2u * 2001u);
}

TEST(RandomHex, AForkedChildDoesNotReuseTheParentsPool) {
  (void)RandomHex(16);  // the parent's pool now holds bytes not yet handed out
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string drawn = RandomHex(16);
    _exit(write(fds[1], drawn.data(), drawn.size()) == static_cast<ssize_t>(drawn.size()) ? 0 : 1);
  }
  close(fds[1]);
  const std::string parent = RandomHex(16);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::string from_child(32, '\0');
  ASSERT_EQ(read(fds[0], from_child.data(), from_child.size()), 32);
  close(fds[0]);
  EXPECT_NE(from_child, parent);
}

TEST(RandomBelow, StaysInRangeAndCoversIt) {
  EXPECT_EQ(RandomBelow(1), 0u);
  std::set<uint32_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const uint32_t value = RandomBelow(7);
    ASSERT_LT(value, 7u);
    seen.insert(value);
  }
  EXPECT_EQ(seen.size(), 7u);
}

// ---- Masking ----------------------------------------------------------------------

struct MaskCase {
  std::string_view input;
  std::string_view masked;
};

TEST(MaskPhone, ShowsFirstThreeAndLastFourDigits) {
  const MaskCase cases[] = {
      {"13812345678", "138****5678"},
      {"+86 138-1234-5678", "861******5678"},
      {"+8613812345678", "861******5678"},
      {"12345678901", "123****8901"},  // 11 digits: the shortest partly shown
      {"1234567890", "**********"},    // 10 digits: 3 + 4 shown would hide only 3
      {"5551234", "*******"},
      {"1", "*"},
      {"", ""},
      {"no digits", ""},
  };
  for (const MaskCase& c : cases) EXPECT_EQ(MaskPhone(c.input), c.masked) << c.input;
}

TEST(MaskIdNumber, ShowsFirstThreeAndLastFour) {
  const MaskCase cases[] = {
      {"110101199003071234", "110***********1234"},
      {"11010119900307123X", "110***********123X"},
      {"ABCDEFGHIJK", "ABC****HIJK"},  // 11: the shortest partly shown
      {"E12345678", "*********"},
      {"ABCDEFGHIJ", "**********"},
      {"", ""},
      {"甲乙丙丁戊己庚辛壬癸子", "甲乙丙****辛壬癸子"},  // counts code points
  };
  for (const MaskCase& c : cases) EXPECT_EQ(MaskIdNumber(c.input), c.masked) << c.input;
}

TEST(MaskBankAccount, ShowsTheLastFourOnly) {
  const MaskCase cases[] = {
      {"6222021234567890123", "****0123"},
      {"6222 0212 3456 7890 123", "****0123"},
      {"GB82 WEST 1234 5698 7654 32", "****5432"},
      {"12345678", "****5678"},  // 8: the shortest partly shown
      {"1234567", "****"},
      {"", "****"},
  };
  for (const MaskCase& c : cases) EXPECT_EQ(MaskBankAccount(c.input), c.masked) << c.input;
}

TEST(MaskName, KeepsTheFirstCodePoint) {
  const MaskCase cases[] = {
      {"张三丰", "张**"},
      {"张三", "张*"},
      {"张", "*"},
      {"Alice Smith", "A**********"},
      {"Al", "A*"},
      {"A", "*"},
      {"", ""},
      {"Émile", "É****"},
      {"😀ab", "😀**"},      // a 4-byte code point
      {"\xe5\xbc", "**"},  // a truncated 3-byte code point: two invalid bytes
      {"\xff"
       "abc",
       "****"},  // an invalid first byte is never copied
      {"\xc0\xaf"
       "b",
       "***"},  // an overlong encoding is invalid
  };
  for (const MaskCase& c : cases) EXPECT_EQ(MaskName(c.input), c.masked) << c.input;
}

}  // namespace
}  // namespace netfin::core
