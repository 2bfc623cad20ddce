// Training and evaluation: a short MLP run must learn; runs are reproducible.
#include <gtest/gtest.h>

#include <cmath>

#include "hwlock/ml/state.hpp"
#include "hwlock/ml/train.hpp"
#include "ml/ml_test_util.hpp"

namespace {

namespace ml = hwlock::ml;
using hwlock::Errc;

TEST(Train, ShortMlpRunLearns) {
  HWLOCK_SKIP_WITHOUT_DATASET();
  auto split = ml::split_train_validation(hwlock::test::fashion_train(), 2000, 0);
  ASSERT_TRUE(split.ok());
  const auto data = ml::head(split->train, 5000);
  auto model = ml::make_model(ml::Arch::mlp, 0).value();
  ml::TrainOptions o;
  o.epochs = 1;
  o.batch_size = 64;
  o.seed = 0;
  // One thread keeps this test fast on a busy machine (see the OMP_WAIT_POLICY note in train.hpp).
  o.threads = 1;
  int calls = 0, ends = 0;
  ml::TrainProgress last;
  o.progress = [&](const ml::TrainProgress& p) {
    ++calls;
    ends += p.epoch_end;
    EXPECT_EQ(p.epochs, 1);
    EXPECT_GE(p.batch, 1);
    EXPECT_LE(p.batch, p.batches);
    EXPECT_TRUE(std::isfinite(p.loss));
    EXPECT_GT(p.examples_per_s, 0);
    last = p;
  };
  auto r = ml::train(*model, data, &split->validation, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(calls, 79 + 1);  // ceil(5000 / 64) batches and the epoch end
  EXPECT_EQ(ends, 1);
  EXPECT_EQ(last.batches, 79);
  EXPECT_LT(last.lr, 1e-5);  // cosine decayed to ~0 by the last step
  ASSERT_EQ(r->epochs.size(), 1u);
  EXPECT_LT(r->epochs[0].loss, 1.0);
  EXPECT_GT(r->epochs[0].validation_accuracy, 0.70) << "chance is 0.10";
  EXPECT_DOUBLE_EQ(last.validation_accuracy, r->epochs[0].validation_accuracy);

  ml::EvalOptions eo;
  eo.threads = 1;
  eo.latency_runs = 5;
  auto ev = ml::evaluate(*model, split->validation, eo);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->examples, 2000);
  EXPECT_DOUBLE_EQ(ev->accuracy, r->epochs[0].validation_accuracy);
  EXPECT_GT(ev->latency_ms_single, 0);
  EXPECT_GT(ev->examples_per_s, 0);
  EXPECT_TRUE(model->is_training());  // evaluate restores the mode it found
}

TEST(Train, SameSeedSameWeights) {
  HWLOCK_SKIP_WITHOUT_DATASET();
  const auto data = ml::head(hwlock::test::fashion_train(), 512);
  auto run = [&](std::uint64_t seed) {
    auto m = ml::make_model(ml::Arch::cnn, seed).value();
    ml::TrainOptions o;
    o.batch_size = 64;
    o.seed = seed;
    o.threads = 1;
    o.optimizer = ml::Optimizer::sgd;
    o.lr = 0.05;
    EXPECT_TRUE(ml::train(*m, data, nullptr, o).ok());
    return ml::state_of(*m);
  };
  const auto a = run(3), b = run(3), c = run(4);
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(torch::equal(a[i].second, b[i].second)) << a[i].first;
  EXPECT_FALSE(torch::equal(a[0].second, c[0].second));
}

TEST(Train, BadOptionsAreUsageErrors) {
  auto m = ml::make_model(ml::Arch::mlp).value();
  ml::TensorDataset tiny{torch::zeros({4, 1, 28, 28}), torch::zeros({4}, torch::kInt64)};
  ml::TrainOptions o;
  o.epochs = 0;
  EXPECT_EQ(ml::train(*m, tiny, nullptr, o).error().code, Errc::usage);
  o.epochs = 1;
  o.batch_size = 0;
  EXPECT_EQ(ml::train(*m, tiny, nullptr, o).error().code, Errc::usage);
  o.batch_size = 2;
  EXPECT_EQ(ml::train(*m, ml::TensorDataset{}, nullptr, o).error().code, Errc::usage);
  // Labels out of range are a libtorch error, returned as a value.
  ml::TensorDataset bad{torch::zeros({4, 1, 28, 28}), torch::full({4}, 11, torch::kInt64)};
  auto r = ml::train(*m, bad, nullptr, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::torch);
  EXPECT_EQ(ml::evaluate(*m, ml::TensorDataset{}).error().code, Errc::usage);
}

TEST(Train, DivergenceIsReported) {
  auto m = ml::make_model(ml::Arch::mlp).value();
  ml::TensorDataset tiny{torch::full({8, 1, 28, 28}, 1e30f), torch::zeros({8}, torch::kInt64)};
  ml::TrainOptions o;
  o.batch_size = 4;
  o.lr = 1e30;
  auto r = ml::train(*m, tiny, nullptr, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("diverged"), std::string::npos) << r.error().message;
}

}  // namespace
