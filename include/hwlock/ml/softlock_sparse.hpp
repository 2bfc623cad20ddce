// hwlock/ml/softlock_sparse.hpp — the sparsity-aware soft lock (workbench only).
//
// The paper's soft lock "targeting the efficiency of model representations": the model is pruned to
// the sparsity the authorized hardware accelerates (e.g. 2:4) and fine-tuned so that it is accurate
// exactly there, while re-pruning the delivered weights to any pattern an attacker's hardware would
// want (another N:M, the other axis, sparser unstructured) destroys accuracy. Running the delivered
// weights dense stays accurate (they are already sparse): that attacker pays the emulation cost
// instead (bench/bench_sparse.cpp, docs/PERFORMANCE.md).
//
// Pruning applies to every parameter named "*weight" with two or more dimensions (Linear and Conv
// weights, flattened to [out, in * kh * kw]); biases and normalisation parameters stay dense. A
// mask is recomputed by magnitude from the weights it is applied to, as an attacker re-pruning the
// delivered model would.
//
// Lock objective, per batch (weights W, authorized mask A, W already projected onto A):
//   CE(f(W)) + lambda * mean_D mean_i relu(tau - CE_i(f(W * mask_D(W))))
// with CE_i the cross-entropy of example i: a per-example hinge, so every example must be wrong at
// a denied pattern (a hinge on the batch-mean CE is met by a few very confident mistakes while
// accuracy stays high).
// over the denied specs D whose re-pruning changes W (compatible ones, e.g. 4:8 for a 2:4 model, or
// dense, cannot be denied and are only reported). After each optimizer step W <- W * A.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hwlock/error.hpp"
#include "hwlock/ml/data.hpp"
#include "hwlock/ml/models.hpp"

namespace hwlock::ml {

// A sparsity a piece of hardware runs. Text forms (parse_sparsity / to_string):
//   "dense"               no pruning
//   "N:M"                 N of every M consecutive weights along the input axis (2:4, 1:4, 4:8)
//   "N:M@out"             the same along the output axis (the "other axis")
//   "unstructured:S"      per-layer magnitude pruning to a fraction S of zeros, 0 < S < 1
struct SparsitySpec {
  enum class Kind : std::uint8_t { dense, nm, unstructured };
  Kind kind = Kind::dense;
  int n = 0, m = 0;       // nm
  bool out_axis = false;  // nm: groups run along the output axis
  double zeros = 0;       // unstructured
  friend bool operator==(const SparsitySpec&, const SparsitySpec&) = default;
};
Result<SparsitySpec> parse_sparsity(std::string_view text);
std::string to_string(const SparsitySpec& s);

// The patterns every report evaluates: dense, 2:4, 1:4, 1:2, 4:8, 2:8, 2:4@out, 1:4@out,
// unstructured 0.5, 0.75, 0.9.
std::vector<SparsitySpec> standard_sparsities();

// Masks (1 keep / 0 drop, float32, shaped like the weight) per prunable parameter name.
using Masks = std::map<std::string, torch::Tensor>;
// Magnitude masks of `spec` for the model's current weights. Group-wise patterns on an axis whose
// length is not a multiple of M treat the last, shorter group like the others (keep N of it).
Result<Masks> sparsity_masks(Net& model, const SparsitySpec& spec);
// Multiplies the weights by the masks in place (no autograd).
Status apply_masks(Net& model, const Masks& masks);
// True when the masks keep every nonzero weight of the model (re-pruning changes nothing).
bool masks_preserve(Net& model, const Masks& masks);

// Accuracy of the model's weights re-pruned to `spec`; the model is left unchanged.
Result<double> accuracy_at(Net& model, const SparsitySpec& spec, const TensorDataset& data,
                           unsigned threads = 1);

struct SparseLockProgress {
  int epoch = 0, epochs = 0;
  std::int64_t batch = 0, batches = 0;
  double loss_authorized = 0, loss_denied = 0;  // running means over the epoch
};

struct SparseLockOptions {
  SparsitySpec authorized;           // must be nm or unstructured
  std::vector<SparsitySpec> denied;  // empty: standard_sparsities() minus compatible ones
  int epochs = 3;
  std::int64_t batch_size = 128;
  double lr = 1e-3;  // Adam, cosine decay to 0
  double lambda = 1.0;
  double tau = 4.0;  // push each denied cross-entropy to at least this (chance is ln 10 = 2.30)
  // Attack-aware variant: evaluate each denied term after this many simulated attacker
  // fine-tuning steps (sign-gradient steps of anticipate_step_size at the denied pattern,
  // first-order). 0: off.
  int anticipate_steps = 0;
  double anticipate_step_size = 0.01;
  std::uint64_t seed = 0;
  unsigned threads = 1;
  std::function<void(const SparseLockProgress&)> progress;
};

struct PatternAccuracy {
  std::string pattern;
  double accuracy = 0;
  bool authorized = false;
  bool compatible = false;  // re-pruning the locked weights to it changes nothing
  bool denied = false;      // part of the lock objective
};

struct SparseLockReport {
  double baseline_dense = 0;            // the input model, dense
  double pruned_only = 0;               // after one-shot magnitude pruning to the authorized spec
  std::vector<PatternAccuracy> before;  // pruned-only model at every evaluated pattern
  std::vector<PatternAccuracy> after;   // locked model at every evaluated pattern
  double seconds = 0;
};

// Prunes `model` to options.authorized and fine-tunes it with the lock objective on `train`;
// accuracies are measured on `test`. On return the model's weights are the locked ones.
Result<SparseLockReport> sparse_lock(Net& model, const TensorDataset& train,
                                     const TensorDataset& test, const SparseLockOptions& options);

// Attack (b): re-prune the locked weights to `target` and fine-tune with plain cross-entropy (mask
// fixed) on the attacker's `train` data; or, with from_scratch, train a fresh model of `arch`
// pruned to `target` from initialisation. Test accuracy is recorded at the given step counts.
struct RecoveryOptions {
  SparsitySpec target;
  std::vector<std::int64_t> checkpoints = {0, 25, 50, 100, 200, 400, 800};
  std::int64_t batch_size = 128;
  double lr = 1e-3;  // Adam, constant
  std::uint64_t seed = 1;
  unsigned threads = 1;
};
struct RecoveryPoint {
  std::int64_t steps = 0;
  double accuracy = 0;
};
Result<std::vector<RecoveryPoint>> recovery_curve(Net& locked, const TensorDataset& train,
                                                  const TensorDataset& test,
                                                  const RecoveryOptions& options);
Result<std::vector<RecoveryPoint>> scratch_curve(Arch arch, const TensorDataset& train,
                                                 const TensorDataset& test,
                                                 const RecoveryOptions& options);

// The attacker's emulation cost, measured on the locked model itself: whole-model inference of a
// model whose prunable weights are all Linear (the zoo's MLP: Linear, ReLU, ..., Linear), through
// hwlock::sparse::gemm_nm (the authorized N:M path) vs the masked dense weights through libtorch's
// at::linear (BLAS), single-threaded, median of `reps` interleaved rounds. Errc::usage for models
// with other layers and for specs other than N:M along the input axis.
struct EmulationCost {
  std::int64_t batch = 0;
  double sparse_s = 0;  // per forward pass
  double dense_s = 0;
};
Result<EmulationCost> mlp_emulation_cost(Net& model, const SparsitySpec& authorized,
                                         std::int64_t batch, int reps = 9);

}  // namespace hwlock::ml
