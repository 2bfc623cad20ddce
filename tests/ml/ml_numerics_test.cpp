// fake_quantize on libtorch tensors against the numfmt reference; models run in emulated numerics.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "hwlock/ml/models.hpp"
#include "hwlock/ml/numerics.hpp"
#include "hwlock/numfmt.hpp"

namespace hwlock::ml {
namespace {

numfmt::FormatSpec spec(std::string_view text) {
  auto s = numfmt::parse_format(text);
  EXPECT_TRUE(s) << text;
  return *s;
}

// Values spanning subnormals to overflow of every format, with a few outliers.
torch::Tensor awkward(std::vector<std::int64_t> shape, std::uint64_t seed) {
  torch::manual_seed(seed);
  auto x = torch::randn(shape) * torch::exp2(torch::randint(-20, 12, shape).to(torch::kFloat32));
  auto flat = x.view({-1});
  if (flat.numel() > 3) {
    flat[0] = 0.0f;
    flat[1] = -0.0f;
    flat[2] = 60000.0f;
  }
  return x;
}

// numfmt::fake_quantize_ref over the [examples, rows, cols] view `v` (contiguous), example by
// example: the contract of ml::fake_quantize.
torch::Tensor reference(const numfmt::FormatSpec& s, const torch::Tensor& v) {
  auto out = torch::empty_like(v);
  const std::size_t rows = static_cast<std::size_t>(v.size(1)),
                    cols = static_cast<std::size_t>(v.size(2)), n = rows * cols;
  for (std::int64_t e = 0; e < v.size(0); ++e) {
    const float* in = v.data_ptr<float>() + e * static_cast<std::int64_t>(n);
    float* dst = out.data_ptr<float>() + e * static_cast<std::int64_t>(n);
    EXPECT_TRUE(numfmt::fake_quantize_ref(s, {in, n}, {dst, n}, {rows, cols}));
  }
  return out;
}

void expect_bits_equal(const torch::Tensor& a, const torch::Tensor& b, std::string_view what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  auto ac = a.contiguous(), bc = b.contiguous();
  ASSERT_EQ(std::memcmp(ac.data_ptr<float>(), bc.data_ptr<float>(),
                        static_cast<std::size_t>(ac.numel()) * sizeof(float)),
            0)
      << what;
}

const char* const kSpecs[] = {
    "bf16",        "fp16",     "fp8-e4m3",   "fp8-e5m2",   "fp8-e3m4", "int8", "int8:per-channel",
    "int4:affine", "mxint8",   "mxfp8-e4m3", "mxfp6-e2m3", "mxfp4",    "bfp",  "log8",
    "fixed:q3.12", "fp16:rtz", "int8:sr=7"};

TEST(FakeQuantTorch, WeightLayoutMatchesReferencePerOutputChannel) {
  const auto w = awkward({16, 8, 3, 3}, 1);  // conv weight: rows = 16, cols = 72
  for (const char* text : kSpecs) {
    const auto s = spec(text);
    const auto got = fake_quantize(w, s, QuantLayout::weight);
    expect_bits_equal(got, reference(s, w.reshape({1, 16, 72}).contiguous()).reshape(w.sizes()),
                      text);
  }
}

TEST(FakeQuantTorch, ActivationLayoutsMatchReference) {
  const auto x2 = awkward({5, 70}, 2), x3 = awkward({3, 9, 40}, 3), x4 = awkward({2, 33, 4, 5}, 4);
  for (const char* text : kSpecs) {
    const auto s = spec(text);
    expect_bits_equal(fake_quantize(x2, s, QuantLayout::activation),
                      reference(s, x2.reshape({5, 1, 70})).reshape(x2.sizes()), text);
    expect_bits_equal(fake_quantize(x3, s, QuantLayout::sequence), reference(s, x3), text);
    // Images: channels last, blocks along C.
    const auto nhwc = x4.permute({0, 2, 3, 1}).reshape({2, 20, 33}).contiguous();
    expect_bits_equal(fake_quantize(x4, s, QuantLayout::activation),
                      reference(s, nhwc).reshape({2, 4, 5, 33}).permute({0, 3, 1, 2}), text);
  }
}

TEST(FakeQuantTorch, ActivationScalesArePerExample) {
  // An outlier in example 0 must not coarsen example 1's int8 grid.
  auto x = torch::full({2, 8}, 0.5f);
  x[0][0] = 1000.0f;
  const auto q = fake_quantize(x, spec("int8"), QuantLayout::activation);
  EXPECT_EQ(q[1][3].item<float>(), 0.5f);
  EXPECT_NE(q[0][3].item<float>(), 0.5f);
}

TEST(FakeQuantTorch, GradientIsStraightThrough) {
  for (const char* text : {"mxint8", "int8", "fp8-e4m3", "int4"}) {
    auto x = awkward({4, 64}, 5).requires_grad_(true);
    const auto q = fake_quantize(x, spec(text), QuantLayout::activation);
    expect_bits_equal(q.detach(), fake_quantize(x.detach(), spec(text), QuantLayout::activation),
                      text);
    (q * torch::arange(256, torch::kFloat32).view({4, 64})).sum().backward();
    expect_bits_equal(x.grad(), torch::arange(256, torch::kFloat32).view({4, 64}), text);
  }
}

TEST(FakeQuantTorch, Fp32IsIdentityAndBadInputThrows) {
  const auto x = awkward({3, 7}, 6);
  expect_bits_equal(fake_quantize(x, spec("fp32"), QuantLayout::activation), x, "fp32");
  EXPECT_THROW(fake_quantize(x.to(torch::kFloat64), spec("int8"), QuantLayout::activation),
               c10::Error);
  EXPECT_THROW(fake_quantize(torch::ones({3}), spec("int8"), QuantLayout::activation), c10::Error);
  numfmt::FormatSpec bad = spec("mxint8");
  bad.block_size = 0;
  EXPECT_THROW(fake_quantize(x, bad, QuantLayout::activation), std::invalid_argument);
}

TEST(ModelNumerics, NativeAndFp32NumericsEqualPlainForward) {
  for (const auto& info : kArchs) {
    auto model = make_model(info.arch, 3);
    ASSERT_TRUE(model);
    (*model)->eval();
    torch::NoGradGuard no_grad;
    const auto x = torch::rand({2, 1, 28, 28});
    const auto plain = (*model)->forward(x);
    (*model)->set_numerics(Numerics::uniform(spec("fp32")));
    expect_bits_equal((*model)->forward(x), plain, info.name);
    (*model)->set_numerics(std::nullopt);
    expect_bits_equal((*model)->forward(x), plain, info.name);
  }
}

TEST(ModelNumerics, MlpInInt8EqualsHandQuantisedForward) {
  auto model = make_model(Arch::mlp, 4);
  ASSERT_TRUE(model);
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({3, 1, 28, 28});
  const auto s = spec("int8:per-channel");
  (*model)->set_numerics(Numerics::uniform(s));
  const auto got = (*model)->forward(x);
  // By hand: every linear's input (per example) and weight (per output channel) quantised.
  auto params = (*model)->named_parameters();
  auto layer = [&](const torch::Tensor& h, const std::string& name) {
    const auto& w = params[name + ".weight"];
    const auto hq = reference(s, h.reshape({h.size(0), 1, h.size(1)})).reshape(h.sizes());
    const auto wq = reference(s, w.reshape({1, w.size(0), w.size(1)})).reshape(w.sizes());
    return torch::linear(hq, wq, params[name + ".bias"]);
  };
  auto h = torch::relu(layer(x.flatten(1), "fc1"));
  h = torch::relu(layer(h, "fc2"));
  expect_bits_equal(got, layer(h, "fc3"), "mlp int8");
}

TEST(ModelNumerics, EmulatedFormatsChangeOutputsAndTrainThroughSte) {
  for (const auto& info : kArchs) {
    auto model = make_model(info.arch, 5);
    ASSERT_TRUE(model);
    (*model)->eval();
    const auto x = torch::rand({2, 1, 28, 28});
    torch::Tensor plain;
    {
      torch::NoGradGuard no_grad;
      plain = (*model)->forward(x);
    }
    (*model)->set_numerics(Numerics{spec("mxfp4"), spec("mxfp4"), spec("bf16")});
    const auto out = (*model)->forward(x);
    EXPECT_FALSE(torch::equal(out.detach(), plain)) << info.name;
    EXPECT_TRUE(torch::isfinite(out).all().item<bool>()) << info.name;
    out.sum().backward();
    int with_grad = 0;
    for (const auto& p : (*model)->parameters()) {
      if (!p.grad().defined()) continue;
      ++with_grad;
      EXPECT_TRUE(torch::isfinite(p.grad()).all().item<bool>()) << info.name;
    }
    EXPECT_GT(with_grad, 0) << info.name;
  }
}

}  // namespace
}  // namespace hwlock::ml
