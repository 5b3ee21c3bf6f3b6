// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP,
// but only they keep a hash's state as a plain struct that can be copied
// (EVP_MD_CTX_copy allocates on every copy): HmacSha256Key needs that.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "core/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <utility>
#include <vector>

#include "core/assert.h"
#include "core/little_endian.h"

namespace netfin::core {
namespace {

static_assert(SecretKey::kBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(SecretKey::kBytes >= crypto_generichash_KEYBYTES_MIN &&
              SecretKey::kBytes <= crypto_generichash_KEYBYTES_MAX);

constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr int kBase64Variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
constexpr size_t kKeyHexChars = 2 * SecretKey::kBytes;
// A key file is 64 hex digits and at most one newline; read one byte more
// than that to notice a longer file.
constexpr size_t kKeyFileBytesMax = kKeyHexChars + 1;
// Attempts to read a key file another process is creating at the same time.
constexpr int kKeyFileAttemptsMax = 2;

// libsodium declares some pointers nonnull even for zero lengths, and an
// empty string_view may hold a null pointer.
const unsigned char* Bytes(std::string_view s) {
  static const unsigned char kEmpty = 0;
  return s.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

std::string ToHex(const unsigned char* bytes, size_t size) {
  std::string hex(2 * size + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, size);
  hex.pop_back();  // the terminating NUL sodium_bin2hex writes
  return hex;
}

// 16 bytes as two little-endian words.
std::array<uint64_t, 2> ToWords(const unsigned char (&bytes)[16]) {
  return {LoadLittleEndian(bytes, 8), LoadLittleEndian(bytes + 8, 8)};
}

void Wipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

Status Errno(std::string_view what, const std::string& path) {
  return IoError(std::string(what) + " " + path + ": " + std::strerror(errno));
}

// ---- Key files ------------------------------------------------------------

// The file's content, kNotFound when it does not exist, or why it may not be
// used as a key file.
Result<std::string> ReadKeyFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return errno == ENOENT ? NotFound("no key file " + path) : Errno("open", path);
  struct stat info {};
  std::string content(kKeyFileBytesMax + 1, '\0');
  Status status;
  size_t size = 0;
  if (::fstat(fd, &info) != 0) {
    status = Errno("stat", path);
  } else if (!S_ISREG(info.st_mode)) {
    status = InvalidArgument("key file " + path + " is not a regular file");
  } else if ((info.st_mode & 077) != 0) {
    status =
        Status(StatusCode::kFailedPrecondition,
               "key file " + path + " may be read or written by group or others; chmod 600 it");
  }
  while (status.ok() && size < content.size()) {  // bounded: size grows or the loop ends
    const ssize_t n = ::read(fd, content.data() + size, content.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = Errno("read", path);
    if (n <= 0) break;
    size += static_cast<size_t>(n);
  }
  ::close(fd);
  if (!status.ok()) {
    Wipe(content);
    return status;
  }
  content.resize(size);
  return content;
}

// Why content (the whole file, less one trailing newline) is not a key.
std::string KeyFileProblem(std::string_view content) {
  if (content.size() >= kKeyFileBytesMax) return "the file is longer than that";
  if (content.size() != kKeyHexChars) {
    return "found " + std::to_string(content.size()) + " characters";
  }
  return "found a character that is not a hex digit";
}

Result<SecretKey> ParseKeyFile(const std::string& path, std::string content) {
  if (!content.empty() && content.back() == '\n') content.pop_back();
  Result<SecretKey> key = SecretKey::FromHex(content);
  const std::string problem = key.ok() ? "" : KeyFileProblem(content);
  Wipe(content);
  if (key.ok()) return key;
  return InvalidArgument("key file " + path +
                         ": expected exactly 64 hex digits and an optional newline; " + problem);
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {  // bounded: data shrinks or the loop returns
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("write", path);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status SyncDirectory(const std::string& path) {
  const std::string dir = DirectoryOf(path);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open directory", dir);
  const bool synced = ::fsync(fd) == 0;
  Status status = synced ? Status::Ok() : Errno("fsync directory", dir);
  ::close(fd);
  return status;
}

// Writes content to a new file at temp_path with mode 0600 and fsyncs it.
Status WriteNewFile(const std::string& temp_path, std::string_view content) {
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create", temp_path);
  Status status = WriteAll(fd, content, temp_path);
  if (status.ok() && ::fsync(fd) != 0) status = Errno("fsync", temp_path);
  ::close(fd);
  return status;
}

// Creates the key file at path with key, or kAlreadyExists when another
// process created it first.
Status CreateKeyFile(const std::string& path, const SecretKey& key) {
  std::string content = ToHex(key.data(), key.size()) + "\n";
  const std::string temp_path = path + ".tmp-" + RandomHex(8);
  Status status = WriteNewFile(temp_path, content);
  Wipe(content);
  // link() never replaces an existing file, unlike rename().
  if (status.ok() && ::link(temp_path.c_str(), path.c_str()) != 0) {
    status = errno == EEXIST ? Status(StatusCode::kAlreadyExists, path) : Errno("link", path);
  }
  ::unlink(temp_path.c_str());
  NETFIN_RETURN_IF_ERROR(status);
  return SyncDirectory(path);
}

// ---- Masking --------------------------------------------------------------

// The shortest value masked in part: below this, fewer than 4 characters
// would stay hidden.
constexpr size_t kMaskShownFirst = 3;
constexpr size_t kMaskShownLast = 4;
constexpr size_t kMaskHiddenMin = 4;
constexpr size_t kMaskPartialMin = kMaskShownFirst + kMaskHiddenMin + kMaskShownLast;  // 11
constexpr size_t kAccountPartialMin = kMaskHiddenMin + kMaskShownLast;                 // 8

// The byte length of a valid UTF-8 code point at the start of text, or 0.
// REQUIRES: !text.empty().
size_t CodePointBytes(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  size_t length = 0;
  if (lead < 0x80) {
    length = 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
  }
  if (length == 0 || length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) return 0;
  }
  return length;
}

// text split into code points; an invalid byte is a code point of its own,
// marked invalid by an empty view.
std::vector<std::string_view> CodePoints(std::string_view text) {
  std::vector<std::string_view> points;
  while (!text.empty()) {  // bounded: text shrinks by at least one byte
    const size_t bytes = CodePointBytes(text);
    points.push_back(bytes == 0 ? std::string_view() : text.substr(0, bytes));
    text.remove_prefix(bytes == 0 ? 1 : bytes);
  }
  return points;
}

// Appends point, or '*' in place of an invalid one.
void AppendShown(std::string& out, std::string_view point) {
  if (point.empty()) {
    out.push_back('*');
  } else {
    out.append(point);
  }
}

// The first 3 and last 4 of points with one '*' per hidden point between, or
// one '*' per point when fewer than 11.
std::string MaskMiddle(const std::vector<std::string_view>& points) {
  std::string out;
  const size_t n = points.size();
  if (n < kMaskPartialMin) return std::string(n, '*');
  for (size_t i = 0; i < kMaskShownFirst; ++i) AppendShown(out, points[i]);
  out.append(n - kMaskShownFirst - kMaskShownLast, '*');
  for (size_t i = n - kMaskShownLast; i < n; ++i) AppendShown(out, points[i]);
  return out;
}

// The ASCII characters of text for which keep(c) holds, one view each.
template <typename Keep>
std::vector<std::string_view> AsciiKept(std::string_view text, Keep keep) {
  std::vector<std::string_view> kept;
  for (size_t i = 0; i < text.size(); ++i) {
    if (keep(static_cast<unsigned char>(text[i]))) kept.push_back(text.substr(i, 1));
  }
  return kept;
}

bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(unsigned char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

void EnsureSodium() {
  // The static makes every call after the first cheap; C++ runs its
  // initializer once even when threads race here.
  // Not libsodium's internal generator: it aborts in a forked child.
  static const bool initialized = sodium_init() >= 0;
  NETFIN_ASSERT(initialized);
}

// ---- SecretKey --------------------------------------------------------------

SecretKey::SecretKey() {
  EnsureSodium();
  bytes_ = static_cast<unsigned char*>(sodium_malloc(kBytes));
  NETFIN_ASSERT(bytes_ != nullptr);
  // sodium_malloc already tries to lock its pages; this makes the intent
  // explicit. Failure (RLIMIT_MEMLOCK) is tolerated: the key still works.
  (void)sodium_mlock(bytes_, kBytes);
}

SecretKey::SecretKey(SecretKey&& other) noexcept : bytes_(std::exchange(other.bytes_, nullptr)) {}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    if (bytes_ != nullptr) sodium_free(bytes_);
    bytes_ = std::exchange(other.bytes_, nullptr);
  }
  return *this;
}

// sodium_free makes the pages writable again, zeroes them, unlocks and frees.
SecretKey::~SecretKey() {
  if (bytes_ != nullptr) sodium_free(bytes_);
}

const unsigned char* SecretKey::data() const {
  NETFIN_ASSERT(bytes_ != nullptr);
  return bytes_;
}

void SecretKey::Seal() { NETFIN_ASSERT(sodium_mprotect_readonly(bytes_) == 0); }

SecretKey SecretKey::Random() {
  SecretKey key;
  randombytes_buf(key.mutable_data(), kBytes);
  key.Seal();
  return key;
}

Result<SecretKey> SecretKey::FromHex(std::string_view hex) {
  if (hex.size() != kKeyHexChars) return InvalidArgument("a key is exactly 64 hex digits");
  SecretKey key;
  size_t decoded = 0;
  const char* end = nullptr;
  const int rc =
      sodium_hex2bin(key.mutable_data(), kBytes, hex.data(), hex.size(), nullptr, &decoded, &end);
  if (rc != 0 || decoded != kBytes || end != hex.data() + hex.size()) {
    return InvalidArgument("a key is exactly 64 hex digits");
  }
  key.Seal();
  return key;
}

Result<SecretKey> SecretKey::LoadOrCreate(const std::string& path) {
  EnsureSodium();
  for (int attempt = 0; attempt < kKeyFileAttemptsMax; ++attempt) {
    Result<std::string> content = ReadKeyFile(path);
    if (content.ok()) return ParseKeyFile(path, std::move(content).value());
    if (content.status().code() != StatusCode::kNotFound) return content.status();
    SecretKey key = Random();
    const Status created = CreateKeyFile(path, key);
    if (created.ok()) return key;
    if (created.code() != StatusCode::kAlreadyExists) return created;
    // Another process created the file first: read theirs.
  }
  return IoError("key file " + path + " keeps appearing and disappearing");
}

// ---- Authenticated encryption ---------------------------------------------

std::string SealText(const SecretKey& key, std::string_view plaintext,
                     std::string_view associated_data) {
  EnsureSodium();
  std::vector<unsigned char> sealed(kNonceBytes + plaintext.size() + kTagBytes);
  randombytes_buf(sealed.data(), kNonceBytes);
  unsigned long long ciphertext_bytes = 0;
  NETFIN_ASSERT(crypto_aead_xchacha20poly1305_ietf_encrypt(
                    sealed.data() + kNonceBytes, &ciphertext_bytes, Bytes(plaintext),
                    plaintext.size(), Bytes(associated_data), associated_data.size(), nullptr,
                    sealed.data(), key.data()) == 0);
  NETFIN_ASSERT(ciphertext_bytes == plaintext.size() + kTagBytes);
  std::string text(sodium_base64_ENCODED_LEN(sealed.size(), kBase64Variant), '\0');
  sodium_bin2base64(text.data(), text.size(), sealed.data(), sealed.size(), kBase64Variant);
  text.resize(std::strlen(text.c_str()));
  return text;
}

Result<std::string> OpenText(const SecretKey& key, std::string_view sealed,
                             std::string_view associated_data) {
  EnsureSodium();
  std::vector<unsigned char> bytes(sealed.size() / 4 * 3 + 3);
  size_t size = 0;
  const char* end = nullptr;
  if (sodium_base642bin(bytes.data(), bytes.size(), sealed.data(), sealed.size(), nullptr, &size,
                        &end, kBase64Variant) != 0 ||
      end != sealed.data() + sealed.size()) {
    return Corruption("sealed text is not URL-safe base64 without padding");
  }
  if (size < kNonceBytes + kTagBytes) return Corruption("sealed text is too short");
  std::string plaintext(size - kNonceBytes - kTagBytes, '\0');
  unsigned long long plaintext_bytes = 0;
  auto* out = plaintext.empty() ? nullptr : reinterpret_cast<unsigned char*>(plaintext.data());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out, &plaintext_bytes, nullptr, bytes.data() + kNonceBytes, size - kNonceBytes,
          Bytes(associated_data), associated_data.size(), bytes.data(), key.data()) != 0) {
    return Corruption("sealed text fails authentication (wrong key or record, or altered)");
  }
  NETFIN_ASSERT(plaintext_bytes == plaintext.size());
  return plaintext;
}

// ---- Hashes, MACs, comparison -----------------------------------------------

// SHA-256 and HMAC-SHA256 come from OpenSSL's libcrypto, which uses the
// CPU's SHA extensions: every signed request is hashed and MACed on both
// sides, and libsodium's portable SHA-256 was a tenth of the payments
// benchmark's CPU time (docs/benchmarks.md). libsodium keeps everything else.
//
// Both work on OpenSSL's plain SHA-256 state (SHA256_CTX): OpenSSL 3's EVP
// calls fetch the algorithm (a lock and table lookups) and allocate a
// context, which took more of the payments benchmark's samples than the
// hashing itself.
namespace {

// REQUIRES: digest has room for SHA256_DIGEST_LENGTH bytes.
void Sha256(std::string_view data, unsigned char* digest) {
  SHA256_CTX ctx;
  NETFIN_ASSERT(SHA256_Init(&ctx) == 1);
  NETFIN_ASSERT(SHA256_Update(&ctx, Bytes(data), data.size()) == 1);
  NETFIN_ASSERT(SHA256_Final(digest, &ctx) == 1);
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  Sha256(data, digest);
  return ToHex(digest, sizeof digest);
}

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  return HmacSha256Key(key).Hex(message);
}

static_assert(sizeof(SHA256_CTX) == HmacSha256Key::kStateBytes);
static_assert(alignof(SHA256_CTX) <= 8);

HmacSha256Key::HmacSha256Key(std::string_view key) {
  // RFC 2104: a key longer than the block is hashed; the key padded with
  // zeros to the block, XORed with 0x36 (inner) and 0x5c (outer).
  constexpr size_t kBlockBytes = SHA256_CBLOCK;
  unsigned char block[kBlockBytes] = {};
  if (key.size() > kBlockBytes) {
    static_assert(kBlockBytes >= SHA256_DIGEST_LENGTH);
    Sha256(key, block);  // the rest of the block stays zero
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  unsigned char pad[kBlockBytes];
  SHA256_CTX ctx;
  for (auto [state, xor_with] : {std::pair{inner_, 0x36}, std::pair{outer_, 0x5c}}) {
    for (size_t i = 0; i < kBlockBytes; ++i) {
      pad[i] = static_cast<unsigned char>(block[i] ^ xor_with);
    }
    NETFIN_ASSERT(SHA256_Init(&ctx) == 1);
    NETFIN_ASSERT(SHA256_Update(&ctx, pad, sizeof pad) == 1);
    std::memcpy(state, &ctx, sizeof ctx);
  }
  sodium_memzero(block, sizeof block);
  sodium_memzero(pad, sizeof pad);
  sodium_memzero(&ctx, sizeof ctx);
}

HmacSha256Key::~HmacSha256Key() {
  sodium_memzero(inner_, sizeof inner_);
  sodium_memzero(outer_, sizeof outer_);
}

std::string HmacSha256Key::Hex(std::string_view message) const {
  SHA256_CTX ctx;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  std::memcpy(&ctx, inner_, sizeof ctx);
  NETFIN_ASSERT(SHA256_Update(&ctx, Bytes(message), message.size()) == 1);
  NETFIN_ASSERT(SHA256_Final(digest, &ctx) == 1);
  std::memcpy(&ctx, outer_, sizeof ctx);
  NETFIN_ASSERT(SHA256_Update(&ctx, digest, sizeof digest) == 1);
  NETFIN_ASSERT(SHA256_Final(digest, &ctx) == 1);
  sodium_memzero(&ctx, sizeof ctx);
  return ToHex(digest, sizeof digest);
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::array<uint64_t, 2> KeyedHash128(const SecretKey& key, std::string_view data) {
  EnsureSodium();
  unsigned char digest[16];
  NETFIN_ASSERT(crypto_generichash(digest, sizeof digest, Bytes(data), data.size(), key.data(),
                                   key.size()) == 0);
  return ToWords(digest);
}

std::array<uint64_t, 2> KeyedHash128(const SecretKey& key, std::string_view first,
                                     std::string_view second) {
  EnsureSodium();
  crypto_generichash_state state;
  unsigned char length[8];
  StoreLittleEndian(first.size(), sizeof length, length);
  unsigned char digest[16];
  NETFIN_ASSERT(crypto_generichash_init(&state, key.data(), key.size(), sizeof digest) == 0);
  NETFIN_ASSERT(crypto_generichash_update(&state, length, sizeof length) == 0);
  NETFIN_ASSERT(crypto_generichash_update(&state, Bytes(first), first.size()) == 0);
  NETFIN_ASSERT(crypto_generichash_update(&state, Bytes(second), second.size()) == 0);
  NETFIN_ASSERT(crypto_generichash_final(&state, digest, sizeof digest) == 0);
  return ToWords(digest);
}

std::array<uint64_t, 2> TableHash128(const SecretKey& key, std::string_view first,
                                     std::string_view second) {
  static_assert(SecretKey::kBytes >= crypto_shorthash_siphashx24_KEYBYTES);
  EnsureSodium();
  // siphashx24 takes one buffer: the framing is laid out on the stack (a
  // nonce or an idempotency key fits), on the heap beyond that.
  constexpr size_t kStackBytes = 512;
  unsigned char stack[kStackBytes];
  std::vector<unsigned char> heap;
  const size_t size = 8 + first.size() + second.size();
  unsigned char* framed = stack;
  if (size > kStackBytes) {
    heap.resize(size);
    framed = heap.data();
  }
  StoreLittleEndian(first.size(), 8, framed);
  if (!first.empty()) std::memcpy(framed + 8, first.data(), first.size());
  if (!second.empty()) std::memcpy(framed + 8 + first.size(), second.data(), second.size());
  unsigned char digest[crypto_shorthash_siphashx24_BYTES];
  static_assert(sizeof digest == 16);
  NETFIN_ASSERT(crypto_shorthash_siphashx24(digest, framed, size, key.data()) == 0);
  return ToWords(digest);
}

Id128 KeyedId(const SecretKey& key, std::string_view first, std::string_view second) {
  const auto h = KeyedHash128(key, first, second);
  return Id128{h[0], h[1] == 0 ? 1 : h[1]};
}

// ---- Random -------------------------------------------------------------------

namespace {

// Random bytes for RandomHex, drawn from the operating system 4 KiB at a
// time per thread: a getrandom system call per 16-byte nonce (one per
// signed request) cost more than the bytes. A fork bumps the generation in
// the child, so the child never reuses what the parent drew; bytes handed
// out are wiped from the pool.
std::atomic<uint64_t> fork_generation{0};

struct RandomPool {
  static constexpr size_t kBytes = 4096;
  unsigned char bytes[kBytes];
  size_t used = kBytes;
  uint64_t generation = 0;
  ~RandomPool() { sodium_memzero(bytes, sizeof bytes); }
};

void DrawRandom(unsigned char* out, size_t size) {
  static const bool registered = pthread_atfork(nullptr, nullptr, [] {
    fork_generation.fetch_add(1, std::memory_order_relaxed);
  }) == 0;
  NETFIN_ASSERT(registered);
  thread_local RandomPool pool;
  if (size > RandomPool::kBytes / 8) return randombytes_buf(out, size);
  const uint64_t generation = fork_generation.load(std::memory_order_relaxed);
  if (pool.generation != generation || RandomPool::kBytes - pool.used < size) {
    randombytes_buf(pool.bytes, sizeof pool.bytes);
    pool.used = 0;
    pool.generation = generation;
  }
  std::memcpy(out, pool.bytes + pool.used, size);
  sodium_memzero(pool.bytes + pool.used, size);
  pool.used += size;
}

}  // namespace

std::string RandomHex(size_t bytes) {
  EnsureSodium();
  std::vector<unsigned char> random(bytes);
  if (bytes > 0) DrawRandom(random.data(), bytes);
  return ToHex(random.data(), random.size());
}

uint32_t RandomBelow(uint32_t upper) {
  NETFIN_ASSERT(upper > 0);
  EnsureSodium();
  const uint32_t value = randombytes_uniform(upper);
  NETFIN_ASSERT(value < upper);
  return value;
}

// ---- Masking -------------------------------------------------------------------

std::string MaskPhone(std::string_view phone) { return MaskMiddle(AsciiKept(phone, IsDigit)); }

std::string MaskIdNumber(std::string_view id_number) { return MaskMiddle(CodePoints(id_number)); }

std::string MaskBankAccount(std::string_view account) {
  const std::vector<std::string_view> kept = AsciiKept(account, IsAlnum);
  std::string out(kMaskHiddenMin, '*');
  if (kept.size() < kAccountPartialMin) return out;
  for (size_t i = kept.size() - kMaskShownLast; i < kept.size(); ++i) out.append(kept[i]);
  return out;
}

std::string MaskName(std::string_view name) {
  const std::vector<std::string_view> points = CodePoints(name);
  if (points.size() <= 1) return std::string(points.size(), '*');
  std::string out;
  AppendShown(out, points[0]);
  out.append(points.size() - 1, '*');
  return out;
}

}  // namespace netfin::core
