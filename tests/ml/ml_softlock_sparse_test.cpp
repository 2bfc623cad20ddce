// The sparsity-aware soft lock on a reduced MLP: accurate at the authorized 2:4, near chance when
// the delivered weights are re-pruned to denied patterns; specs and masks behave as documented.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "hwlock/ml/softlock_sparse.hpp"
#include "hwlock/ml/state.hpp"
#include "hwlock/ml/train.hpp"
#include "ml/ml_test_util.hpp"
#include "test_util.hpp"

namespace {

namespace ml = hwlock::ml;
using hwlock::Errc;

TEST(SparsitySpec, ParsesAndPrints) {
  for (const char* t : {"dense", "2:4", "1:4@out", "unstructured:0.9", "4:8"}) {
    auto s = ml::parse_sparsity(t);
    ASSERT_TRUE(s.ok()) << t;
    EXPECT_EQ(ml::to_string(*s), t);
  }
  for (const char* t : {"", "2:2", "0:4", "4:2", "2:4@in", "unstructured:1", "unstructured:0",
                        "unstructured:x", "sparse", "2:65"}) {
    auto s = ml::parse_sparsity(t);
    ASSERT_FALSE(s.ok()) << t;
    EXPECT_EQ(s.error().code, Errc::usage);
  }
}

TEST(SparsitySpec, MasksHaveTheDocumentedStructure) {
  auto model = ml::make_model(ml::Arch::mlp, 3).value();
  const auto nm = ml::sparsity_masks(*model, ml::parse_sparsity("2:4").value()).value();
  ASSERT_EQ(nm.size(), 3u);  // fc1, fc2, fc3 weights; no biases
  for (const auto& [name, mask] : nm) {
    // Exactly 2 kept in every group of 4 along the input axis.
    const auto per_group = mask.reshape({mask.size(0), -1, 4}).sum(-1);
    EXPECT_TRUE(per_group.eq(2).all().item<bool>()) << name;
  }
  const auto out = ml::sparsity_masks(*model, ml::parse_sparsity("1:4@out").value()).value();
  const auto& m1 = out.at("fc1.weight");  // 256 x 784: groups of 4 along the 256 outputs
  EXPECT_TRUE(m1.t().reshape({784, -1, 4}).sum(-1).eq(1).all().item<bool>());
  const auto un = ml::sparsity_masks(*model, ml::parse_sparsity("unstructured:0.75").value());
  EXPECT_NEAR(un->at("fc2.weight").mean().item<double>(), 0.25, 1e-4);
  // Once pruned to 2:4, 4:8 and dense re-pruning change nothing; 1:4 does.
  ASSERT_TRUE(ml::apply_masks(*model, nm).ok());
  EXPECT_TRUE(ml::masks_preserve(
      *model, ml::sparsity_masks(*model, ml::parse_sparsity("4:8").value()).value()));
  EXPECT_TRUE(ml::masks_preserve(*model, ml::sparsity_masks(*model, {}).value()));
  EXPECT_FALSE(ml::masks_preserve(
      *model, ml::sparsity_masks(*model, ml::parse_sparsity("1:4").value()).value()));
}

TEST(SparseLock, ReducedMlpLockSeparatesAuthorizedFromDenied) {
  HWLOCK_SKIP_WITHOUT_DATASET();
  auto split = ml::split_train_validation(hwlock::test::fashion_train(), 2000, 0);
  ASSERT_TRUE(split.ok());
  const auto data = ml::head(split->train, 6000);
  auto model = ml::make_model(ml::Arch::mlp, 0).value();
  ml::TrainOptions to;
  to.epochs = 1;
  to.threads = 1;  // see the OMP_WAIT_POLICY note in train.hpp
  ASSERT_TRUE(ml::train(*model, data, nullptr, to).ok());

  ml::SparseLockOptions o;
  o.authorized = ml::parse_sparsity("2:4").value();
  for (const char* d : {"1:4", "2:4@out", "unstructured:0.75"})
    o.denied.push_back(ml::parse_sparsity(d).value());
  o.epochs = 2;
  o.threads = 1;
  int calls = 0;
  o.progress = [&](const ml::SparseLockProgress& p) {
    ++calls;
    EXPECT_TRUE(std::isfinite(p.loss_authorized));
  };
  auto rep = ml::sparse_lock(*model, data, split->validation, o);
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  EXPECT_EQ(calls, 2 * 47);  // ceil(6000 / 128) batches per epoch
  EXPECT_GT(rep->baseline_dense, 0.70);

  double authorized = -1;
  for (const auto& p : rep->after) {
    std::printf("%-18s before %.3f after %.3f%s%s\n", p.pattern.c_str(),
                rep->before[static_cast<std::size_t>(&p - rep->after.data())].accuracy, p.accuracy,
                p.denied ? " denied" : "", p.compatible ? " compatible" : "");
    if (p.authorized) authorized = p.accuracy;
  }
  ASSERT_GT(authorized, 0.70);
  ASSERT_EQ(rep->before.size(), rep->after.size());
  for (std::size_t i = 0; i < rep->after.size(); ++i) {
    const auto& p = rep->after[i];
    if (p.denied) {
      EXPECT_LT(p.accuracy, authorized - 0.40) << p.pattern;
      // Control: before the lock fine-tuning, re-pruning alone did not do this.
      EXPECT_GT(rep->before[i].accuracy, 0.55) << p.pattern;
    }
    // Patterns that keep every delivered weight (dense, 4:8) run the locked model unchanged.
    if (p.compatible) {
      EXPECT_DOUBLE_EQ(p.accuracy, authorized) << p.pattern;
    }
  }
  // The delivered weights are 2:4 sparse.
  const auto masks = ml::sparsity_masks(*model, o.authorized).value();
  EXPECT_TRUE(ml::masks_preserve(*model, masks));
}

}  // namespace

namespace {

namespace t = hwlock::test;
const std::string kCli = HWLOCK_CLI_PATH;

TEST(SparseLockCli, QuickLockWritesModelAndReport) {
  HWLOCK_SKIP_WITHOUT_DATASET();
  t::TempDir dir;
  const auto model = t::train_small_mlp(kCli, dir), locked = dir / "locked.safetensors";
  ASSERT_FALSE(::testing::Test::HasFailure());
  const auto r =
      t::run("(" + kCli + " softlock sparse " + t::quote(model) +
             " --pattern 2:4 --deny 1:4 --quick --limit 3000 --test-limit 500 -o " +
             t::quote(locked) + " --report " + t::quote(dir / "rep") + " --json 2>/dev/null)");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["authorized"], "2:4");
  EXPECT_EQ(j["test_examples"], 500);
  EXPECT_EQ(j["patterns"].size(), ml::standard_sparsities().size());
  ASSERT_EQ(j["emulation"].size(), 3u);  // batches 1, 64, 256 through the sparse kernel
  EXPECT_TRUE(std::filesystem::exists(locked));
  EXPECT_TRUE(std::filesystem::exists(dir / "rep.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "rep.md"));
  // The saved weights are 2:4 sparse and record the lock in their metadata.
  auto m = ml::make_model(ml::Arch::mlp).value();
  ASSERT_TRUE(ml::load_module(*m, locked).ok());
  EXPECT_TRUE(
      ml::masks_preserve(*m, ml::sparsity_masks(*m, ml::parse_sparsity("2:4").value()).value()));
  const auto info = t::run(kCli + " inspect " + t::quote(locked));
  EXPECT_NE(info.out.find("2:4"), std::string::npos) << info.out;

  // Bad input: clear usage errors naming the cause.
  const auto bad = t::run(kCli + " softlock sparse " + t::quote(model) + " --pattern 4:2 -o " +
                          t::quote(dir / "x.safetensors"));
  EXPECT_EQ(bad.exit_code, hwlock::exit_code(Errc::usage));
  EXPECT_NE(bad.out.find("sparsity \"4:2\""), std::string::npos) << bad.out;
  EXPECT_EQ(
      t::run(kCli + " softlock sparse " + t::quote(model) + " --pattern 2:4 -o " + t::quote(locked))
          .exit_code,
      hwlock::exit_code(Errc::output_exists));
}

}  // namespace
