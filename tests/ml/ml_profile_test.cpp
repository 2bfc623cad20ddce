// Device profiles in the workbench: N:M weight sparsity of the emulated numerics, profiles as
// Numerics, and `hwlock eval --profile` end to end.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>

#include "hwlock/ml/models.hpp"
#include "hwlock/ml/numerics.hpp"
#include "hwlock/ml/state.hpp"
#include "hwlock/profile.hpp"
#include "ml/ml_test_util.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
namespace ml = hwlock::ml;
namespace t = hwlock::test;
using hwlock::Errc;
using hwlock::sparse::NmPattern;

const std::string kCli = HWLOCK_CLI_PATH;
const fs::path kShipped = fs::path(HWLOCK_TEST_DATA_DIR) / ".." / ".." / "profiles";

torch::Tensor vec(std::vector<float> v) {
  return torch::tensor(v, torch::kFloat32);
}

TEST(NmPrune, KeepsTheLargestMagnitudes) {
  auto w = vec({1, -3, 2, 0.5f, /**/ 0, 0, -7, 0}).reshape({1, 8});
  EXPECT_TRUE(
      torch::equal(ml::nm_prune(w, {2, 4}), vec({0, -3, 2, 0, /**/ 0, 0, -7, 0}).reshape({1, 8})));
  // Ties go to the lower index; NaN counts as the largest.
  EXPECT_TRUE(torch::equal(ml::nm_prune(vec({1, 1, 1, 1}).reshape({1, 4}), {2, 4}),
                           vec({1, 1, 0, 0}).reshape({1, 4})));
  auto nan = ml::nm_prune(vec({1, NAN, 5, 2}).reshape({1, 4}), {1, 4});
  EXPECT_TRUE(std::isnan(nan[0][1].item<float>()));
  EXPECT_EQ(nan[0][2].item<float>(), 0.0f);
  // A shorter last group of r elements keeps min(N, r): 7 columns in 2:4 = groups of 4 and 3.
  EXPECT_TRUE(torch::equal(ml::nm_prune(vec({4, 3, 2, 1, 1, 3, 2}).reshape({1, 7}), {2, 4}),
                           vec({4, 3, 0, 0, 0, 3, 2}).reshape({1, 7})));
  // 1 x 4 x 1 x 1 conv weight: rows are output channels, the reduction dims are flattened.
  auto conv = vec({1, 2, 3, 4, 8, 7, 6, 5}).reshape({2, 4, 1, 1});
  EXPECT_TRUE(torch::equal(ml::nm_prune(conv, {1, 2}),
                           vec({0, 2, 0, 4, 8, 0, 6, 0}).reshape({2, 4, 1, 1})));
  // N == M keeps everything; invalid patterns and tensors throw.
  EXPECT_TRUE(torch::equal(ml::nm_prune(conv, {4, 4}), conv));
  EXPECT_THROW(ml::nm_prune(conv, {0, 4}), std::invalid_argument);
  EXPECT_THROW(ml::nm_prune(conv, {5, 4}), std::invalid_argument);
  EXPECT_THROW(ml::nm_prune(conv.to(torch::kFloat64), {2, 4}), c10::Error);
  EXPECT_THROW(ml::nm_prune(torch::tensor(1.0f), {2, 4}), c10::Error);
}

// For random weights and patterns: every group keeps min(N, len) values, unchanged, and none of
// the dropped values is larger in magnitude than a kept one.
RC_GTEST_PROP(NmPruneProp, GroupsKeepTheirLargest, ()) {
  const auto m = *rc::gen::inRange(1, 17);
  const auto n = *rc::gen::inRange(1, m + 1);
  const auto rows = *rc::gen::inRange(1, 5);
  const auto cols = *rc::gen::inRange(1, 40);
  const auto seed = *rc::gen::arbitrary<std::uint32_t>();
  torch::manual_seed(seed);
  // Few distinct values, so ties happen.
  auto w = torch::randint(-4, 5, {rows, cols}).to(torch::kFloat32);
  auto p = ml::nm_prune(w, NmPattern{static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(m)});
  for (int r = 0; r < rows; ++r)
    for (int c0 = 0; c0 < cols; c0 += m) {
      const int len = std::min(m, cols - c0);
      int kept = 0;
      float min_kept = INFINITY, max_dropped = -1;
      for (int c = c0; c < c0 + len; ++c) {
        const float orig = w[r][c].item<float>(), got = p[r][c].item<float>();
        RC_ASSERT((got == orig || got == 0.0f));
        // A kept zero and a dropped zero look alike; count by position instead: kept = the first
        // min(n, len) in (|w| descending, index ascending) order.
        int above = 0;
        for (int d = c0; d < c0 + len; ++d) {
          const float a = std::fabs(w[r][d].item<float>()), b = std::fabs(orig);
          if (a > b || (a == b && d < c)) ++above;
        }
        const bool keep = above < std::min(n, len);
        RC_ASSERT(got == (keep ? orig : 0.0f));
        if (keep) {
          ++kept;
          min_kept = std::min(min_kept, std::fabs(orig));
        } else {
          max_dropped = std::max(max_dropped, std::fabs(orig));
        }
      }
      RC_ASSERT(kept == std::min(n, len));
      RC_ASSERT(max_dropped <= min_kept);
    }
}

TEST(NmPrune, GradientReachesKeptWeightsOnly) {
  auto w = vec({1, -3, 2, 0.5f}).reshape({1, 4}).requires_grad_();
  ml::nm_prune(w, {2, 4}).sum().backward();
  EXPECT_TRUE(torch::equal(w.grad(), vec({0, 1, 1, 0}).reshape({1, 4})));
}

TEST(ProfileNumerics, NumericsOfAProfile) {
  auto p = hwlock::find_profile("sparse-2of4-gpu", {kShipped});
  ASSERT_TRUE(p.ok()) << p.error().message;
  const ml::Numerics n = ml::numerics_of(*p);
  EXPECT_FALSE(n.native());
  ASSERT_TRUE(n.weights && n.activations && n.accumulator && n.weight_sparsity);
  EXPECT_EQ(n.weights->format, hwlock::numfmt::Format::fp16);
  EXPECT_EQ(n.describe(), "w=fp16 a=fp16 acc=fp16 sparsity=2:4");
  auto cpu = hwlock::find_profile("cpu-fp32", {kShipped});
  ASSERT_TRUE(cpu.ok()) << cpu.error().message;
  EXPECT_TRUE(ml::numerics_of(*cpu).native());
  auto npu = hwlock::find_profile("npu-int8", {kShipped});
  ASSERT_TRUE(npu.ok()) << npu.error().message;
  const ml::Numerics ni = ml::numerics_of(*npu);
  EXPECT_FALSE(ni.accumulator.has_value());  // fp32: not emulated
  EXPECT_FALSE(ni.weight_sparsity.has_value());
  EXPECT_EQ(ni.describe(), "w=int8:per-channel a=int8 acc=fp32");
}

// Sparsity alone equals running natively on pruned weights; sparsity unset leaves the emulated
// path as it was (quantised weights only).
TEST(ProfileNumerics, SparseModelEqualsPrunedCopy) {
  for (const auto arch : {ml::Arch::mlp, ml::Arch::cnn}) {
    auto a = ml::make_model(arch, 7);
    auto b = ml::make_model(arch, 7);
    ASSERT_TRUE(a.ok() && b.ok());
    (*a)->eval();
    (*b)->eval();
    {
      torch::NoGradGuard no_grad;
      for (auto& item : (*b)->named_parameters())
        if (item.key().ends_with("weight")) item.value().copy_(ml::nm_prune(item.value(), {2, 4}));
    }
    ml::Numerics sparse_only;
    sparse_only.weight_sparsity = NmPattern{2, 4};
    (*a)->set_numerics(sparse_only);
    torch::manual_seed(1);
    const auto x = torch::randn({3, 1, 28, 28});
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::allclose((*a)->forward(x), (*b)->forward(x), 1e-5, 1e-6))
        << ml::arch_name(arch);
    // Pruning changes the output (the test would pass vacuously otherwise).
    (*a)->set_numerics(std::nullopt);
    EXPECT_FALSE(torch::allclose((*a)->forward(x), (*b)->forward(x), 1e-5, 1e-6));
  }
}

TEST(ProfileNumerics, UnsetSparsityKeepsTheQuantisedPath) {
  auto model = ml::make_model(ml::Arch::mlp, 3);
  ASSERT_TRUE(model.ok());
  auto spec = hwlock::numfmt::parse_format("mxfp4");
  ASSERT_TRUE(spec.ok());
  ml::Numerics n;
  n.weights = *spec;
  (*model)->set_numerics(n);
  torch::manual_seed(2);
  const auto x = torch::randn({2, 1, 28, 28});
  torch::NoGradGuard no_grad;
  const auto y = (*model)->forward(x);
  // By hand: fc layers with mxfp4 weights, fp32 everything else.
  auto h = x.flatten(1);
  int i = 0;
  for (const char* name : {"fc1", "fc2", "fc3"}) {
    const auto& w = (*model)->named_parameters()[std::string(name) + ".weight"];
    const auto& bias = (*model)->named_parameters()[std::string(name) + ".bias"];
    h = torch::linear(h, ml::fake_quantize(w, *spec, ml::QuantLayout::weight), bias);
    if (++i < 3) h = torch::relu(h);
  }
  EXPECT_TRUE(torch::equal(y, h));
}

// hwlock eval --profile through the CLI on a random (untrained) MLP.
class CliProfile : public ::testing::Test {
 protected:
  void SetUp() override {
    HWLOCK_SKIP_WITHOUT_DATASET();
    auto m = ml::make_model(ml::Arch::mlp, 5);
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE(ml::save_module(**m, model_, {{"model", "mlp"}}).ok());
  }
  nlohmann::json json_of(const std::string& args, int* rc) {
    const auto r = t::run("(" + kCli + " eval " + t::quote(model_) + " " + args +
                          " --limit 200 --latency-runs 2 --threads 1 --json 2>/dev/null)");
    *rc = r.exit_code;
    return nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  }
  t::TempDir dir_;
  fs::path model_ = dir_ / "mlp.safetensors";
};

TEST_F(CliProfile, MatrixOverAllProfiles) {
  int rc = -1;
  const auto plain = json_of("", &rc);
  ASSERT_EQ(rc, 0) << plain.dump();
  const auto all = json_of("--profile all --profiles " + t::quote(kShipped), &rc);
  ASSERT_EQ(rc, 0) << all.dump();
  ASSERT_EQ(all["profiles"].size(), 8u);
  EXPECT_EQ(all["examples"], 200);
  for (const auto& row : all["profiles"]) {
    EXPECT_GE(row["accuracy"].get<double>(), 0.0);
    EXPECT_LE(row["accuracy"].get<double>(), 1.0);
    EXPECT_GT(row["latency_ms_single"].get<double>(), 0.0);
    EXPECT_FALSE(row["kernel_path"].get<std::string>().empty());
  }
  // cpu-fp32 emulates nothing: the same predictions as the plain evaluation.
  EXPECT_EQ(all["profiles"][2]["name"], "cpu-fp32");
  EXPECT_EQ(all["profiles"][2]["correct"], plain["correct"]);
  EXPECT_EQ(all["profiles"][7]["name"], "sparse-2of4-gpu");
  EXPECT_EQ(all["profiles"][7]["sparsity"]["pattern"], "2:4");

  // One profile, by name (default search path) and by path; the table without --json.
  const auto one = json_of("--profile accel-mxfp4", &rc);
  ASSERT_EQ(rc, 0) << one.dump();
  EXPECT_EQ(one["profile"]["name"], "accel-mxfp4");
  EXPECT_EQ(one["correct"], all["profiles"][0]["correct"]);
  const auto by_path = json_of("--profile " + t::quote(kShipped / "npu-int8.json"), &rc);
  ASSERT_EQ(rc, 0) << by_path.dump();
  EXPECT_EQ(by_path["correct"], all["profiles"][6]["correct"]);
  const auto table = t::run(kCli + " eval " + t::quote(model_) +
                            " --profile all --limit 50 --latency-runs 0 --threads 1");
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_NE(table.out.find("sparse-2of4-gpu"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("w=mxint8 a=mxint8 acc=fp32"), std::string::npos) << table.out;
}

TEST_F(CliProfile, ErrorsNameTheProfile) {
  int rc = -1;
  const auto missing = json_of("--profile no-such-device", &rc);
  EXPECT_EQ(rc, hwlock::exit_code(Errc::profile_not_found)) << missing.dump();
  EXPECT_EQ(missing["error"]["code"], "profile_not_found") << missing.dump();
  const fs::path bad = fs::path(HWLOCK_TEST_DATA_DIR) / "profiles_bad";
  const auto r = t::run(kCli + " eval " + t::quote(model_) + " --profile bad-pattern --profiles " +
                        t::quote(bad) + " --limit 10");
  EXPECT_EQ(r.exit_code, hwlock::exit_code(Errc::profile_invalid)) << r.out;
  EXPECT_NE(r.out.find("bad-pattern.json"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sparsity.pattern"), std::string::npos) << r.out;
  // --profile all over a directory with a bad file fails too.
  const auto all = t::run(kCli + " eval " + t::quote(model_) + " --profile all --profiles " +
                          t::quote(bad) + " --limit 10");
  EXPECT_EQ(all.exit_code, hwlock::exit_code(Errc::profile_invalid)) << all.out;
}

}  // namespace
