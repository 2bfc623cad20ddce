// The quantisation-aware soft lock on a reduced MLP: accurate in the authorized MXINT8, near
// chance in denied formats; carriers behave as documented and survive a safetensors round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "hwlock/ml/softlock_quant.hpp"
#include "hwlock/ml/state.hpp"
#include "hwlock/ml/train.hpp"
#include "hwlock/safetensors.hpp"
#include "ml/ml_test_util.hpp"
#include "test_util.hpp"

namespace {

namespace ml = hwlock::ml;
namespace numfmt = hwlock::numfmt;
using hwlock::Errc;

numfmt::FormatSpec fmt(const char* name) {
  return numfmt::parse_format(name).value();
}

TEST(Carriers, TextRoundTripsAndRejectsGarbage) {
  const std::vector<ml::Carrier> cs = {{"fc1", "fc2", 31, 256.0f, 0.0f},
                                       {"fc2", "fc3", 255, 1024.0f, 0.015625f}};
  const auto text = ml::carriers_to_string(cs);
  EXPECT_EQ(text, "fc1:31:256:0,fc2:255:1024:0.015625");
  auto back = ml::parse_carriers(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, cs);
  EXPECT_TRUE(ml::parse_carriers("").value().empty());
  for (const char* bad : {"fc3:1:2:0", "fc1:256:1:0", "fc1:-1:1:0", "fc1:1:x:0", "fc1:1:2",
                          "fc1:1:2:0:5", "fc1:1:inf:0", ","}) {
    auto r = ml::parse_carriers(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::usage);
  }
}

TEST(Carriers, PlanFollowsTheFormatsScaling) {
  const auto mx = ml::carrier_plan(fmt("mxint8")).value();
  EXPECT_EQ(mx.kind, ml::CarrierKind::scale);
  EXPECT_EQ(mx.per_layer, 8);  // one per 32-unit block of 256
  const auto i8 = ml::carrier_plan(fmt("int8")).value();
  EXPECT_EQ(i8.kind, ml::CarrierKind::scale);
  EXPECT_EQ(i8.per_layer, 1);
  const auto f8 = ml::carrier_plan(fmt("fp8-e4m3")).value();
  EXPECT_EQ(f8.kind, ml::CarrierKind::saturate);
  EXPECT_GT(f8.value, 448.0f);
  // fp32 represents everything; IEEE fp16 overflows to inf rather than saturating.
  for (const char* f : {"fp32", "fp16", "bf16"}) {
    auto r = ml::carrier_plan(fmt(f));
    ASSERT_FALSE(r.ok()) << f;
    EXPECT_EQ(r.error().code, Errc::usage);
  }
  EXPECT_EQ(ml::carrier_plan(fmt("fp16:sat")).value().kind, ml::CarrierKind::saturate);
  auto cnn = ml::make_model(ml::Arch::cnn, 0).value();
  auto r = ml::insert_carriers(*cnn, mx, fmt("mxint8"), 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::usage);
}

TEST(Shadows, DeadZoneIsWhatTheAuthorizedFormatRoundsToZero) {
  // MXINT8 next to a carrier of 256: scale 2^(8-6) = 4, so 2 (a tie) rounds to 0 and more does not.
  const auto mx = ml::shadow_plan(fmt("mxint8"), 1).value();
  EXPECT_TRUE(mx.block_carriers);
  EXPECT_EQ(mx.kind, ml::ShadowKind::dead_zone);
  EXPECT_EQ(mx.threshold, 2.0f);
  EXPECT_EQ(mx.stored, 0.0f);
  EXPECT_FLOAT_EQ(mx.low, 0.55f * 2.0f);
  EXPECT_FLOAT_EQ(mx.high, 0.95f * 2.0f);
  // Per-tensor int8 with a carrier of 256: scale 256/127, half a step is 128/127.
  const auto i8 = ml::shadow_plan(fmt("int8"), 2).value();
  EXPECT_FALSE(i8.block_carriers);
  EXPECT_EQ(i8.blocks, 2);
  EXPECT_NEAR(i8.threshold, 128.0 / 127.0, 1e-5);
  // Check the boundary with the real quantiser: a row with the carrier and the value.
  for (const auto& [name, plan] : {std::pair{"mxint8", mx}, std::pair{"int8", i8}}) {
    auto row = torch::zeros({1, 256});
    row[0][255] = 256.0f;
    row[0][230] = plan.threshold;
    row[0][231] = std::nextafter(plan.threshold, 1e9f);
    const auto q = ml::fake_quantize(row, fmt(name), ml::QuantLayout::sequence);
    EXPECT_EQ(q[0][230].item<float>(), 0.0f) << name;
    EXPECT_GT(q[0][231].item<float>(), 0.0f) << name;
  }
  // fp8-e4m3 saturates: everything from 432 (the tie between 416 and 448, to even) up is 448.
  const auto f8 = ml::shadow_plan(fmt("fp8-e4m3"), 1).value();
  EXPECT_EQ(f8.kind, ml::ShadowKind::saturation);
  EXPECT_FALSE(f8.block_carriers);
  EXPECT_EQ(f8.stored, 448.0f);
  EXPECT_NEAR(f8.threshold, 432.0, 0.01);
  EXPECT_GT(f8.low, f8.threshold);
  // Formats that neither scale nor saturate have no shadows; bad block counts are usage errors.
  for (const char* f : {"fp32", "fp16", "bf16"}) {
    auto r = ml::shadow_plan(fmt(f), 1);
    ASSERT_FALSE(r.ok()) << f;
    EXPECT_EQ(r.error().code, Errc::usage);
  }
  for (const int blocks : {0, 8}) EXPECT_FALSE(ml::shadow_plan(fmt("mxint8"), blocks).ok());
}

TEST(Shadows, UnitTextRoundTripsAndRejectsGarbage) {
  EXPECT_EQ(ml::units_to_string({33, 34, 255}), "33,34,255");
  EXPECT_EQ(ml::parse_units("33,34,255").value(), (std::vector<std::int64_t>{33, 34, 255}));
  EXPECT_TRUE(ml::parse_units("").value().empty());
  for (const char* bad : {"256", "-1", "1,,2", "x", "3,3", "1,"}) {
    auto r = ml::parse_units(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::usage);
  }
}

class QuantLockData : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!hwlock::idx::fashion_mnist_dir()) return;
    auto split = ml::split_train_validation(hwlock::test::fashion_train(), 1000, 0);
    ASSERT_TRUE(split.ok());
    train_ = new ml::TensorDataset(ml::head(split->train, 4000));
    test_ = new ml::TensorDataset(split->validation);
  }
  static void TearDownTestSuite() {
    delete train_;
    delete test_;
  }
  // A freshly trained MLP (1 epoch on the reduced set).
  static std::shared_ptr<ml::Net> trained() {
    auto model = ml::make_model(ml::Arch::mlp, 0).value();
    ml::TrainOptions to;
    to.epochs = 1;
    to.threads = 1;
    EXPECT_TRUE(ml::train(*model, *train_, nullptr, to).ok());
    return model;
  }
  static inline ml::TensorDataset* train_ = nullptr;
  static inline ml::TensorDataset* test_ = nullptr;
};

TEST_F(QuantLockData, SaturatingCarriersShiftEveryFormatButTheAuthorizedOne) {
  HWLOCK_SKIP_WITHOUT_DATASET();
  auto model = trained();
  const auto fp8 = fmt("fp8-e4m3");
  const double fp8_before = ml::accuracy_in(*model, fp8, *test_).value();
  const double fp32_before = ml::accuracy_in(*model, fmt("fp32"), *test_).value();
  const auto plan = ml::carrier_plan(fp8).value();
  const auto carriers = ml::insert_carriers(*model, plan, fp8, 3).value();
  EXPECT_EQ(carriers.size(), 16u);
  EXPECT_TRUE(ml::carriers_intact(*model, carriers));
  const double fp8_after = ml::accuracy_in(*model, fp8, *test_).value();
  const double fp32_after = ml::accuracy_in(*model, fmt("fp32"), *test_).value();
  std::printf("fp8 %.3f -> %.3f, fp32 %.3f -> %.3f\n", fp8_before, fp8_after, fp32_before,
              fp32_after);
  // The carriers replace 8 of 256 units per layer: small loss in fp8, collapse in fp32.
  EXPECT_GT(fp8_after, fp8_before - 0.10);
  EXPECT_LT(fp32_after, fp32_before - 0.30);
  // Clamping the carriers to the saturated value undoes it for fp32 (the attacker's edit).
  ASSERT_TRUE(ml::clamp_carriers(*model, carriers, fp8).ok());
  EXPECT_NEAR(ml::accuracy_in(*model, fmt("fp32"), *test_).value(), fp8_after, 0.05);
}

TEST_F(QuantLockData, ShadowUnitsVanishOnlyInTheAuthorizedFormat) {
  HWLOCK_SKIP_WITHOUT_DATASET();
  for (const char* authorized : {"mxint8", "int8", "fp8-e4m3"}) {
    auto model = trained();
    const auto plan = ml::shadow_plan(fmt(authorized), 1).value();
    const auto set = ml::insert_shadows(*model, plan, *train_).value();
    // One block of 32 plus, for int8, its carrier at unit 0.
    EXPECT_EQ(set.units.size() + set.carrier_units.size(),
              std::string(authorized) == "int8" ? 33u : 32u);
    ASSERT_GT(set.weight_bound, 0.0f);
    // fc1's output on held-out images, in fp32 and as each format stores it.
    torch::NoGradGuard no_grad;
    torch::Tensor w1, b1, w2;
    for (auto& p : model->named_parameters()) {
      if (p.key() == "fc1.weight") w1 = p.value();
      if (p.key() == "fc1.bias") b1 = p.value();
      if (p.key() == "fc2.weight") w2 = p.value();
    }
    const auto h = torch::relu(torch::linear(test_->images.flatten(1), w1, b1));
    const auto idx = torch::tensor(set.units, torch::kInt64);
    const auto shadows = h.index_select(1, idx);
    for (const auto u : set.carrier_units)
      EXPECT_TRUE(h.select(1, u).eq(256.0f).all().item<bool>());
    // Held inside [0, dead zone) or above the saturation threshold on (almost) every test image...
    const auto inside = plan.kind == ml::ShadowKind::dead_zone
                            ? shadows.lt(plan.threshold).logical_and(shadows.gt(0))
                            : shadows.gt(plan.threshold);
    EXPECT_GT(inside.to(torch::kFloat32).mean().item<double>(), 0.99) << authorized;
    // ...so the authorized format stores them all as one constant, and every denied format not.
    const auto in_auth = ml::fake_quantize(h, fmt(authorized), ml::QuantLayout::sequence);
    EXPECT_GT(
        in_auth.index_select(1, idx).eq(plan.stored).to(torch::kFloat32).mean().item<double>(),
        0.999)
        << authorized;
    for (const char* denied : {"fp16", "bf16", "fp8-e4m3", "int8", "mxint8"}) {
      if (std::string(denied) == authorized) continue;
      const auto q = ml::fake_quantize(h, fmt(denied), ml::QuantLayout::sequence);
      EXPECT_GT(q.index_select(1, idx).ne(plan.stored).to(torch::kFloat32).mean().item<double>(),
                0.95)
          << authorized << " shadows in " << denied;
    }
    // Their old outgoing weights are gone; the lock trains new ones.
    EXPECT_TRUE(w2.index_select(1, idx).eq(0).all().item<bool>());
  }
}

TEST_F(QuantLockData, ShadowUnitsFitTheCnnToo) {
  HWLOCK_SKIP_WITHOUT_DATASET();
  // The CNN's fc1 (1600 -> 256) takes conv features: the squeeze is measured through fc1_input.
  auto cnn = ml::make_model(ml::Arch::cnn, 0).value();
  const auto plan = ml::shadow_plan(fmt("mxint8"), 1).value();
  const auto set = ml::insert_shadows(*cnn, plan, *train_).value();
  ASSERT_EQ(set.units.size(), 31u);
  torch::NoGradGuard no_grad;
  const auto feats = cnn->fc1_input(test_->images).value();
  ASSERT_EQ(feats.size(1), 1600);
  torch::Tensor w1, b1;
  for (auto& p : cnn->named_parameters()) {
    if (p.key() == "fc1.weight") w1 = p.value();
    if (p.key() == "fc1.bias") b1 = p.value();
  }
  const auto h = torch::relu(torch::linear(feats, w1, b1));
  const auto shadows = h.index_select(1, torch::tensor(set.units, torch::kInt64));
  EXPECT_GT(shadows.gt(0)
                .logical_and(shadows.lt(plan.threshold))
                .to(torch::kFloat32)
                .mean()
                .item<double>(),
            0.99);
  // Models without a 256-unit fc1 are refused.
  auto vit = ml::make_model(ml::Arch::vit, 0).value();
  auto r = ml::insert_shadows(*vit, plan, *train_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::usage);
}

TEST_F(QuantLockData, ReducedShadowLockDeniesEveryOtherFormat) {
  HWLOCK_SKIP_WITHOUT_DATASET();
  // Each authorized format denies the other five standard formats.
  for (const char* name : {"mxint8", "int8", "fp8-e4m3"}) {
    auto model = trained();
    ml::QuantLockOptions o;
    o.authorized = fmt(name);
    o.epochs = 6;
    o.batch_size = 64;
    o.threads = 1;
    auto rep = ml::quant_lock(*model, *train_, *test_, o);
    ASSERT_TRUE(rep.ok()) << rep.error().message;
    const bool mx = std::string(name) == "mxint8", i8 = std::string(name) == "int8";
    EXPECT_EQ(rep->shadows.units.size(), mx ? 31u : 32u) << name;
    EXPECT_EQ(rep->carriers.size(), mx || i8 ? 1u : 0u) << name;
    double authorized = -1, before = -1;
    for (const auto& f : rep->formats) {
      std::printf("%-8s %-9s before %.3f structure %.3f after %.3f -carriers %.3f -shadows %.3f\n",
                  name, f.format.c_str(), f.before, f.with_carriers, f.after, f.carriers_removed,
                  f.shadows_removed);
      if (f.authorized) authorized = f.after, before = f.before;
    }
    ASSERT_GT(before, 0.70) << name;
    EXPECT_GT(authorized, before - 0.05) << name;
    int denied = 0;
    for (const auto& f : rep->formats) {
      if (!f.denied) continue;
      ++denied;
      EXPECT_GT(f.before, 0.70) << name << " " << f.format;  // control: the input model worked
      EXPECT_LT(f.after, 0.20) << name << " " << f.format;   // chance (10 %) + 5, with slack
      // The attacker's informed edit: each shadow replaced by what the authorized format stores
      // gives the model back.
      EXPECT_GT(f.shadows_removed, authorized - 0.08) << name << " " << f.format;
    }
    EXPECT_EQ(denied, 5) << name;
  }
}

TEST_F(QuantLockData, ReducedMlpLockSeparatesMxint8FromDeniedFormats) {
  HWLOCK_SKIP_WITHOUT_DATASET();
  auto model = trained();
  ml::QuantLockOptions o;
  o.authorized = fmt("mxint8");
  o.denied = {fmt("fp32"), fmt("int8")};
  o.shadow_blocks = 0;  // the carrier-only lock
  o.epochs = 6;
  o.batch_size = 64;
  o.lambda = 0.5;
  o.lr = 2e-3;
  o.threads = 1;
  int calls = 0;
  o.progress = [&](const ml::QuantLockProgress& p) {
    ++calls;
    EXPECT_TRUE(std::isfinite(p.loss_authorized));
    EXPECT_TRUE(std::isfinite(p.loss_denied));
  };
  auto rep = ml::quant_lock(*model, *train_, *test_, o);
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  EXPECT_EQ(calls, 6 * 63);  // ceil(4000 / 64) batches per epoch
  EXPECT_EQ(rep->kind, ml::CarrierKind::scale);
  EXPECT_EQ(rep->carriers.size(), 16u);
  double authorized = -1;
  for (const auto& f : rep->formats) {
    std::printf("%-10s before %.3f carriers %.3f after %.3f removed %.3f%s%s\n", f.format.c_str(),
                f.before, f.with_carriers, f.after, f.carriers_removed,
                f.authorized ? " authorized" : "", f.denied ? " denied" : "");
    if (f.authorized) authorized = f.after;
  }
  ASSERT_GT(authorized, 0.70);
  for (const auto& f : rep->formats) {
    // Control: the input model was accurate in every format.
    EXPECT_GT(f.before, 0.70) << f.format;
    if (f.denied) {
      EXPECT_LT(f.after, authorized - 0.40) << f.format;
    }
    if (f.format == "fp32") {
      // Scale carriers have zero outgoing weights: fp32 does not see them at all.
      EXPECT_DOUBLE_EQ(f.carriers_removed, f.after);
    }
  }

  // The carriers, and the lock's record of them, survive the safetensors export.
  ASSERT_TRUE(ml::carriers_intact(*model, rep->carriers));
  const hwlock::test::TempDir dir;
  const auto path = dir / "quant_locked.safetensors";
  const hwlock::st::Metadata meta{{"softlock", "quant"},
                                  {"carriers", ml::carriers_to_string(rep->carriers)}};
  ASSERT_TRUE(ml::save_module(*model, path, meta, true).ok());
  auto reader = hwlock::st::Reader::open(path);
  ASSERT_TRUE(reader.ok());
  auto carriers = ml::parse_carriers(reader->header().metadata.at("carriers"));
  ASSERT_TRUE(carriers.ok());
  EXPECT_EQ(*carriers, rep->carriers);
  auto loaded = ml::make_model(ml::Arch::mlp, 9).value();
  ASSERT_TRUE(ml::load_module(*loaded, path).ok());
  EXPECT_TRUE(ml::carriers_intact(*loaded, *carriers));
  EXPECT_DOUBLE_EQ(ml::accuracy_in(*loaded, o.authorized, *test_).value(), authorized);
  // Removing the carriers is not free in the authorized format either.
  ASSERT_TRUE(ml::remove_carriers(*loaded, *carriers).ok());
  EXPECT_FALSE(ml::carriers_intact(*loaded, *carriers));
}

}  // namespace

namespace {

namespace t = hwlock::test;
const std::string kCli = HWLOCK_CLI_PATH;

TEST(QuantLockCli, QuickLockWritesModelReportAndStructure) {
  HWLOCK_SKIP_WITHOUT_DATASET();
  t::TempDir dir;
  const auto model = t::train_small_mlp(kCli, dir), locked = dir / "locked.safetensors";
  ASSERT_FALSE(::testing::Test::HasFailure());
  const auto r =
      t::run("(" + kCli + " softlock quant " + t::quote(model) +
             " --authorized mxint8 --quick --limit 3000 --test-limit 500 -o " + t::quote(locked) +
             " --report " + t::quote(dir / "rep") + " --json 2>/dev/null)");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["authorized"], "mxint8");
  EXPECT_EQ(j["test_examples"], 500);
  EXPECT_EQ(j["formats"].size(), ml::standard_quant_formats().size());
  EXPECT_EQ(j["shadow_kind"], "dead-zone");
  EXPECT_EQ(j["shadow_units"].size(), 31u);
  EXPECT_EQ(j["carriers"].size(), 1u);
  EXPECT_EQ(j["emulation"].size(), 3u);
  EXPECT_TRUE(std::filesystem::exists(dir / "rep.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "rep.md"));
  // The structure is in the file: metadata names it, and the weights carry it.
  auto reader = hwlock::st::Reader::open(locked);
  ASSERT_TRUE(reader.ok());
  const auto& meta = reader->header().metadata;
  EXPECT_EQ(meta.at("softlock"), "quant");
  EXPECT_EQ(meta.at("authorized_format"), "mxint8");
  EXPECT_EQ(meta.at("shadow_kind"), "dead-zone");
  const auto units = ml::parse_units(meta.at("shadow_units")).value();
  EXPECT_EQ(units.size(), 31u);
  auto m = ml::make_model(ml::Arch::mlp).value();
  ASSERT_TRUE(ml::load_module(*m, locked).ok());
  EXPECT_TRUE(ml::carriers_intact(*m, ml::parse_carriers(meta.at("carriers")).value()));

  // Bad input: clear usage errors naming the cause; an existing output is kept.
  const auto both = t::run(kCli + " softlock quant " + t::quote(model) +
                           " --authorized mxint8 --carriers 8 --shadow-blocks 1 -o " +
                           t::quote(dir / "x.safetensors"));
  EXPECT_EQ(both.exit_code, hwlock::exit_code(Errc::usage));
  EXPECT_NE(both.out.find("shadow blocks"), std::string::npos) << both.out;
  const auto fp32 = t::run(kCli + " softlock quant " + t::quote(model) + " --authorized fp32 -o " +
                           t::quote(dir / "x.safetensors"));
  EXPECT_EQ(fp32.exit_code, hwlock::exit_code(Errc::usage));
  EXPECT_EQ(t::run(kCli + " softlock quant " + t::quote(model) + " --authorized mxint8 -o " +
                   t::quote(locked))
                .exit_code,
            hwlock::exit_code(Errc::output_exists));
}

}  // namespace
