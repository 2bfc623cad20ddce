// Fake fingerprint sources for the device-record fuzz target and its corpus generator: while a
// FakeSources object is alive, make_source() of every built-in kind returns a source that echoes
// its params and always measures the same bits, derived from the params alone (`bits`, default
// 256, at most kMaxFakeBits; `device_seed`, default 0). Nothing is measured live, so enrolling
// and reproducing are deterministic and cheap.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hwlock/fingerprint.hpp"

namespace hwlock::fuzz {

inline constexpr std::size_t kMaxFakeBits = std::size_t{1} << 14;
inline constexpr std::array<std::string_view, 4> kBuiltinKinds = {"numeric", "timing", "puf-sim",
                                                                  "puf-file"};

inline fingerprint::BitVector fake_bits(const nlohmann::json& params) {
  std::size_t nbits = 256;
  std::uint64_t seed = 0;
  // Non-negative integers, whether parsed (unsigned) or built in code (signed).
  const auto natural = [&](const char* key) -> std::optional<std::uint64_t> {
    if (!params.is_object()) return std::nullopt;
    const auto it = params.find(key);
    if (it == params.end() || !it->is_number_integer() || (*it < 0)) return std::nullopt;
    return it->get<std::uint64_t>();
  };
  if (const auto bits = natural("bits"); bits && *bits >= 1 && *bits <= kMaxFakeBits)
    nbits = static_cast<std::size_t>(*bits);
  if (const auto s = natural("device_seed")) seed = *s;
  fingerprint::BitVector out;
  std::uint64_t x = seed;
  while (out.size() < nbits) {
    x += 0x9E3779B97F4A7C15u;  // splitmix64
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    const std::size_t take = std::min<std::size_t>(64, nbits - out.size());
    out.append_bits(z, static_cast<unsigned>(take));
  }
  return out;
}

class EchoSource final : public fingerprint::FingerprintSource {
 public:
  EchoSource(std::string kind, nlohmann::json params)
      : kind_(std::move(kind)), params_(std::move(params)), bits_(fake_bits(params_)) {}
  std::string_view kind() const override { return kind_; }
  nlohmann::json params() const override { return params_; }
  Result<fingerprint::Measurement> measure() override {
    fingerprint::Measurement m;
    m.kind = kind_;
    m.fields.push_back({"fake", 0, bits_.size()});
    m.bits = bits_;
    return m;
  }

 private:
  std::string kind_;
  nlohmann::json params_;
  fingerprint::BitVector bits_;
};

class FakeSources {
 public:
  FakeSources() {
    for (auto kind : kBuiltinKinds)
      guards_.push_back(std::make_unique<fingerprint::ScopedSourceFactory>(
          std::string(kind),
          [kind](const nlohmann::json& params)
              -> Result<std::unique_ptr<fingerprint::FingerprintSource>> {
            return std::unique_ptr<fingerprint::FingerprintSource>(
                std::make_unique<EchoSource>(std::string(kind), params));
          }));
  }
  ~FakeSources() {
    while (!guards_.empty()) guards_.pop_back();  // reverse order of creation
  }
  FakeSources(const FakeSources&) = delete;
  FakeSources& operator=(const FakeSources&) = delete;

 private:
  std::vector<std::unique_ptr<fingerprint::ScopedSourceFactory>> guards_;
};

}  // namespace hwlock::fuzz
