// hwlock/container.hpp — the .hwlock container: lock, unlock, verify.
//
// A .hwlock file is a valid safetensors file (see safetensors.hpp): any safetensors reader lists
// the same tensor names, dtypes, shapes and byte sizes as the original model, and each tensor's
// bytes are the original bytes transformed under a key. The lock is described by string entries of
// `__metadata__` (docs/FORMAT.md is the normative spec):
//
//   hwlock.version     "1"
//   hwlock.kdf         "hkdf-sha256-v1"            key derivation primitive
//   hwlock.salt        64 hex digits                random per file, HKDF salt
//   hwlock.key_source  JSON {"kind", "params"[, "key_id"]}   where the master key comes from
//   hwlock.key_check   "hmac-sha256" | "none"
//   hwlock.tensors     JSON {name: {"scheme": "aes-256-ctr", "nonce": 32 hex digits}}
//   hwlock.mac         64 hex digits: HMAC-SHA256 over the canonical header without hwlock.mac
//                      (present only when key_check is "hmac-sha256")
//
// Keys: tensor_key(name) = HKDF-SHA256(ikm = master, salt, info = "hwlock/v1/tensor-key" 0x00
// name), 32 bytes; the tensor's bytes are AES-256-CTR under that key with the nonce as initial
// counter block. mac_key = HKDF-SHA256(master, salt, "hwlock/v1/header-mac").
//
// The user's own metadata entries are kept as they are; "hwlock." is a reserved key prefix.
//
// WARNING (key_check "none", the indistinguishable mode): nothing in the file depends on the key
// except the ciphertext, so a wrong key is not detected: unlocking yields well-formed tensors of
// garbage. That is the point (an attacker must run the model to test a guess), but it also means
// the header is authenticated by nothing key-dependent. See docs/THREAT_MODEL.md.
//
// Memory: lock_file/unlock_file/verify stream through read-only maps in bounded windows; their
// resident set grows by a few tens of MiB whatever the model size. LockedModel::unlock() is the
// on-device path: it decrypts into memory only, never to disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hwlock/crypto.hpp"
#include "hwlock/error.hpp"
#include "hwlock/keys.hpp"
#include "hwlock/safetensors.hpp"

namespace hwlock {

// The version this build writes; it also reads kContainerVersion1 files (AES-256-CTR only).
inline constexpr std::string_view kContainerVersion = "2";
inline constexpr std::string_view kContainerVersion1 = "1";
inline constexpr std::string_view kMetaPrefix = "hwlock.";

// Called with (bytes done, bytes total) as work progresses; may be empty.
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

struct LockOptions {
  bool key_check = true;  // false: the indistinguishable mode (no MAC, no key id)
  // The scheme of every tensor (a transform table id, hwlock/transform.hpp), and per-tensor lock
  // requests for it (e.g. a shuffle plan); a tensor without a request gets {}.
  std::string scheme = std::string(crypto::kCipherId);
  std::map<std::string, nlohmann::json, std::less<>> requests;
  // Per-tensor scheme ids that replace `scheme` for those tensors (e.g. aes for the 8-byte tensors
  // preaes cannot lock; the CLI says which).
  std::map<std::string, std::string, std::less<>> tensor_schemes;
  bool overwrite = false;  // replace an existing output
  unsigned threads = 0;    // 0: one per hardware thread
  ProgressFn progress;
};

// What a reader accepts. The file does not decide its own checks: a container without a key check
// (the indistinguishable mode) is refused (unchecked_refused) unless the reader opts in.
struct ReadPolicy {
  bool allow_unchecked = false;
};

struct UnlockOptions {
  ReadPolicy policy;
  bool overwrite = false;
  unsigned threads = 0;
  ProgressFn progress;
};

// Per-tensor lock parameters as recorded in hwlock.tensors.
struct TensorLock {
  std::string scheme;  // a transform table id: "aes-256-ctr", "preaes-v1", ...
  std::array<std::byte, crypto::kIvSize> nonce{};
  nlohmann::json params = nlohmann::json::object();  // the scheme's public parameters
};

// The parsed hwlock.* metadata of a container.
struct LockInfo {
  std::string version;
  std::string kdf;
  std::array<std::byte, crypto::kSaltSize> salt{};
  std::string key_source_kind;
  nlohmann::json key_source_params = nlohmann::json::object();
  std::string key_id;  // empty when key_check is false
  bool key_check = true;
  std::string mac_hex;  // empty when key_check is false
  std::map<std::string, TensorLock> tensors;

  nlohmann::json to_json() const;  // public description (for inspect --json)
};

// True if the header's metadata marks it as a .hwlock container.
bool is_locked(const st::Header& header) noexcept;

// Parses and validates hwlock.* metadata against the header's tensors. Errors: not_locked,
// unsupported_version, container_corrupt.
Result<LockInfo> parse_lock_info(const st::Header& header, std::string_view origin);

// Locks the safetensors file `in` into the container `out` with the master key of `source`.
// Errors: io_*, st_* (invalid input), already_locked, output_exists, same_file, key_source, crypto.
Status lock_file(const std::filesystem::path& in, const std::filesystem::path& out,
                 KeySource& source, const LockOptions& options = {});

// Writes the unlocked model to disk. Only call this when the user explicitly asked for the weights
// on disk; the on-device path is LockedModel::unlock(). Errors: as LockedModel::open and ::unlock,
// plus output_exists, same_file, io_write.
Status unlock_file(const std::filesystem::path& in, const std::filesystem::path& out,
                   KeySource& source, const UnlockOptions& options = {});

class LockedModel;

// Tensors decrypted in memory. Owns one page-aligned buffer holding the data buffer of the
// original file (tensor i at offset header().tensors[i].begin); wiped when destroyed. Move-only.
class UnlockedModel {
 public:
  struct Tensor {
    const st::TensorInfo* info;
    std::span<const std::byte> data;
  };
  UnlockedModel() = default;

  // Tensors in data order; metadata without hwlock.* entries.
  const std::vector<Tensor>& tensors() const noexcept { return tensors_; }
  const st::Metadata& metadata() const noexcept { return metadata_; }
  // nullptr if absent. O(1): an index over the names is built once by unlock().
  const Tensor* find(std::string_view name) const noexcept;

 private:
  friend class LockedModel;
  std::shared_ptr<const st::Header> header_;
  st::Metadata metadata_;
  io::PageBuffer buffer_;
  std::vector<Tensor> tensors_;           // tensors_[i] is header_->tensors[i]
  std::optional<st::TensorIndex> index_;  // over *header_, which the shared_ptr keeps in place
};

// A container opened read-only (memory-mapped and validated). Move-only.
class LockedModel {
 public:
  // Errors: io_open, st_* (not a valid safetensors file), not_locked, unsupported_version,
  // container_corrupt.
  static Result<LockedModel> open(const std::filesystem::path& path, ReadPolicy policy = {});

  const st::Header& header() const noexcept { return *header_; }
  const LockInfo& lock() const noexcept { return lock_; }
  const std::filesystem::path& path() const noexcept { return path_; }

  // Checks the header MAC under the source's key. wrong_key when it does not match ("locked for a
  // different device or key"). A container without a key check: unchecked_refused unless the
  // policy given to open() allows it, then success without any check.
  Status check_key(KeySource& source) const;

  // Decrypts every tensor into memory (never to disk), after check_key.
  Result<UnlockedModel> unlock(KeySource& source, unsigned threads = 0,
                               const ProgressFn& progress = {}) const;

 private:
  friend Status unlock_file(const std::filesystem::path&, const std::filesystem::path&, KeySource&,
                            const UnlockOptions&);
  friend struct VerifyAccess;
  std::filesystem::path path_;
  std::shared_ptr<st::Reader> reader_;
  std::shared_ptr<const st::Header> header_;
  LockInfo lock_;
  ReadPolicy policy_;
};

struct VerifyReport {
  bool key_checked = false;  // a MAC was present and matched
  bool compared = false;     // an original was given and compared
  std::uint64_t tensors = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> mismatches;  // human-readable, one per difference
};

// Checks that `locked` unlocks under `source` (MAC) and, if `original` is non-empty, that the
// unlocked tensors and user metadata equal the original's, bit for bit. Streams; nothing is
// written. Errors: as LockedModel::open/check_key; verify_mismatch when tensors differ (report in
// message).
Result<VerifyReport> verify(const std::filesystem::path& locked, KeySource& source,
                            const std::filesystem::path& original, unsigned threads = 0,
                            const ProgressFn& progress = {}, ReadPolicy policy = {});

}  // namespace hwlock
