// LeNet-style CNN: two 5x5 convolutions with max pooling, two fully connected layers.
#include "layers.hpp"
#include "zoo.hpp"

namespace hwlock::ml::detail {
namespace {

class Cnn final : public Net {
 public:
  Cnn()
      : conv1_(register_module("conv1",
                               torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 5).padding(2)))),
        conv2_(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 5)))),
        fc1_(register_module("fc1", torch::nn::Linear(64 * 5 * 5, 256))),
        fc2_(register_module("fc2", torch::nn::Linear(256, kNumClasses))) {}

  torch::Tensor forward(const torch::Tensor& x) override {
    const auto n = numerics_ref();
    auto h = torch::max_pool2d(torch::relu(conv2d(n, x, conv1_)), 2);  // 32 x 14 x 14
    h = torch::max_pool2d(torch::relu(conv2d(n, h, conv2_)), 2);       // 64 x 5 x 5
    h = torch::relu(linear(n, h.flatten(1), fc1_));
    return linear(n, h, fc2_);
  }

  std::optional<torch::Tensor> fc1_input(const torch::Tensor& x) override {
    auto h = torch::max_pool2d(torch::relu(conv1_->forward(x)), 2);
    return torch::max_pool2d(torch::relu(conv2_->forward(h)), 2).flatten(1);
  }

 private:
  torch::nn::Conv2d conv1_, conv2_;
  torch::nn::Linear fc1_, fc2_;
};

}  // namespace

std::shared_ptr<Net> make_cnn() {
  return std::make_shared<Cnn>();
}

}  // namespace hwlock::ml::detail
