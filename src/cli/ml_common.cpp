#include "ml_common.hpp"

#include <utility>

#include "hwlock/safetensors.hpp"

namespace hwlock::cli {

Result<ml::Arch> resolve_model_arch(const std::string& file, const std::string& model_flag) {
  std::string name = model_flag;
  if (name.empty()) {
    HWLOCK_ASSIGN(const st::Reader reader, st::Reader::open(file));
    const auto it = reader.header().metadata.find("model");
    if (it == reader.header().metadata.end())
      return fail(Errc::usage,
                  file + ": no \"model\" metadata; name the architecture with --model");
    name = it->second;
  }
  const auto arch = ml::parse_arch(name);
  if (!arch) return fail(Errc::usage, file + ": unknown model \"" + name + "\"");
  return *arch;
}

Result<LockData> load_lock_data(std::uint64_t seed, std::int64_t train_limit,
                                std::int64_t test_limit) {
  HWLOCK_ASSIGN(auto all, ml::load_split(idx::Split::train));
  HWLOCK_ASSIGN(auto test, ml::load_split(idx::Split::test));
  HWLOCK_ASSIGN(auto split, ml::split_train_validation(all, 0, seed));
  auto train = ml::head(split.train, train_limit);
  return LockData{std::move(split.train), std::move(train), ml::head(test, test_limit)};
}

}  // namespace hwlock::cli
