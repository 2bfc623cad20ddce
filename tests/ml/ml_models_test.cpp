// The model zoo: forward shapes, PyTorch-compatible names, seeded initialisation.
#include <gtest/gtest.h>

#include <algorithm>

#include "hwlock/ml/models.hpp"
#include "hwlock/ml/state.hpp"

namespace {

namespace ml = hwlock::ml;

std::int64_t count_parameters(const ml::Net& net) {
  std::int64_t n = 0;
  for (const auto& p : net.parameters()) n += p.numel();
  return n;
}

bool has_name(const ml::NamedTensors& s, const std::string& name) {
  return std::any_of(s.begin(), s.end(), [&](const auto& kv) { return kv.first == name; });
}

TEST(Zoo, ParseArchCoversTheTable) {
  for (const auto& a : ml::kArchs) {
    EXPECT_EQ(ml::parse_arch(a.name), a.arch);
    EXPECT_EQ(ml::arch_name(a.arch), a.name);
  }
  EXPECT_FALSE(ml::parse_arch("resnet18").has_value());
}

TEST(Zoo, EveryModelMapsImagesToTenLogits) {
  torch::manual_seed(1);
  const auto x = torch::randn({5, 1, 28, 28});
  for (const auto& a : ml::kArchs) {
    SCOPED_TRACE(std::string(a.name));
    auto m = ml::make_model(a.arch, 3);
    ASSERT_TRUE(m.ok()) << m.error().message;
    (*m)->eval();
    torch::NoGradGuard ng;
    const auto y = (*m)->forward(x);
    EXPECT_EQ(y.sizes(), (std::vector<std::int64_t>{5, 10}));
    EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
    // Batch of one works too (BatchNorm in eval mode, attention over one sequence).
    EXPECT_EQ((*m)->forward(x.narrow(0, 0, 1)).sizes(), (std::vector<std::int64_t>{1, 10}));
  }
}

TEST(Zoo, ParameterCountsAndNames) {
  auto mlp = ml::make_model(ml::Arch::mlp).value();
  EXPECT_EQ(count_parameters(*mlp), 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10);
  const auto ms = ml::state_of(*mlp);
  ASSERT_EQ(ms.size(), 6u);
  EXPECT_EQ(ms[0].first, "fc1.weight");
  EXPECT_EQ(ms[5].first, "fc3.bias");

  auto cnn = ml::make_model(ml::Arch::cnn).value();
  const auto cs = ml::state_of(*cnn);
  for (const char* n : {"conv1.weight", "conv1.bias", "conv2.weight", "fc1.weight", "fc2.bias"})
    EXPECT_TRUE(has_name(cs, n)) << n;

  auto resnet = ml::make_model(ml::Arch::resnet20).value();
  // ResNet-20 has ~0.27 M parameters (He et al.: 0.27 M on CIFAR; one input channel and the 1x1
  // downsampling shortcuts shift it slightly).
  EXPECT_GT(count_parameters(*resnet), 260000);
  EXPECT_LT(count_parameters(*resnet), 290000);
  const auto rs = ml::state_of(*resnet);
  for (const char* n :
       {"conv1.weight", "bn1.running_mean", "bn1.num_batches_tracked", "layer1.0.conv1.weight",
        "layer1.2.bn2.running_var", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.bias",
        "layer3.2.conv2.weight", "fc.weight", "fc.bias"})
    EXPECT_TRUE(has_name(rs, n)) << n;
  EXPECT_FALSE(has_name(rs, "layer1.0.downsample.0.weight"));  // identity shortcut: no tensors
  for (const auto& [name, t] : rs)
    if (name.ends_with("num_batches_tracked")) {
      EXPECT_EQ(t.scalar_type(), torch::kInt64) << name;
    } else {
      EXPECT_EQ(t.scalar_type(), torch::kFloat32) << name;
    }

  auto vit = ml::make_model(ml::Arch::vit).value();
  const auto vs = ml::state_of(*vit);
  for (const char* n :
       {"patch_embed.proj.weight", "cls_token", "pos_embed", "blocks.0.norm1.weight",
        "blocks.0.attn.qkv.weight", "blocks.0.attn.proj.bias", "blocks.3.mlp.fc1.weight",
        "blocks.3.mlp.fc2.bias", "norm.weight", "head.weight"})
    EXPECT_TRUE(has_name(vs, n)) << n;
  for (const auto& [name, t] : vs) {
    if (name == "pos_embed") {
      EXPECT_EQ(t.sizes(), (std::vector<std::int64_t>{1, 50, 64}));
    }
  }
}

TEST(Zoo, SeedFixesInitialisation) {
  for (const auto& a : ml::kArchs) {
    SCOPED_TRACE(std::string(a.name));
    const auto s1 = ml::state_of(*ml::make_model(a.arch, 5).value());
    const auto s2 = ml::state_of(*ml::make_model(a.arch, 5).value());
    const auto s3 = ml::state_of(*ml::make_model(a.arch, 6).value());
    ASSERT_EQ(s1.size(), s2.size());
    bool any_diff = false;
    for (std::size_t i = 0; i < s1.size(); ++i) {
      EXPECT_TRUE(torch::equal(s1[i].second, s2[i].second)) << s1[i].first;
      any_diff |= !torch::equal(s1[i].second, s3[i].second);
    }
    EXPECT_TRUE(any_diff);
  }
}

}  // namespace
