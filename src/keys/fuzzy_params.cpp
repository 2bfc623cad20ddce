// Analytic failure probability of the concatenated code under i.i.d. bit errors, and the search for
// the cheapest configuration meeting a failure target.
#include <cmath>
#include <limits>
#include <string>

#include "fuzzy_internal.hpp"
#include "hwlock/fuzzy.hpp"

namespace hwlock::fuzzy {

long double binomial_tail_above(unsigned n, unsigned above, long double p) noexcept {
  if (above >= n || !(p > 0.0L)) return 0.0L;
  if (p >= 1.0L) return 1.0L;
  // Σ_{i > above} C(n, i) p^i (1 − p)^{n − i}, each term in log space, summed relative to the
  // largest so that tails far below 1e-300 (double's range) or near 1e-9 keep full precision.
  const long double lp = std::log(p), lq = std::log1p(-p);
  const long double lnf = std::lgamma(static_cast<long double>(n) + 1.0L);
  auto log_term = [&](unsigned i) {
    const long double li = static_cast<long double>(i), lni = static_cast<long double>(n - i);
    return lnf - std::lgamma(li + 1.0L) - std::lgamma(lni + 1.0L) + li * lp + lni * lq;
  };
  long double max_log = -std::numeric_limits<long double>::infinity();
  for (unsigned i = above + 1; i <= n; ++i) max_log = std::max(max_log, log_term(i));
  long double sum = 0.0L;
  for (unsigned i = above + 1; i <= n; ++i) sum += std::exp(log_term(i) - max_log);
  return std::min(1.0L, std::exp(max_log) * sum);
}

namespace {

bool valid_ber(double ber) {
  return std::isfinite(ber) && ber >= 0.0 && ber <= 0.5;
}

FailureAnalysis analyze(unsigned n, unsigned t_eff, unsigned repetition, unsigned blocks,
                        long double ber) {
  const long double inner = binomial_tail_above(repetition, (repetition - 1) / 2, ber);
  const long double block = binomial_tail_above(n, t_eff, inner);
  // 1 − (1 − block)^blocks without cancellation for tiny `block`.
  const long double key =
      block >= 1.0L ? 1.0L : -std::expm1(static_cast<long double>(blocks) * std::log1p(-block));
  return FailureAnalysis{static_cast<double>(inner), static_cast<double>(block),
                         static_cast<double>(key)};
}

}  // namespace

Result<FailureAnalysis> analyze_failure(const CodeParams& params, double ber) {
  HWLOCK_TRY(response_bits(params));
  if (!valid_ber(ber))
    return fail(Errc::fuzzy_bad_params,
                "bit-error rate " + std::to_string(ber) + " outside [0, 0.5]");
  HWLOCK_ASSIGN(const BchDimensions dims, bch_dimensions(params.bch_m, params.bch_t));
  return analyze(dims.n, dims.t, params.repetition, params.blocks, ber);
}

Result<Selection> select_params(const SelectionOptions& o) {
  if (!valid_ber(o.ber) || o.ber >= 0.5)
    return fail(Errc::fuzzy_bad_params,
                "bit-error rate " + std::to_string(o.ber) + " outside [0, 0.5)");
  if (!(o.max_failure > 0.0 && o.max_failure < 1.0))
    return fail(Errc::fuzzy_bad_params, "target failure rate must be in (0, 1)");
  if (!std::isfinite(o.min_residual_bits) || o.min_residual_bits < 0.0 ||
      o.min_residual_bits > static_cast<double>(kMaxCodeBits))
    return fail(Errc::fuzzy_bad_params, "minimum residual entropy out of range");
  if (o.min_m < kBchMinM || o.max_m > kBchMaxM || o.min_m > o.max_m)
    return fail(Errc::fuzzy_bad_params, "BCH field range [" + std::to_string(o.min_m) + ", " +
                                            std::to_string(o.max_m) + "] invalid");
  if (o.max_repetition == 0 || o.max_repetition > kMaxRepetition)
    return fail(Errc::fuzzy_bad_params, "maximum repetition out of range");

  std::optional<Selection> best;
  for (unsigned m = o.min_m; m <= o.max_m; ++m) {
    const unsigned n = (1u << m) - 1;
    // Dimensions for every t, from one growing root set (t and t+1 often give the same code).
    std::vector<BchDimensions> dims;
    for (unsigned t = 1; t <= (n - 1) / 2; ++t) {
      auto d = bch_dimensions(m, t);
      if (!d) break;  // no message bits left
      dims.push_back(*d);
    }
    for (unsigned r = 1; r <= o.max_repetition; r += 2) {
      for (const BchDimensions& d : dims) {
        const double per_block = static_cast<double>(d.k);
        const auto blocks_needed =
            std::max(1.0, std::ceil(o.min_residual_bits / per_block));  // residual = blocks · k
        if (blocks_needed > static_cast<double>(kMaxBlocks)) continue;
        const auto blocks = static_cast<unsigned>(blocks_needed);
        const std::size_t bits = std::size_t{n} * r * blocks;
        if (bits > kMaxCodeBits) continue;
        if (best && bits > best->response_bits) continue;
        const FailureAnalysis f = analyze(n, d.t, r, blocks, o.ber);
        if (f.key_failure > o.max_failure) continue;
        if (best && bits == best->response_bits && f.key_failure >= best->failure.key_failure)
          continue;
        best = Selection{CodeParams{m, d.t, r, blocks}, f, bits,  // d.t: the same code, canonical t
                         std::size_t{d.k} * blocks};
      }
    }
  }
  if (!best)
    return fail(Errc::fuzzy_bad_params, "no repetition+BCH configuration reaches failure rate " +
                                            std::to_string(o.max_failure) + " at bit-error rate " +
                                            std::to_string(o.ber) + " with " +
                                            std::to_string(o.min_residual_bits) + " residual bits");
  return *best;
}

}  // namespace hwlock::fuzzy
