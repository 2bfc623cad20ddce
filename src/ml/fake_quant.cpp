// fake_quantize for libtorch tensors: the numfmt reference applied per example, with a
// straight-through gradient.
#include <ATen/Parallel.h>

#include <functional>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>

#include "hwlock/ml/numerics.hpp"

namespace hwlock::ml {
namespace {

std::string spec_text(const std::optional<numfmt::FormatSpec>& s) {
  return s ? numfmt::format_name(*s) : std::string("fp32");
}

// `v` is contiguous [examples, rows, cols]; each example is quantised as one rows x cols tensor.
torch::Tensor quantize_examples(const torch::Tensor& v, const numfmt::FormatSpec& spec) {
  auto out = torch::empty_like(v);
  const std::int64_t examples = v.size(0);
  const numfmt::TensorShape shape{static_cast<std::size_t>(v.size(1)),
                                  static_cast<std::size_t>(v.size(2))};
  const std::size_t n = shape.size();
  const float* in = v.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  // Failures are impossible for a validated spec and matching sizes; keep the first anyway.
  std::string error;
  std::mutex error_mutex;
  at::parallel_for(0, examples, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t e = begin; e < end; ++e) {
      const std::size_t off = static_cast<std::size_t>(e) * n;
      auto st = numfmt::fake_quantize(spec, std::span<const float>(in + off, n),
                                      std::span<float>(dst + off, n), shape);
      if (!st) {
        const std::lock_guard lock(error_mutex);
        if (error.empty()) error = st.error().message;
      }
    }
  });
  if (!error.empty()) throw std::runtime_error("fake_quantize: " + error);
  return out;
}

torch::Tensor quantize_layout(const torch::Tensor& x, const numfmt::FormatSpec& spec,
                              QuantLayout layout) {
  torch::NoGradGuard no_grad;
  torch::Tensor view;  // [examples, rows, cols], contiguous
  std::function<torch::Tensor(const torch::Tensor&)> restore;
  const auto sizes = x.sizes();
  switch (layout) {
    case QuantLayout::weight:
      TORCH_CHECK(x.dim() >= 1, "fake_quantize: a weight needs at least one dimension");
      view = x.reshape({1, sizes[0], x.numel() / sizes[0]}).contiguous();
      restore = [&](const torch::Tensor& q) { return q.reshape(sizes); };
      break;
    case QuantLayout::activation:
      TORCH_CHECK(x.dim() >= 2 && x.dim() <= 4,
                  "fake_quantize: an activation must have 2 to 4 dimensions, got ", x.dim());
      if (x.dim() == 4) {  // N C H W -> N (H W) C
        view = x.permute({0, 2, 3, 1}).reshape({sizes[0], sizes[2] * sizes[3], sizes[1]});
        view = view.contiguous();
        restore = [&](const torch::Tensor& q) {
          return q.reshape({sizes[0], sizes[2], sizes[3], sizes[1]}).permute({0, 3, 1, 2});
        };
        break;
      }
      [[fallthrough]];
    case QuantLayout::sequence:
      TORCH_CHECK(x.dim() >= 2, "fake_quantize: a sequence needs at least two dimensions");
      view = x.reshape({sizes[0], -1, sizes[x.dim() - 1]}).contiguous();
      restore = [&](const torch::Tensor& q) { return q.reshape(sizes); };
      break;
  }
  return restore(quantize_examples(view, spec));
}

// Value: the quantised tensor; gradient: identity (straight-through). Forward runs without autograd
// recording, so the result is exactly quantise(x), bit for bit.
struct StraightThrough : torch::autograd::Function<StraightThrough> {
  static torch::Tensor forward(torch::autograd::AutogradContext* /*ctx*/, const torch::Tensor& x,
                               const numfmt::FormatSpec* spec, int layout) {
    return quantize_layout(x, *spec, static_cast<QuantLayout>(layout));
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* /*ctx*/,
                                                 torch::autograd::variable_list grad) {
    return {grad[0], torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

std::string Numerics::describe() const {
  if (native()) return "native fp32";
  std::string s =
      "w=" + spec_text(weights) + " a=" + spec_text(activations) + " acc=" + spec_text(accumulator);
  if (weight_sparsity)
    s += " sparsity=" + std::to_string(weight_sparsity->n) + ":" +
         std::to_string(weight_sparsity->m);
  return s;
}

torch::Tensor fake_quantize(const torch::Tensor& x, const numfmt::FormatSpec& spec,
                            QuantLayout layout) {
  if (auto st = numfmt::validate(spec); !st) throw std::invalid_argument(st.error().message);
  TORCH_CHECK(x.scalar_type() == torch::kFloat32 && x.device().is_cpu(),
              "fake_quantize: expects a float32 CPU tensor, got ", x.toString());
  if (spec.format == numfmt::Format::fp32 || x.numel() == 0) return x;
  if (!x.requires_grad()) return quantize_layout(x, spec, layout);
  return StraightThrough::apply(x, &spec, static_cast<int>(layout));
}

}  // namespace hwlock::ml
