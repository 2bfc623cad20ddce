// libFuzzer target: the hwlock.* metadata of a container (parse_lock_info), without having to
// get through the safetensors JSON first (fuzz_safetensors_header covers the combination).
// Input: a JSON object; each member becomes one metadata entry (string values as they are, other
// values as their compact JSON text, so nested hwlock.key_source / hwlock.tensors objects can be
// written directly). The header holds two tensors, "a" (F32 [2]) and "b" (U8 [3]).
// Invariants: failures are not_locked (exactly when hwlock.version is absent), unsupported_version,
// container_corrupt or scheme_params_invalid, and name the file; an accepted container has one lock
// per tensor, consistent key-check fields and a printable description, and its header written to a
// file and parsed back yields the same lock info.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz_util.hpp"
#include "hwlock/container.hpp"
#include "hwlock/safetensors.hpp"

namespace {

namespace st = hwlock::st;
using nlohmann::json;

constexpr std::string_view kOrigin = "fuzz.hwlock";

bool same(const hwlock::LockInfo& a, const hwlock::LockInfo& b) {
  if (a.version != b.version || a.kdf != b.kdf || a.salt != b.salt ||
      a.key_source_kind != b.key_source_kind || a.key_source_params != b.key_source_params ||
      a.key_id != b.key_id || a.key_check != b.key_check || a.mac_hex != b.mac_hex ||
      a.tensors.size() != b.tensors.size())
    return false;
  for (const auto& [name, t] : a.tensors) {
    const auto it = b.tensors.find(name);
    if (it == b.tensors.end() || it->second.scheme != t.scheme || it->second.nonce != t.nonce ||
        it->second.params != t.params)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const json input = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (!input.is_object()) return 0;
  st::Header h;
  h.tensors.push_back({"a", st::DType::F32, {2}, 0, 0});
  h.tensors.push_back({"b", st::DType::U8, {3}, 0, 0});
  HWLOCK_FUZZ_CHECK(st::assign_offsets(h).ok());
  for (const auto& [key, value] : input.items())
    h.metadata[key] = value.is_string() ? value.get<std::string>() : value.dump();

  auto info = hwlock::parse_lock_info(h, kOrigin);
  if (!info) {
    const auto code = info.error().code;
    HWLOCK_FUZZ_CHECK((code == hwlock::Errc::not_locked) == !hwlock::is_locked(h));
    HWLOCK_FUZZ_CHECK(
        code == hwlock::Errc::not_locked || code == hwlock::Errc::unsupported_version ||
        code == hwlock::Errc::container_corrupt || code == hwlock::Errc::scheme_params_invalid);
    HWLOCK_FUZZ_CHECK(info.error().message.starts_with(kOrigin));
    return 0;
  }
  HWLOCK_FUZZ_CHECK(hwlock::is_locked(h));
  HWLOCK_FUZZ_CHECK(info->version == hwlock::kContainerVersion ||
                    info->version == hwlock::kContainerVersion1);
  for (const auto& [name, t] : info->tensors) HWLOCK_FUZZ_CHECK(t.params.is_object());
  HWLOCK_FUZZ_CHECK(info->tensors.size() == 2 && info->tensors.count("a") == 1 &&
                    info->tensors.count("b") == 1);
  HWLOCK_FUZZ_CHECK(info->key_check == !info->mac_hex.empty());
  HWLOCK_FUZZ_CHECK(info->key_check || h.metadata.count("hwlock.mac") == 0);
  const std::string described = info->to_json().dump();  // throws on text it cannot print
  HWLOCK_FUZZ_CHECK(!described.empty());

  // Through the file format and back.
  std::string file = st::serialize_header(h);
  file.append(static_cast<std::size_t>(h.data_size()), '\0');
  std::uint64_t start = 0;
  auto parsed = st::parse_file(std::as_bytes(std::span(file)), kOrigin, &start);
  HWLOCK_FUZZ_CHECK(parsed.ok());
  HWLOCK_FUZZ_CHECK(parsed->metadata == h.metadata);
  auto again = hwlock::parse_lock_info(*parsed, kOrigin);
  HWLOCK_FUZZ_CHECK(again.ok() && same(*info, *again));
  return 0;
}
