// Fingerprint latency: numeric and timing measurements, and key reproduction (exact extractor on
// the device path, fuzzy extractor at 15 % BER), each also as a ratio to two references measured
// in the same run: one SHA-256 of 1 MiB, and one fork+exec+wait of /bin/true (what every
// fingerprint-eval measurement costs on top). Median and p90 over the iterations, one thread.
// Budgets (issue 3): numeric <= 10 ms, timing <= 250 ms, reproduction <= 1 ms.
// Usage: bench_fingerprint [--iters N] [--timing-iters N] [--json]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "hwlock/crypto.hpp"
#include "hwlock/fingerprint.hpp"
#include "hwlock/fingerprint_eval.hpp"
#include "hwlock/fuzzy.hpp"

using Clock = std::chrono::steady_clock;
namespace fp = hwlock::fingerprint;

namespace {

[[noreturn]] void die(const hwlock::Error& e) {
  std::fprintf(stderr, "bench_fingerprint: %s\n", e.message.c_str());
  std::exit(hwlock::exit_code(e.code));
}

template <class T>
T check(hwlock::Result<T> r) {
  if (!r.ok()) die(r.error());
  return std::move(r).value();
}

struct Stats {
  double median_ms = 0, p90_ms = 0;
};

// Runs `fn` `iters` times (after one warm-up call) and summarises the wall times.
Stats time_ms(int iters, const std::function<void()>& fn) {
  fn();
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    const auto a = Clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 9 / 10)]};
}

}  // namespace

int main(int argc, char** argv) {
  int iters = 200, timing_iters = 15;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
      iters = std::max(5, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--timing-iters") == 0 && i + 1 < argc) {
      timing_iters = std::max(3, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else {
      std::fprintf(stderr, "usage: bench_fingerprint [--iters N] [--timing-iters N] [--json]\n");
      return 2;
    }
  }
  // References.
  std::vector<std::byte> mib(std::size_t{1} << 20);
  std::mt19937_64 rng(7);
  for (auto& b : mib) b = static_cast<std::byte>(rng());
  std::array<std::byte, hwlock::crypto::kSha256Size> digest{};
  const Stats sha = time_ms(iters, [&] {
    if (auto s = hwlock::crypto::sha256(mib, digest); !s.ok()) die(s.error());
  });
  const auto truebin = fp::eval::find_program("true");
  if (!truebin) die(hwlock::fail(hwlock::Errc::io_open, "no `true` program in PATH"));
  const Stats spawn = time_ms(std::max(5, iters / 4), [&] {
    if (check(fp::eval::run_child({*truebin}, {}, 10)).exit_code != 0)
      die(hwlock::fail(hwlock::Errc::internal, "true failed"));
  });

  // Measurements.
  auto numeric = check(fp::make_source("numeric"));
  fp::Measurement num_m;
  const Stats numeric_ms = time_ms(iters, [&] { num_m = check(numeric->measure()); });
  const Stats numeric_fresh_ms =
      time_ms(iters, [&] { (void)check(check(fp::make_source("numeric"))->measure()); });
  auto timing = check(fp::make_source("timing"));
  const Stats timing_ms = time_ms(timing_iters, [&] { (void)check(timing->measure()); });

  // Reproduction: exact extractor through the device path (replayed numeric measurement, HKDF,
  // X25519 public-key check), and the fuzzy extractor on a 15 % noisy response.
  const std::vector<fp::BitVector> runs(5, num_m.bits);
  const auto record = check(fp::eval::enroll_from_runs("numeric", runs));
  const Stats exact_ms = time_ms(iters, [&] {
    if (!fp::eval::reproduces(record, num_m.bits))
      die(hwlock::fail(hwlock::Errc::internal, "exact reproduction failed"));
  });
  const std::size_t n = check(hwlock::fuzzy::response_bits(hwlock::fuzzy::CodeParams{}));
  std::vector<std::uint8_t> w((n + 7) / 8);
  for (auto& b : w) b = static_cast<std::uint8_t>(rng());
  hwlock::fuzzy::EnrollOptions eo;
  eo.context = "bench";
  const auto enrolled = check(hwlock::fuzzy::enroll(w, n, eo));
  std::bernoulli_distribution flip(0.15);
  std::vector<std::vector<std::uint8_t>> noisy(64, w);
  for (auto& v : noisy)
    for (std::size_t b = 0; b < n; ++b)
      if (flip(rng)) v[b / 8] = static_cast<std::uint8_t>(v[b / 8] ^ (1u << (b % 8)));
  std::size_t next = 0;
  const Stats fuzzy_ms = time_ms(iters, [&] {
    if (!hwlock::fuzzy::reproduce(noisy[next++ % noisy.size()], n, enrolled.helper, "bench"))
      die(hwlock::fail(hwlock::Errc::internal, "fuzzy reproduction failed"));
  });

  struct Row {
    const char* name;
    Stats s;
    double budget_ms;  // 0: a reference
  };
  const Row rows[] = {{"reference: SHA-256 of 1 MiB", sha, 0},
                      {"reference: fork+exec+wait /bin/true", spawn, 0},
                      {"numeric measure (source reused)", numeric_ms, 10},
                      {"numeric make_source + measure", numeric_fresh_ms, 10},
                      {"timing measure", timing_ms, 250},
                      {"exact reproduce (device path)", exact_ms, 1},
                      {"fuzzy reproduce, 15 % BER", fuzzy_ms, 1}};
  if (json) std::printf("[\n");
  bool first = true;
  for (const auto& r : rows) {
    const double x_sha = r.s.median_ms / sha.median_ms, x_spawn = r.s.median_ms / spawn.median_ms;
    const char* verdict = r.budget_ms == 0 ? "" : r.s.median_ms <= r.budget_ms ? "met" : "NOT met";
    if (json) {
      std::printf(
          "%s  {\"name\": \"%s\", \"median_ms\": %.4f, \"p90_ms\": %.4f, \"x_sha256_1mib\": %.3f, "
          "\"x_spawn\": %.3f, \"budget_ms\": %.0f}",
          first ? "" : ",\n", r.name, r.s.median_ms, r.s.p90_ms, x_sha, x_spawn, r.budget_ms);
    } else {
      std::printf("%-38s median %9.4f ms  p90 %9.4f ms  = %8.3fx SHA-256(1 MiB)  %7.3fx spawn",
                  r.name, r.s.median_ms, r.s.p90_ms, x_sha, x_spawn);
      if (r.budget_ms > 0) std::printf("  budget %.0f ms: %s", r.budget_ms, verdict);
      std::printf("\n");
    }
    first = false;
  }
  if (json) std::printf("\n]\n");
  return 0;
}
