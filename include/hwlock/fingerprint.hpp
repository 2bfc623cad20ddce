// hwlock/fingerprint.hpp — device fingerprints: what a hard lock's key is derived from.
//
// A FingerprintSource measures the device it runs on and returns a Measurement: a bit vector plus
// names for its bit ranges. Sources (one interface, chosen by kind through make_source()):
//
//   "numeric"  Finite precision: exact output bits of a fixed challenge set whose rounding
//              depends on the hardware and kernel path (rcpps/rsqrtps/vrcp14ps estimates, FMA vs
//              mul+add, reductions whose order follows the SIMD width, FTZ/DAZ denormal handling,
//              x87 80-bit arithmetic and transcendentals, libm results; FRECPE/FRSQRTE and
//              FPCR.FZ on aarch64). Noise-free: bit-exact run to run and process to process on
//              one machine; identifies a hardware *class* plus software stack. CPUID vendor,
//              family and feature bits are returned separately in Measurement::platform (read,
//              not measured; trivially spoofable).
//   "timing"   Clock cycles: ratios of dependent-chain latencies (integer/fp divide, sqrt,
//              multiply, denormal multiply, ...) to an add chain, best-of-k, quantised into
//              Gray-coded bins of log2(ratio). Noisy near bin edges: needs enrollment statistics
//              and error correction. Emulators collapse the ratios toward 1.
//   "puf-sim"  a simulated SRAM or arbiter PUF (see hwlock/puf.hpp), for evaluation.
//   "puf-file" a real device's PUF responses read from a file or character device.
//
// Every probe that touches the hardware (cpuid, rdtsc, MXCSR/FPCR, ISA-specific instructions) lives
// in src/fingerprint/ and nowhere else. ISA-specific probes run only after a run-time CPU check, so
// the library runs on any x86-64 (and under qemu/valgrind). Tests replace a source with FakeSource
// or install a factory with ScopedSourceFactory.
//
// Layouts are fixed per source and parameters, independent of the CPU: a probe whose instruction
// set is absent contributes a 0 presence bit and zero payload, so measurements from different
// machines always have the same length and can be compared bit by bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hwlock/cpu.hpp"
#include "hwlock/error.hpp"

namespace hwlock::fingerprint {

// A packed bit vector. Bit i lives in byte i/8 at bit position i%8 (LSB first); bits past size()
// in the last byte are always zero, so two vectors are equal iff size and bytes are equal.
class BitVector {
 public:
  BitVector() = default;
  explicit BitVector(std::size_t nbits) : bytes_((nbits + 7) / 8), size_(nbits) {}
  // Bits are raw device responses (PUF reads, measurements): every block the vector releases is
  // wiped first, at destruction, assignment and growth.
  ~BitVector();
  BitVector(const BitVector& other) = default;
  BitVector(BitVector&& other) noexcept;
  BitVector& operator=(const BitVector& other);
  BitVector& operator=(BitVector&& other) noexcept;
  // The first `nbits` bits of `bytes` (LSB first); asserts bytes holds enough.
  static BitVector from_bytes(std::span<const std::uint8_t> bytes, std::size_t nbits);

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  bool get(std::size_t i) const noexcept;
  void set(std::size_t i, bool value) noexcept;
  void push_back(bool value);
  // Appends the low `nbits` (≤ 64) bits of `value`, least significant first.
  void append_bits(std::uint64_t value, unsigned nbits);
  void append(const BitVector& other);
  // Bits [offset, offset + nbits) as an integer (nbits ≤ 64), bit `offset` least significant.
  std::uint64_t get_bits(std::size_t offset, unsigned nbits) const noexcept;
  std::size_t popcount() const noexcept;

  const std::vector<std::uint8_t>& bytes() const noexcept { return bytes_; }
  // Lowercase hex of bytes() in order (two digits per byte).
  std::string to_hex() const;

  friend bool operator==(const BitVector&, const BitVector&) = default;

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t size_ = 0;
};

// Number of differing bits; the vectors must have the same size (asserted).
std::size_t hamming_distance(const BitVector& a, const BitVector& b) noexcept;
// hamming_distance / size (0 for empty vectors).
double fractional_hamming_distance(const BitVector& a, const BitVector& b) noexcept;

// 64-bit FNV-1a of `bytes`, then a splitmix64 finaliser for avalanche. NOT cryptographic: used to
// name measurements and fold probe outputs, never as a key. Named hash64_fnv1a_v1 wherever
// recorded.
std::uint64_t hash64(std::span<const std::uint8_t> bytes,
                     std::uint64_t seed = 0xcbf29ce484222325ULL) noexcept;

// Reflected binary Gray code (adjacent integers differ in exactly one bit) and its inverse.
constexpr std::uint64_t gray_encode(std::uint64_t v) noexcept {
  return v ^ (v >> 1);
}
constexpr std::uint64_t gray_decode(std::uint64_t g) noexcept {
  for (unsigned s = 1; s < 64; s <<= 1) g ^= g >> s;
  return g;
}

// A named range of bits in a measurement ("x86.sse.rcpps", "timing.div.f64").
struct Field {
  std::string name;
  std::size_t offset = 0;
  std::size_t width = 0;
  friend bool operator==(const Field&, const Field&) = default;
};

struct Measurement {
  std::string kind;           // the source's kind()
  BitVector bits;             // the fingerprint proper
  std::vector<Field> fields;  // names for `bits`: in order, contiguous, covering it exactly
  // Analog values behind the bits, one per field, where the source has them (timing: the latency
  // ratios, for enrollment reliability statistics); empty otherwise.
  std::vector<double> raw;
  // Identity bits the source read rather than measured (numeric: CPUID/HWCAP vendor, family, model,
  // features). Kept out of `bits` so key derivation decides whether to bind them.
  BitVector platform;
  std::vector<Field> platform_fields;

  // hash64 of bits (with its size), for naming a measurement in logs. Not secret, not a key.
  std::uint64_t hash() const noexcept;
  // The field called `name`, or nullptr.
  const Field* field(std::string_view name) const noexcept;
};

// One way of measuring the device. Sources are not thread-safe; use one per thread.
class FingerprintSource {
 public:
  virtual ~FingerprintSource() = default;
  virtual std::string_view kind() const = 0;
  // Public parameters that recreate an equivalent source through make_source() (no secrets).
  virtual nlohmann::json params() const = 0;
  virtual Result<Measurement> measure() = 0;
};

// Instruction-set features (CpuFeatures, host_cpu_features()): hwlock/cpu.hpp.

// The numeric source using `features` intersected with the host's (never more than the host has).
std::unique_ptr<FingerprintSource> make_numeric_source(const CpuFeatures& features);

// Timing parameters ("timing" source). Defaults keep measure() well under 250 ms natively.
struct TimingParams {
  unsigned rounds = 48;          // best-of-k: every chain is timed `rounds` times, min kept
  unsigned min_rounds = 5;       // fewer than this within 1.25 x budget_ms: fp_unavailable
  double budget_ms = 200.0;      // stop adding rounds after this much wall time (min_rounds done)
  unsigned bins_per_octave = 4;  // quantisation step of log2(ratio)
  unsigned bits_per_ratio = 6;   // Gray-code width per ratio (bins clamp at both ends)
  // Per-ratio shift of the bin grid, in bins (empty = 0 for all). Bin of ratio r:
  // floor(log2(r)·bins_per_octave + 0.5 + offset) + 2·bins_per_octave, clamped; with offset 0 the
  // powers of two sit at bin centres. Enrollment can centre each enrolled ratio in its bin with
  // offsets in [-0.5, 0.5) and record them as public helper data.
  std::vector<double> offsets;
};
// The ratio names of the timing source, in field order ("div.f64" = divsd chain / add chain).
std::span<const std::string_view> timing_ratio_names() noexcept;
Result<std::unique_ptr<FingerprintSource>> make_timing_source(const TimingParams& params);

// A source for tests: measure() returns what `fn` returns for call number 0, 1, 2, ...
class FakeSource final : public FingerprintSource {
 public:
  using Fn = std::function<Result<Measurement>(std::size_t call)>;
  FakeSource(std::string kind, Fn fn) : kind_(std::move(kind)), fn_(std::move(fn)) {}
  // Always measures `bits` (one field "fake").
  explicit FakeSource(BitVector bits, std::string kind = "fake");
  std::string_view kind() const override { return kind_; }
  nlohmann::json params() const override { return nlohmann::json::object(); }
  Result<Measurement> measure() override { return fn_(calls_++); }
  std::size_t calls() const noexcept { return calls_; }

 private:
  std::string kind_;
  Fn fn_;
  std::size_t calls_ = 0;
};

// Builds a source of `kind` from its public parameters (an object; {} = defaults):
//   "numeric"   {}
//   "timing"    {"rounds", "min_rounds", "budget_ms", "bins_per_octave", "bits_per_ratio",
//                "offsets"}
//   "puf-sim"   {"type": "sram"|"arbiter", "device_seed", "noise_seed", "bit_error_rate", "bits",
//                "challenge", "cells", "temperature_c", "temperature_drift", "age_years",
//                "ageing_drift"}   (see hwlock/puf.hpp)
//   "puf-file"  {"path", "bits", "challenge"}
// Errors: fp_unknown_source (kind not registered), fp_bad_params (unknown key, wrong type, range).
Result<std::unique_ptr<FingerprintSource>> make_source(std::string_view kind,
                                                       const nlohmann::json& params = {});

using SourceFactory =
    std::function<Result<std::unique_ptr<FingerprintSource>>(const nlohmann::json& params)>;

// For tests: while alive, make_source(kind, ...) calls `factory` instead of the built-in (or
// registers a new kind). Guards nest; destroy them in reverse order of creation.
class ScopedSourceFactory {
 public:
  ScopedSourceFactory(std::string kind, SourceFactory factory);
  ~ScopedSourceFactory();
  ScopedSourceFactory(const ScopedSourceFactory&) = delete;
  ScopedSourceFactory& operator=(const ScopedSourceFactory&) = delete;

 private:
  std::string kind_;
  SourceFactory previous_;
};

}  // namespace hwlock::fingerprint
