// ViT-tiny (Dosovitskiy et al. 2021) for 28 x 28 inputs, with timm's names: 4x4 patches (49
// tokens + a class token), width 64, 4 pre-norm blocks, 4 heads, MLP ratio 2, GELU.
#include <cmath>
#include <vector>

#include "layers.hpp"
#include "zoo.hpp"

namespace hwlock::ml::detail {
namespace {

constexpr std::int64_t kPatch = 4, kDim = 64, kDepth = 4, kHeads = 4, kMlpHidden = 128;
constexpr std::int64_t kTokens = (28 / kPatch) * (28 / kPatch) + 1;

class Attention final : public torch::nn::Module {
 public:
  explicit Attention(NumericsRef numerics)
      : numerics_(std::move(numerics)),
        qkv_(register_module("qkv", torch::nn::Linear(kDim, 3 * kDim))),
        proj_(register_module("proj", torch::nn::Linear(kDim, kDim))) {}

  torch::Tensor forward(const torch::Tensor& x) {
    const auto n = x.size(0), t = x.size(1);
    // N x T x 3D -> 3 x N x H x T x D/H
    auto qkv = linear(numerics_, x, qkv_)
                   .reshape({n, t, 3, kHeads, kDim / kHeads})
                   .permute({2, 0, 3, 1, 4});
    auto q = qkv[0], k = qkv[1], v = qkv[2];
    const double scale = 1.0 / std::sqrt(static_cast<double>(kDim / kHeads));
    auto attn = torch::softmax(matmul(numerics_, q, k.transpose(-2, -1)) * scale, -1);
    auto out = matmul(numerics_, attn, v).transpose(1, 2).reshape({n, t, kDim});
    return linear(numerics_, out, proj_);
  }

 private:
  NumericsRef numerics_;
  torch::nn::Linear qkv_, proj_;
};

class MlpBlock final : public torch::nn::Module {
 public:
  explicit MlpBlock(NumericsRef numerics)
      : numerics_(std::move(numerics)),
        fc1_(register_module("fc1", torch::nn::Linear(kDim, kMlpHidden))),
        fc2_(register_module("fc2", torch::nn::Linear(kMlpHidden, kDim))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return linear(numerics_, torch::gelu(linear(numerics_, x, fc1_)), fc2_);
  }

 private:
  NumericsRef numerics_;
  torch::nn::Linear fc1_, fc2_;
};

class Block final : public torch::nn::Module {
 public:
  explicit Block(const NumericsRef& numerics)
      : norm1_(register_module(
            "norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({kDim}).eps(1e-6)))),
        attn_(register_module("attn", std::make_shared<Attention>(numerics))),
        norm2_(register_module(
            "norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({kDim}).eps(1e-6)))),
        mlp_(register_module("mlp", std::make_shared<MlpBlock>(numerics))) {}

  torch::Tensor forward(const torch::Tensor& x) {
    auto h = x + attn_->forward(norm1_->forward(x));
    return h + mlp_->forward(norm2_->forward(h));
  }

 private:
  torch::nn::LayerNorm norm1_;
  std::shared_ptr<Attention> attn_;
  torch::nn::LayerNorm norm2_;
  std::shared_ptr<MlpBlock> mlp_;
};

class PatchEmbed final : public torch::nn::Module {
 public:
  explicit PatchEmbed(NumericsRef numerics)
      : numerics_(std::move(numerics)),
        proj_(register_module(
            "proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, kDim, kPatch).stride(kPatch)))) {}
  // N x 1 x 28 x 28 -> N x 49 x D
  torch::Tensor forward(const torch::Tensor& x) {
    return conv2d(numerics_, x, proj_).flatten(2).transpose(1, 2);
  }

 private:
  NumericsRef numerics_;
  torch::nn::Conv2d proj_;
};

class ViT final : public Net {
 public:
  ViT()
      : patch_embed_(register_module("patch_embed", std::make_shared<PatchEmbed>(numerics_ref()))),
        cls_token_(register_parameter("cls_token", torch::zeros({1, 1, kDim}))),
        pos_embed_(register_parameter("pos_embed", torch::zeros({1, kTokens, kDim}))) {
    torch::nn::ModuleList blocks;
    for (std::int64_t i = 0; i < kDepth; ++i) {
      auto b = std::make_shared<Block>(numerics_ref());
      blocks->push_back(b);
      blocks_.push_back(b);
    }
    register_module("blocks", blocks);
    norm_ = register_module("norm",
                            torch::nn::LayerNorm(torch::nn::LayerNormOptions({kDim}).eps(1e-6)));
    head_ = register_module("head", torch::nn::Linear(kDim, kNumClasses));
    torch::NoGradGuard no_grad;
    // As timm: normal(0.02) truncated at 2 sigma (clamped: libtorch 1.13 has no trunc_normal_)
    // for the position embedding and class token; Xavier-uniform linears with zero bias.
    pos_embed_.normal_(0.0, 0.02).clamp_(-0.04, 0.04);
    cls_token_.normal_(0.0, 0.02).clamp_(-0.04, 0.04);
    for (auto& m : modules(/*include_self=*/false))
      if (auto* lin = m->as<torch::nn::Linear>()) {
        torch::nn::init::xavier_uniform_(lin->weight);
        torch::nn::init::zeros_(lin->bias);
      }
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    auto h = patch_embed_->forward(x);
    h = torch::cat({cls_token_.expand({h.size(0), 1, kDim}), h}, 1) + pos_embed_;
    for (auto& b : blocks_) h = b->forward(h);
    return linear(numerics_ref(), norm_->forward(h).select(1, 0), head_);
  }

 private:
  std::shared_ptr<PatchEmbed> patch_embed_;
  torch::Tensor cls_token_, pos_embed_;
  std::vector<std::shared_ptr<Block>> blocks_;
  torch::nn::LayerNorm norm_{nullptr};
  torch::nn::Linear head_{nullptr};
};

}  // namespace

std::shared_ptr<Net> make_vit() {
  return std::make_shared<ViT>();
}

}  // namespace hwlock::ml::detail
