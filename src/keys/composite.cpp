// Composite device records: one device key from several fingerprint sources (see
// hwlock/device.hpp for the format and the key combiner).
#include <algorithm>
#include <set>

#include "composite_internal.hpp"

namespace hwlock::device {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxKindLength = 64;

std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

}  // namespace

namespace detail {

bool is_composite(const json& record) {
  return record.is_object() && record.contains("parts");
}

Result<crypto::SecretKey> combine_part_keys(const std::vector<std::string>& kinds,
                                            std::span<const crypto::SecretKey> part_keys) {
  if (kinds.size() != part_keys.size() || kinds.size() < 2 || kinds.size() > kMaxCompositeParts)
    return fail(Errc::key_source, "composite device key: bad number of parts");
  crypto::SecretBuffer ikm(part_keys.size() * crypto::kKeySize);
  for (std::size_t i = 0; i < part_keys.size(); ++i)
    std::copy(part_keys[i].bytes().begin(), part_keys[i].bytes().end(),
              ikm.data() + i * crypto::kKeySize);
  // info = label ‖ n ‖ (len(kind) ‖ kind)*: domain-separated and bound to the parts' order.
  std::string info = "hwlock/v1/device/composite";
  info.push_back(static_cast<char>(kinds.size()));
  for (const auto& k : kinds) {
    if (k.empty() || k.size() > kMaxKindLength)
      return fail(Errc::key_source, "composite device key: bad source kind");
    info.push_back(static_cast<char>(k.size()));
    info += k;
  }
  crypto::SecretKey key;
  HWLOCK_TRY(crypto::hkdf_sha256(ikm.span(), {}, as_bytes(info), key.mutable_bytes()));
  return crypto::SecretKey(key.bytes());
}

Status validate_composite(const json& r, const std::string& where) {
  auto bad = [&](const std::string& why) { return fail(Errc::key_source, where + ": " + why); };
  if (!r.contains("extractor") || r["extractor"] != kCompositeExtractor)  // not value(): throws
    return bad("a record with parts must use extractor \"" + std::string(kCompositeExtractor) +
               "\"");
  if (!r.contains("source") || !r["source"].is_object() || !r["source"].contains("kind") ||
      r["source"]["kind"] != kCompositeKind)
    return bad("a composite record's source kind must be \"composite\"");
  if (!r.contains("bits") || !r["bits"].is_number_unsigned()) return bad("record lacks bits");
  const json& parts = r["parts"];
  if (!parts.is_array() || parts.size() < 2 || parts.size() > kMaxCompositeParts)
    return bad("composite record needs 2.." + std::to_string(kMaxCompositeParts) + " parts");
  std::set<std::string> seen;
  std::size_t bits = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string at = where + ": part " + std::to_string(i + 1);
    HWLOCK_TRY(validate_part(parts[i], at));
    const std::string kind = parts[i]["source"]["kind"].get<std::string>();
    if (kind.empty() || kind.size() > kMaxKindLength || kind == kCompositeKind)
      return fail(Errc::key_source, at + ": bad source kind \"" + kind + "\"");
    if (!seen.insert(kind).second)
      return fail(Errc::key_source, at + ": source \"" + kind + "\" appears twice");
    if (parts[i].contains("public_key") || parts[i].contains("parts"))
      return fail(Errc::key_source, at + ": a part carries no public_key and no parts");
    bits += parts[i]["bits"].get<std::size_t>();
  }
  if (r["bits"].get<std::size_t>() != bits) return bad("bits is not the sum of the parts' bits");
  return {};
}

Result<json> enroll_composite(const EnrollOptions& o, crypto::SecretKey& device_key) {
  if (o.parts.size() < 2 || o.parts.size() > kMaxCompositeParts)
    return fail(Errc::usage, "a composite enrollment needs 2.." +
                                 std::to_string(kMaxCompositeParts) + " sources");
  std::vector<std::string> kinds;
  for (const auto& p : o.parts) {
    if (p.kind.empty() || p.kind.size() > kMaxKindLength || p.kind == kCompositeKind)
      return fail(Errc::usage, "bad source kind \"" + p.kind + "\" in a composite enrollment");
    if (std::find(kinds.begin(), kinds.end(), p.kind) != kinds.end())
      return fail(Errc::usage, "source \"" + p.kind + "\" given twice");
    kinds.push_back(p.kind);
  }
  json parts = json::array();
  std::vector<crypto::SecretKey> keys;
  std::size_t bits = 0, reliable = 0, measurements = 0;
  for (const auto& spec : o.parts) {
    HWLOCK_ASSIGN(auto e, enroll_part(spec));
    bits += e.part["bits"].get<std::size_t>();
    reliable += e.part["reliable_bits"].get<std::size_t>();
    measurements += e.part["measurements"].get<std::size_t>();
    parts.push_back(std::move(e.part));
    keys.push_back(std::move(e.key));
  }
  HWLOCK_ASSIGN(device_key, combine_part_keys(kinds, keys));
  return json{{"hwlock_device_record", 1},
              {"source", {{"kind", kCompositeKind}, {"params", json::object()}}},
              {"extractor", kCompositeExtractor},
              {"parts", std::move(parts)},
              {"bits", bits},
              {"reliable_bits", reliable},
              {"measurements", measurements}};
}

}  // namespace detail

std::vector<std::string> record_source_kinds(const json& record) {
  std::vector<std::string> out;
  auto kind_of = [](const json& r) {
    if (r.is_object() && r.contains("source") && r["source"].is_object() &&
        r["source"].contains("kind") && r["source"]["kind"].is_string())
      return r["source"]["kind"].get<std::string>();
    return std::string("?");
  };
  if (detail::is_composite(record) && record["parts"].is_array()) {
    for (const auto& p : record["parts"]) out.push_back(kind_of(p));
  } else {
    out.push_back(kind_of(record));
  }
  return out;
}

Result<EnrollOptions> enroll_options(const std::vector<std::string>& sources, const json& params,
                                     unsigned measurements) {
  std::vector<std::string> kinds;
  for (const auto& s : sources) {
    std::size_t start = 0;
    while (true) {
      const std::size_t plus = s.find('+', start);
      const std::string k = s.substr(start, plus == std::string::npos ? plus : plus - start);
      if (k.empty()) return fail(Errc::usage, "empty source kind in \"" + s + "\"");
      if (std::find(kinds.begin(), kinds.end(), k) != kinds.end())
        return fail(Errc::usage, "source \"" + k + "\" given twice");
      kinds.push_back(k);
      if (plus == std::string::npos) break;
      start = plus + 1;
    }
  }
  if (kinds.empty()) return fail(Errc::usage, "no fingerprint source given");
  if (kinds.size() > kMaxCompositeParts)
    return fail(Errc::usage,
                "at most " + std::to_string(kMaxCompositeParts) + " sources in one record");
  EnrollOptions o;
  if (kinds.size() == 1) {
    o.source = kinds.front();
    o.params = params.is_null() ? json::object() : params;
    o.measurements = measurements;
    return o;
  }
  if (!params.is_null() && !params.is_object())
    return fail(Errc::usage,
                "composite --params must be an object mapping source kinds to "
                "their parameters");
  const json mapped = params.is_null() ? json::object() : params;
  for (const auto& item : mapped.items()) {
    if (std::find(kinds.begin(), kinds.end(), item.key()) == kinds.end())
      return fail(Errc::usage, "--params names \"" + item.key() +
                                   "\", which is not one of the sources (composite --params "
                                   "maps source kinds to their parameters)");
    if (!item.value().is_object())
      return fail(Errc::usage, "--params: parameters of \"" + item.key() + "\" must be an object");
  }
  for (const auto& k : kinds)
    o.parts.push_back(
        {k, params.is_object() && params.contains(k) ? params[k] : json::object(), measurements});
  return o;
}

}  // namespace hwlock::device
