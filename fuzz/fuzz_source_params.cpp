// libFuzzer target: fingerprint source parameters (fingerprint::make_source with JSON params).
// Input: one byte choosing the kind (numeric, timing, puf-sim, puf-file), then the params JSON.
// Only construction and, for small simulated PUFs, one simulated read: nothing is measured live.
// Invariants: failures are fp_bad_params; an accepted source reports its kind, and its recorded
// params() recreate a source recording the same params (the container stores them to re-measure
// at unlock); two simulated PUFs built from the same params give the same first read.
#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "fuzz_util.hpp"
#include "hwlock/fingerprint.hpp"

namespace {

namespace fp = hwlock::fingerprint;
using nlohmann::json;

constexpr std::array<std::string_view, 4> kKinds = {"numeric", "timing", "puf-sim", "puf-file"};
constexpr std::uint64_t kMaxSimulatedBits = 4096;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view kind = kKinds[data[0] % kKinds.size()];
  const json params = json::parse(data + 1, data + size, nullptr, /*allow_exceptions=*/false);
  if (params.is_discarded()) return 0;

  auto src = fp::make_source(kind, params);
  if (!src) {
    HWLOCK_FUZZ_CHECK(src.error().code == hwlock::Errc::fp_bad_params);
    return 0;
  }
  HWLOCK_FUZZ_CHECK((*src)->kind() == kind);
  const json recorded = (*src)->params();
  HWLOCK_FUZZ_CHECK(recorded.is_object());
  auto again = fp::make_source(kind, recorded);
  HWLOCK_FUZZ_CHECK(again.ok());
  HWLOCK_FUZZ_CHECK((*again)->params() == recorded);

  if (kind == "puf-sim" && recorded.at("bits").get<std::uint64_t>() <= kMaxSimulatedBits) {
    auto a = (*src)->measure();
    auto b = (*again)->measure();
    HWLOCK_FUZZ_CHECK(a.ok() && b.ok());
    HWLOCK_FUZZ_CHECK(a->bits == b->bits);
    HWLOCK_FUZZ_CHECK(a->bits.size() == recorded.at("bits").get<std::uint64_t>());
  }
  return 0;
}
