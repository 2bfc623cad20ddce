// Simulated SRAM PUF: each cell's power-up value is the sign of a device-fixed skew (process
// variation, N(0, 1) from the device seed) plus temperature/ageing shifts plus per-read Gaussian
// noise calibrated to the configured bit error rate (see hwlock/puf.hpp for the model).
#include <cmath>

#include "fingerprint/prng.hpp"
#include "hwlock/puf.hpp"

namespace hwlock::puf {

using fingerprint::detail::gaussian;
using fingerprint::detail::hash_words;

namespace {

constexpr double kPi = 3.14159265358979323846;
// Stream tags: independent hash streams per quantity.
constexpr std::uint64_t kSkewA = 0x736b657741, kSkewB = 0x736b657742;
constexpr std::uint64_t kTempA = 0x74656d7041, kTempB = 0x74656d7042;
constexpr std::uint64_t kAgeA = 0x6167656141, kAgeB = 0x6167656142;
constexpr std::uint64_t kNoiseA = 0x6e6f697341, kNoiseB = 0x6e6f697342;

Error bad(const std::string& why) {
  return fail(Errc::fp_bad_params, "SRAM PUF simulator: " + why);
}

}  // namespace

Result<SramPufSim> SramPufSim::create(const SramPufConfig& c) {
  if (!(c.bit_error_rate >= 0.0 && c.bit_error_rate <= 0.25))
    return bad("bit_error_rate must be in [0, 0.25]");
  if (c.cells == 0) return bad("cells must be positive");
  if (!std::isfinite(c.temperature_c) || c.temperature_c < -273.15 || c.temperature_c > 1000)
    return bad("temperature_c must be a temperature in [-273.15, 1000] degrees C");
  if (!(c.temperature_drift >= 0 && c.temperature_drift <= 100))
    return bad("temperature_drift must be in [0, 100]");
  if (!(c.age_years >= 0 && c.age_years <= 1000)) return bad("age_years must be in [0, 1000]");
  if (!(c.ageing_drift >= 0 && c.ageing_drift <= 100))
    return bad("ageing_drift must be in [0, 100]");
  return SramPufSim(c);
}

SramPufSim::SramPufSim(const SramPufConfig& config)
    : config_(config), noise_sigma_(std::tan(kPi * config.bit_error_rate)) {}

void SramPufSim::set_conditions(double temperature_c, double age_years) noexcept {
  config_.temperature_c = temperature_c;
  config_.age_years = age_years;
}

double SramPufSim::skew(std::uint64_t cell, bool with_drift) const noexcept {
  const std::uint64_t d = config_.device_seed;
  double x = gaussian(hash_words(d, cell, kSkewA), hash_words(d, cell, kSkewB));
  if (with_drift) {
    const double dt = (config_.temperature_c - 25.0) / 100.0;
    if (config_.temperature_drift != 0 && dt != 0)
      x += dt * config_.temperature_drift *
           gaussian(hash_words(d, cell, kTempA), hash_words(d, cell, kTempB));
    if (config_.ageing_drift != 0 && config_.age_years != 0)
      x += std::sqrt(config_.age_years) * config_.ageing_drift *
           gaussian(hash_words(d, cell, kAgeA), hash_words(d, cell, kAgeB));
  }
  return x;
}

Result<BitVector> SramPufSim::respond(std::uint64_t challenge, std::size_t nbits) {
  if (nbits > kMaxResponseBits)
    return bad("response of " + std::to_string(nbits) + " bits exceeds the limit");
  const std::uint64_t read_no = reads_++;
  const std::uint64_t n = config_.noise_seed;
  BitVector out(nbits);
  for (std::size_t k = 0; k < nbits; ++k) {
    const std::uint64_t cell = (challenge % config_.cells + k) % config_.cells;
    double x = skew(cell, true);
    if (noise_sigma_ != 0)
      x += noise_sigma_ *
           gaussian(hash_words(n ^ kNoiseA, read_no, cell), hash_words(n ^ kNoiseB, read_no, cell));
    out.set(k, x > 0);
  }
  return out;
}

BitVector SramPufSim::reference(std::uint64_t challenge, std::size_t nbits) const {
  BitVector out(nbits);
  for (std::size_t k = 0; k < nbits; ++k)
    out.set(k, skew((challenge % config_.cells + k) % config_.cells, false) > 0);
  return out;
}

}  // namespace hwlock::puf
