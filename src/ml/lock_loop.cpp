// The soft locks' fine-tuning loop (src/ml/lock_loop.hpp).
#include "lock_loop.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "hwlock/ml/train.hpp"

namespace hwlock::ml::detail {

std::optional<Numerics> numerics_for(const numfmt::FormatSpec& spec) {
  if (spec.format == numfmt::Format::fp32) return std::nullopt;
  return Numerics::uniform(spec);
}

Status check_recovery_args(const TensorDataset& train, const TensorDataset& test,
                           std::int64_t batch_size, double lr,
                           const std::vector<std::int64_t>& checkpoints) {
  if (train.size() == 0 || test.size() == 0)
    return fail(Errc::usage, "recovery: empty training or test set");
  if (batch_size < 1 || !(lr > 0))
    return fail(Errc::usage, "recovery: batch size and lr must be positive");
  if (!std::is_sorted(checkpoints.begin(), checkpoints.end()) ||
      (!checkpoints.empty() && checkpoints.front() < 0))
    return fail(Errc::usage, "recovery: checkpoints must be non-negative and increasing");
  return {};
}

Status lock_loop(
    Net& model, const TensorDataset& train, const LockLoopOptions& o,
    const std::function<Result<LockBatchLosses>(const torch::Tensor&, const torch::Tensor&)>& batch,
    const std::function<Status()>& after_step,
    const std::function<void(const LockLoopProgress&)>& progress) {
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(o.lr));
  const std::int64_t n = train.size();
  const std::int64_t batches = (n + o.batch_size - 1) / o.batch_size;
  const double total = static_cast<double>(batches * o.epochs);
  std::int64_t step = 0;
  model.train();
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    const auto perm_vec = seeded_permutation(n, o.seed + static_cast<std::uint64_t>(epoch));
    const auto perm = torch::tensor(torch::ArrayRef<std::int64_t>(perm_vec), torch::kInt64);
    LockLoopProgress p{epoch, o.epochs, 0, batches, 0, 0};
    double sum_a = 0, sum_d = 0;
    for (std::int64_t b = 0; b < batches; ++b, ++step) {
      const double lr =
          o.lr * 0.5 * (1 + std::cos(std::numbers::pi * static_cast<double>(step) / total));
      for (auto& g : opt.param_groups()) g.options().set_lr(lr);
      const auto idx =
          perm.narrow(0, b * o.batch_size, std::min(o.batch_size, n - b * o.batch_size));
      const auto x = train.images.index_select(0, idx), y = train.labels.index_select(0, idx);
      opt.zero_grad();
      HWLOCK_ASSIGN(const LockBatchLosses l, batch(x, y));
      opt.step();
      if (after_step) HWLOCK_TRY(after_step());
      sum_a += l.authorized;
      sum_d += l.denied;
      p.batch = b + 1;
      p.loss_authorized = sum_a / static_cast<double>(b + 1);
      p.loss_denied = sum_d / static_cast<double>(b + 1);
      if (progress) progress(p);
    }
  }
  return {};
}

}  // namespace hwlock::ml::detail
