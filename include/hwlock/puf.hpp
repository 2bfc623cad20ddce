// hwlock/puf.hpp — physical unclonable functions: simulated devices and a real-device reader.
//
// A PufProvider answers a challenge with response bits. Real PUFs are noisy (typically 3–15 % of
// bits flip between reads) and need a fuzzy extractor; no PUF exists on our machines, so this
// header offers simulators realistic enough for evaluation, and a provider reading real responses
// from a file or character device.
//
// Simulators are pure functions of (device seed, noise seed, read counter): a device is fully
// defined by its seed (nothing is stored per cell), so populations of thousands of devices cost
// only the bits actually read. Every respond() call advances the read counter, so repeated reads
// differ by fresh noise; the same (device_seed, noise_seed) replays the same sequence of reads.
//
// Noise model (both simulators): a device-fixed analog value x (SRAM cell skew, arbiter delay
// difference) plus Gaussian read noise n; the bit is x + n > 0. The noise deviation is set so that
// the expected fraction of bits differing from the noise-free `reference()` equals bit_error_rate:
// for Gaussian x and n, P(sign(x+n) != sign(x)) = atan(σn/σx)/π, so σn = σx·tan(π·ber). Cells with
// |x| near 0 are the unstable ones, as in silicon. Two independent reads therefore differ in
// somewhat less than 2·ber of their bits. Temperature and ageing shift x per cell (device-fixed
// coefficients), so the error rate against a reference enrolled at 25 °C, age 0 grows with them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "hwlock/error.hpp"
#include "hwlock/fingerprint.hpp"

namespace hwlock::puf {

using fingerprint::BitVector;

class PufProvider {
 public:
  virtual ~PufProvider() = default;
  virtual std::string_view kind() const = 0;  // "sram-sim", "arbiter-sim", "file"
  // Reads `nbits` response bits to `challenge` (meaning per provider, see below).
  virtual Result<BitVector> respond(std::uint64_t challenge, std::size_t nbits) = 0;
};

// Largest response one call may ask for (bits); larger requests are fp_bad_params.
inline constexpr std::size_t kMaxResponseBits = std::size_t{1} << 26;

struct SramPufConfig {
  std::uint64_t device_seed = 0;   // the die: per-cell skews derive from it
  std::uint64_t noise_seed = 1;    // the read noise stream
  std::uint64_t cells = 1u << 20;  // array size; challenge = first cell (wraps modulo cells)
  double bit_error_rate = 0.05;    // [0, 0.25]: expected read-vs-reference error at 25 °C, age 0
  double temperature_c = 25.0;     // read conditions
  double temperature_drift = 0.0;  // σ of the per-cell skew shift per 100 °C away from 25 °C
  double age_years = 0.0;
  double ageing_drift = 0.0;  // σ of the per-cell skew shift per sqrt(year)
};

// SRAM start-up values: cell i powers up as 1 iff skew_i + drift_i + noise > 0, skew_i ~ N(0, 1).
class SramPufSim final : public PufProvider {
 public:
  // Errors: fp_bad_params (ber outside [0, 0.25], cells == 0, negative drift, non-finite values).
  static Result<SramPufSim> create(const SramPufConfig& config);
  std::string_view kind() const override { return "sram-sim"; }
  // Cells [challenge, challenge + nbits) modulo cells(), one noisy read.
  Result<BitVector> respond(std::uint64_t challenge, std::size_t nbits) override;
  // The noise-free response at 25 °C, age 0 (what majority-vote enrollment converges to).
  BitVector reference(std::uint64_t challenge, std::size_t nbits) const;
  // Changes the read conditions (temperature, age) for later reads.
  void set_conditions(double temperature_c, double age_years) noexcept;
  std::uint64_t reads() const noexcept { return reads_; }
  const SramPufConfig& config() const noexcept { return config_; }

 private:
  explicit SramPufSim(const SramPufConfig& config);
  double skew(std::uint64_t cell, bool with_drift) const noexcept;
  SramPufConfig config_;
  double noise_sigma_ = 0.0;
  std::uint64_t reads_ = 0;
};

struct ArbiterPufConfig {
  std::uint64_t device_seed = 0;  // the die: per-stage delay weights derive from it
  std::uint64_t noise_seed = 1;
  double bit_error_rate =
      0.05;  // [0, 0.25]: expected read-vs-reference error over random challenges
};

// A 64-stage arbiter PUF, additive delay model: Δ(c) = Σ_i w_i·φ_i(c) + w_64, with
// φ_i(c) = Π_{j≥i} (1 − 2·c_j) and weights w ~ N(0, 1) per device; the response is Δ + noise > 0.
class ArbiterPufSim final : public PufProvider {
 public:
  static constexpr unsigned kStages = 64;
  static Result<ArbiterPufSim> create(const ArbiterPufConfig& config);
  std::string_view kind() const override { return "arbiter-sim"; }
  // Bit k answers the stage challenge stage_challenge(challenge, k); one noisy evaluation each.
  Result<BitVector> respond(std::uint64_t challenge, std::size_t nbits) override;
  BitVector reference(std::uint64_t challenge, std::size_t nbits) const;
  // The 64-bit stage challenge of response bit k (a fixed public expansion of `challenge`).
  static std::uint64_t stage_challenge(std::uint64_t challenge, std::uint64_t k) noexcept;
  // The noise-free delay difference for one stage challenge.
  double delay_difference(std::uint64_t stage_challenge) const noexcept;
  std::uint64_t reads() const noexcept { return reads_; }

 private:
  explicit ArbiterPufSim(const ArbiterPufConfig& config);
  ArbiterPufConfig config_;
  std::vector<double> weights_;  // kStages + 1
  double noise_sigma_ = 0.0;
  std::uint64_t reads_ = 0;
};

// A real device's responses: the byte stream of a file or character device, read from its start on
// every respond() (so a device node that re-measures on each open returns fresh, noisy responses).
// The challenge is the index of the first response bit (bit i = byte i/8, bit i%8, LSB first).
// Errors: io_open (cannot open: the message names the path and the OS reason), io_read,
// fp_short_response (stream ended before challenge + nbits bits; the message names the path and
// both lengths), fp_bad_params (nbits above kMaxResponseBits).
class FilePuf final : public PufProvider {
 public:
  explicit FilePuf(std::filesystem::path path) : path_(std::move(path)) {}
  std::string_view kind() const override { return "file"; }
  Result<BitVector> respond(std::uint64_t challenge, std::size_t nbits) override;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace hwlock::puf
