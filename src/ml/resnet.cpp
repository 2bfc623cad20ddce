// ResNet-20 (He et al. 2016, section 4.2: 3 stages x 3 basic blocks, 16/32/64 channels), with
// torchvision's names (conv1, bn1, layerN.i.{conv1,bn1,conv2,bn2,downsample}, fc). The shortcut
// where the shape changes is a 1x1 convolution + BatchNorm ("option B").
#include <vector>

#include "layers.hpp"
#include "zoo.hpp"

namespace hwlock::ml::detail {
namespace {

torch::nn::Conv2d conv3x3(std::int64_t in, std::int64_t out, std::int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

class BasicBlock final : public torch::nn::Module {
 public:
  BasicBlock(NumericsRef numerics, std::int64_t in, std::int64_t out, std::int64_t stride)
      : numerics_(std::move(numerics)),
        conv1_(register_module("conv1", conv3x3(in, out, stride))),
        bn1_(register_module("bn1", torch::nn::BatchNorm2d(out))),
        conv2_(register_module("conv2", conv3x3(out, out, 1))),
        bn2_(register_module("bn2", torch::nn::BatchNorm2d(out))) {
    if (stride != 1 || in != out) {
      // A Sequential of (conv, bn) keeps torchvision's names downsample.0 / downsample.1.
      down_conv_ =
          torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false));
      down_bn_ = torch::nn::BatchNorm2d(out);
      downsample_ = register_module("downsample", torch::nn::Sequential(down_conv_, down_bn_));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    const auto& n = numerics_;
    auto h = torch::relu(bn1_->forward(conv2d(n, x, conv1_)));
    h = bn2_->forward(conv2d(n, h, conv2_));
    return torch::relu(h + (downsample_ ? down_bn_->forward(conv2d(n, x, down_conv_)) : x));
  }

 private:
  NumericsRef numerics_;
  torch::nn::Conv2d conv1_;
  torch::nn::BatchNorm2d bn1_;
  torch::nn::Conv2d conv2_;
  torch::nn::BatchNorm2d bn2_;
  torch::nn::Sequential downsample_{nullptr};
  torch::nn::Conv2d down_conv_{nullptr};
  torch::nn::BatchNorm2d down_bn_{nullptr};
};

class ResNet20 final : public Net {
 public:
  ResNet20()
      : conv1_(register_module("conv1", conv3x3(1, 16, 1))),
        bn1_(register_module("bn1", torch::nn::BatchNorm2d(16))) {
    std::int64_t in = 16;
    const std::int64_t widths[3] = {16, 32, 64};
    for (int stage = 0; stage < 3; ++stage) {
      torch::nn::ModuleList layer;
      for (int i = 0; i < 3; ++i) {
        auto block = std::make_shared<BasicBlock>(numerics_ref(), in, widths[stage],
                                                  (stage > 0 && i == 0) ? 2 : 1);
        layer->push_back(block);
        blocks_.push_back(block);
        in = widths[stage];
      }
      register_module("layer" + std::to_string(stage + 1), layer);
    }
    fc_ = register_module("fc", torch::nn::Linear(64, kNumClasses));
    // torchvision's initialisation: Kaiming-normal (fan-out) convolutions, BatchNorm at identity.
    for (auto& m : modules(/*include_self=*/false)) {
      if (auto* conv = m->as<torch::nn::Conv2d>()) {
        torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
      } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
        torch::nn::init::ones_(bn->weight);
        torch::nn::init::zeros_(bn->bias);
      }
    }
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    const auto n = numerics_ref();
    auto h = torch::relu(bn1_->forward(conv2d(n, x, conv1_)));  // 16 x 28 x 28
    for (auto& b : blocks_) h = b->forward(h);                  // 64 x 7 x 7
    h = torch::adaptive_avg_pool2d(h, {1, 1}).flatten(1);
    return linear(n, h, fc_);
  }

 private:
  torch::nn::Conv2d conv1_;
  torch::nn::BatchNorm2d bn1_;
  std::vector<std::shared_ptr<BasicBlock>> blocks_;
  torch::nn::Linear fc_{nullptr};
};

}  // namespace

std::shared_ptr<Net> make_resnet20() {
  return std::make_shared<ResNet20>();
}

}  // namespace hwlock::ml::detail
