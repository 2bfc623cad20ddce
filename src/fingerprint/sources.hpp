// Built-in source factories and the JSON parameter checks they share (private to fingerprint/).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "hwlock/fingerprint.hpp"

namespace hwlock::fingerprint::detail {

using SourcePtr = std::unique_ptr<FingerprintSource>;

Result<SourcePtr> make_numeric_from_params(const nlohmann::json& params);
Result<SourcePtr> make_timing_from_params(const nlohmann::json& params);
Result<SourcePtr> make_puf_sim_from_params(const nlohmann::json& params);
Result<SourcePtr> make_puf_file_from_params(const nlohmann::json& params);

// Parameter checks: every failure is fp_bad_params naming the source kind and the key.
// `params` must be an object (or null = {}) whose keys are all in `allowed`.
Status check_params(std::string_view kind, const nlohmann::json& params,
                    std::initializer_list<std::string_view> allowed);
Result<std::uint64_t> param_u64(std::string_view kind, const nlohmann::json& params,
                                const char* key, std::uint64_t fallback, std::uint64_t lo,
                                std::uint64_t hi);
Result<double> param_double(std::string_view kind, const nlohmann::json& params, const char* key,
                            double fallback, double lo, double hi);
Result<std::string> param_string(std::string_view kind, const nlohmann::json& params,
                                 const char* key);  // required

}  // namespace hwlock::fingerprint::detail
