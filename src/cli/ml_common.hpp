// Shared by the workbench verbs of hwlock-ml (eval, softlock): which architecture a weights file
// holds, and the Fashion-MNIST splits a lock trains and evaluates on.
#pragma once

#include <cstdint>
#include <string>

#include "hwlock/error.hpp"
#include "hwlock/ml/data.hpp"
#include "hwlock/ml/models.hpp"

namespace hwlock::cli {

// `model_flag` when given, else the "model" metadata `hwlock train` writes into `file`.
// Errors (Errc::usage, or the reader's) name `file`.
Result<ml::Arch> resolve_model_arch(const std::string& file, const std::string& model_flag);

struct LockData {
  ml::TensorDataset pool;   // the whole training split, shuffled with the seed
  ml::TensorDataset train;  // its first `train_limit` examples
  ml::TensorDataset test;   // the first `test_limit` test examples
};
// The training split shuffled with `seed` (so a prefix is a class-balanced sample) and cut to
// `train_limit` examples, and the first `test_limit` test examples (0 = all, for both).
Result<LockData> load_lock_data(std::uint64_t seed, std::int64_t train_limit,
                                std::int64_t test_limit);

}  // namespace hwlock::cli
