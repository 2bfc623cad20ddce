// Simulated 64-stage arbiter PUF, additive delay model: per-device Gaussian stage weights, the
// parity feature vector of the challenge, and read noise on the delay difference calibrated to the
// configured bit error rate (see hwlock/puf.hpp).
#include <bit>
#include <cmath>

#include "fingerprint/prng.hpp"
#include "hwlock/puf.hpp"

namespace hwlock::puf {

using fingerprint::detail::gaussian;
using fingerprint::detail::hash_words;

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr std::uint64_t kWeights = 0x77656967687473, kExpand = 0x657870616e64;
constexpr std::uint64_t kNoiseA = 0x6e6f697341, kNoiseB = 0x6e6f697342;
}  // namespace

Result<ArbiterPufSim> ArbiterPufSim::create(const ArbiterPufConfig& c) {
  if (!(c.bit_error_rate >= 0.0 && c.bit_error_rate <= 0.25))
    return fail(Errc::fp_bad_params, "arbiter PUF simulator: bit_error_rate must be in [0, 0.25]");
  return ArbiterPufSim(c);
}

ArbiterPufSim::ArbiterPufSim(const ArbiterPufConfig& config) : config_(config) {
  fingerprint::detail::Xoshiro256 rng(hash_words(config.device_seed, kWeights));
  double energy = 0;
  for (unsigned i = 0; i <= kStages; ++i) {
    weights_.push_back(rng.normal());
    energy += weights_.back() * weights_.back();
  }
  // Over uniform challenges the parity features are independent ±1, so Var[Δ] = Σ w².
  noise_sigma_ = std::tan(kPi * config.bit_error_rate) * std::sqrt(energy);
}

std::uint64_t ArbiterPufSim::stage_challenge(std::uint64_t challenge, std::uint64_t k) noexcept {
  return hash_words(challenge, k, kExpand);
}

double ArbiterPufSim::delay_difference(std::uint64_t c) const noexcept {
  // φ_i = Π_{j≥i} (1 − 2 c_j) = (−1)^popcount(c >> i).
  double delta = weights_[kStages];
  for (unsigned i = 0; i < kStages; ++i)
    delta += (std::popcount(c >> i) & 1) != 0 ? -weights_[i] : weights_[i];
  return delta;
}

Result<BitVector> ArbiterPufSim::respond(std::uint64_t challenge, std::size_t nbits) {
  if (nbits > kMaxResponseBits)
    return fail(Errc::fp_bad_params, "arbiter PUF simulator: response of " + std::to_string(nbits) +
                                         " bits exceeds the limit");
  const std::uint64_t read_no = reads_++;
  const std::uint64_t n = config_.noise_seed;
  BitVector out(nbits);
  for (std::size_t k = 0; k < nbits; ++k) {
    double d = delay_difference(stage_challenge(challenge, k));
    if (noise_sigma_ != 0)
      d += noise_sigma_ *
           gaussian(hash_words(n ^ kNoiseA, read_no, k), hash_words(n ^ kNoiseB, read_no, k));
    out.set(k, d > 0);
  }
  return out;
}

BitVector ArbiterPufSim::reference(std::uint64_t challenge, std::size_t nbits) const {
  BitVector out(nbits);
  for (std::size_t k = 0; k < nbits; ++k)
    out.set(k, delay_difference(stage_challenge(challenge, k)) > 0);
  return out;
}

}  // namespace hwlock::puf
