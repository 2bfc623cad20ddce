// hwlock/profile.hpp — device profiles: the number formats and sparsity a hardware target runs.
//
// A profile is a small JSON file, `<name>.json`, in a profile directory (the shipped ones are in
// the source tree's `profiles/`, installed to `<prefix>/share/hwlock/profiles`):
//
//   {
//     "name": "gpu-fp16",                          required, [a-z0-9][a-z0-9._-]*, <= 64 chars,
//                                                  equal to the file name without ".json"
//     "description": "NVIDIA tensor cores, fp16",  optional string
//     "weights": "fp16",                           required numfmt format strings (parse_format,
//     "activations": "fp16",                         hwlock/numfmt.hpp); "fp32" = not emulated
//     "accumulator": "fp16",
//     "sparsity": {"pattern": "2:4"},              optional: null (dense) or N of every M weights
//                                                  along the reduction dimension, 1 <= N < M <= 64
//     "kernel_path": "cuBLAS fp16 HMMA"            required free text: the native kernel emulated
//   }
//
// Meaning of the formats (as hwlock/ml/numerics.hpp emulates them): `weights` is the storage
// format of every Linear/Conv weight, `activations` of every layer input, `accumulator` of every
// layer output as the kernel writes it (accumulated sum plus bias). With `sparsity`, each weight
// row keeps its N largest-magnitude values of every M along the reduction dimension (pruned
// before the weight is quantised).
//
// Parsing is strict: the file must be at most kMaxProfileBytes of valid UTF-8 JSON, one object,
// no duplicate keys, no unknown keys, every value of the right type. Every failure is
// Errc::profile_invalid with a message naming the file and the field; a name that no directory
// holds is Errc::profile_not_found.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hwlock/error.hpp"
#include "hwlock/numfmt.hpp"
#include "hwlock/sparse.hpp"

namespace hwlock {

inline constexpr std::size_t kMaxProfileBytes = 64 * 1024;
inline constexpr std::size_t kMaxProfileNameLength = 64;

struct DeviceProfile {
  std::string name;
  std::string description;
  numfmt::FormatSpec weights = numfmt::default_spec(numfmt::Format::fp32);
  numfmt::FormatSpec activations = numfmt::default_spec(numfmt::Format::fp32);
  numfmt::FormatSpec accumulator = numfmt::default_spec(numfmt::Format::fp32);
  std::optional<sparse::NmPattern> sparsity;  // std::nullopt: dense
  std::string kernel_path;
  std::filesystem::path file;  // where it was read from (empty when parsed from text)

  // e.g. "w=fp16 a=fp16 acc=fp16 sparsity=2:4".
  std::string summary() const;
};

// True for a valid profile name (see above).
bool valid_profile_name(std::string_view name);

// Parses profile JSON; `where` (a path) prefixes every error message. The name/file-name match is
// checked by load_profile, not here.
Result<DeviceProfile> parse_profile(std::string_view json_text, const std::string& where);

// Reads and parses one profile file; its "name" must equal the file's stem.
Result<DeviceProfile> load_profile(const std::filesystem::path& file);

// The directories searched for profiles, first match wins:
//   1. `explicit_dir` (the CLI's --profiles DIR) if not empty, else
//   2. $HWLOCK_PROFILES if set and not empty, else
//   3. the installed data directory next to the running executable
//   (<bin>/../share/hwlock/profiles),
//      the configured install prefix's data directory, and the source tree's profiles/ (so builds
//      work uninstalled).
// With an explicit directory or $HWLOCK_PROFILES, only that directory is searched.
std::vector<std::filesystem::path> profile_dirs(const std::filesystem::path& explicit_dir = {});

// Finds `name_or_path`: a path (it contains '/' or ends in ".json") is loaded as is; a name is
// looked up as <dir>/<name>.json in each of `dirs` in order.
Result<DeviceProfile> find_profile(std::string_view name_or_path,
                                   const std::vector<std::filesystem::path>& dirs);

// Every *.json in the first of `dirs` that exists, sorted by name; fails on the first invalid file
// and with profile_not_found when no directory exists or it holds no profile.
Result<std::vector<DeviceProfile>> load_all_profiles(
    const std::vector<std::filesystem::path>& dirs);

}  // namespace hwlock
