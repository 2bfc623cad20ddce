#include <algorithm>

#include "hwlock/transform.hpp"
#include "internal.hpp"
#include "io/json_bounded.hpp"

namespace hwlock {
namespace {

using nlohmann::json;

Result<std::string> meta(const st::Header& h, const std::string& key, std::string_view origin) {
  auto it = h.metadata.find(key);
  if (it == h.metadata.end())
    return fail(Errc::container_corrupt, std::string(origin) + ": lock metadata lacks " + key);
  return it->second;
}

template <std::size_t N>
Status hex_exact(const std::string& hex, std::array<std::byte, N>& out, const std::string& what) {
  auto bytes = crypto::from_hex(hex);
  if (!bytes.ok() || bytes->size() != N)
    return fail(Errc::container_corrupt, what + " is not " + std::to_string(2 * N) + " hex digits");
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return {};
}

// Deepest nesting accepted in the JSON text of hwlock.key_source and hwlock.tensors. The deepest
// written (a composite device record inside a device key source) is about 10.
constexpr std::size_t kMaxLockJsonDepth = 32;

// Stops at the first container nested deeper than kMaxLockJsonDepth: a metadata string of
// "[[[[..." up to the header cap would otherwise become a DOM of GBs.
Result<json> parse_json_field(const std::string& text, const std::string& what) {
  json out;
  detail::BoundedJsonBuilder builder(out, kMaxLockJsonDepth, /*reject_duplicate_keys=*/false);
  try {
    detail::parse_bounded(text, builder);
    return out;
  } catch (const detail::JsonTooDeep&) {
    return fail(Errc::container_corrupt,
                what + " is nested deeper than " + std::to_string(kMaxLockJsonDepth) + " levels");
  } catch (const json::exception& e) {
    return fail(Errc::container_corrupt, what + " is not valid JSON: " + e.what());
  }
}

}  // namespace

bool is_locked(const st::Header& header) noexcept {
  return header.metadata.count("hwlock.version") != 0;
}

Result<LockInfo> parse_lock_info(const st::Header& h, std::string_view origin) {
  const std::string where(origin);
  if (!is_locked(h))
    return fail(Errc::not_locked, where + ": not a .hwlock container (no hwlock.version)");
  LockInfo L;
  HWLOCK_ASSIGN(L.version, meta(h, "hwlock.version", origin));
  if (L.version != kContainerVersion && L.version != kContainerVersion1)
    return fail(Errc::unsupported_version, where + ": container version \"" + L.version +
                                               "\" is not supported (this build reads \"" +
                                               std::string(kContainerVersion1) + "\" and \"" +
                                               std::string(kContainerVersion) + "\")");
  const bool v1 = L.version == kContainerVersion1;
  HWLOCK_ASSIGN(L.kdf, meta(h, "hwlock.kdf", origin));
  if (L.kdf != crypto::kKdfId)
    return fail(Errc::unsupported_version, where + ": unsupported KDF \"" + L.kdf + "\"");
  HWLOCK_ASSIGN(std::string salt, meta(h, "hwlock.salt", origin));
  HWLOCK_TRY(hex_exact(salt, L.salt, where + ": hwlock.salt"));

  HWLOCK_ASSIGN(std::string ks_text, meta(h, "hwlock.key_source", origin));
  HWLOCK_ASSIGN(json ks, parse_json_field(ks_text, where + ": hwlock.key_source"));
  if (!ks.is_object() || !ks.contains("kind") || !ks["kind"].is_string() ||
      (ks.contains("params") && !ks["params"].is_object()) ||
      (ks.contains("key_id") && !ks["key_id"].is_string()))
    return fail(Errc::container_corrupt, where + ": hwlock.key_source is malformed");
  L.key_source_kind = ks["kind"].get<std::string>();
  if (ks.contains("params")) L.key_source_params = ks["params"];
  if (ks.contains("key_id")) L.key_id = ks["key_id"].get<std::string>();

  HWLOCK_ASSIGN(std::string check, meta(h, "hwlock.key_check", origin));
  if (check == crypto::kMacId) {
    L.key_check = true;
    HWLOCK_ASSIGN(L.mac_hex, meta(h, "hwlock.mac", origin));
    std::array<std::byte, crypto::kSha256Size> mac{};
    HWLOCK_TRY(hex_exact(L.mac_hex, mac, where + ": hwlock.mac"));
  } else if (check == "none") {
    L.key_check = false;
    if (h.metadata.count("hwlock.mac") != 0)
      return fail(Errc::container_corrupt, where + ": hwlock.mac present with key_check none");
  } else {
    return fail(Errc::unsupported_version, where + ": unsupported key check \"" + check + "\"");
  }

  HWLOCK_ASSIGN(std::string tensors_text, meta(h, "hwlock.tensors", origin));
  HWLOCK_ASSIGN(json tensors, parse_json_field(tensors_text, where + ": hwlock.tensors"));
  if (!tensors.is_object())
    return fail(Errc::container_corrupt, where + ": hwlock.tensors is not an object");
  const st::TensorIndex index(h);
  for (const auto& [name, v] : tensors.items()) {
    if (index.find(name) == nullptr)
      return fail(Errc::container_corrupt,
                  where + ": hwlock.tensors names \"" + name + "\", which is not in the file");
    if (!v.is_object() || !v.contains("scheme") || !v["scheme"].is_string() ||
        !v.contains("nonce") || !v["nonce"].is_string())
      return fail(Errc::container_corrupt,
                  where + ": hwlock.tensors entry \"" + name + "\" is malformed");
    for (const auto& [field, _] : v.items())
      if (field != "scheme" && field != "nonce" && (v1 || field != "params"))
        return fail(Errc::container_corrupt, where + ": hwlock.tensors entry \"" + name +
                                                 "\" has an unknown field \"" + field + "\"");
    TensorLock t;
    t.scheme = v["scheme"].get<std::string>();
    // Version 1 knew one scheme; version 2 any of the transform table's.
    if ((v1 && t.scheme != crypto::kCipherId) || transform::find_scheme(t.scheme) == nullptr)
      return fail(Errc::unsupported_version,
                  where + ": tensor \"" + name + "\" uses unsupported scheme \"" + t.scheme + "\"");
    if (v.contains("params")) {
      if (!v["params"].is_object())
        return fail(Errc::scheme_params_invalid,
                    where + ": tensor \"" + name + "\": scheme parameters are not an object");
      t.params = v["params"];
    }
    HWLOCK_TRY(
        hex_exact(v["nonce"].get<std::string>(), t.nonce, where + ": nonce of \"" + name + "\""));
    L.tensors.emplace(name, t);
  }
  for (const auto& t : h.tensors)
    if (L.tensors.count(t.name) == 0)
      return fail(Errc::container_corrupt,
                  where + ": tensor \"" + t.name + "\" has no entry in hwlock.tensors");
  return L;
}

nlohmann::json LockInfo::to_json() const {
  json j{{"version", version},
         {"kdf", kdf},
         {"key_source", {{"kind", key_source_kind}, {"params", key_source_params}}},
         {"key_check", key_check ? std::string(crypto::kMacId) : std::string("none")}};
  if (!key_id.empty()) j["key_source"]["key_id"] = key_id;
  json schemes = json::object();
  for (const auto& [name, t] : tensors) schemes[t.scheme] = schemes.value(t.scheme, 0) + 1;
  j["schemes"] = schemes;
  return j;
}

}  // namespace hwlock
