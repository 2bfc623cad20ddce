// Key derivations of the container (docs/FORMAT.md, "Keys"): one HKDF-SHA256 label per purpose.
#include "internal.hpp"

namespace hwlock::detail {
namespace {

constexpr std::string_view kTensorKeyInfo = "hwlock/v1/tensor-key";
constexpr std::string_view kMacKeyInfo = "hwlock/v1/header-mac";
constexpr std::string_view kGroupKeyInfo = "hwlock/v2/group-key";
// The longest name the reader accepts is exactly the longest whose info OpenSSL takes: no name
// that ever locked is refused, and no accepted name reaches OpenSSL's limit.
static_assert(kTensorKeyInfo.size() + 1 + st::kMaxTensorNameSize == crypto::kMaxHkdfInfoSize);

// info = label || 0x00 || name: the fixed label and separator keep names unambiguous.
std::vector<std::byte> labelled(std::string_view label, std::string_view name) {
  std::vector<std::byte> info;
  info.reserve(label.size() + 1 + name.size());
  for (char c : label) info.push_back(static_cast<std::byte>(c));
  info.push_back(std::byte{0});
  for (char c : name) info.push_back(static_cast<std::byte>(c));
  return info;
}

Result<crypto::SecretKey> derive(const crypto::SecretKey& master, const LockInfo& lock,
                                 std::span<const std::byte> info) {
  crypto::SecretKey k;
  HWLOCK_TRY(crypto::hkdf_sha256(master.bytes(), lock.salt, info, k.mutable_bytes()));
  return crypto::SecretKey(k.bytes());  // marks it valid
}

}  // namespace

transform::TensorDesc describe(const st::TensorInfo& t) noexcept {
  return {t.name, t.dtype, t.shape, t.nbytes()};
}

Result<std::vector<TensorKey>> derive_tensor_keys(const crypto::SecretKey& master,
                                                  const LockInfo& lock, const st::Header& header) {
  std::vector<TensorKey> keys(header.tensors.size());
  for (std::size_t i = 0; i < header.tensors.size(); ++i) {
    const auto& name = header.tensors[i].name;
    auto it = lock.tensors.find(name);
    if (it == lock.tensors.end())
      return fail(Errc::container_corrupt, "tensor \"" + name + "\" has no lock entry");
    // Parsed headers never get here with such a name; a Header built in memory might.
    if (name.size() > st::kMaxTensorNameSize)
      return fail(Errc::st_name_too_long, "a tensor name of " + std::to_string(name.size()) +
                                              " bytes is above the limit of " +
                                              std::to_string(st::kMaxTensorNameSize));
    HWLOCK_ASSIGN(keys[i].key, derive(master, lock, labelled(kTensorKeyInfo, name)));
    keys[i].iv = it->second.nonce;
    keys[i].scheme = transform::find_scheme(it->second.scheme);
    if (keys[i].scheme == nullptr)  // parse_lock_info admits only known schemes
      return fail(Errc::unsupported_version, "tensor \"" + name + "\": unknown scheme");
  }
  return keys;
}

Result<crypto::SecretKey> derive_mac_key(const crypto::SecretKey& master, const LockInfo& lock) {
  return derive(master, lock, std::as_bytes(std::span(kMacKeyInfo)));
}

Result<crypto::SecretKey> derive_group_key(const crypto::SecretKey& master, const LockInfo& lock,
                                           std::string_view group) {
  return derive(master, lock, labelled(kGroupKeyInfo, group));
}

transform::TensorKeys tensor_keys(const TensorKey& k, const crypto::SecretKey& master,
                                  const LockInfo& lock) {
  return {
      k.key.bytes(), std::span<const std::byte, crypto::kIvSize>(k.iv),
      [&master, &lock](std::string_view group) { return derive_group_key(master, lock, group); }};
}

Status make_decoders(std::vector<TensorKey>& keys, const crypto::SecretKey& master,
                     const LockInfo& lock, const st::Header& header, std::string_view origin) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto& t = header.tensors[i];
    const auto& entry = lock.tensors.at(t.name);
    auto dec =
        keys[i].scheme->decoder(describe(t), tensor_keys(keys[i], master, lock), entry.params);
    if (!dec) return fail(dec.error().code, std::string(origin) + ": " + dec.error().message);
    keys[i].coder = std::move(dec).value();
    keys[i].locality = keys[i].scheme->locality();
  }
  return {};
}

Result<std::string> header_mac_hex(const crypto::SecretKey& mac_key, const st::Header& header) {
  st::Header h = header;
  h.metadata.erase("hwlock.mac");
  const std::string text = st::canonical_header_json(h);
  std::array<std::byte, crypto::kSha256Size> tag{};
  HWLOCK_TRY(crypto::hmac_sha256(mac_key.bytes(), std::as_bytes(std::span(text)), tag));
  return crypto::to_hex(tag);
}

}  // namespace hwlock::detail
