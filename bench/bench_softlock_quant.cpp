// The attacker's emulation cost for the quantisation lock, measured in one run on this CPU:
//  1. whole-model inference of the zoo MLP, native fp32 forward vs the emulation of each format
//     (weights and activations fake-quantised every pass; or weights once, activations every
//     pass), batches 1, 64 and 256 (ml::quant_emulation_cost);
//  2. the paper's setup (OPT-2.7B, int8 in the range [-4, 4], quantise then fp32 matmul vs the
//     matmul alone), at the size of one OPT-2.7B decoder layer's six GEMMs (hidden 2560, FFN
//     10240), for 1, 32 and 128 tokens.
// This CPU has no native MXINT8/fp8/int8 GEMM in libtorch 1.13 (no fbgemm), so the fp32 GEMM on
// already-dequantised values stands in for the authorized native path: native hardware is at
// least that fast, and the ratios are lower bounds of the attacker's overhead.
// Usage: OMP_WAIT_POLICY=PASSIVE bench_softlock_quant [--threads N] [--reps R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "hwlock/ml/models.hpp"
#include "hwlock/ml/numerics.hpp"
#include "hwlock/ml/softlock_quant.hpp"
#include "hwlock/ml/train.hpp"
#include "hwlock/numfmt.hpp"

namespace {

namespace ml = hwlock::ml;
namespace numfmt = hwlock::numfmt;
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class F>
double seconds(F&& f) {
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void whole_model(int reps) {
  std::printf("## Whole-model inference, zoo MLP 784-256-256-10 (median of %d)\n\n", reps);
  std::printf(
      "| format | batch | native fp32 (us) | emulated w+a (us) | emulated a only (us) | w+a / "
      "native | a only / native |\n|---|---|---|---|---|---|---|\n");
  auto model = ml::make_model(ml::Arch::mlp, 0).value();
  for (const char* name : {"mxint8", "int8", "fp8-e4m3", "bf16", "fp16"}) {
    const auto spec = numfmt::parse_format(name).value();
    for (const std::int64_t batch : {1, 64, 256}) {
      const auto c = ml::quant_emulation_cost(*model, spec, batch, reps).value();
      std::printf("| %s | %lld | %.1f | %.1f | %.1f | %.1f | %.1f |\n", name,
                  static_cast<long long>(batch), 1e6 * c.native_s, 1e6 * c.emulated_s,
                  1e6 * c.activations_s, c.emulated_s / c.native_s, c.activations_s / c.native_s);
      std::fflush(stdout);
    }
  }
}

void paper_setup(int reps) {
  std::printf(
      "\n## Paper setup: one OPT-2.7B decoder layer's GEMMs (q,k,v,out 2560x2560; fc1 "
      "10240x2560; fc2 2560x10240), int8 per-tensor, values in [-4, 4] (median of %d)\n\n",
      reps);
  std::printf(
      "| tokens | fp32 GEMMs (ms) | fake-quant X + GEMMs (ms) | fake-quant X and W + GEMMs (ms) "
      "| X / native | X+W / native |\n|---|---|---|---|---|---|\n");
  const auto int8 = numfmt::parse_format("int8").value();
  torch::manual_seed(0);
  struct Shape {
    std::int64_t out, in;
  };
  const std::vector<Shape> shapes = {{2560, 2560}, {2560, 2560},  {2560, 2560},
                                     {2560, 2560}, {10240, 2560}, {2560, 10240}};
  std::vector<torch::Tensor> weights;
  for (const auto& s : shapes) weights.push_back(torch::rand({s.out, s.in}) * 8 - 4);
  torch::NoGradGuard no_grad;
  for (const std::int64_t tokens : {1, 32, 128}) {
    std::vector<torch::Tensor> inputs;
    for (const auto& s : shapes) inputs.push_back(torch::rand({1, tokens, s.in}) * 8 - 4);
    const auto run = [&](bool quant_x, bool quant_w) {
      float sink = 0;
      const double s = seconds([&] {
        for (std::size_t i = 0; i < shapes.size(); ++i) {
          const auto x =
              quant_x ? ml::fake_quantize(inputs[i], int8, ml::QuantLayout::sequence) : inputs[i];
          const auto w =
              quant_w ? ml::fake_quantize(weights[i], int8, ml::QuantLayout::weight) : weights[i];
          sink += torch::linear(x, w).index({0, 0, 0}).item<float>();
        }
      });
      (void)sink;
      return s;
    };
    run(false, false);
    run(true, true);
    std::vector<double> native, qx, qxw;
    for (int r = 0; r < reps; ++r) {
      native.push_back(run(false, false));
      qx.push_back(run(true, false));
      qxw.push_back(run(true, true));
    }
    const double n = median(native), x = median(qx), xw = median(qxw);
    std::printf("| %lld | %.2f | %.2f | %.2f | %.2f | %.2f |\n", static_cast<long long>(tokens),
                1e3 * n, 1e3 * x, 1e3 * xw, x / n, xw / n);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = 1;
  int reps = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0)
      threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--reps") == 0) reps = std::max(1, std::atoi(argv[i + 1]));
  }
  threads = ml::set_threads(threads);
  std::printf("# bench_softlock_quant: %u thread(s), numfmt ISA %d\n\n", threads,
              static_cast<int>(numfmt::detected_isa()));
  whole_model(reps);
  paper_setup(std::max(3, reps / 2));
  return 0;
}
