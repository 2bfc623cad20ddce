// Fuzzy-extractor latency: enrollment, and reproduction from a response with i.i.d. bit errors at
// the rate each parameter set was selected for (plus the noise-free case). Median and 99th
// percentile over many reproductions, one thread.
// Usage: bench_fuzzy [--iters N] [--json]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "hwlock/fuzzy.hpp"

using Clock = std::chrono::steady_clock;
namespace fz = hwlock::fuzzy;

namespace {

[[noreturn]] void die(const hwlock::Error& e) {
  std::fprintf(stderr, "bench_fuzzy: %s\n", e.message.c_str());
  std::exit(hwlock::exit_code(e.code));
}

template <class T>
T check(hwlock::Result<T> r) {
  if (!r.ok()) die(r.error());
  return std::move(r).value();
}

struct Stats {
  double median_us = 0, p99_us = 0, mean_us = 0;
};

Stats summarize(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  Stats s;
  s.median_us = us[us.size() / 2];
  s.p99_us = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  for (double v : us) s.mean_us += v;
  s.mean_us /= static_cast<double>(us.size());
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int iters = 2000;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
      iters = std::max(10, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else {
      std::fprintf(stderr, "usage: bench_fuzzy [--iters N] [--json]\n");
      return 2;
    }
  }
  std::mt19937_64 rng(42);
  if (json) std::printf("[\n");
  bool first = true;
  for (double ber : {0.05, 0.15, 0.25}) {
    fz::SelectionOptions so;
    so.ber = ber;
    const auto t0 = Clock::now();
    const fz::Selection sel = check(fz::select_params(so));
    const double select_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    const std::size_t n = sel.response_bits;
    std::vector<std::uint8_t> w((n + 7) / 8);
    for (auto& b : w) b = static_cast<std::uint8_t>(rng());
    fz::EnrollOptions o;
    o.params = sel.params;
    o.context = "bench";
    std::vector<double> enroll_us;
    fz::Enrollment e;
    for (int i = 0; i < 200; ++i) {
      const auto a = Clock::now();
      e = check(fz::enroll(w, n, o));
      enroll_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
    }
    const auto record = e.helper.serialize();
    for (double noise : {0.0, ber}) {
      std::bernoulli_distribution flip(noise);
      std::vector<double> us;
      us.reserve(static_cast<std::size_t>(iters));
      int failures = 0;
      for (int i = 0; i < iters; ++i) {
        std::vector<std::uint8_t> noisy = w;
        for (std::size_t b = 0; b < n; ++b)
          if (flip(rng)) noisy[b / 8] = static_cast<std::uint8_t>(noisy[b / 8] ^ (1u << (b % 8)));
        const auto a = Clock::now();
        auto k = fz::reproduce(noisy, n, record, "bench");  // parse + decode + tag + KDF
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
        failures += k.ok() ? 0 : 1;
      }
      const Stats r = summarize(us), en = summarize(enroll_us);
      if (json) {
        std::printf(
            "%s  {\"ber\": %.2f, \"noise\": %.2f, \"m\": %u, \"t\": %u, \"r\": %u, "
            "\"blocks\": %u, \"response_bits\": %zu, \"secret_bits\": %zu, "
            "\"analytic_frr\": %.3g, \"failures\": %d, \"iters\": %d, "
            "\"reproduce_median_us\": %.2f, \"reproduce_p99_us\": %.2f, "
            "\"enroll_median_us\": %.2f, \"select_ms\": %.2f}",
            first ? "" : ",\n", ber, noise, sel.params.bch_m, sel.params.bch_t,
            sel.params.repetition, sel.params.blocks, n, sel.secret_bits, sel.failure.key_failure,
            failures, iters, r.median_us, r.p99_us, en.median_us, select_ms);
      } else {
        std::printf(
            "ber %.2f  BCH m=%u t=%-2u r=%-2u blocks=%u  N=%-5zu K=%-3zu  FRR %.2g  "
            "noise %.2f: reproduce median %7.2f us, p99 %7.2f us (%d/%d failed); "
            "enroll median %7.2f us; select_params %.1f ms\n",
            ber, sel.params.bch_m, sel.params.bch_t, sel.params.repetition, sel.params.blocks, n,
            sel.secret_bits, sel.failure.key_failure, noise, r.median_us, r.p99_us, failures, iters,
            en.median_us, select_ms);
      }
      first = false;
    }
  }
  if (json) std::printf("\n]\n");
  return 0;
}
