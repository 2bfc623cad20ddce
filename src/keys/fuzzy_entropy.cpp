// Min-entropy accounting of the code-offset construction, and the summary of repeated enrollment
// reads (majority reference, per-bit noise, reliability mask).
#include <cmath>
#include <string>

#include "fuzzy_internal.hpp"
#include "hwlock/fuzzy.hpp"

namespace hwlock::fuzzy {

Result<EntropyReport> entropy_report(const CodeParams& params,
                                     std::span<const double> ones_fraction,
                                     std::span<const std::uint8_t> mask) {
  HWLOCK_ASSIGN(const std::size_t n_total, response_bits(params));
  HWLOCK_ASSIGN(const BchDimensions dims, bch_dimensions(params.bch_m, params.bch_t));
  const std::size_t k_total = std::size_t{dims.k} * params.blocks;
  if (!ones_fraction.empty() && ones_fraction.size() < n_total)
    return fail(Errc::fuzzy_bad_params, "bias estimates cover " +
                                            std::to_string(ones_fraction.size()) +
                                            " bits, the code needs " + std::to_string(n_total));
  if (!mask.empty() && mask.size() < detail::packed_size(n_total))
    return fail(Errc::fuzzy_bad_params, "reliability mask holds " +
                                            std::to_string(mask.size() * 8) +
                                            " bits, the code needs " + std::to_string(n_total));
  EntropyReport rep;
  for (std::size_t i = 0; i < n_total; ++i) {
    if (!mask.empty() && ((mask[i / 8] >> (i % 8)) & 1u) == 0) continue;
    ++rep.used_bits;
    if (ones_fraction.empty()) {
      rep.min_entropy_bits += 1.0;
      continue;
    }
    const double p = ones_fraction[i];
    if (!std::isfinite(p) || p < 0.0 || p > 1.0)
      return fail(Errc::fuzzy_bad_params, "bias estimate of bit " + std::to_string(i) + " (" +
                                              std::to_string(p) + ") outside [0, 1]");
    rep.min_entropy_bits += -std::log2(std::max(p, 1.0 - p));
  }
  // P = w_used XOR C(s)_used: (w, s) loses at most |P| = N_used bits of min-entropy, and s adds K,
  // so H∞(s | P) ≥ H∞(w_used) − (N_used − K) (Dodis et al., Lemma 2.2 with the code offset).
  rep.leak_bits = rep.used_bits > k_total ? rep.used_bits - k_total : 0;
  rep.residual_bits = std::max(0.0, rep.min_entropy_bits - static_cast<double>(rep.leak_bits));
  return rep;
}

Result<ReadSummary> summarize_reads(std::span<const std::span<const std::uint8_t>> reads,
                                    std::size_t nbits, double max_flip_fraction) {
  if (reads.empty()) return fail(Errc::fuzzy_bad_params, "no enrollment reads");
  if (nbits == 0 || nbits > kMaxCodeBits)
    return fail(Errc::fuzzy_bad_params, "read length " + std::to_string(nbits) + " out of range");
  if (!(max_flip_fraction >= 0.0 && max_flip_fraction <= 0.5))
    return fail(Errc::fuzzy_bad_params, "max_flip_fraction must be in [0, 0.5]");
  const std::size_t bytes = detail::packed_size(nbits);
  for (std::size_t r = 0; r < reads.size(); ++r)
    if (reads[r].size() < bytes)
      return fail(Errc::fuzzy_bad_params, "enrollment read " + std::to_string(r) + " holds " +
                                              std::to_string(reads[r].size() * 8) +
                                              " bits, expected " + std::to_string(nbits));
  ReadSummary s;
  s.nbits = nbits;
  s.reference = crypto::SecretBuffer(bytes);
  s.ones_fraction.assign(nbits, 0.0);
  s.mask.assign(bytes, 0);
  const auto reference = detail::bits_of(s.reference);
  const double count = static_cast<double>(reads.size());
  for (std::size_t i = 0; i < nbits; ++i) {
    std::size_t ones = 0;
    for (const auto& read : reads) ones += (read[i / 8] >> (i % 8)) & 1u;
    const double f = static_cast<double>(ones) / count;
    s.ones_fraction[i] = f;
    const auto bit = static_cast<std::uint8_t>(2 * ones > reads.size() ? 1u : 0u);
    reference[i / 8] = static_cast<std::uint8_t>(reference[i / 8] | (bit << (i % 8)));
    if (std::min(f, 1.0 - f) <= max_flip_fraction) {
      s.mask[i / 8] = static_cast<std::uint8_t>(s.mask[i / 8] | (1u << (i % 8)));
      ++s.reliable_bits;
    }
  }
  return s;
}

}  // namespace hwlock::fuzzy
