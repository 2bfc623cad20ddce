// The sparsity lock's price tag for the attacker, on the locked MLP itself: the authorized N:M
// kernels vs masked dense BLAS, one thread, interleaved rounds (median).
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <functional>

#include "hwlock/ml/softlock_sparse.hpp"
#include "hwlock/sparse.hpp"
#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

using Clock = std::chrono::steady_clock;

struct Layer {
  torch::Tensor weight, bias;  // dense (masked) weight [out, in], bias [out]
  sparse::NmMatrix packed;
};

// Median seconds per call of each function over `reps` interleaved rounds of >= 5 ms each.
std::vector<double> time_interleaved(const std::vector<std::function<void()>>& fns, int reps) {
  std::vector<int> calls(fns.size(), 1);
  for (std::size_t f = 0; f < fns.size(); ++f)
    for (;;) {
      const auto t0 = Clock::now();
      for (int i = 0; i < calls[f]; ++i) fns[f]();
      if (std::chrono::duration<double>(Clock::now() - t0).count() > 5e-3 || calls[f] > 1 << 20)
        break;
      calls[f] *= 2;
    }
  std::vector<std::vector<double>> t(fns.size());
  for (int r = 0; r < reps; ++r)
    for (std::size_t f = 0; f < fns.size(); ++f) {
      const auto t0 = Clock::now();
      for (int i = 0; i < calls[f]; ++i) fns[f]();
      t[f].push_back(std::chrono::duration<double>(Clock::now() - t0).count() / calls[f]);
    }
  std::vector<double> med;
  for (auto& v : t) {
    std::sort(v.begin(), v.end());
    med.push_back(v[v.size() / 2]);
  }
  return med;
}

// OpenBLAS (Debian's libblas.so.3 here) runs its own thread pool, which torch::set_num_threads
// does not reach: pin it to one thread for the measurement when it is the loaded BLAS.
class OneBlasThread {
 public:
  OneBlasThread()
      : set_(reinterpret_cast<void (*)(int)>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))),
        get_(reinterpret_cast<int (*)()>(::dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) {
    if (set_ != nullptr && get_ != nullptr) {
      saved_ = get_();
      set_(1);
    }
  }
  ~OneBlasThread() {
    if (set_ != nullptr && get_ != nullptr) set_(saved_);
  }
  OneBlasThread(const OneBlasThread&) = delete;
  OneBlasThread& operator=(const OneBlasThread&) = delete;

 private:
  void (*set_)(int);
  int (*get_)();
  int saved_ = 1;
};

}  // namespace

Result<EmulationCost> mlp_emulation_cost(Net& model, const SparsitySpec& spec, std::int64_t batch,
                                         int reps) {
  if (spec.kind != SparsitySpec::Kind::nm || spec.out_axis)
    return fail(Errc::usage, "emulation cost: only N:M along the input axis has a kernel");
  if (batch < 1 || reps < 1)
    return fail(Errc::usage, "emulation cost: batch and reps must be >= 1");
  return detail::guard("emulation cost", [&]() -> Result<EmulationCost> {
    torch::NoGradGuard no_grad;
    std::vector<Layer> layers;
    for (const auto& p : model.named_parameters()) {
      const auto& name = p.key();
      if (p.value().dim() > 2)
        return fail(Errc::usage, "emulation cost: " + name + " is not a Linear weight");
      if (p.value().dim() == 2) {
        Layer l;
        l.weight = p.value().detach().contiguous();
        const auto rows = static_cast<std::size_t>(l.weight.size(0));
        const auto cols = static_cast<std::size_t>(l.weight.size(1));
        HWLOCK_ASSIGN(l.packed,
                      sparse::pack_nm(
                          {l.weight.data_ptr<float>(), rows * cols}, rows, cols,
                          {static_cast<std::uint8_t>(spec.n), static_cast<std::uint8_t>(spec.m)}));
        layers.push_back(std::move(l));
      } else if (!layers.empty() && name.ends_with("bias")) {
        layers.back().bias = p.value().detach().contiguous();
      }
    }
    if (layers.empty()) return fail(Errc::usage, "emulation cost: the model has no Linear layer");
    torch::manual_seed(0);
    const auto b = static_cast<std::size_t>(batch);
    const auto x = torch::randn({batch, layers.front().weight.size(1)});
    std::vector<std::vector<float>> acts(layers.size());
    for (std::size_t i = 0; i < layers.size(); ++i) acts[i].resize(b * layers[i].packed.rows);
    const auto sparse_forward = [&] {
      std::span<const float> in{x.data_ptr<float>(), static_cast<std::size_t>(x.numel())};
      for (std::size_t i = 0; i < layers.size(); ++i) {
        const auto& l = layers[i];
        auto& out = acts[i];
        sparse::gemm_nm(in, b, l.packed, out);
        const float* bias = l.bias.defined() ? l.bias.data_ptr<float>() : nullptr;
        const bool relu = i + 1 < layers.size();
        for (std::size_t r = 0; r < b; ++r)
          for (std::size_t j = 0; j < l.packed.rows; ++j) {
            float& v = out[r * l.packed.rows + j];
            if (bias != nullptr) v += bias[j];
            if (relu) v = std::max(v, 0.0f);
          }
        in = out;
      }
    };
    torch::Tensor sink;
    const auto dense_forward = [&] {
      auto h = x;
      for (std::size_t i = 0; i < layers.size(); ++i) {
        h = at::linear(h, layers[i].weight, layers[i].bias);
        if (i + 1 < layers.size()) h = torch::relu(h);
      }
      sink = h;
    };
    const int threads = torch::get_num_threads();
    torch::set_num_threads(1);
    const OneBlasThread one_blas_thread;
    const auto t = time_interleaved({sparse_forward, dense_forward}, reps);
    torch::set_num_threads(threads);
    return EmulationCost{batch, t[0], t[1]};
  });
}

}  // namespace hwlock::ml
