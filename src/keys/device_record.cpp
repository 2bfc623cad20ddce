// Device records: enrollment, structure checks and live reproduction (see hwlock/device.hpp). The
// per-source steps are shared with composite records (composite.cpp).
#include <algorithm>

#include "composite_internal.hpp"
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

// Sources that must be bit-exact across enrollment reads (no mask).
bool is_noise_free(const std::string& kind) {
  return kind == "numeric" || kind == "torch";
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

// r[name] if it is a string, else `fallback` (json::value() would throw on another type).
std::string string_field(const json& r, const char* name, std::string fallback = {}) {
  const auto it = r.find(name);
  return it != r.end() && it->is_string() ? it->get<std::string>() : fallback;
}

Result<std::vector<std::uint8_t>> hex_field(const json& r, const char* name) {
  auto v = crypto::from_hex(string_field(r, name));
  if (!v) return fail(Errc::key_source, std::string("device record: bad ") + name);
  std::vector<std::uint8_t> out(v->size());
  std::transform(v->begin(), v->end(), out.begin(),
                 [](std::byte b) { return std::to_integer<std::uint8_t>(b); });
  return out;
}

// make_source(), with a pointer to hwlock-ml for the workbench's sources.
Result<std::unique_ptr<fingerprint::FingerprintSource>> make_source_for(const std::string& kind,
                                                                        const json& params,
                                                                        const char* verb) {
  auto src = fingerprint::make_source(kind, params);
  if (!src && src.error().code == Errc::fp_unknown_source && kind == "torch")
    return fail(Errc::key_source,
                "the \"torch\" fingerprint source runs libtorch, which only the "
                "workbench has: use `hwlock-ml " +
                    std::string(verb) + "` (a build with HWLOCK_WITH_TORCH)");
  return src;
}

// The parts of a record: the record itself, or its "parts" (after validate_record).
std::vector<const json*> parts_of(const json& record) {
  std::vector<const json*> out;
  if (!detail::is_composite(record)) return {&record};
  for (const auto& p : record["parts"]) out.push_back(&p);
  return out;
}

}  // namespace

namespace detail {

Result<EnrolledPart> enroll_part(const SourceSpec& spec) {
  json params = spec.params.is_null() ? json::object() : spec.params;
  const bool puf = is_puf(spec.kind);
  if (puf && params.is_object() && !params.contains("bits")) {
    HWLOCK_ASSIGN(std::size_t n, fuzzy::response_bits(fuzzy::CodeParams{}));
    params["bits"] = n;
  }
  HWLOCK_ASSIGN(auto src, make_source_for(spec.kind, params, "enroll"));
  const unsigned reads_n = spec.measurements ? spec.measurements
                                             : (spec.kind == "timing" ? 31u
                                                : puf                 ? 15u
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

  EnrolledPart out;
  json& r = out.part;
  r = json{{"source", {{"kind", spec.kind}, {"params", src->params()}}},
           {"bits", nbits},
           {"reliable_bits", summary.reliable_bits},
           {"measurements", reads_n}};
  if (!puf) {
    if (is_noise_free(spec.kind) && summary.reliable_bits != nbits)
      return fail(Errc::key_source, spec.kind + " fingerprint was not bit-exact across " +
                                        std::to_string(reads_n) + " measurements");
    std::array<std::byte, 32> salt{};
    HWLOCK_TRY(crypto::random_bytes(salt));
    fingerprint::BitVector ref = fingerprint::BitVector::from_bytes(
        {reinterpret_cast<const std::uint8_t*>(summary.reference.data()), summary.reference.size()},
        nbits);
    HWLOCK_ASSIGN(out.key, exact_key(ref, summary.mask, salt));
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
    out.key = std::move(e.key);
    r["extractor"] = fuzzy::kExtractorId;
    r["helper"] = crypto::to_hex(e.helper.serialize());
    r["entropy"] = {{"residual_bits", e.entropy.residual_bits},
                    {"leak_bits", e.entropy.leak_bits},
                    {"used_bits", e.entropy.used_bits}};
  }
  return out;
}

Status validate_part(const json& r, const std::string& where) {
  auto bad = [&](const std::string& why) { return fail(Errc::key_source, where + ": " + why); };
  if (!r.is_object() || !r.contains("source") || !r["source"].is_object() ||
      !r["source"].contains("kind") || !r["source"]["kind"].is_string() ||
      !r["source"].contains("params") || !r["source"]["params"].is_object())
    return bad("record has no valid source");
  if (!r.contains("bits") || !r["bits"].is_number_unsigned()) return bad("record lacks bits");
  const auto has_string = [&](const char* name) { return r.contains(name) && r[name].is_string(); };
  if (r.contains("extractor") && !r["extractor"].is_string())
    return bad("record's extractor is not a string");
  const std::string ex = string_field(r, "extractor");
  if (ex == kExact) {
    if (!has_string("salt") || !has_string("mask")) return bad("exact record lacks salt or mask");
  } else if (ex == fuzzy::kExtractorId) {
    if (!has_string("helper")) return bad("code-offset record lacks helper data");
  } else {
    return bad("unknown extractor \"" + ex + "\"");
  }
  return {};
}

Result<std::unique_ptr<fingerprint::FingerprintSource>> make_part_source(const json& part) {
  return make_source_for(part["source"]["kind"].get<std::string>(), part["source"]["params"],
                         "unlock");
}

Result<crypto::SecretKey> part_key_once(const json& part, fingerprint::FingerprintSource& src) {
  HWLOCK_ASSIGN(auto m, src.measure());
  const auto want = part["bits"].get<std::size_t>();
  if (m.bits.size() != want)
    return fail(Errc::wrong_key, "locked for a different device or key (" +
                                     part["source"]["kind"].get<std::string>() +
                                     " fingerprint has " + std::to_string(m.bits.size()) +
                                     " bits, record " + std::to_string(want) + ")");
  if (part["extractor"] == kExact) {
    HWLOCK_ASSIGN(auto mask, hex_field(part, "mask"));
    HWLOCK_ASSIGN(auto salt, hex_field(part, "salt"));
    return exact_key(m.bits, mask, std::as_bytes(std::span(salt)));
  }
  HWLOCK_ASSIGN(auto helper, hex_field(part, "helper"));
  return fuzzy::reproduce(m.bits.bytes(), m.bits.size(), std::as_bytes(std::span(helper)),
                          kFuzzyContext);
}

}  // namespace detail

Status validate_record(const json& r, std::string_view origin) {
  const std::string where(origin);
  auto bad = [&](const std::string& why) { return fail(Errc::key_source, where + ": " + why); };
  if (!r.is_object() || !r.contains("hwlock_device_record") ||
      !r["hwlock_device_record"].is_number_integer() || r["hwlock_device_record"] != 1)
    return bad("not an hwlock device record (version 1)");
  HWLOCK_TRY(detail::is_composite(r) ? detail::validate_composite(r, where)
                                     : detail::validate_part(r, where));
  if (!r.contains("public_key") || !r["public_key"].is_string() ||
      r["public_key"].get<std::string>().size() != 64)
    return bad("record lacks a 32-byte public_key");
  return {};
}

Result<Enrolled> enroll(const EnrollOptions& o) {
  json r;
  crypto::SecretKey device_key;
  if (!o.parts.empty()) {
    HWLOCK_ASSIGN(r, detail::enroll_composite(o, device_key));
  } else {
    HWLOCK_ASSIGN(auto part, detail::enroll_part({o.source, o.params, o.measurements}));
    r = json{{"hwlock_device_record", 1}};
    r.update(part.part);
    device_key = std::move(part.key);
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
  const std::vector<const json*> parts = parts_of(record);
  const std::vector<std::string> kinds = record_source_kinds(record);
  std::vector<std::unique_ptr<fingerprint::FingerprintSource>> sources;
  for (const json* p : parts) {
    HWLOCK_ASSIGN(auto src, detail::make_part_source(*p));
    sources.push_back(std::move(src));
  }
  Error last = fail(Errc::wrong_key, "locked for a different device or key");
  // Noisy sources may need another read (of every part: no part can be checked alone); a wrong
  // device fails every attempt.
  for (unsigned attempt = 0; attempt < kReproduceAttempts; ++attempt) {
    std::vector<crypto::SecretKey> keys;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      auto key = detail::part_key_once(*parts[i], *sources[i]);
      if (!key) {
        last = std::move(key).error();
        if (last.code != Errc::wrong_key && last.code != Errc::fuzzy_decode_failed &&
            last.code != Errc::fuzzy_helper_tampered)
          return last;
        break;
      }
      keys.push_back(std::move(key).value());
    }
    if (keys.size() != parts.size()) continue;
    crypto::SecretKey device_key;
    if (detail::is_composite(record)) {
      HWLOCK_ASSIGN(device_key, detail::combine_part_keys(kinds, keys));
    } else {
      device_key = std::move(keys.front());
    }
    crypto::SecretKey priv;
    std::array<std::byte, crypto::kX25519Size> pub{};
    HWLOCK_TRY(key_pair(device_key, priv, pub));
    if (crypto::to_hex(pub) == record["public_key"].get<std::string>()) return priv;
  }
  std::string what = kinds.front();
  for (std::size_t i = 1; i < kinds.size(); ++i) what += "+" + kinds[i];
  return fail(Errc::wrong_key, "locked for a different device or key: this device's " + what +
                                   " fingerprint does not reproduce device " +
                                   string_field(record, "device_id", "?") + " (" + last.message +
                                   ")");
}

}  // namespace hwlock::device
