// The attacker's emulation cost of the sparsity lock, on this CPU, in one run, single-threaded:
//   sparse  = hwlock::sparse::gemm_nm / gemm_csr (the authorized path; AVX-512 when available)
//   dense   = the attacker's masked dense GEMM: the same zero-filled weight through libtorch's
//             at::linear (BLAS sgemm; Debian's libtorch links the system libblas.so.3, OpenBLAS
//             here), OPENBLAS_NUM_THREADS=1 and one intra-op thread
//   self    = the same AVX-512 kernel run on the dense weight as a 16:16 "pattern" (no skipping):
//             isolates what skipping buys inside one code base
// Every figure is the median of interleaved repetitions; ratios are dense time / sparse time (> 1:
// the authorized path is faster). Usage: bench_sparse [--quick] [--json]
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "hwlock/sparse.hpp"

namespace sp = hwlock::sparse;
using Clock = std::chrono::steady_clock;

namespace {

// Seconds per call of each function: calls are batched to >= 5 ms, the variants interleaved so a
// change in machine load hits all of them alike; the median over `reps` rounds.
std::vector<double> time_interleaved(const std::vector<std::function<void()>>& fns, int reps) {
  std::vector<int> calls(fns.size(), 1);
  for (std::size_t f = 0; f < fns.size(); ++f) {  // calibrate
    for (;;) {
      const auto t0 = Clock::now();
      for (int i = 0; i < calls[f]; ++i) fns[f]();
      if (std::chrono::duration<double>(Clock::now() - t0).count() > 5e-3 || calls[f] > 1 << 20)
        break;
      calls[f] *= 2;
    }
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

std::vector<float> random_vector(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

torch::Tensor as_tensor(std::vector<float>& v, std::int64_t r, std::int64_t c) {
  return torch::from_blob(v.data(), {r, c}, torch::kFloat32);
}

struct Row {
  std::string what;
  double sparse_s, dense_s, self_s, ref_s;
};

void print_row(const Row& r) {
  std::printf(
      "%-40s sparse %9.1f us  dense(BLAS) %9.1f us  ratio %5.2fx  self-dense %9.1f us  "
      "ratio %5.2fx  ref %9.1f us\n",
      r.what.c_str(), 1e6 * r.sparse_s, 1e6 * r.dense_s, r.dense_s / r.sparse_s, 1e6 * r.self_s,
      r.self_s / r.sparse_s, 1e6 * r.ref_s);
  std::fflush(stdout);
}

Row bench_nm(sp::NmPattern p, std::size_t batch, std::size_t out, std::size_t in, int reps,
             std::mt19937& rng) {
  auto dense = sp::prune_nm(random_vector(out * in, rng), out, in, p).value();
  const auto w = sp::pack_nm(dense, out, in, p).value();
  const auto self = sp::pack_nm(dense, out, in, {16, 16}).value();
  auto x = random_vector(batch * in, rng);
  std::vector<float> y(batch * out);
  const auto xt = as_tensor(x, static_cast<std::int64_t>(batch), static_cast<std::int64_t>(in));
  const auto wt = as_tensor(dense, static_cast<std::int64_t>(out), static_cast<std::int64_t>(in));
  torch::Tensor yt;
  const bool with_ref = batch * out * in <= (std::size_t{1} << 26);  // the scalar ref is slow
  std::vector<std::function<void()>> fns = {[&] { sp::gemm_nm(x, batch, w, y); },
                                            [&] { yt = at::linear(xt, wt); },
                                            [&] { sp::gemm_nm(x, batch, self, y); }};
  if (with_ref) fns.emplace_back([&] { sp::gemm_nm_ref(x, batch, w, y); });
  const auto t = time_interleaved(fns, reps);
  return {sp::to_string(p) + " " + std::to_string(out) + "x" + std::to_string(in) + " batch " +
              std::to_string(batch),
          t[0], t[1], t[2], with_ref ? t[3] : 0.0};
}

Row bench_csr(double sparsity, std::size_t batch, std::size_t out, std::size_t in, int reps,
              std::mt19937& rng) {
  auto dense = random_vector(out * in, rng);
  std::uniform_real_distribution<double> u(0, 1);
  for (auto& v : dense)
    if (u(rng) < sparsity) v = 0.0f;
  const auto w = sp::pack_csr(dense, out, in).value();
  const auto self = sp::pack_nm(dense, out, in, {16, 16}).value();
  auto x = random_vector(batch * in, rng);
  std::vector<float> y(batch * out);
  const auto xt = as_tensor(x, static_cast<std::int64_t>(batch), static_cast<std::int64_t>(in));
  const auto wt = as_tensor(dense, static_cast<std::int64_t>(out), static_cast<std::int64_t>(in));
  torch::Tensor yt;
  const auto t = time_interleaved(
      {[&] { sp::gemm_csr(x, batch, w, y); }, [&] { yt = at::linear(xt, wt); },
       [&] { sp::gemm_nm(x, batch, self, y); }, [&] { sp::gemm_csr_ref(x, batch, w, y); }},
      reps);
  char what[96];
  std::snprintf(what, sizeof what, "csr %.2f%% %zux%zu batch %zu", 100 * sparsity, out, in, batch);
  return {what, t[0], t[1], t[2], t[3]};
}

// Whole-model inference of the zoo's MLP (784-256-256-10, bias, ReLU), every layer 2:4.
Row bench_mlp(sp::NmPattern p, std::size_t batch, int reps, std::mt19937& rng) {
  const std::size_t dims[] = {784, 256, 256, 10};
  std::vector<std::vector<float>> dense(3), bias(3);
  std::vector<sp::NmMatrix> packed, self;
  std::vector<torch::Tensor> wt, bt;
  for (int l = 0; l < 3; ++l) {
    dense[l] =
        sp::prune_nm(random_vector(dims[l + 1] * dims[l], rng), dims[l + 1], dims[l], p).value();
    bias[l] = random_vector(dims[l + 1], rng);
    packed.push_back(sp::pack_nm(dense[l], dims[l + 1], dims[l], p).value());
    self.push_back(sp::pack_nm(dense[l], dims[l + 1], dims[l], {16, 16}).value());
    wt.push_back(as_tensor(dense[l], static_cast<std::int64_t>(dims[l + 1]),
                           static_cast<std::int64_t>(dims[l])));
    bt.push_back(torch::from_blob(bias[l].data(), {static_cast<std::int64_t>(dims[l + 1])}));
  }
  auto x = random_vector(batch * dims[0], rng);
  std::vector<float> h1(batch * 256), h2(batch * 256), out(batch * 10);
  const auto run = [&](const std::vector<sp::NmMatrix>& ws) {
    std::span<const float> in = x;
    std::vector<float>* outs[] = {&h1, &h2, &out};
    for (int l = 0; l < 3; ++l) {
      auto& o = *outs[l];
      sp::gemm_nm(in, batch, ws[l], o);
      for (std::size_t b = 0; b < batch; ++b)
        for (std::size_t j = 0; j < dims[l + 1]; ++j) {
          float& v = o[b * dims[l + 1] + j];
          v += bias[l][j];
          if (l < 2) v = std::max(v, 0.0f);
        }
      in = o;
    }
  };
  const auto xt = as_tensor(x, static_cast<std::int64_t>(batch), 784);
  torch::Tensor yt;
  const auto t = time_interleaved(
      {[&] { run(packed); },
       [&] {
         torch::NoGradGuard g;
         yt = at::linear(
             torch::relu(at::linear(torch::relu(at::linear(xt, wt[0], bt[0])), wt[1], bt[1])),
             wt[2], bt[2]);
       },
       [&] { run(self); }},
      reps);
  return {"mlp 784-256-256-10 " + sp::to_string(p) + " batch " + std::to_string(batch), t[0], t[1],
          t[2], 0.0};
}

}  // namespace

int main(int argc, char** argv) {
  // OpenBLAS reads its thread count when it loads: set it and start again.
  if (std::getenv("OPENBLAS_NUM_THREADS") == nullptr) {
    ::setenv("OPENBLAS_NUM_THREADS", "1", 1);
    ::setenv("OMP_NUM_THREADS", "1", 1);
    ::execv("/proc/self/exe", argv);
  }
  bool quick = false, json = false;
  for (int i = 1; i < argc; ++i) {
    quick = quick || std::strcmp(argv[i], "--quick") == 0;
    json = json || std::strcmp(argv[i], "--json") == 0;
  }
  torch::set_num_threads(1);
  const int reps = quick ? 5 : 11;
  std::mt19937 rng(1);
  std::printf(
      "sparse kernels: %s; dense: at::linear (libtorch %s, BLAS via libblas.so.3), 1 "
      "thread; median of %d interleaved rounds\n",
      sp::isa_name(sp::detected_isa()), TORCH_VERSION, reps);
  std::vector<Row> rows;
  const auto add = [&](Row r) {
    print_row(r);
    rows.push_back(std::move(r));
  };
  const std::vector<std::size_t> sizes =
      quick ? std::vector<std::size_t>{256, 1024} : std::vector<std::size_t>{256, 1024, 4096};
  const std::vector<std::size_t> batches =
      quick ? std::vector<std::size_t>{1, 64} : std::vector<std::size_t>{1, 8, 64, 256};
  for (const auto p : {sp::NmPattern{2, 4}, sp::NmPattern{1, 4}})
    for (const auto n : sizes)
      for (const auto b : batches) add(bench_nm(p, b, n, n, reps, rng));
  for (const auto b : batches) add(bench_mlp({2, 4}, b, reps, rng));
  // The paper's setup: 99.95 % unstructured sparsity, at OPT-2.7B's layer shapes (hidden 2560,
  // MLP 10240), decode (batch 1) and a prompt-sized batch.
  for (const auto b : quick ? std::vector<std::size_t>{1} : std::vector<std::size_t>{1, 64}) {
    add(bench_csr(0.9995, b, 2560, 2560, reps, rng));
    if (!quick) add(bench_csr(0.9995, b, 10240, 2560, reps, rng));
  }
  add(bench_csr(0.9, 64, 1024, 1024, reps, rng));
  if (json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : rows)
      j.push_back({{"what", r.what},
                   {"sparse_s", r.sparse_s},
                   {"dense_blas_s", r.dense_s},
                   {"self_dense_s", r.self_s},
                   {"ref_s", r.ref_s},
                   {"dense_over_sparse", r.dense_s / r.sparse_s}});
    std::printf("%s\n", j.dump(2).c_str());
  }
  return 0;
}
