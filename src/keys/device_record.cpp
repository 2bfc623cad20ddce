#include <algorithm>

#include "hwlock/device.hpp"
#include "hwlock/fingerprint.hpp"
#include "hwlock/fuzzy.hpp"

namespace hwlock::device {
namespace {

using nlohmann::json;

constexpr std::string_view kExact = "exact-hkdf-sha256-v1";
constexpr std::string_view kFuzzyContext = "hwlock/v1/device";
constexpr unsigned kReproduceAttempts = 5;

bool is_puf(const std::string& kind) {
  return kind.rfind("puf", 0) == 0;
}

std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// Device key -> X25519 key pair.
Status key_pair(const crypto::SecretKey& device_key, crypto::SecretKey& priv,
                std::array<std::byte, crypto::kX25519Size>& pub) {
  HWLOCK_TRY(crypto::hkdf_sha256(device_key.bytes(), {}, as_bytes("hwlock/v1/device/x25519"),
                                 priv.mutable_bytes()));
  priv = crypto::SecretKey(priv.bytes());
  return crypto::x25519_public(priv.bytes(), pub);
}

Result<crypto::SecretKey> exact_key(const fingerprint::BitVector& bits,
                                    const std::vector<std::uint8_t>& mask,
                                    std::span<const std::byte> salt) {
  crypto::SecretBuffer ikm(bits.bytes().size());
  for (std::size_t i = 0; i < ikm.size(); ++i)
    ikm.data()[i] = static_cast<std::byte>(bits.bytes()[i] & (i < mask.size() ? mask[i] : 0));
  crypto::SecretKey key;
  HWLOCK_TRY(crypto::hkdf_sha256(ikm.span(), salt, as_bytes("hwlock/v1/device/exact"),
                                 key.mutable_bytes()));
  return crypto::SecretKey(key.bytes());
}

Result<std::vector<std::uint8_t>> hex_field(const json& r, const char* name) {
  auto v = crypto::from_hex(r.value(name, std::string()));
  if (!v) return fail(Errc::key_source, std::string("device record: bad ") + name);
  std::vector<std::uint8_t> out(v->size());
  std::transform(v->begin(), v->end(), out.begin(),
                 [](std::byte b) { return std::to_integer<std::uint8_t>(b); });
  return out;
}

// One live measurement -> device key, by the record's extractor.
Result<crypto::SecretKey> device_key_once(const json& record, fingerprint::FingerprintSource& src) {
  HWLOCK_ASSIGN(auto m, src.measure());
  if (m.bits.size() != record["bits"].get<std::size_t>())
    return fail(Errc::wrong_key, "locked for a different device or key (fingerprint has " +
                                     std::to_string(m.bits.size()) + " bits, record " +
                                     std::to_string(record["bits"].get<std::size_t>()) + ")");
  if (record["extractor"] == kExact) {
    HWLOCK_ASSIGN(auto mask, hex_field(record, "mask"));
    HWLOCK_ASSIGN(auto salt, hex_field(record, "salt"));
    return exact_key(m.bits, mask, std::as_bytes(std::span(salt)));
  }
  HWLOCK_ASSIGN(auto helper, hex_field(record, "helper"));
  return fuzzy::reproduce(m.bits.bytes(), m.bits.size(), std::as_bytes(std::span(helper)),
                          kFuzzyContext);
}

}  // namespace

Status validate_record(const json& r, std::string_view origin) {
  const std::string where(origin);
  auto bad = [&](const std::string& why) { return fail(Errc::key_source, where + ": " + why); };
  if (!r.is_object() || r.value("hwlock_device_record", 0) != 1)
    return bad("not an hwlock device record (version 1)");
  if (!r.contains("source") || !r["source"].is_object() || !r["source"].contains("kind") ||
      !r["source"]["kind"].is_string() || !r["source"].contains("params") ||
      !r["source"]["params"].is_object())
    return bad("record has no valid source");
  if (!r.contains("bits") || !r["bits"].is_number_unsigned()) return bad("record lacks bits");
  if (!r.contains("public_key") || !r["public_key"].is_string() ||
      r["public_key"].get<std::string>().size() != 64)
    return bad("record lacks a 32-byte public_key");
  const std::string ex = r.value("extractor", std::string());
  if (ex == kExact) {
    if (!r.contains("salt") || !r.contains("mask")) return bad("exact record lacks salt or mask");
  } else if (ex == fuzzy::kExtractorId) {
    if (!r.contains("helper")) return bad("code-offset record lacks helper data");
  } else {
    return bad("unknown extractor \"" + ex + "\"");
  }
  return {};
}

Result<Enrolled> enroll(const EnrollOptions& o) {
  json params = o.params;
  const bool puf = is_puf(o.source);
  if (puf && !params.contains("bits")) {
    HWLOCK_ASSIGN(std::size_t n, fuzzy::response_bits(fuzzy::CodeParams{}));
    params["bits"] = n;
  }
  HWLOCK_ASSIGN(auto src, fingerprint::make_source(o.source, params));
  const unsigned reads_n = o.measurements ? o.measurements
                                          : (o.source == "timing" ? 31u
                                             : puf                ? 15u
                                                                  : 5u);
  std::vector<fingerprint::Measurement> reads;
  for (unsigned i = 0; i < reads_n; ++i) {
    HWLOCK_ASSIGN(auto m, src->measure());
    reads.push_back(std::move(m));
  }
  const std::size_t nbits = reads.front().bits.size();
  std::vector<std::span<const std::uint8_t>> spans;
  for (const auto& m : reads) spans.emplace_back(m.bits.bytes());
  // Exact sources keep only bits that never flipped; PUFs tolerate noise through the code.
  HWLOCK_ASSIGN(auto summary, fuzzy::summarize_reads(spans, nbits, puf ? 0.25 : 0.0));

  json r{{"hwlock_device_record", 1},
         {"source", {{"kind", o.source}, {"params", src->params()}}},
         {"bits", nbits},
         {"reliable_bits", summary.reliable_bits},
         {"measurements", reads_n}};
  crypto::SecretKey device_key;
  if (!puf) {
    if (o.source == "numeric" && summary.reliable_bits != nbits)
      return fail(Errc::key_source, "numeric fingerprint was not bit-exact across " +
                                        std::to_string(reads_n) + " measurements");
    std::array<std::byte, 32> salt{};
    HWLOCK_TRY(crypto::random_bytes(salt));
    fingerprint::BitVector ref = fingerprint::BitVector::from_bytes(
        {reinterpret_cast<const std::uint8_t*>(summary.reference.data()), summary.reference.size()},
        nbits);
    HWLOCK_ASSIGN(device_key, exact_key(ref, summary.mask, salt));
    r["extractor"] = kExact;
    r["salt"] = crypto::to_hex(salt);
    r["mask"] = crypto::to_hex(std::as_bytes(std::span(summary.mask)));
  } else {
    fuzzy::EnrollOptions fo;
    fo.context = kFuzzyContext;
    HWLOCK_ASSIGN(auto e,
                  fuzzy::enroll({reinterpret_cast<const std::uint8_t*>(summary.reference.data()),
                                 summary.reference.size()},
                                nbits, fo));
    device_key = std::move(e.key);
    r["extractor"] = fuzzy::kExtractorId;
    r["helper"] = crypto::to_hex(e.helper.serialize());
    r["entropy"] = {{"residual_bits", e.entropy.residual_bits},
                    {"leak_bits", e.entropy.leak_bits},
                    {"used_bits", e.entropy.used_bits}};
  }
  crypto::SecretKey priv;
  std::array<std::byte, crypto::kX25519Size> pub{};
  HWLOCK_TRY(key_pair(device_key, priv, pub));
  std::array<std::byte, crypto::kSha256Size> digest{};
  HWLOCK_TRY(crypto::sha256(pub, digest));
  Enrolled out;
  out.device_id = crypto::to_hex(std::span(digest).first(8));
  r["public_key"] = crypto::to_hex(pub);
  r["device_id"] = out.device_id;
  out.record = std::move(r);
  return out;
}

Result<crypto::SecretKey> reproduce_private_key(const json& record) {
  HWLOCK_TRY(validate_record(record, "device record"));
  HWLOCK_ASSIGN(auto src, fingerprint::make_source(record["source"]["kind"].get<std::string>(),
                                                   record["source"]["params"]));
  Error last = fail(Errc::wrong_key, "locked for a different device or key");
  // Noisy sources may need another read; a wrong device fails every attempt.
  for (unsigned attempt = 0; attempt < kReproduceAttempts; ++attempt) {
    auto key = device_key_once(record, *src);
    if (!key) {
      last = std::move(key).error();
      if (last.code != Errc::wrong_key && last.code != Errc::fuzzy_decode_failed &&
          last.code != Errc::fuzzy_helper_tampered)
        return last;
      continue;
    }
    crypto::SecretKey priv;
    std::array<std::byte, crypto::kX25519Size> pub{};
    HWLOCK_TRY(key_pair(*key, priv, pub));
    if (crypto::to_hex(pub) == record["public_key"].get<std::string>()) return priv;
  }
  return fail(Errc::wrong_key, "locked for a different device or key: this device's " +
                                   record["source"]["kind"].get<std::string>() +
                                   " fingerprint does not reproduce device " +
                                   record.value("device_id", std::string("?")) + " (" +
                                   last.message + ")");
}

}  // namespace hwlock::device
