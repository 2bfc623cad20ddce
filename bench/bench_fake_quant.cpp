// Fake quantisation throughput: numfmt::fake_quantize (the vector fast path this CPU selects) vs
// the scalar reference fake_quantize_ref, for int8, mxint8, fp8-e4m3 and bf16 on weight-shaped
// fp32 tensors (normal, sigma 0.02). One thread. After the Google Benchmark output a summary
// prints ns/element for both and the ratio ref / fast, measured in this same run.
//
//   ./build/bench/bench_fake_quant [--benchmark_min_time=0.5] [--benchmark_repetitions=N]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "hwlock/numfmt.hpp"

namespace {

using namespace hwlock::numfmt;

constexpr Format kBenchFormats[] = {Format::int8, Format::mxint8, Format::fp8_e4m3, Format::bf16};
constexpr TensorShape kShapes[] = {{256, 784}, {1024, 1024}};

std::vector<float> weights(std::size_t n) {
  std::mt19937 rng(2026);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

void run(benchmark::State& state, Format f, TensorShape shape, bool fast) {
  const FormatSpec spec = default_spec(f);
  const std::vector<float> in = weights(shape.size());
  std::vector<float> out(in.size());
  for (auto _ : state) {
    const auto st =
        fast ? fake_quantize(spec, in, out, shape) : fake_quantize_ref(spec, in, out, shape);
    if (!st.ok()) {
      state.SkipWithError("fake_quantize failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(shape.size()));
  state.counters["ns_per_elem"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(shape.size()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

std::string key(Format f, TensorShape s) {
  return std::string(format_base_name(f)) + " " + std::to_string(s.rows) + "x" +
         std::to_string(s.cols);
}

// Console output as usual, plus the per-element time of each run kept for the summary (the last
// repetition's, or the mean when --benchmark_repetitions asks for aggregates).
class Collect : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> ns_per_elem;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "mean") continue;
      const auto it = r.counters.find("ns_per_elem");
      if (it != r.counters.end()) ns_per_elem[r.run_name.function_name] = it->second.value * 1e9;
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

int main(int argc, char** argv) {
  for (Format f : kBenchFormats)
    for (TensorShape s : kShapes)
      for (bool fast : {true, false})
        benchmark::RegisterBenchmark((key(f, s) + (fast ? " fast" : " ref")).c_str(), run, f, s,
                                     fast)
            ->Unit(benchmark::kMicrosecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  Collect reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  std::printf("\nisa: %s\n", detected_isa() == Isa::avx2_f16c ? "avx2_f16c" : "scalar");
  std::printf("%-20s %14s %14s %10s\n", "format shape", "fast ns/elem", "ref ns/elem", "ref/fast");
  for (Format f : kBenchFormats) {
    for (TensorShape s : kShapes) {
      const auto fast = reporter.ns_per_elem.find(key(f, s) + " fast");
      const auto ref = reporter.ns_per_elem.find(key(f, s) + " ref");
      if (fast == reporter.ns_per_elem.end() || ref == reporter.ns_per_elem.end()) continue;
      std::printf("%-20s %14.3f %14.3f %9.1fx\n", key(f, s).c_str(), fast->second, ref->second,
                  ref->second / fast->second);
    }
  }
  return 0;
}
