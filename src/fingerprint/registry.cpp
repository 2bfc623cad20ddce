// make_source(): the kind → factory registry, the test override guard, FakeSource, and the JSON
// parameter checks every built-in factory uses.
#include <cmath>
#include <map>
#include <mutex>

#include "fingerprint/sources.hpp"

namespace hwlock::fingerprint {
namespace {

struct Registry {
  Registry() {
    factories.emplace("numeric", detail::make_numeric_from_params);
    factories.emplace("timing", detail::make_timing_from_params);
    factories.emplace("puf-sim", detail::make_puf_sim_from_params);
    factories.emplace("puf-file", detail::make_puf_file_from_params);
  }
  std::mutex mutex;
  std::map<std::string, SourceFactory, std::less<>> factories;
};

Registry& registry() {
  static Registry r;
  return r;
}

Error bad(std::string_view kind, std::string_view key, std::string_view why) {
  return fail(Errc::fp_bad_params, std::string(kind) + " source: parameter \"" + std::string(key) +
                                       "\" " + std::string(why));
}

}  // namespace

Result<std::unique_ptr<FingerprintSource>> make_source(std::string_view kind,
                                                       const nlohmann::json& params) {
  SourceFactory factory;
  {
    Registry& r = registry();
    const std::lock_guard lock(r.mutex);
    const auto it = r.factories.find(kind);
    if (it == r.factories.end() || !it->second)
      return fail(Errc::fp_unknown_source, "unknown fingerprint source \"" + std::string(kind) +
                                               "\" (known: numeric, timing, puf-sim, puf-file)");
    factory = it->second;
  }
  return factory(params);
}

ScopedSourceFactory::ScopedSourceFactory(std::string kind, SourceFactory factory)
    : kind_(std::move(kind)) {
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  SourceFactory& slot = r.factories[kind_];
  previous_ = std::move(slot);
  slot = std::move(factory);
}

ScopedSourceFactory::~ScopedSourceFactory() {
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  if (previous_)
    r.factories[kind_] = std::move(previous_);
  else
    r.factories.erase(kind_);
}

FakeSource::FakeSource(BitVector bits, std::string kind)
    : kind_(std::move(kind)), fn_([bits = std::move(bits), k = kind_](std::size_t) {
        Measurement m;
        m.kind = k;
        m.fields.push_back(Field{"fake", 0, bits.size()});
        m.bits = bits;
        return Result<Measurement>(std::move(m));
      }) {}

namespace detail {

Status check_params(std::string_view kind, const nlohmann::json& params,
                    std::initializer_list<std::string_view> allowed) {
  if (params.is_null()) return {};
  if (!params.is_object())
    return fail(Errc::fp_bad_params, std::string(kind) + " source: parameters must be an object");
  for (const auto& item : params.items()) {
    bool known = false;
    for (auto a : allowed) known = known || item.key() == a;
    if (!known) return bad(kind, item.key(), "is not a parameter of this source");
  }
  return {};
}

Result<std::uint64_t> param_u64(std::string_view kind, const nlohmann::json& params,
                                const char* key, std::uint64_t fallback, std::uint64_t lo,
                                std::uint64_t hi) {
  if (!params.is_object() || !params.contains(key)) return fallback;
  const auto& v = params.at(key);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
    return bad(kind, key, "must be a non-negative integer");
  const auto x = v.get<std::uint64_t>();
  if (x < lo || x > hi)
    return bad(kind, key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

Result<double> param_double(std::string_view kind, const nlohmann::json& params, const char* key,
                            double fallback, double lo, double hi) {
  if (!params.is_object() || !params.contains(key)) return fallback;
  const auto& v = params.at(key);
  if (!v.is_number()) return bad(kind, key, "must be a number");
  const auto x = v.get<double>();
  if (!std::isfinite(x) || x < lo || x > hi)
    return bad(kind, key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

Result<std::string> param_string(std::string_view kind, const nlohmann::json& params,
                                 const char* key) {
  if (!params.is_object() || !params.contains(key)) return bad(kind, key, "is required");
  const auto& v = params.at(key);
  if (!v.is_string() || v.get_ref<const std::string&>().empty())
    return bad(kind, key, "must be a non-empty string");
  return v.get<std::string>();
}

}  // namespace detail
}  // namespace hwlock::fingerprint
