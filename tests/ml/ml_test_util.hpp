// Shared by the workbench tests.
#pragma once

#include <gtest/gtest.h>

#include "hwlock/idx.hpp"
#include "hwlock/ml/data.hpp"

namespace hwlock::test {

#define HWLOCK_SKIP_WITHOUT_DATASET()                                                          \
  do {                                                                                         \
    if (auto d_ = ::hwlock::idx::fashion_mnist_dir(); !d_) GTEST_SKIP() << d_.error().message; \
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

}  // namespace hwlock::test
