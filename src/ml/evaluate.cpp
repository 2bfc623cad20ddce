// Evaluation: accuracy over a dataset, batched throughput, and single-example latency.
#include <algorithm>
#include <chrono>
#include <vector>

#include "hwlock/ml/train.hpp"
#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

using Clock = std::chrono::steady_clock;

// Puts the module in eval mode for a scope and restores its previous mode.
class EvalMode {
 public:
  explicit EvalMode(Net& m) : m_(m), was_training_(m.is_training()) { m_.eval(); }
  ~EvalMode() { m_.train(was_training_); }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  Net& m_;
  bool was_training_;
};

}  // namespace

Result<EvalReport> evaluate(Net& model, const TensorDataset& data, const EvalOptions& o) {
  if (o.batch_size < 1) return fail(Errc::usage, "evaluate: batch size must be >= 1");
  if (data.size() == 0) return fail(Errc::usage, "evaluate: the dataset is empty");
  return detail::guard("evaluate", [&]() -> Result<EvalReport> {
    set_threads(o.threads);
    EvalMode mode(model);
    torch::NoGradGuard no_grad;
    EvalReport r;
    r.examples = data.size();
    const std::int64_t batches = (r.examples + o.batch_size - 1) / o.batch_size;
    const auto t0 = Clock::now();
    for (std::int64_t b = 0; b < batches; ++b) {
      const std::int64_t start = b * o.batch_size;
      const std::int64_t count = std::min(o.batch_size, r.examples - start);
      const auto logits = model.forward(data.images.narrow(0, start, count));
      r.correct +=
          logits.argmax(1).eq(data.labels.narrow(0, start, count)).sum().item<std::int64_t>();
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.accuracy = static_cast<double>(r.correct) / static_cast<double>(r.examples);
    r.examples_per_s = static_cast<double>(r.examples) / std::max(r.seconds, 1e-9);
    r.latency_ms_batch = r.seconds * 1e3 / static_cast<double>(batches);
    if (o.latency_runs > 0) {
      const auto one = data.images.narrow(0, 0, 1);
      for (int i = 0; i < 3; ++i) (void)model.forward(one);  // warm-up: allocator, kernels
      std::vector<double> ms;
      for (int i = 0; i < o.latency_runs; ++i) {
        const auto s = Clock::now();
        (void)model.forward(one);
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
      }
      std::nth_element(ms.begin(), ms.begin() + static_cast<std::ptrdiff_t>(ms.size() / 2),
                       ms.end());
      r.latency_ms_single = ms[ms.size() / 2];
    }
    return r;
  });
}

}  // namespace hwlock::ml
