// hwlock/ml/train.hpp — training and evaluation loops (workbench only).
//
// Both set libtorch's intra-op thread count (torch::set_num_threads) to `threads`, or to
// std::thread::hardware_concurrency() when it is 0: this libtorch build defaults to one thread.
// WARNING: libgomp (libtorch's OpenMP) busy-waits between parallel regions by default. When other
// processes also occupy the cores, each of the many small parallel regions of a training step then
// waits for a time slice, and two threads ran 4-40x slower than one in our measurements (2 cores,
// load 4). Run with OMP_WAIT_POLICY=PASSIVE (read once, when libgomp loads, so it must be in the
// environment before the process starts), or pass threads = 1.
// Training is seeded: the batch order of epoch e is seeded_permutation(n, seed + e), and the
// global libtorch generator (dropout, if any) is seeded with `seed`. Results are reproducible for a
// fixed thread count; different thread counts may change float reduction order.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "hwlock/error.hpp"
#include "hwlock/ml/data.hpp"
#include "hwlock/ml/models.hpp"

namespace hwlock::ml {

enum class Optimizer : std::uint8_t { adam, sgd };

struct TrainProgress {
  int epoch = 0;  // 1-based
  int epochs = 0;
  std::int64_t batch = 0;  // 1-based, within the epoch
  std::int64_t batches = 0;
  double loss = 0;            // mean training loss over the epoch so far
  double examples_per_s = 0;  // over the epoch so far
  double lr = 0;              // learning rate of the last step
  bool epoch_end = false;     // last call of the epoch; validation_accuracy is set (or NaN)
  double validation_accuracy = 0;
};

struct TrainOptions {
  int epochs = 1;
  // Defaults: what reached >= 90 % test accuracy with the CNN in 3 epochs (91.2 %, two seeds).
  std::int64_t batch_size = 64;
  Optimizer optimizer = Optimizer::adam;
  double lr = 2e-3;
  double momentum = 0.9;  // SGD only (Nesterov)
  double weight_decay = 0.0;
  bool cosine = true;  // cosine decay of the learning rate to 0 over all steps
  std::uint64_t seed = 0;
  unsigned threads = 0;  // 0 = all hardware threads
  // Called after every batch (cheap to ignore) and once more at each epoch's end.
  std::function<void(const TrainProgress&)> progress;
};

struct EpochStats {
  int epoch = 0;
  double loss = 0;
  double validation_accuracy = 0;  // NaN without a validation set
  double seconds = 0;
  double examples_per_s = 0;
};

struct TrainReport {
  std::vector<EpochStats> epochs;
  double seconds = 0;
};

// Trains `model` in place with cross-entropy. `validation` may be null.
Result<TrainReport> train(Net& model, const TensorDataset& data, const TensorDataset* validation,
                          const TrainOptions& options);

struct EvalOptions {
  std::int64_t batch_size = 256;
  unsigned threads = 0;   // 0 = all hardware threads
  int latency_runs = 50;  // single-example forward passes timed for the latency figure (0: skip)
};

struct EvalReport {
  std::int64_t examples = 0;
  std::int64_t correct = 0;
  double accuracy = 0;           // correct / examples
  double seconds = 0;            // the batched accuracy pass
  double examples_per_s = 0;     // batched throughput
  double latency_ms_batch = 0;   // mean time of one batch of `batch_size`
  double latency_ms_single = 0;  // median time of one forward pass on a single example
};

// Evaluates in eval mode without gradients.
Result<EvalReport> evaluate(Net& model, const TensorDataset& data, const EvalOptions& options = {});

// Sets the libtorch intra-op thread count (0 = all hardware threads); returns the count set.
unsigned set_threads(unsigned threads);

}  // namespace hwlock::ml
