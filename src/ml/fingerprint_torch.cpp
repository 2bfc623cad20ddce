// The "torch" fingerprint source (see hwlock/ml/fingerprint_torch.hpp).
#include "hwlock/ml/fingerprint_torch.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

using fingerprint::BitVector;
using fingerprint::Field;
using fingerprint::Measurement;

constexpr unsigned kDigestBits = 32;
constexpr std::uint64_t kSeed = 0x68776c6f636b7431ULL;  // "hwlockt1"

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// n values u * 2^e, u uniform in [-1, 1), e uniform in [-emax, emax]: mixed magnitudes, so a
// different summation order changes the rounded result.
at::Tensor mixed(std::uint64_t& state, std::vector<std::int64_t> shape, int emax) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) {
    const std::uint64_t r = splitmix64(state);
    const double u = static_cast<double>(r >> 11) * 0x1.0p-52 - 1.0;
    const int e = static_cast<int>((r & 0x7ff) % static_cast<std::uint64_t>(2 * emax + 1)) - emax;
    x = static_cast<float>(std::ldexp(u, e));
  }
  return at::from_blob(v.data(), shape, at::kFloat).clone();
}

std::uint32_t digest(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  const auto* p = static_cast<const std::uint8_t*>(c.data_ptr());
  const std::uint64_t h = fingerprint::hash64(
      {p, static_cast<std::size_t>(c.numel()) * static_cast<std::size_t>(c.element_size())});
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

struct Probe {
  const char* name;
  std::function<at::Tensor()> run;
};

// Restores the intra-op thread count on scope exit.
class OneThread {
 public:
  OneThread() : previous_(at::get_num_threads()) { at::set_num_threads(1); }
  ~OneThread() { at::set_num_threads(previous_); }
  OneThread(const OneThread&) = delete;
  OneThread& operator=(const OneThread&) = delete;

 private:
  int previous_;
};

Result<Measurement> measure_torch() {
  return detail::guard("torch fingerprint", [&]() -> Result<Measurement> {
    const at::NoGradGuard no_grad;
    const OneThread one_thread;
    std::uint64_t state = kSeed;
    const at::Tensor a = mixed(state, {64, 1024}, 20);
    const at::Tensor b = mixed(state, {1024, 64}, 20);
    const at::Tensor x = mixed(state, {4096}, 3);  // |x| < 8: transcendentals away from overflow
    const at::Tensor logits = mixed(state, {32, 1000}, 4);
    const at::Tensor image = mixed(state, {1, 8, 32, 32}, 10);
    const at::Tensor weight = mixed(state, {16, 8, 3, 3}, 10);
    const std::vector<Probe> probes = {
        {"mm.f32", [&] { return at::mm(a, b); }},
        {"dot.f32", [&] { return at::dot(a[0], b.select(1, 0)); }},
        {"conv2d.f32", [&] { return at::conv2d(image, weight); }},
        {"sum.rows.f32", [&] { return a.sum(1); }},
        {"sum.all.f32", [&] { return a.sum(); }},
        {"sum.all.f64", [&] { return a.to(at::kDouble).mul(1.0 / 3.0).sum(); }},
        {"mean.cols.f32", [&] { return b.mean(0); }},
        {"norm.rows.f32", [&] { return a.norm(2, {1}); }},
        {"cumsum.f32", [&] { return at::cumsum(a.flatten(), 0); }},
        {"softmax.f32", [&] { return at::softmax(logits, 1); }},
        {"log_softmax.f32", [&] { return at::log_softmax(logits, 1); }},
        {"layer_norm.f32", [&] { return at::layer_norm(a, {1024}); }},
        {"exp.f32", [&] { return at::exp(x); }},
        {"log.f32", [&] { return at::log(at::abs(x)); }},
        {"tanh.f32", [&] { return at::tanh(x); }},
        {"sigmoid.f32", [&] { return at::sigmoid(x); }},
        {"erf.f32", [&] { return at::erf(x); }},
        {"gelu.f32", [&] { return at::gelu(x); }},
    };
    Measurement m;
    m.kind = std::string(kTorchSourceKind);
    for (const auto& p : probes) {
      m.fields.push_back(Field{std::string("torch.") + p.name, m.bits.size(), kDigestBits});
      m.bits.append_bits(digest(p.run()), kDigestBits);
    }
    m.platform_fields.push_back(Field{"torch.cpu_capability", 0, 2});
    const std::string cap = torch_cpu_capability();
    m.platform.append_bits(cap == "avx512" ? 2u : cap == "avx2" ? 1u : 0u, 2);
    return m;
  });
}

class TorchSource final : public fingerprint::FingerprintSource {
 public:
  std::string_view kind() const override { return kTorchSourceKind; }
  nlohmann::json params() const override { return nlohmann::json::object(); }
  Result<Measurement> measure() override { return measure_torch(); }
};

}  // namespace

std::unique_ptr<fingerprint::FingerprintSource> make_torch_source() {
  return std::make_unique<TorchSource>();
}

Result<std::unique_ptr<fingerprint::FingerprintSource>> make_torch_source_from_params(
    const nlohmann::json& params) {
  if (!params.is_null() && !(params.is_object() && params.empty()))
    return fail(Errc::fp_bad_params,
                "torch source: takes no parameters (got " + params.dump() + ")");
  return make_torch_source();
}

void register_torch_source() {
  // Lives until exit: make_source("torch") then builds this source (tests may still override it
  // with a nested ScopedSourceFactory).
  static const fingerprint::ScopedSourceFactory registered(std::string(kTorchSourceKind),
                                                           make_torch_source_from_params);
}

std::string torch_cpu_capability() {
  // at::native::get_cpu_capability() is not exported; show_config() reports the same choice
  // ("CPU capability usage: NO AVX | AVX2 | AVX512"), including an ATEN_CPU_CAPABILITY override.
  static const std::string capability = [] {
    const std::string config = at::show_config();
    const std::string label = "CPU capability usage: ";
    const auto at_label = config.find(label);
    if (at_label == std::string::npos) return std::string("default");
    const std::string value = config.substr(at_label + label.size(), 6);
    if (value.rfind("AVX512", 0) == 0) return std::string("avx512");
    if (value.rfind("AVX2", 0) == 0) return std::string("avx2");
    return std::string("default");
  }();
  return capability;
}

}  // namespace hwlock::ml
