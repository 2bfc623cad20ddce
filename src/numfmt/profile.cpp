// Device profile JSON: strict parsing (hwlock/profile.hpp).
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "hwlock/profile.hpp"

namespace hwlock {
namespace {

using nlohmann::json;

// Thrown from the parser callback on a repeated key; caught below, never escapes this file.
struct DuplicateKey {
  std::string key;
};

Error invalid(const std::string& where, const std::string& why) {
  return fail(Errc::profile_invalid, where + ": " + why);
}

Result<json> parse_json(std::string_view text, const std::string& where) {
  std::vector<std::set<std::string>> keys;
  json::parser_callback_t cb = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    if (event == json::parse_event_t::object_end) keys.pop_back();
    if (event == json::parse_event_t::key && !keys.back().insert(parsed.get<std::string>()).second)
      throw DuplicateKey{parsed.get<std::string>()};
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/true,
                       /*ignore_comments=*/false);
  } catch (const DuplicateKey& d) {
    return invalid(where, "the key \"" + d.key + "\" appears twice");
  } catch (const json::exception& e) {
    return invalid(where, std::string("not valid JSON: ") + e.what());
  }
}

Result<std::string> get_string(const json& root, const char* key, const std::string& where,
                               bool required) {
  const auto it = root.find(key);
  if (it == root.end()) {
    if (required) return invalid(where, std::string("missing required field \"") + key + "\"");
    return std::string();
  }
  if (!it->is_string())
    return invalid(where, std::string("field \"") + key + "\" must be a string");
  return it->get<std::string>();
}

Result<numfmt::FormatSpec> get_format(const json& root, const char* key, const std::string& where) {
  HWLOCK_ASSIGN(const std::string text, get_string(root, key, where, true));
  auto spec = numfmt::parse_format(text);
  if (!spec) return invalid(where, std::string("field \"") + key + "\": " + spec.error().message);
  return *spec;
}

// "N:M" with 1 <= N < M <= kMaxGroup, decimal digits only.
Result<sparse::NmPattern> parse_pattern(const std::string& text, const std::string& where) {
  const auto bad = [&] {
    return invalid(where,
                   "field \"sparsity.pattern\": \"" + text +
                       "\" is not N:M with 1 <= N < M <= " + std::to_string(sparse::kMaxGroup));
  };
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size() || colon > 2 ||
      text.size() - colon - 1 > 2)
    return bad();
  unsigned n = 0, m = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == colon) continue;
    if (text[i] < '0' || text[i] > '9') return bad();
    unsigned& v = i < colon ? n : m;
    v = v * 10 + static_cast<unsigned>(text[i] - '0');
  }
  if (n < 1 || n >= m || m > sparse::kMaxGroup) return bad();
  return sparse::NmPattern{static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(m)};
}

Result<std::optional<sparse::NmPattern>> get_sparsity(const json& root, const std::string& where) {
  const auto it = root.find("sparsity");
  if (it == root.end() || it->is_null()) return std::optional<sparse::NmPattern>();
  if (!it->is_object())
    return invalid(where, "field \"sparsity\" must be null or an object {\"pattern\": \"N:M\"}");
  for (const auto& [key, value] : it->items())
    if (key != "pattern") return invalid(where, "unknown field \"sparsity." + key + "\"");
  const auto p = it->find("pattern");
  if (p == it->end()) return invalid(where, "missing required field \"sparsity.pattern\"");
  if (!p->is_string()) return invalid(where, "field \"sparsity.pattern\" must be a string");
  HWLOCK_ASSIGN(const sparse::NmPattern pattern, parse_pattern(p->get<std::string>(), where));
  return std::optional<sparse::NmPattern>(pattern);
}

}  // namespace

bool valid_profile_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxProfileNameLength) return false;
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name[0])) return false;
  for (const char c : name)
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

std::string DeviceProfile::summary() const {
  std::string s = "w=" + numfmt::format_name(weights) + " a=" + numfmt::format_name(activations) +
                  " acc=" + numfmt::format_name(accumulator);
  if (sparsity) s += " sparsity=" + std::to_string(sparsity->n) + ":" + std::to_string(sparsity->m);
  return s;
}

Result<DeviceProfile> parse_profile(std::string_view json_text, const std::string& where) {
  if (json_text.size() > kMaxProfileBytes)
    return invalid(where, "larger than " + std::to_string(kMaxProfileBytes) + " bytes");
  HWLOCK_ASSIGN(const json root, parse_json(json_text, where));
  if (!root.is_object()) return invalid(where, "a profile must be a JSON object");
  static const std::set<std::string> kKnown{
      "name", "description", "weights", "activations", "accumulator", "sparsity", "kernel_path"};
  for (const auto& [key, value] : root.items())
    if (!kKnown.contains(key)) return invalid(where, "unknown field \"" + key + "\"");

  DeviceProfile p;
  HWLOCK_ASSIGN(p.name, get_string(root, "name", where, true));
  if (!valid_profile_name(p.name))
    return invalid(where, "field \"name\": \"" + p.name +
                              "\" is not 1-64 characters of [a-z0-9._-] starting with [a-z0-9]");
  HWLOCK_ASSIGN(p.description, get_string(root, "description", where, false));
  HWLOCK_ASSIGN(p.weights, get_format(root, "weights", where));
  HWLOCK_ASSIGN(p.activations, get_format(root, "activations", where));
  HWLOCK_ASSIGN(p.accumulator, get_format(root, "accumulator", where));
  HWLOCK_ASSIGN(p.sparsity, get_sparsity(root, where));
  HWLOCK_ASSIGN(p.kernel_path, get_string(root, "kernel_path", where, true));
  if (p.kernel_path.empty()) return invalid(where, "field \"kernel_path\" is empty");
  return p;
}

}  // namespace hwlock
