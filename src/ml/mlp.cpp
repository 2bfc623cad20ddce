// MLP 784-256-256-10 (PyTorch names fc1, fc2, fc3).
#include "layers.hpp"
#include "zoo.hpp"

namespace hwlock::ml::detail {
namespace {

class Mlp final : public Net {
 public:
  Mlp()
      : fc1_(register_module("fc1", torch::nn::Linear(28 * 28, 256))),
        fc2_(register_module("fc2", torch::nn::Linear(256, 256))),
        fc3_(register_module("fc3", torch::nn::Linear(256, kNumClasses))) {}

  torch::Tensor forward(const torch::Tensor& x) override {
    const auto n = numerics_ref();
    auto h = torch::relu(linear(n, x.flatten(1), fc1_));
    h = torch::relu(linear(n, h, fc2_));
    return linear(n, h, fc3_);
  }

  std::optional<torch::Tensor> fc1_input(const torch::Tensor& x) override { return x.flatten(1); }

 private:
  torch::nn::Linear fc1_, fc2_, fc3_;
};

}  // namespace

std::shared_ptr<Net> make_mlp() {
  return std::make_shared<Mlp>();
}

}  // namespace hwlock::ml::detail
