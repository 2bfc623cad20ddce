// Number formats on this CPU: a GEMM Y = X . W^T run natively where libtorch has a path for the
// format, against the workbench's emulation of that format (hwlock/ml/numerics.hpp):
//   native fp32   torch::matmul on float32 (BLAS sgemm; OpenBLAS through Debian's libblas.so.3)
//   native bf16   torch::matmul on bfloat16 tensors (oneDNN when libtorch routes bf16 matmul to
//                 it; run with ONEDNN_VERBOSE=1 to see which kernel, e.g. avx512_core_bf16)
//   native int8   quantized::linear with the oneDNN quantized engine (uint8 activations, int8
//                 weights prepacked once, requantised uint8 output; VNNI where the CPU has it),
//                 and quantized::linear_dynamic (activations quantised per call, fp32 output)
//   emulated F    ml::fake_quantize of X (layout sequence) and W (layout weight) in F, then the
//                 fp32 GEMM: what every emulated Linear does per forward pass
// Operands are pre-converted for the native paths (hardware holds them in the format); the
// emulated path re-quantises both every call, as the workbench does.
// Time is CPU time of the process (CLOCK_PROCESS_CPUTIME_ID) per call, the median of interleaved
// rounds: on a shared machine it is not inflated by waiting for a core, unlike wall time (also
// printed). Single-threaded: one intra-op thread; run with OPENBLAS_NUM_THREADS=1
// OMP_WAIT_POLICY=PASSIVE. Usage: bench_gemm_formats [--quick] [--reps N] [--json]
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hwlock/ml/numerics.hpp"
#include "hwlock/numfmt.hpp"

namespace ml = hwlock::ml;
namespace nf = hwlock::numfmt;

namespace {

double cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Timing {
  double cpu = 0, wall = 0;  // seconds per call, medians
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Calls are batched to >= 20 ms of CPU time; the functions run interleaved, `reps` rounds.
std::vector<Timing> time_interleaved(const std::vector<std::function<void()>>& fns, int reps) {
  std::vector<int> calls(fns.size(), 1);
  for (std::size_t f = 0; f < fns.size(); ++f) {
    fns[f]();  // warm-up (oneDNN primitive creation, page faults)
    for (;;) {
      const double t0 = cpu_seconds();
      for (int i = 0; i < calls[f]; ++i) fns[f]();
      if (cpu_seconds() - t0 > 20e-3 || calls[f] > 1 << 16) break;
      calls[f] *= 2;
    }
  }
  std::vector<std::vector<double>> cpu(fns.size()), wall(fns.size());
  for (int r = 0; r < reps; ++r)
    for (std::size_t f = 0; f < fns.size(); ++f) {
      const double c0 = cpu_seconds(), w0 = wall_seconds();
      for (int i = 0; i < calls[f]; ++i) fns[f]();
      cpu[f].push_back((cpu_seconds() - c0) / calls[f]);
      wall[f].push_back((wall_seconds() - w0) / calls[f]);
    }
  std::vector<Timing> out;
  for (std::size_t f = 0; f < fns.size(); ++f) out.push_back({median(cpu[f]), median(wall[f])});
  return out;
}

struct Shape {
  const char* name;
  std::int64_t m, k, n;  // X [m, k], W [n, k], Y [m, n]
};

// quantized::linear / linear_dynamic through the dispatcher (this libtorch has no C++ wrapper).
class QuantizedLinear {
 public:
  QuantizedLinear(const torch::Tensor& x, const torch::Tensor& w)
      : linear_(op("quantized::linear")), dynamic_(op("quantized::linear_dynamic")) {
    const double xs = x.abs().max().item<double>() / 127.0,
                 ws = w.abs().max().item<double>() / 127.0;
    xq_ = torch::quantize_per_tensor(x, xs, 128, torch::kQUInt8);
    auto wq = torch::quantize_per_tensor(w, ws, 0, torch::kQInt8);
    torch::jit::Stack s{wq, c10::IValue()};
    op("quantized::linear_prepack").callBoxed(&s);
    packed_ = s.at(0);
    out_scale_ = xs * ws * static_cast<double>(x.size(1)) / 16.0;
  }
  torch::Tensor run_static() const {
    torch::jit::Stack s{xq_, packed_, out_scale_, std::int64_t{128}};
    linear_.callBoxed(&s);
    return s.at(0).toTensor();
  }
  torch::Tensor run_dynamic(const torch::Tensor& x) const {
    torch::jit::Stack s{x, packed_, false};
    dynamic_.callBoxed(&s);
    return s.at(0).toTensor();
  }

 private:
  static c10::OperatorHandle op(const char* name) {
    return c10::Dispatcher::singleton().findSchemaOrThrow(name, "");
  }
  c10::OperatorHandle linear_, dynamic_;
  torch::Tensor xq_;
  c10::IValue packed_;
  double out_scale_ = 1;
};

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, json = false;
  int reps = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0)
      quick = true;
    else if (std::strcmp(argv[i], "--json") == 0)
      json = true;
    else if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: bench_gemm_formats [--quick] [--reps N] [--json]\n");
      return 2;
    }
  }
  torch::set_num_threads(1);
  auto& ctx = at::globalContext();
  const bool has_onednn_q =
      std::find(ctx.supportedQEngines().begin(), ctx.supportedQEngines().end(),
                at::QEngine::ONEDNN) != ctx.supportedQEngines().end();
  if (has_onednn_q) ctx.setQEngine(at::QEngine::ONEDNN);
  std::vector<Shape> shapes{{"256x256x256", 256, 256, 256},
                            {"mlp fc1 b256 (256x784x256)", 256, 784, 256},
                            {"cnn fc1 b256 (256x1600x256)", 256, 1600, 256},
                            {"1024x1024x1024", 1024, 1024, 1024}};
  if (!quick) shapes.push_back({"2048x2048x2048", 2048, 2048, 2048});
  if (quick) reps = std::min(reps, 3);

  nlohmann::json out = {{"has_mkldnn", at::hasMKLDNN()},
                        {"mkldnn_enabled", ctx.userEnabledMkldnn()},
                        {"quantized_engine", has_onednn_q ? "onednn" : "none"},
                        {"threads", torch::get_num_threads()},
                        {"reps", reps},
                        {"shapes", nlohmann::json::array()}};
  if (!json)
    std::printf("hasMKLDNN %d, quantized engine %s, %d thread(s), median of %d rounds, CPU time\n",
                at::hasMKLDNN() ? 1 : 0, has_onednn_q ? "onednn" : "none", torch::get_num_threads(),
                reps);
  torch::manual_seed(0);
  for (const auto& sh : shapes) {
    const auto x = torch::randn({sh.m, sh.k});
    const auto w = torch::randn({sh.n, sh.k}) * (1.0 / std::sqrt(static_cast<double>(sh.k)));
    const auto wt = w.t().contiguous();  // [k, n]: the plain matmul operand
    const auto xb = x.to(torch::kBFloat16), wtb = wt.to(torch::kBFloat16);
    std::optional<QuantizedLinear> q;
    if (has_onednn_q) q.emplace(x, w);

    std::vector<std::string> names{"native fp32", "native bf16"};
    std::vector<std::function<void()>> fns{[&] { (void)torch::matmul(x, wt); },
                                           [&] { (void)torch::matmul(xb, wtb); }};
    if (q) {
      names.insert(names.end(), {"native int8 (quantized::linear)", "native int8 dynamic"});
      fns.emplace_back([&] { (void)q->run_static(); });
      fns.emplace_back([&] { (void)q->run_dynamic(x); });
    }
    for (const auto& t : nf::kFormats) {
      if (t.format == nf::Format::fp32) continue;
      const nf::FormatSpec spec = nf::default_spec(t.format);
      names.push_back("emulated " + std::string(t.name));
      fns.emplace_back([&x, &w, spec] {
        torch::NoGradGuard no_grad;
        const auto xq = ml::fake_quantize(x, spec, ml::QuantLayout::sequence);
        const auto wq = ml::fake_quantize(w, spec, ml::QuantLayout::weight);
        (void)torch::matmul(xq, wq.t());
      });
    }
    const auto times = time_interleaved(fns, reps);
    const double fp32 = times[0].cpu;
    auto native_of = [&](const std::string& fmt) -> double {
      if (fmt == "bf16") return times[1].cpu;
      if (fmt == "int8" && q) return times[2].cpu;
      return 0;
    };
    nlohmann::json rows = nlohmann::json::array();
    if (!json)
      std::printf("\n%s\n  %-34s %10s %10s %12s %14s\n", sh.name, "path", "cpu ms", "wall ms",
                  "vs fp32", "vs native fmt");
    for (std::size_t i = 0; i < fns.size(); ++i) {
      const std::string fmt = names[i].substr(names[i].find(' ') + 1);
      const double native = names[i].starts_with("emulated") ? native_of(fmt) : 0;
      nlohmann::json row = {{"path", names[i]},
                            {"cpu_ms", 1e3 * times[i].cpu},
                            {"wall_ms", 1e3 * times[i].wall},
                            {"ratio_vs_fp32", times[i].cpu / fp32}};
      if (native > 0) row["ratio_vs_native_format"] = times[i].cpu / native;
      rows.push_back(row);
      if (!json) {
        std::printf("  %-34s %10.3f %10.3f %11.2fx", names[i].c_str(), 1e3 * times[i].cpu,
                    1e3 * times[i].wall, times[i].cpu / fp32);
        if (native > 0) std::printf(" %13.2fx", times[i].cpu / native);
        std::printf("\n");
      }
    }
    out["shapes"].push_back({{"shape", sh.name},
                             {"m", sh.m},
                             {"k", sh.k},
                             {"n", sh.n},
                             {"gflop", 2e-9 * static_cast<double>(sh.m * sh.k * sh.n)},
                             {"rows", rows}});
  }
  if (json) std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
