// hwlock/ml/numerics.hpp — emulated hardware numerics for the zoo (workbench only).
//
// A model runs "in" a number format by fake-quantising (quantise, then dequantise to fp32 with the
// bit-exact numfmt reference, see hwlock/numfmt.hpp) what that hardware would hold in it:
//   weights      every Linear/Conv weight (biases stay fp32: they are added in the accumulator),
//   activations  every input of a Linear/Conv and both operands of ViT's attention matmuls,
//   accumulator  every Linear/Conv/matmul output, after the bias (e.g. fp16 accumulation).
// Normalisation, softmax, GELU/ReLU and residual additions run in fp32.
//
// Layouts (numfmt views a tensor as rows x cols, blocks and per-channel scales along rows):
//   weight [out, ...]          rows = out channels, cols = the flattened reduction dims, so
//                              per-channel = per output channel and MX blocks run along the
//                              reduction dimension, as MX hardware does.
//   activation [N, F]          one example = 1 x F
//   activation [N, T, D]       one example = T x D (tokens)
//   activation [N, C, H, W]    one example = (H*W) x C: channels last, blocks along C.
//   sequence [N, ..., K]       one example = (product of the middle dims) x K: the operands of a
//                              matmul whose reduction runs along the last dimension.
// Tensor-scaled formats (int8, int4) compute activation scales per example, as a batch-1 device
// would, so results never depend on which other examples share a batch.
//
// Weight sparsity (N:M, as sparse tensor cores run): each weight row, viewed as above (rows = out
// channels, cols = the flattened reduction dims), keeps in every group of M consecutive elements
// the N of largest magnitude (ties: the lower index; NaN counts as largest) and zeroes the rest; a
// shorter last group of r elements keeps min(N, r). Pruning happens at every forward pass, before
// the weight is fake-quantised; the gradient flows to the kept weights only.
//
// Gradients are straight-through (STE): d fake_quantize(x) / dx = 1 everywhere (also where the
// value saturated), which is what quantisation-aware training and the soft locks use.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>

#include "hwlock/numfmt.hpp"
#include "hwlock/profile.hpp"
#include "hwlock/sparse.hpp"

namespace hwlock::ml {

struct Numerics {
  std::optional<numfmt::FormatSpec> weights;
  std::optional<numfmt::FormatSpec> activations;
  std::optional<numfmt::FormatSpec> accumulator;
  std::optional<sparse::NmPattern> weight_sparsity = std::nullopt;  // N:M pruning (above)

  bool native() const { return !weights && !activations && !accumulator && !weight_sparsity; }
  // e.g. "w=mxint8 a=mxint8 acc=fp32" ("native fp32" when nothing is emulated), with
  // " sparsity=2:4" appended when weights are pruned.
  std::string describe() const;

  // The same format for weights and activations, fp32 accumulation.
  static Numerics uniform(const numfmt::FormatSpec& spec) { return {spec, spec, std::nullopt}; }
};

// A device profile's numerics (hwlock/profile.hpp): fp32 fields are left unset (not emulated).
Numerics numerics_of(const DeviceProfile& profile);

enum class QuantLayout : std::uint8_t { weight, activation, sequence };

// Fake-quantises a float32 CPU tensor in `spec` with `layout` (above) and a straight-through
// gradient. Other dtypes/devices, or a tensor that does not fit the layout (a weight must have at
// least one dimension, an activation 2 to 4, a sequence at least 2), throw c10::Error; an invalid
// spec throws std::invalid_argument. fp32 returns `x` unchanged. Rows are processed in parallel
// (libtorch's intra-op pool); the result is bit-identical to numfmt::fake_quantize_ref on the same
// view.
torch::Tensor fake_quantize(const torch::Tensor& x, const numfmt::FormatSpec& spec,
                            QuantLayout layout);

// N:M magnitude pruning of a float32 CPU weight (at least one dimension, layout `weight`, rules
// above); the result is `w * mask`, so gradients reach the kept weights only. Throws c10::Error on
// another dtype/device or a tensor without dimensions, std::invalid_argument unless
// 1 <= n <= m <= sparse::kMaxGroup.
torch::Tensor nm_prune(const torch::Tensor& w, sparse::NmPattern pattern);

}  // namespace hwlock::ml
