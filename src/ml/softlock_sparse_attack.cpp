// Attack (b) on the sparsity lock: re-prune to the attacker's pattern and fine-tune, against the
// reference cost of training at that pattern from scratch. Both record test accuracy vs steps.
#include <algorithm>

#include "hwlock/ml/softlock_sparse.hpp"
#include "hwlock/ml/train.hpp"
#include "lock_loop.hpp"
#include "param_snapshot.hpp"
#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

Status check(const TensorDataset& train, const TensorDataset& test, const RecoveryOptions& o) {
  return detail::check_recovery_args(train, test, o.batch_size, o.lr, o.checkpoints);
}

// Prunes `model` to o.target, then trains with the mask fixed; accuracy at each checkpoint.
Result<std::vector<RecoveryPoint>> masked_curve(Net& model, const TensorDataset& train,
                                                const TensorDataset& test,
                                                const RecoveryOptions& o) {
  set_threads(o.threads);
  torch::manual_seed(o.seed);
  HWLOCK_ASSIGN(const auto masks, sparsity_masks(model, o.target));
  HWLOCK_TRY(apply_masks(model, masks));
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(o.lr));
  const std::int64_t n = train.size();
  std::vector<std::int64_t> perm;
  std::uint64_t epoch = 0;
  std::int64_t pos = n;
  std::vector<RecoveryPoint> curve;
  std::int64_t step = 0;
  EvalOptions eo;
  eo.threads = o.threads;
  eo.latency_runs = 0;
  for (const auto target : o.checkpoints) {
    model.train();
    for (; step < target; ++step) {
      if (pos + o.batch_size > n) {  // next seeded epoch (a partial tail batch is dropped)
        perm = seeded_permutation(n, o.seed * 1000003 + epoch++);
        pos = 0;
      }
      const auto count = std::min(o.batch_size, n);
      const auto idx = torch::tensor(
          torch::ArrayRef<std::int64_t>(perm.data() + pos, static_cast<std::size_t>(count)),
          torch::kInt64);
      pos += count;
      opt.zero_grad();
      torch::nn::functional::cross_entropy(model.forward(train.images.index_select(0, idx)),
                                           train.labels.index_select(0, idx))
          .backward();
      {
        torch::NoGradGuard no_grad;
        for (auto& p : model.named_parameters())
          if (auto it = masks.find(p.key()); it != masks.end() && p.value().grad().defined())
            p.value().mutable_grad().mul_(it->second);
      }
      opt.step();
      HWLOCK_TRY(apply_masks(model, masks));
    }
    HWLOCK_ASSIGN(const auto ev, evaluate(model, test, eo));
    curve.push_back({step, ev.accuracy});
  }
  return curve;
}

}  // namespace

Result<std::vector<RecoveryPoint>> recovery_curve(Net& locked, const TensorDataset& train,
                                                  const TensorDataset& test,
                                                  const RecoveryOptions& o) {
  HWLOCK_TRY(check(train, test, o));
  return detail::guard("recovery", [&]() -> Result<std::vector<RecoveryPoint>> {
    // Work on the caller's model, then put its weights back.
    return detail::with_parameters_restored(locked,
                                            [&] { return masked_curve(locked, train, test, o); });
  });
}

Result<std::vector<RecoveryPoint>> scratch_curve(Arch arch, const TensorDataset& train,
                                                 const TensorDataset& test,
                                                 const RecoveryOptions& o) {
  HWLOCK_TRY(check(train, test, o));
  HWLOCK_ASSIGN(auto model, make_model(arch, o.seed));
  return detail::guard("scratch training", [&]() { return masked_curve(*model, train, test, o); });
}

}  // namespace hwlock::ml
