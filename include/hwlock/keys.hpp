// hwlock/keys.hpp — where master keys come from.
//
// A KeySource produces the 256-bit master key of a locked model and a public description of
// itself that the container records (kind + public parameters; never secret material). At lock time
// the source describes itself; at unlock time it receives the recorded description back and must
// reproduce the same key (a key file re-reads the file; a device source re-measures the device).
//
// Key files: text, one line: "hwlock-key-v1 <64 lowercase hex digits>\n", mode 0600. The raw key is
// never printed; `key_id()` is a public 16-hex-digit identifier derived one-way from the key
// (HKDF-SHA256, info "hwlock/v1/key-id"), used to tell keys apart without revealing them.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "hwlock/crypto.hpp"
#include "hwlock/error.hpp"

namespace hwlock {

class KeySource {
 public:
  virtual ~KeySource() = default;
  // "key-file", "device", ...: recorded as hwlock.key_source.kind.
  virtual std::string kind() const = 0;
  // Public parameters to record in the container at lock time (an object; may be empty).
  virtual nlohmann::json describe() const = 0;
  // The master key for a container whose recorded description is `recorded`.
  virtual Result<crypto::SecretKey> master_key(const nlohmann::json& recorded) = 0;
};

// A key held in a file created by `hwlock keygen`.
class KeyFileSource final : public KeySource {
 public:
  // `warning` (if non-null) receives a note when the file is readable by group or others.
  static Result<std::unique_ptr<KeyFileSource>> open(const std::filesystem::path& path,
                                                     std::string* warning = nullptr);
  std::string kind() const override { return "key-file"; }
  nlohmann::json describe() const override;
  Result<crypto::SecretKey> master_key(const nlohmann::json& recorded) override;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
  crypto::SecretKey key_;
};

// An in-memory key (tests, embedding applications that manage keys themselves).
class StaticKeySource final : public KeySource {
 public:
  explicit StaticKeySource(crypto::SecretKey key) : key_(std::move(key)) {}
  std::string kind() const override { return "static"; }
  nlohmann::json describe() const override { return nlohmann::json::object(); }
  Result<crypto::SecretKey> master_key(const nlohmann::json& recorded) override;

 private:
  crypto::SecretKey key_;
};

// Reads a key file. Errors: key_file_invalid (missing, malformed, wrong length). A key file
// readable by group or others is accepted with a warning written to `warning` (if non-null).
Result<crypto::SecretKey> read_key_file(const std::filesystem::path& path,
                                        std::string* warning = nullptr);

// Writes a key file with mode 0600, atomically; output_exists unless `overwrite`.
Status write_key_file(const std::filesystem::path& path, const crypto::SecretKey& key,
                      bool overwrite);

// Public identifier of a key: 16 lowercase hex digits.
Result<std::string> key_id(const crypto::SecretKey& key);

// A copy of a key (explicit, since keys are move-only).
crypto::SecretKey clone_key(const crypto::SecretKey& key);

}  // namespace hwlock
