// libFuzzer target: structure specs for the structured shuffle (plan_from_spec_text), against a
// fixed small model: fc1.weight F32 [4,3], fc1.bias F32 [4], fc2.weight BF16 [2,4], fc2.bias F16
// [2], emb U8 [4,2], step I64 [] (names any spec can refer to).
// Invariants: a failure is structure_invalid and names the spec; an accepted spec yields one
// request per tensor, each of which shuffle-v1 accepts, and locking then decoding every tensor
// restores its bytes exactly.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "hwlock/crypto.hpp"
#include "hwlock/shuffle.hpp"

namespace {

namespace st = hwlock::st;
namespace tf = hwlock::transform;

constexpr std::string_view kOrigin = "fuzz-structure.json";

struct Tensor {
  std::string name;
  st::DType dtype;
  std::vector<std::uint64_t> shape;
  std::vector<std::byte> data;
};

std::vector<Tensor> model() {
  std::vector<Tensor> m{
      {"fc1.weight", st::DType::F32, {4, 3}, {}},  {"fc1.bias", st::DType::F32, {4}, {}},
      {"fc2.weight", st::DType::BF16, {2, 4}, {}}, {"fc2.bias", st::DType::F16, {2}, {}},
      {"emb", st::DType::U8, {4, 2}, {}},          {"step", st::DType::I64, {}, {}}};
  std::uint32_t seed = 1;
  for (auto& t : m) {
    std::size_t n = st::dtype_size(t.dtype);
    for (auto d : t.shape) n *= static_cast<std::size_t>(d);
    for (std::size_t i = 0; i < n; ++i)
      t.data.push_back(static_cast<std::byte>((seed = seed * 1103515245u + 12345u) >> 24));
  }
  return m;
}

hwlock::Result<hwlock::crypto::SecretKey> group_key(std::string_view g) {
  std::array<std::byte, hwlock::crypto::kKeySize> k{};
  for (std::size_t i = 0; i < g.size(); ++i) k[i % k.size()] ^= static_cast<std::byte>(g[i] + i);
  return hwlock::crypto::SecretKey(k);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<Tensor> m = model();
  std::vector<tf::TensorDesc> descs;
  for (const auto& t : m) descs.push_back({t.name, t.dtype, t.shape, t.data.size()});
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto plan = tf::plan_from_spec_text(text, descs, kOrigin);
  if (!plan) {
    HWLOCK_FUZZ_CHECK(plan.error().code == hwlock::Errc::structure_invalid);
    HWLOCK_FUZZ_CHECK(plan.error().message.starts_with(kOrigin));
    return 0;
  }
  HWLOCK_FUZZ_CHECK(plan->requests.size() == m.size());
  HWLOCK_FUZZ_CHECK(plan->groups >= 1 && plan->permuted_tensors >= 1);
  const auto* scheme = tf::find_scheme(tf::kShuffleSchemeId);
  HWLOCK_FUZZ_CHECK(scheme != nullptr);
  const std::array<std::byte, hwlock::crypto::kKeySize> key{};
  const std::array<std::byte, hwlock::crypto::kIvSize> nonce{};
  const tf::TensorKeys keys{key, nonce, group_key};
  for (std::size_t i = 0; i < m.size(); ++i) {
    const auto it = plan->requests.find(m[i].name);
    HWLOCK_FUZZ_CHECK(it != plan->requests.end());
    std::vector<std::byte> locked(m[i].data.size()), back(m[i].data.size());
    auto params = scheme->lock(descs[i], keys, it->second, m[i].data, locked);
    HWLOCK_FUZZ_CHECK(params.ok());
    HWLOCK_FUZZ_CHECK(tf::decode_tensor(*scheme, descs[i], keys, *params, locked, back).ok());
    HWLOCK_FUZZ_CHECK(back == m[i].data);
  }
  return 0;
}
