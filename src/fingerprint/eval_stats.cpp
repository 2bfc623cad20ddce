// fingerprint-eval statistics: Hamming distance summaries, re-read min-entropy, confidence bounds.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <set>

#include "hwlock/fingerprint_eval.hpp"

namespace hwlock::fingerprint::eval {
namespace {

struct Accumulator {
  DistanceStats s;
  double sum = 0;
  void add(const BitVector& a, const BitVector& b) {
    if (a.size() != b.size()) return;
    const double d = fractional_hamming_distance(a, b);
    s.min = s.pairs == 0 ? d : std::min(s.min, d);
    s.max = s.pairs == 0 ? d : std::max(s.max, d);
    sum += d;
    ++s.pairs;
  }
  DistanceStats done() {
    if (s.pairs) s.mean = sum / static_cast<double>(s.pairs);
    return s;
  }
};

// P(X <= k) for X ~ Binomial(n, p), 0 < p < 1.
double binomial_cdf(std::size_t k, std::size_t n, double p) {
  const double ln_p = std::log(p), ln_q = std::log1p(-p);
  const double nn = static_cast<double>(n);
  double total = 0;
  for (std::size_t i = 0; i <= k; ++i) {
    const double ii = static_cast<double>(i);
    total += std::exp(std::lgamma(nn + 1) - std::lgamma(ii + 1) - std::lgamma(nn - ii + 1) +
                      ii * ln_p + (nn - ii) * ln_q);
  }
  return total;
}

}  // namespace

DistanceStats pairwise_distances(std::span<const BitVector> runs) {
  Accumulator acc;
  for (std::size_t i = 0; i < runs.size(); ++i)
    for (std::size_t j = i + 1; j < runs.size(); ++j) acc.add(runs[i], runs[j]);
  return acc.done();
}

DistanceStats cross_distances(std::span<const BitVector> a, std::span<const BitVector> b) {
  Accumulator acc;
  for (const auto& x : a)
    for (const auto& y : b) acc.add(x, y);
  return acc.done();
}

double per_bit_min_entropy(std::span<const BitVector> runs) {
  if (runs.empty()) return 0;
  const std::size_t n = runs.front().size();
  std::vector<std::size_t> ones(n, 0);
  for (const auto& r : runs) {
    assert(r.size() == n);
    for (std::size_t i = 0; i < n; ++i) ones[i] += r.get(i) ? 1 : 0;
  }
  double h = 0;
  const double total = static_cast<double>(runs.size());
  for (std::size_t c : ones) {
    const double p = static_cast<double>(c) / total;
    h -= std::log2(std::max(p, 1.0 - p));
  }
  return h;
}

std::size_t distinct_count(std::span<const BitVector> runs) {
  std::set<std::pair<std::size_t, std::vector<std::uint8_t>>> seen;
  for (const auto& r : runs) seen.emplace(r.size(), r.bytes());
  return seen.size();
}

double upper_bound_95(std::size_t failures, std::size_t trials) {
  if (trials == 0 || failures >= trials) return 1.0;
  const double n = static_cast<double>(trials);
  if (failures == 0) return -std::expm1(std::log(0.05) / n);
  // The p at which P(X <= failures) = 0.05 (the CDF falls as p grows): bisection.
  double lo = static_cast<double>(failures) / n, hi = 1.0;
  for (int it = 0; it < 100; ++it) {
    const double mid = 0.5 * (lo + hi);
    (binomial_cdf(failures, trials, mid) > 0.05 ? lo : hi) = mid;
  }
  return hi;
}

}  // namespace hwlock::fingerprint::eval
