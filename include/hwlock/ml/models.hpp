// hwlock/ml/models.hpp — the model zoo for 1 x 28 x 28 inputs and 10 classes (workbench only).
//
// Parameter and buffer names equal those of the PyTorch modules written the usual way, so weights
// move between Python and hwlock through safetensors unchanged:
//   mlp       fc1 (784->256), fc2 (256->256), fc3 (256->10), ReLU.
//   cnn       LeNet-style: conv1 (1->32, 5x5, pad 2), pool, conv2 (32->64, 5x5), pool,
//             fc1 (1600->256), fc2 (256->10), ReLU.
//   resnet20  He et al. 2016, CIFAR variant, torchvision naming: conv1, bn1, layer{1,2,3}.{0,1,2}.
//             {conv1,bn1,conv2,bn2[,downsample.0,downsample.1]}, fc; 16/32/64 channels; BatchNorm
//             buffers running_mean, running_var, num_batches_tracked (int64).
//   vit       ViT-tiny, timm naming: patch_embed.proj (4x4 patches, dim 64), cls_token, pos_embed,
//             blocks.{0..3}.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2}, norm, head;
//             pre-norm blocks, 4 heads, MLP ratio 2, GELU.
// forward() takes N x 1 x 28 x 28 float32 and returns N x 10 logits.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "hwlock/error.hpp"
#include "hwlock/ml/numerics.hpp"

namespace hwlock::ml {

inline constexpr std::int64_t kNumClasses = 10;

// Common interface of the zoo: a module with a single-tensor forward.
class Net : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;

  // The input of the model's 256-unit hidden Linear "fc1" (mlp: the flattened image; cnn: the
  // flattened conv features) for a batch x, in fp32; std::nullopt for models without one. The
  // quantisation lock's shadow units live in fc1's outputs.
  virtual std::optional<torch::Tensor> fc1_input(const torch::Tensor& x) {
    (void)x;
    return std::nullopt;
  }

  // Emulated numerics (hwlock/ml/numerics.hpp) for the following forward passes; std::nullopt
  // (the default) runs plain fp32 libtorch. Training through emulated numerics uses the
  // straight-through gradient.
  void set_numerics(std::optional<Numerics> numerics) { *numerics_ = std::move(numerics); }
  const std::optional<Numerics>& numerics() const { return *numerics_; }

  // Shared with the submodules that run the layers; not part of the state dict.
  using NumericsRef = std::shared_ptr<const std::optional<Numerics>>;
  NumericsRef numerics_ref() const { return numerics_; }

 private:
  std::shared_ptr<std::optional<Numerics>> numerics_ = std::make_shared<std::optional<Numerics>>();
};

enum class Arch : std::uint8_t { mlp, cnn, resnet20, vit };

struct ArchInfo {
  Arch arch;
  std::string_view name;  // as on the command line and in saved metadata
  std::string_view description;
};

inline constexpr std::array<ArchInfo, 4> kArchs{{
    {Arch::mlp, "mlp", "MLP 784-256-256-10"},
    {Arch::cnn, "cnn", "LeNet-style CNN (conv 32, conv 64, fc 256)"},
    {Arch::resnet20, "resnet20", "ResNet-20 with BatchNorm (16/32/64 channels)"},
    {Arch::vit, "vit", "ViT-tiny (4x4 patches, dim 64, 4 blocks, 4 heads)"},
}};

constexpr std::string_view arch_name(Arch a) {
  return kArchs[static_cast<std::size_t>(a)].name;
}
std::optional<Arch> parse_arch(std::string_view name);

// Builds a freshly initialised model. Initialisation draws from libtorch's global generator after
// torch::manual_seed(seed), so the same seed gives the same weights.
Result<std::shared_ptr<Net>> make_model(Arch arch, std::uint64_t seed = 0);

}  // namespace hwlock::ml
