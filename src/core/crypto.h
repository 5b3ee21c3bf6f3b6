#pragma once

// Cryptography for netfin: a secret key kept in locked memory,
// authenticated encryption of personal data at rest, SHA-256 and
// HMAC-SHA256 (request and webhook signatures), constant-time comparison,
// random values, keyed 128-bit hashes, and the masking rules that decide how
// much of a piece of personal data may be shown. libsodium for all of it
// but SHA-256 and HMAC-SHA256, which are OpenSSL's (it uses the CPU's SHA
// extensions).
//
// Everything here is thread-safe: the functions keep no state, and a const
// SecretKey may be read from any number of threads.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/id.h"
#include "core/status.h"

namespace netfin::core {

// Initializes libsodium once per process; thread-safe, and cheap after the
// first call. Random values come from the operating system (getrandom(2)),
// which stays safe across fork; RandomHex, drawn per signed request, takes
// its bytes from a per-thread pool refilled 4 KiB at a time.
void EnsureSodium();

// 32 secret bytes (an XChaCha20-Poly1305 or BLAKE2b key).
//
// Lifecycle and ownership: the bytes live in memory from sodium_malloc, which
// sits between guard pages and is locked (sodium_mlock, best effort: a low
// RLIMIT_MEMLOCK is tolerated) so that it is never written to swap. Once
// filled, the memory is made read-only. The destructor zeroes and frees it.
// Move-only; a moved-from key holds nothing and must not be used.
class SecretKey {
 public:
  static constexpr size_t kBytes = 32;

  // A fresh key from the operating system's random generator.
  static SecretKey Random();
  // Exactly 64 hex digits (either case). Anything else: kInvalidArgument.
  static Result<SecretKey> FromHex(std::string_view hex);
  // Reads the key file at path, or creates it when it does not exist.
  //
  // A key file holds exactly 64 hex digits and an optional trailing "\n".
  // A new file gets a random key, written as 64 lowercase hex digits and a
  // newline, with mode 0600: it is written and fsynced under a temporary
  // name, then linked into place (no-clobber), and the directory is fsynced,
  // so no reader ever sees a partial key and a crash cannot lose a key that
  // data was already sealed with. When two processes race to create it,
  // both end up with the winner's key.
  //
  // Refused, each with a Status saying why: a file that is not a regular
  // file, that group or others may access (mode & 077: the key decrypts
  // personal data, so like ssh we insist on 0600 or 0400), or whose content
  // is not exactly the format above.
  static Result<SecretKey> LoadOrCreate(const std::string& path);

  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();

  // REQUIRES: the key was not moved from.
  const unsigned char* data() const;
  static constexpr size_t size() { return kBytes; }

 private:
  // Allocates and locks the memory; the caller fills it, then calls Seal().
  SecretKey();
  unsigned char* mutable_data() { return bytes_; }
  // Makes the memory read-only.
  void Seal();

  unsigned char* bytes_ = nullptr;  // sodium_malloc'd, kBytes long
};

// ---------------------------------------------------------------------------
// Authenticated encryption of personal data at rest.
//
// SealText encrypts with XChaCha20-Poly1305 (IETF) under a fresh random
// 24-byte nonce and returns URL-safe base64 without padding of
// nonce || ciphertext || 16-byte tag. associated_data is authenticated but
// not stored: it binds the ciphertext to its record (for example
// "party:<id>:phone"), so a ciphertext copied into another record or field
// does not open there. OpenText needs the same key and associated data.
//
// Sealing the same plaintext twice gives different texts (random nonces), so
// sealed values cannot be compared or indexed; use KeyedHash128 of the
// plaintext for lookups.

std::string SealText(const SecretKey& key, std::string_view plaintext,
                     std::string_view associated_data);
// kCorruption when sealed is not URL-safe unpadded base64, is too short to
// hold a nonce and a tag, or fails authentication (wrong key, wrong
// associated data, or an altered text: these cannot be told apart).
Result<std::string> OpenText(const SecretKey& key, std::string_view sealed,
                             std::string_view associated_data);

// ---------------------------------------------------------------------------
// Hashes, MACs and comparison.

// SHA-256 of data as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);
// HMAC-SHA256 (RFC 2104) as 64 lowercase hex digits. The key may have any
// length: keys longer than 64 bytes are hashed first, as the RFC says.
std::string HmacSha256Hex(std::string_view key, std::string_view message);

// HMAC-SHA256 with its key prepared once: the SHA-256 states after the
// key's inner and outer pads are kept, so a MAC costs the message's blocks
// and one more, not two more for the key, and sets up no OpenSSL context.
// For a key that signs or checks many messages (an API key's requests).
// Thread-safe: Hex is const and works on copies of the prepared states.
// The states stand for the key: they are wiped when the object goes.
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);
  HmacSha256Key(const HmacSha256Key& other) = default;
  HmacSha256Key& operator=(const HmacSha256Key& other) = default;
  ~HmacSha256Key();

  // HMAC-SHA256 of message as 64 lowercase hex digits.
  std::string Hex(std::string_view message) const;

  // sizeof(SHA256_CTX) on the platforms netfin builds for (crypto.cc
  // asserts it), kept opaque so that this header needs no OpenSSL.
  static constexpr size_t kStateBytes = 112;

 private:
  alignas(8) unsigned char inner_[kStateBytes];
  alignas(8) unsigned char outer_[kStateBytes];
};

// Whether a and b are equal, in time that depends only on their length.
// Different lengths compare unequal at once (lengths are not secret here:
// every caller compares fixed-length digests).
bool ConstantTimeEqual(std::string_view a, std::string_view b);

// BLAKE2b keyed with key, 16 bytes of output, as two little-endian words:
// a pseudonymous, unguessable key for a value (lookups of sealed personal
// data, sets of nonces). Without the key nobody can compute it or aim
// collisions at a hash table.
std::array<uint64_t, 2> KeyedHash128(const SecretKey& key, std::string_view data);
// The same over two values framed unambiguously (the length of first, as a
// little-endian u64, then first, then second), so ("ab", "c") and
// ("a", "bc") differ. Allocates nothing.
std::array<uint64_t, 2> KeyedHash128(const SecretKey& key, std::string_view first,
                                     std::string_view second);
// A keyed hash for in-memory hash tables only (sets of nonces, idempotency
// slots): SipHash-2-4 with 128 bits of output (libsodium's siphashx24),
// keyed with the key's first 16 bytes, over the same framing as the
// two-value KeyedHash128. Without the key nobody can aim collisions at the
// table, and for inputs this short it costs about a tenth of the keyed
// BLAKE2b (bench: BM_TableHash128). Never persist it or use it as a MAC:
// give it a key of its own, made for the process (SecretKey::Random()).
std::array<uint64_t, 2> TableHash128(const SecretKey& key, std::string_view first,
                                     std::string_view second);
// That hash as an id that is never zero (zero means "none"): ids derived
// from what they name, stable without a lookup table (a party's ledger
// accounts, the key of a client's device or address).
Id128 KeyedId(const SecretKey& key, std::string_view first, std::string_view second);

// ---------------------------------------------------------------------------
// Random values (the operating system's generator, via libsodium).

// bytes random bytes as 2 * bytes lowercase hex digits.
std::string RandomHex(size_t bytes);
// Uniform in [0, upper), without modulo bias. REQUIRES: upper > 0.
uint32_t RandomBelow(uint32_t upper);

// ---------------------------------------------------------------------------
// Masking for display. The API never shows personal data whole; these decide
// what part of it may be shown. Inputs are UTF-8; the rules count code points
// (an invalid byte counts as one code point and is never copied to the
// output), and the output never splits a code point. Phone, identity and
// account numbers are masked whole when showing their usual part would leave
// fewer than 4 characters hidden.

// Phone numbers. Only the ASCII digits count; every other character ('+',
// spaces, dashes) is dropped. With 11 or more digits: the first 3 digits,
// one '*' per hidden digit, the last 4 digits. With fewer: one '*' per digit.
//   "13812345678" -> "138****5678", "+86 138-1234-5678" -> "861******5678",
//   "5551234" -> "*******".
std::string MaskPhone(std::string_view phone);

// Identity document numbers. With 11 or more code points: the first 3, one
// '*' per hidden code point, the last 4. With fewer: one '*' per code point.
//   "110101199003071234" -> "110***********1234", "11010119900307123X" ->
//   "110***********123X", "E12345678" -> "*********".
std::string MaskIdNumber(std::string_view id_number);

// Bank account numbers (card numbers, IBANs). Only ASCII letters and digits
// count; spaces and dashes are dropped. With 8 or more: "****" and the last 4
// of them. With fewer: "****". The number of '*' is always 4, so the length
// of the account is not shown either.
//   "6222021234567890123" -> "****0123", "GB82 WEST 1234 5698 7654 32" ->
//   "****5432", "1234567" -> "****".
std::string MaskBankAccount(std::string_view account);

// Personal names. With 2 or more code points: the first code point, then one
// '*' per remaining code point (spaces included). With 1: "*". Empty: "".
//   "张三丰" -> "张**", "张三" -> "张*", "Alice Smith" -> "A**********",
//   "张" -> "*".
std::string MaskName(std::string_view name);

}  // namespace netfin::core
