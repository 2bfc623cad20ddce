// N:M magnitude pruning of weights at forward time, and device profiles as Numerics
// (hwlock/ml/numerics.hpp).
#include <ATen/Parallel.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "hwlock/ml/numerics.hpp"

namespace hwlock::ml {
namespace {

// a ranks above b: larger magnitude, NaN above everything else.
bool ranks_above(float a, float b) {
  if (std::isnan(a)) return !std::isnan(b);
  if (std::isnan(b)) return false;
  return std::fabs(a) > std::fabs(b);
}

// Writes 1 into mask[i] for the kept elements of one group of `len` weights, 0 elsewhere.
void mask_group(const float* w, float* mask, std::size_t len, std::size_t keep) {
  for (std::size_t i = 0; i < len; ++i) {
    // Element i is kept when fewer than `keep` elements outrank it (ties: the lower index wins).
    std::size_t above = 0;
    for (std::size_t j = 0; j < len && above < keep; ++j)
      if (ranks_above(w[j], w[i]) || (j < i && !ranks_above(w[i], w[j]))) ++above;
    mask[i] = above < keep ? 1.0f : 0.0f;
  }
}

std::optional<numfmt::FormatSpec> emulated(const numfmt::FormatSpec& spec) {
  if (spec.format == numfmt::Format::fp32) return std::nullopt;
  return spec;
}

}  // namespace

torch::Tensor nm_prune(const torch::Tensor& w, sparse::NmPattern pattern) {
  if (pattern.n < 1 || pattern.n > pattern.m || pattern.m > sparse::kMaxGroup)
    throw std::invalid_argument("nm_prune: invalid pattern " + std::to_string(pattern.n) + ":" +
                                std::to_string(pattern.m));
  TORCH_CHECK(w.scalar_type() == torch::kFloat32 && w.device().is_cpu(),
              "nm_prune: expects a float32 CPU tensor, got ", w.toString());
  TORCH_CHECK(w.dim() >= 1, "nm_prune: a weight needs at least one dimension");
  if (w.numel() == 0 || pattern.n == pattern.m) return w;
  torch::Tensor mask;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor v = w.detach().reshape({w.size(0), -1}).contiguous();
    mask = torch::empty_like(v);
    const auto cols = static_cast<std::size_t>(v.size(1));
    const float* src = v.data_ptr<float>();
    float* dst = mask.data_ptr<float>();
    const std::size_t m = pattern.m, n = pattern.n;
    at::parallel_for(0, v.size(0), 1, [&](std::int64_t begin, std::int64_t end) {
      for (auto r = static_cast<std::size_t>(begin); r < static_cast<std::size_t>(end); ++r)
        for (std::size_t c = 0; c < cols; c += m) {
          const std::size_t len = std::min(m, cols - c);
          mask_group(src + r * cols + c, dst + r * cols + c, len, std::min(n, len));
        }
    });
    mask = mask.reshape(w.sizes());
  }
  return w * mask;
}

Numerics numerics_of(const DeviceProfile& profile) {
  return Numerics{emulated(profile.weights), emulated(profile.activations),
                  emulated(profile.accumulator), profile.sparsity};
}

}  // namespace hwlock::ml
