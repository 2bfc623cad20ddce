#include "hwlock/keys.hpp"

namespace hwlock {

Result<std::string> key_id(const crypto::SecretKey& key) {
  std::array<std::byte, 8> id{};
  constexpr std::string_view kInfo = "hwlock/v1/key-id";
  HWLOCK_TRY(crypto::hkdf_sha256(key.bytes(), {}, std::as_bytes(std::span(kInfo)), id));
  return crypto::to_hex(id);
}

crypto::SecretKey clone_key(const crypto::SecretKey& key) {
  return crypto::SecretKey(key.bytes());
}

Result<std::unique_ptr<KeyFileSource>> KeyFileSource::open(const std::filesystem::path& path,
                                                           std::string* warning) {
  HWLOCK_ASSIGN(auto key, read_key_file(path, warning));
  auto src = std::unique_ptr<KeyFileSource>(new KeyFileSource());
  src->path_ = path;
  src->key_ = std::move(key);
  return src;
}

nlohmann::json KeyFileSource::describe() const {
  return nlohmann::json::object();
}

Result<crypto::SecretKey> KeyFileSource::master_key(const nlohmann::json& /*recorded*/) {
  return clone_key(key_);
}

Result<crypto::SecretKey> StaticKeySource::master_key(const nlohmann::json& /*recorded*/) {
  return clone_key(key_);
}

}  // namespace hwlock
