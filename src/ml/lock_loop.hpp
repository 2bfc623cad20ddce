// The fine-tuning loop and helpers both soft locks share (private to ml/).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "hwlock/error.hpp"
#include "hwlock/ml/data.hpp"
#include "hwlock/ml/models.hpp"
#include "hwlock/ml/numerics.hpp"

namespace hwlock::ml::detail {

struct LockLoopOptions {
  int epochs = 1;
  std::int64_t batch_size = 128;
  double lr = 1e-3;        // Adam, cosine decay to 0 over every batch of every epoch
  std::uint64_t seed = 0;  // epoch e visits the examples in seeded_permutation(n, seed + e)
};

struct LockLoopProgress {
  int epoch = 0, epochs = 0;
  std::int64_t batch = 0, batches = 0;
  double loss_authorized = 0, loss_denied = 0;  // running means over the epoch
};

// One batch's losses (authorized CE, mean denied CE) as reported by the batch callback.
struct LockBatchLosses {
  double authorized = 0, denied = 0;
};

// Runs the loop with the model in train mode: per batch, zero_grad, `batch(x, y)` (which leaves
// the gradients to apply, constraints included), the Adam step, then `after_step()` (e.g. a
// projection; may be empty); `progress` (may be empty) after every batch. The first error of a
// callback stops the loop and is returned.
Status lock_loop(
    Net& model, const TensorDataset& train, const LockLoopOptions& o,
    const std::function<Result<LockBatchLosses>(const torch::Tensor&, const torch::Tensor&)>& batch,
    const std::function<Status()>& after_step,
    const std::function<void(const LockLoopProgress&)>& progress);

// The numerics that run a model in `spec`: std::nullopt (native libtorch) for fp32, else every
// weight and activation fake-quantised (Numerics::uniform).
std::optional<Numerics> numerics_for(const numfmt::FormatSpec& spec);

// The attack curves' common argument check (Errc::usage naming the cause).
Status check_recovery_args(const TensorDataset& train, const TensorDataset& test,
                           std::int64_t batch_size, double lr,
                           const std::vector<std::int64_t>& checkpoints);

}  // namespace hwlock::ml::detail
