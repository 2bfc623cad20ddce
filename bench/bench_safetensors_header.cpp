// Hostile safetensors headers: parse time and peak heap of worst cases at the parser's limits
// (kMaxTensors tensors with names long enough to fill kMaxHeaderSize, shapes nested at
// kMaxHeaderDepth) against a normal 100-tensor header, plus headers one step past a limit (which
// must be rejected before the parser builds anything). Each iteration parses the header, builds
// the name index and looks every tensor up once, as `hwlock inspect` does. After the Google
// Benchmark output a summary prints each case's time and peak heap relative to the normal header,
// measured in this same run. One thread.
//
//   ./build/bench/bench_safetensors_header [--benchmark_min_time=0.5]
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <new>
#include <string>

#include "hwlock/safetensors.hpp"

// Heap accounting: every operator new/delete of the process goes through these, so the peak of
// live bytes during one parse can be read back. malloc_usable_size keeps new and delete balanced.
namespace {
std::atomic<std::size_t> g_live{0}, g_peak{0};
void note_alloc(void* p) {
  const std::size_t now = g_live += malloc_usable_size(p);
  for (std::size_t peak = g_peak.load(); now > peak && !g_peak.compare_exchange_weak(peak, now);) {
  }
}
}  // namespace

void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  note_alloc(p);
  return p;
}
// GCC flags free() in a replacement operator delete; here malloc is the matching allocator.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  g_live -= malloc_usable_size(p);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  operator delete(p);
}
#pragma GCC diagnostic pop

namespace {

using namespace hwlock;

struct Case {
  std::string json;
  std::uint64_t data_size = 0;
  std::size_t tensors = 0;
  bool expect_ok = true;
};

std::string entry(const std::string& name, const std::string& shape, std::uint64_t b,
                  std::uint64_t e) {
  return "\"" + name + R"(":{"dtype":"U8","shape":)" + shape + R"(,"data_offsets":[)" +
         std::to_string(b) + "," + std::to_string(e) + "]}";
}

// `n` one-byte U8 tensors; names padded to `name_len` bytes; `shape` spelled as given.
Case tensors(std::size_t n, std::size_t name_len, const std::string& shape, bool expect_ok) {
  Case c;
  c.json = "{";
  for (std::size_t i = 0; i < n; ++i) {
    std::string name = "model.layers." + std::to_string(i) + ".weight";
    if (name.size() < name_len) name.append(name_len - name.size(), 'x');
    if (i) c.json += ',';
    c.json += entry(name, shape, i, i + 1);
  }
  c.json += '}';
  c.data_size = n;
  c.tensors = n;
  c.expect_ok = expect_ok;
  return c;
}

// The longest names with which `n` tensors still fit the header cap.
std::size_t filling_name_len(std::size_t n, const std::string& shape) {
  const std::size_t per_entry = (st::kMaxHeaderSize - 2) / n;
  const std::size_t overhead = entry("", shape, 999'999'999, 999'999'999).size() + 1;
  return per_entry - overhead;
}

const std::map<std::string, Case>& cases() {
  static const std::map<std::string, Case> all = [] {
    std::map<std::string, Case> m;
    const std::string flat = "[1]";
    const std::string deep = std::string(st::kMaxHeaderDepth - 2, '[') + "1" +
                             std::string(st::kMaxHeaderDepth - 2, ']');  // exactly at the cap
    m["normal_100"] = tensors(100, 0, flat, true);
    m["worst_valid"] =
        tensors(st::kMaxTensors, filling_name_len(st::kMaxTensors, flat), flat, true);
    // Every entry nested at the depth cap: the whole header is parsed, then a schema error.
    m["worst_deep"] =
        tensors(st::kMaxTensors, filling_name_len(st::kMaxTensors, deep), deep, false);
    Case nest;  // one bracket past the cap, then ~100 MB more of them
    nest.json = "{\"w\":" + std::string(st::kMaxHeaderSize - 6, '[') + "}";
    nest.expect_ok = false;
    m["reject_nesting"] = nest;
    Case count = tensors(st::kMaxTensors + 1, 0, flat, false);
    m["reject_count"] = count;
    for (const auto& [name, c] : m)
      if (c.json.size() > st::kMaxHeaderSize) std::abort();
    return m;
  }();
  return all;
}

void run(benchmark::State& state, const std::string& name) {
  const Case& c = cases().at(name);
  const auto bytes = std::as_bytes(std::span(c.json));
  std::size_t peak = 0;
  for (auto _ : state) {
    const std::size_t base = g_live.load();
    g_peak = base;
    auto h = st::parse_header(bytes, c.data_size, "bench");
    if (h.ok() != c.expect_ok) {
      state.SkipWithError(h.ok() ? "accepted" : h.error().message.substr(0, 200).c_str());
      break;
    }
    if (h.ok()) {
      const st::TensorIndex index(*h);
      std::size_t found = 0;
      for (const auto& t : h->tensors) found += index.find(t.name) != nullptr;
      if (found != c.tensors) state.SkipWithError("lookup failed");
      benchmark::DoNotOptimize(found);
    }
    peak = std::max(peak, g_peak.load() - base);
  }
  state.counters["header_MB"] = static_cast<double>(c.json.size()) / 1e6;
  state.counters["peak_heap_MB"] = static_cast<double>(peak) / 1e6;
}

class Collect : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, std::pair<double, double>> seconds_and_heap;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "mean") continue;
      const auto heap = r.counters.find("peak_heap_MB");
      seconds_and_heap[r.run_name.function_name] = {
          r.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(r.time_unit),
          heap == r.counters.end() ? 0.0 : heap->second.value};
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const char* order[] = {"normal_100", "worst_valid", "worst_deep", "reject_nesting",
                         "reject_count"};
  for (const char* name : order)
    benchmark::RegisterBenchmark(name, run, std::string(name))->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  Collect reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const auto normal = reporter.seconds_and_heap.find("normal_100");
  if (normal == reporter.seconds_and_heap.end()) return 0;
  std::printf("\n%-16s %9s %10s %12s %14s %14s\n", "case", "tensors", "header MB", "time",
              "x normal_100", "peak heap MB");
  for (const char* name : order) {
    const auto it = reporter.seconds_and_heap.find(name);
    if (it == reporter.seconds_and_heap.end()) continue;
    const Case& c = cases().at(name);
    std::printf("%-16s %9zu %10.2f %10.3f ms %13.0fx %14.2f\n", name, c.tensors,
                static_cast<double>(c.json.size()) / 1e6, it->second.first * 1e3,
                it->second.first / normal->second.first, it->second.second);
  }
  return 0;
}
