// The quantisation-aware soft lock on a reduced MLP: accurate in the authorized MXINT8, near
// chance in denied formats; carriers behave as documented and survive a safetensors round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

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

TEST_F(QuantLockData, ReducedMlpLockSeparatesMxint8FromDeniedFormats) {
  HWLOCK_SKIP_WITHOUT_DATASET();
  auto model = trained();
  ml::QuantLockOptions o;
  o.authorized = fmt("mxint8");
  o.denied = {fmt("fp32"), fmt("int8")};
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
