#include <optional>

#include "hwlock/device.hpp"

namespace hwlock::device {
namespace {

using nlohmann::json;
using Bytes32 = std::array<std::byte, 32>;

Result<Bytes32> hex32(const json& j, const char* name) {
  const auto it = j.find(name);  // not j.value(): it throws on a non-string member
  auto v = crypto::from_hex(it != j.end() && it->is_string() ? it->get<std::string>() : "");
  if (!v || v->size() != 32)
    return fail(Errc::container_corrupt, std::string("device envelope: bad ") + name);
  Bytes32 out{};
  std::copy(v->begin(), v->end(), out.begin());
  return out;
}

// HKDF(shared, eph_pub || dev_pub, "hwlock/v1/envelope") -> pad (32) || mac key (32).
Status envelope_keys(std::span<const std::byte, 32> shared, const Bytes32& eph_pub,
                     const Bytes32& dev_pub, crypto::SecretBuffer& out) {
  std::array<std::byte, 64> salt{};
  std::copy(eph_pub.begin(), eph_pub.end(), salt.begin());
  std::copy(dev_pub.begin(), dev_pub.end(), salt.begin() + 32);
  constexpr std::string_view kInfo = "hwlock/v1/envelope";
  out = crypto::SecretBuffer(64);
  return crypto::hkdf_sha256(shared, salt, std::as_bytes(std::span(kInfo)), out.span());
}

Result<json> wrap_for(const json& record, const crypto::SecretKey& content) {
  HWLOCK_TRY(validate_record(record, "device record"));
  HWLOCK_ASSIGN(Bytes32 dev_pub, hex32(record, "public_key"));
  HWLOCK_ASSIGN(crypto::SecretKey eph, crypto::SecretKey::generate());
  Bytes32 eph_pub{};
  crypto::SecretKey shared;
  HWLOCK_TRY(crypto::x25519_public(eph.bytes(), eph_pub));
  HWLOCK_TRY(crypto::x25519_shared(eph.bytes(), dev_pub, shared.mutable_bytes()));
  crypto::SecretBuffer k;
  HWLOCK_TRY(envelope_keys(shared.bytes(), eph_pub, dev_pub, k));
  Bytes32 wrapped{};
  for (std::size_t i = 0; i < 32; ++i) wrapped[i] = content.bytes()[i] ^ k.data()[i];
  std::array<std::byte, crypto::kSha256Size> tag{};
  HWLOCK_TRY(crypto::hmac_sha256(k.span().subspan(32), wrapped, tag));
  return json{{"record", record},
              {"ephemeral_public", crypto::to_hex(eph_pub)},
              {"wrapped", crypto::to_hex(wrapped)},
              {"tag", crypto::to_hex(tag)}};
}

// Unwraps one envelope with this device's private key; wrong_key if it is not ours.
Result<crypto::SecretKey> unwrap(const json& env, const crypto::SecretKey& priv) {
  HWLOCK_ASSIGN(Bytes32 eph_pub, hex32(env, "ephemeral_public"));
  HWLOCK_ASSIGN(Bytes32 wrapped, hex32(env, "wrapped"));
  HWLOCK_ASSIGN(Bytes32 tag, hex32(env, "tag"));
  HWLOCK_ASSIGN(Bytes32 dev_pub, hex32(env["record"], "public_key"));
  crypto::SecretKey shared;
  HWLOCK_TRY(crypto::x25519_shared(priv.bytes(), eph_pub, shared.mutable_bytes()));
  crypto::SecretBuffer k;
  HWLOCK_TRY(envelope_keys(shared.bytes(), eph_pub, dev_pub, k));
  std::array<std::byte, crypto::kSha256Size> expect{};
  HWLOCK_TRY(crypto::hmac_sha256(k.span().subspan(32), wrapped, expect));
  if (!crypto::constant_time_equal(expect, tag))
    return fail(Errc::wrong_key, "locked for a different device or key (envelope tag mismatch)");
  crypto::SecretKey content;
  for (std::size_t i = 0; i < 32; ++i) content.mutable_bytes()[i] = wrapped[i] ^ k.data()[i];
  return crypto::SecretKey(content.bytes());
}

}  // namespace

Result<std::unique_ptr<DeviceKeySource>> DeviceKeySource::for_lock(std::vector<json> records) {
  if (records.empty()) return fail(Errc::key_source, "no device records to lock for");
  auto src = std::unique_ptr<DeviceKeySource>(new DeviceKeySource());
  HWLOCK_ASSIGN(src->content_, crypto::SecretKey::generate());
  json envelopes = json::array();
  for (const auto& r : records) {
    HWLOCK_ASSIGN(json env, wrap_for(r, src->content_));
    envelopes.push_back(std::move(env));
  }
  src->description_ = json{{"envelopes", envelopes}};
  return src;
}

std::unique_ptr<DeviceKeySource> DeviceKeySource::live() {
  return std::unique_ptr<DeviceKeySource>(new DeviceKeySource());
}

Result<crypto::SecretKey> DeviceKeySource::master_key(const json& recorded) {
  if (content_.valid()) return clone_key(content_);
  if (!recorded.contains("envelopes") || !recorded["envelopes"].is_array())
    return fail(Errc::container_corrupt, "device key source without envelopes");
  std::string why;
  // A record this process cannot measure (e.g. a torch source outside hwlock-ml) must not hide
  // another envelope that matches; its error is reported only if none does.
  std::optional<Error> blocker;
  for (const auto& env : recorded["envelopes"]) {
    if (!env.is_object() || !env.contains("record"))
      return fail(Errc::container_corrupt, "malformed device envelope");
    auto priv = reproduce_private_key(env["record"]);
    if (!priv) {
      if (priv.error().code != Errc::wrong_key) {
        if (!blocker) blocker = std::move(priv).error();
        continue;
      }
      why = priv.error().message;
      continue;
    }
    auto content = unwrap(env, *priv);
    if (!content) {
      if (content.error().code != Errc::wrong_key) return std::move(content).error();
      why = content.error().message;
      continue;
    }
    content_ = clone_key(*content);
    return std::move(content).value();
  }
  if (blocker) return *std::move(blocker);
  return fail(Errc::wrong_key,
              "locked for a different device or key: this device matches none of the " +
                  std::to_string(recorded["envelopes"].size()) + " enrolled devices (" + why + ")");
}

}  // namespace hwlock::device
