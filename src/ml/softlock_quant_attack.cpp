// Attack (a) on the quantisation lock (fine-tune in the attacker's format, against training there
// from scratch) and the attacker's emulation cost (hwlock/ml/softlock_quant.hpp).
#include <algorithm>
#include <chrono>

#include "hwlock/ml/softlock_quant.hpp"
#include "hwlock/ml/train.hpp"
#include "lock_loop.hpp"
#include "param_snapshot.hpp"
#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

using Clock = std::chrono::steady_clock;

Status check(const TensorDataset& train, const TensorDataset& test, const QuantRecoveryOptions& o) {
  HWLOCK_TRY(numfmt::validate(o.target));
  return detail::check_recovery_args(train, test, o.batch_size, o.lr, o.checkpoints);
}

// Trains `model` in o.target with plain cross-entropy; test accuracy at each checkpoint.
Result<std::vector<QuantCurvePoint>> curve_in_format(Net& model, const TensorDataset& train,
                                                     const TensorDataset& test,
                                                     const QuantRecoveryOptions& o) {
  set_threads(o.threads);
  torch::manual_seed(o.seed);
  const auto saved_numerics = model.numerics();
  model.set_numerics(detail::numerics_for(o.target));
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(o.lr));
  const std::int64_t n = train.size();
  const std::int64_t count = std::min(o.batch_size, n);
  std::vector<std::int64_t> perm;
  std::uint64_t epoch = 0;
  std::int64_t pos = n;
  std::int64_t step = 0;
  EvalOptions eo;
  eo.threads = o.threads;
  eo.latency_runs = 0;
  std::vector<QuantCurvePoint> curve;
  for (const auto target : o.checkpoints) {
    model.train();
    for (; step < target; ++step) {
      if (pos + count > n) {  // next seeded epoch (a partial tail batch is dropped)
        perm = seeded_permutation(n, o.seed * 1000003 + epoch++);
        pos = 0;
      }
      const auto idx = torch::tensor(
          torch::ArrayRef<std::int64_t>(perm.data() + pos, static_cast<std::size_t>(count)),
          torch::kInt64);
      pos += count;
      opt.zero_grad();
      torch::nn::functional::cross_entropy(model.forward(train.images.index_select(0, idx)),
                                           train.labels.index_select(0, idx))
          .backward();
      opt.step();
    }
    auto ev = evaluate(model, test, eo);
    if (!ev) {
      model.set_numerics(saved_numerics);
      return ev.error();
    }
    curve.push_back({step, ev->accuracy});
  }
  model.set_numerics(saved_numerics);
  return curve;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

Result<std::vector<QuantCurvePoint>> quant_recovery_curve(Net& locked, const TensorDataset& train,
                                                          const TensorDataset& test,
                                                          const QuantRecoveryOptions& o) {
  HWLOCK_TRY(check(train, test, o));
  return detail::guard("recovery", [&]() -> Result<std::vector<QuantCurvePoint>> {
    // Work on the caller's model, then put its weights back.
    return detail::with_parameters_restored(
        locked, [&] { return curve_in_format(locked, train, test, o); });
  });
}

Result<std::vector<QuantCurvePoint>> quant_scratch_curve(Arch arch, const TensorDataset& train,
                                                         const TensorDataset& test,
                                                         const QuantRecoveryOptions& o) {
  HWLOCK_TRY(check(train, test, o));
  HWLOCK_ASSIGN(auto model, make_model(arch, o.seed));
  return detail::guard("scratch training",
                       [&]() { return curve_in_format(*model, train, test, o); });
}

Result<QuantEmulationCost> quant_emulation_cost(Net& model, const numfmt::FormatSpec& spec,
                                                std::int64_t batch, int reps) {
  HWLOCK_TRY(numfmt::validate(spec));
  if (batch < 1 || reps < 1)
    return fail(Errc::usage, "emulation cost: batch and reps must be >= 1");
  return detail::guard("emulation cost", [&]() -> Result<QuantEmulationCost> {
    torch::NoGradGuard no_grad;
    const auto saved_numerics = model.numerics();
    model.eval();
    const auto x = torch::randn({batch, 1, 28, 28});
    // The same model with its weights fake-quantised once (the attacker does this offline).
    std::vector<std::pair<torch::Tensor, torch::Tensor>> saved;
    for (auto& p : model.named_parameters()) saved.emplace_back(p.value(), p.value().clone());
    const auto time_pass = [&](const std::optional<Numerics>& num, bool prequantised) {
      for (auto& [p, copy] : saved) {
        if (prequantised && p.dim() >= 2)
          p.copy_(fake_quantize(copy, spec, QuantLayout::weight));
        else
          p.copy_(copy);
      }
      model.set_numerics(num);
      const auto t0 = Clock::now();
      const auto y = model.forward(x);
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      (void)y.sum().item<float>();
      return s;
    };
    const Numerics full = Numerics::uniform(spec);
    const Numerics acts{std::nullopt, spec, std::nullopt};
    std::vector<double> native, emulated, activations;
    time_pass(std::nullopt, false);  // warm-up
    time_pass(full, false);
    for (int r = 0; r < reps; ++r) {
      native.push_back(time_pass(std::nullopt, false));
      emulated.push_back(time_pass(full, false));
      activations.push_back(time_pass(acts, true));
    }
    for (auto& [p, copy] : saved) p.copy_(copy);
    model.set_numerics(saved_numerics);
    return QuantEmulationCost{batch, median(native), median(emulated), median(activations)};
  });
}

}  // namespace hwlock::ml
