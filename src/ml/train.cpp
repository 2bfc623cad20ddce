// The training loop: cross-entropy, Adam or Nesterov SGD, per-step cosine learning-rate decay.
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <string>
#include <thread>

#include "hwlock/ml/train.hpp"
#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(Net& model, const TrainOptions& o) {
  if (o.optimizer == Optimizer::sgd)
    return std::make_unique<torch::optim::SGD>(model.parameters(),
                                               torch::optim::SGDOptions(o.lr)
                                                   .momentum(o.momentum)
                                                   .nesterov(o.momentum > 0)
                                                   .weight_decay(o.weight_decay));
  return std::make_unique<torch::optim::Adam>(
      model.parameters(), torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
}

Status check_options(const TensorDataset& data, const TrainOptions& o) {
  if (o.epochs < 1) return fail(Errc::usage, "train: epochs must be >= 1");
  if (o.batch_size < 1) return fail(Errc::usage, "train: batch size must be >= 1");
  if (!(o.lr > 0) || !std::isfinite(o.lr))
    return fail(Errc::usage, "train: learning rate must be > 0");
  if (data.size() == 0) return fail(Errc::usage, "train: the training set is empty");
  return {};
}

}  // namespace

unsigned set_threads(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  torch::set_num_threads(static_cast<int>(threads));
  return threads;
}

Result<TrainReport> train(Net& model, const TensorDataset& data, const TensorDataset* validation,
                          const TrainOptions& o) {
  HWLOCK_TRY(check_options(data, o));
  return detail::guard("train", [&]() -> Result<TrainReport> {
    set_threads(o.threads);
    torch::manual_seed(o.seed);
    auto opt = make_optimizer(model, o);
    const std::int64_t n = data.size();
    const std::int64_t batches = (n + o.batch_size - 1) / o.batch_size;
    const double total_steps = static_cast<double>(batches) * o.epochs;
    std::int64_t step = 0;
    TrainReport report;
    const auto start = Clock::now();
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
      model.train();
      const auto perm_vec = seeded_permutation(n, o.seed + static_cast<std::uint64_t>(epoch - 1));
      const auto perm = torch::tensor(torch::ArrayRef<std::int64_t>(perm_vec), torch::kInt64);
      const auto t0 = Clock::now();
      double loss_sum = 0;
      std::int64_t seen = 0;
      TrainProgress p;
      p.epoch = epoch;
      p.epochs = o.epochs;
      p.batches = batches;
      for (std::int64_t b = 0; b < batches; ++b, ++step) {
        p.lr = o.cosine
                   ? o.lr * 0.5 *
                         (1 + std::cos(std::numbers::pi * static_cast<double>(step) / total_steps))
                   : o.lr;
        for (auto& group : opt->param_groups()) group.options().set_lr(p.lr);
        const std::int64_t count = std::min(o.batch_size, n - b * o.batch_size);
        const auto idx = perm.narrow(0, b * o.batch_size, count);
        const auto x = data.images.index_select(0, idx);
        const auto y = data.labels.index_select(0, idx);
        opt->zero_grad();
        auto loss = torch::nn::functional::cross_entropy(model.forward(x), y);
        loss.backward();
        opt->step();
        const double l = loss.item<double>();
        if (!std::isfinite(l))
          return fail(Errc::torch, "train: loss is " + std::to_string(l) + " at epoch " +
                                       std::to_string(epoch) + ", batch " + std::to_string(b + 1) +
                                       " (diverged: lower the learning rate)");
        loss_sum += l * static_cast<double>(count);
        seen += count;
        p.batch = b + 1;
        p.loss = loss_sum / static_cast<double>(seen);
        p.examples_per_s = static_cast<double>(seen) / std::max(seconds_since(t0), 1e-9);
        if (o.progress) o.progress(p);
      }
      EpochStats s;
      s.epoch = epoch;
      s.loss = p.loss;
      s.seconds = seconds_since(t0);
      s.examples_per_s = static_cast<double>(seen) / std::max(s.seconds, 1e-9);
      s.validation_accuracy = std::numeric_limits<double>::quiet_NaN();
      if (validation != nullptr && validation->size() > 0) {
        EvalOptions eo;
        eo.threads = o.threads;
        eo.latency_runs = 0;
        HWLOCK_ASSIGN(const EvalReport r, evaluate(model, *validation, eo));
        s.validation_accuracy = r.accuracy;
      }
      report.epochs.push_back(s);
      if (o.progress) {
        p.epoch_end = true;
        p.validation_accuracy = s.validation_accuracy;
        o.progress(p);
      }
    }
    model.train();
    report.seconds = seconds_since(start);
    return report;
  });
}

}  // namespace hwlock::ml
