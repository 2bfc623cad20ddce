// Shared by the workbench tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "hwlock/idx.hpp"
#include "hwlock/ml/data.hpp"
#include "test_util.hpp"

namespace hwlock::test {

#define HWLOCK_SKIP_WITHOUT_DATASET()                              \
  do {                                                             \
    auto d_ = ::hwlock::idx::fashion_mnist_dir();                  \
    HWLOCK_REQUIRE_DEPENDENCY(d_.ok(), d_.error().message); \
  } while (0)

// The Fashion-MNIST training split as tensors, loaded once per test binary.
inline const ml::TensorDataset& fashion_train() {
  static const ml::TensorDataset data = [] {
    auto r = ml::load_split(idx::Split::train);
    if (!r) {
      ADD_FAILURE() << r.error().message;
      return ml::TensorDataset{};
    }
    return std::move(r).value();
  }();
  return data;
}

// Trains a small MLP through the CLI `cli` (1 epoch on 3000 examples, one thread) into
// dir/mlp.safetensors and returns that path; a failed run fails the calling test.
inline std::filesystem::path train_small_mlp(const std::string& cli, const TempDir& dir) {
  const auto model = dir / "mlp.safetensors";
  const auto r =
      run(cli + " train --model mlp --epochs 1 --limit 3000 --threads 1 -o " + quote(model));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return model;
}

}  // namespace hwlock::test
