// hwlock/numfmt.hpp — number formats: one traits table, format specs, bit-exact fake quantisation.
//
// Soft locks make a model accurate only when run in an authorised number format, so every format
// here is emulated bit for bit: the same fp32 input and FormatSpec give the same codes and the same
// dequantised fp32 values on every machine. `kFormats` is the single source of truth; the CLI's
// `--format`, the workbench and the tests all read it.
//
// Format strings (`parse_format`, `format_name`): NAME[:OPTION]..., case-insensitive, e.g.
//   fp16                bf16:sat              fp8-e4m3:nosat:rtz
//   int8:per-channel    int4:affine:sr=42     mxfp4          fixed:q3.12
//   bfp:e2m3:b16:s8     log8
// Options, each accepted only where it means something and at most once per group:
//   qM.N                       fixed: M integer bits (sign not counted), N fraction bits; 1+M+N
//                              in 2..32 (default q7.8)
//   eXmY, bN, sK               bfp: element exponent/mantissa bits (X <= 5, Y <= 10), block size
//                              (1..4096), shared-exponent bits (2..8); defaults e0m7, b16, s8
//   per-tensor | per-channel   int8/int4 scale granularity (default per-tensor)
//   symmetric | affine         int8/int4 mapping (default symmetric)
//   sat | nosat                overflow policy of fp16/bf16/fp8-*; defaults: IEEE (nosat) for
//                              fp16/bf16, saturating for fp8 as ML casts do
//   rne | rtz | sr | sr=SEED   rounding (default rne); SEED is a decimal uint64 (default 0)
// `format_name` prints lower case, only non-default options, in the order above, so
// parse_format(format_name(s)) == s for every valid spec and format_name is canonical.
//
// Tensor layout: a tensor is viewed as `rows x cols` with cols = its last dimension. Per-channel
// scales are per row (output channel of a [out, in, ...] weight); blocks run along each row,
// `block_size` consecutive elements, the last block of a row possibly shorter.
//
// Scale rules (all arithmetic fp32, IEEE, round to nearest even, no FMA contraction):
// - int symmetric: scale = absmax / qmax (qmax 127 or 7), q = clamp(round(x / scale), -qmax, qmax),
//   value = q * scale. absmax is over finite inputs; scale 0 falls back to 1.
// - int affine: lo = min(0, min), hi = max(0, max) over finite inputs, scale = (hi - lo) / qmax
//   (255 or 15), zp = clamp(rne(-lo / scale), 0, qmax), q = clamp(round(x / scale) + zp, 0, qmax),
//   value = (q - zp) * scale.
// - block (MX, bfp): X = floor(log2(amax)) - emax_elem, taken exactly from fp32 exponent bits
//   (amax = 0 counts as 2^-126, as in the OCP reference code). With bias_s = 2^(scale_bits-1) - 1
//   (127 for E8M0) the scale code is X + bias_s; X below -bias_s clamps up, above +bias_s the
//   block is NaN, and any NaN/inf in a block makes the block NaN (scale code all ones).
//   Elements are x * 2^-X rounded once and saturated to the element's max finite value.
// - fixed, log8, fp*: no scale.
// NaN inputs of int formats give q = 0 (or zp) i.e. value 0, flagged `kInvalid`.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hwlock/error.hpp"
#include "hwlock/numfmt_element.hpp"

namespace hwlock::numfmt {

// clang-format off
enum class Format : std::uint8_t {
  fp32, bf16, fp16, fp8_e4m3, fp8_e5m2, fp8_e3m4,
  int8, int4,
  mxint8, mxfp8_e4m3, mxfp8_e5m2, mxfp6_e2m3, mxfp6_e3m2, mxfp4,
  bfp, log8, fixed,
};
// clang-format on
inline constexpr std::size_t kFormatCount = 17;

enum class Scaling : std::uint8_t {
  none,    // each code stands alone
  tensor,  // fp32 scale (and zero point if affine) per tensor or per channel
  block,   // power-of-two shared exponent per block of `block_size` elements
};

struct FormatTraits {
  Format format;
  std::string_view name;  // --format spelling
  ElementType element;    // default element (bfp, fixed: overridable by options)
  Scaling scaling;
  std::uint16_t block_size;  // block scaling: elements per shared exponent; else 0
  std::uint8_t scale_bits;   // block scaling: shared-exponent bits (8 = E8M0); else 0
  bool saturate_default;     // overflow policy when no sat/nosat option is given
  bool has_saturate_option;  // accepts sat / nosat
  std::string_view summary;
};

// clang-format off
inline constexpr std::array<FormatTraits, kFormatCount> kFormats{{
  {Format::fp32,       "fp32",       kFp32,    Scaling::none,   0,  0, false, false, "IEEE binary32 (identity)"},
  {Format::bf16,       "bf16",       kBf16,    Scaling::none,   0,  0, false, true,  "bfloat16"},
  {Format::fp16,       "fp16",       kFp16,    Scaling::none,   0,  0, false, true,  "IEEE binary16"},
  {Format::fp8_e4m3,   "fp8-e4m3",   kFp8E4M3, Scaling::none,   0,  0, true,  true,  "OCP FP8 E4M3, max 448, no inf"},
  {Format::fp8_e5m2,   "fp8-e5m2",   kFp8E5M2, Scaling::none,   0,  0, true,  true,  "OCP FP8 E5M2, max 57344"},
  {Format::fp8_e3m4,   "fp8-e3m4",   kFp8E3M4, Scaling::none,   0,  0, true,  true,  "FP8 E3M4 (ml_dtypes), max 15.5"},
  {Format::int8,       "int8",       kInt8,    Scaling::tensor, 0,  0, true,  false, "8-bit integer, fp32 scale"},
  {Format::int4,       "int4",       kInt4,    Scaling::tensor, 0,  0, true,  false, "4-bit integer, fp32 scale"},
  {Format::mxint8,     "mxint8",     kMxInt8,  Scaling::block,  32, 8, true,  false, "OCP MX INT8"},
  {Format::mxfp8_e4m3, "mxfp8-e4m3", kFp8E4M3, Scaling::block,  32, 8, true,  false, "OCP MX FP8 E4M3"},
  {Format::mxfp8_e5m2, "mxfp8-e5m2", kFp8E5M2, Scaling::block,  32, 8, true,  false, "OCP MX FP8 E5M2"},
  {Format::mxfp6_e2m3, "mxfp6-e2m3", kFp6E2M3, Scaling::block,  32, 8, true,  false, "OCP MX FP6 E2M3"},
  {Format::mxfp6_e3m2, "mxfp6-e3m2", kFp6E3M2, Scaling::block,  32, 8, true,  false, "OCP MX FP6 E3M2"},
  {Format::mxfp4,      "mxfp4",      kFp4E2M1, Scaling::block,  32, 8, true,  false, "OCP MX FP4 E2M1"},
  {Format::bfp,        "bfp",        minifloat_element(0, 7), Scaling::block, 16, 8, true, false,
                                                                         "block minifloat / block floating point"},
  {Format::log8,       "log8",       kLog8,    Scaling::none,   0,  0, true,  false, "sign + 7-bit log2 (3 fraction bits)"},
  {Format::fixed,      "fixed",      fixed_element(7, 8), Scaling::none, 0, 0, true, false, "fixed point Qm.n"},
}};
// clang-format on
static_assert(
    [] {
      for (std::size_t i = 0; i < kFormats.size(); ++i)
        if (static_cast<std::size_t>(kFormats[i].format) != i) return false;
      return true;
    }(),
    "kFormats must be indexed by Format");

constexpr const FormatTraits& traits(Format f) {
  return kFormats[static_cast<std::size_t>(f)];
}
constexpr std::string_view format_base_name(Format f) {
  return traits(f).name;
}
constexpr bool is_block_scaled(Format f) {
  return traits(f).scaling == Scaling::block;
}
constexpr unsigned bits_per_element(Format f) {
  return traits(f).element.bits;
}

enum class Granularity : std::uint8_t { per_tensor, per_channel };

// A format with its parameters. Build with default_spec() or parse_format(); check hand-made
// ones with validate().
struct FormatSpec {
  Format format = Format::fp32;
  ElementType element = kFp32;  // bfp and fixed carry their parameters here
  Rounding rounding = Rounding::nearest_even;
  std::uint64_t seed = 0;  // stochastic rounding only
  bool saturate = false;
  Granularity granularity = Granularity::per_tensor;  // int8/int4
  bool affine = false;                                // int8/int4
  std::uint16_t block_size = 0;                       // block formats
  std::uint8_t scale_bits = 0;                        // block formats

  friend bool operator==(const FormatSpec&, const FormatSpec&) = default;
};

constexpr FormatSpec default_spec(Format f) {
  const FormatTraits& t = traits(f);
  FormatSpec s;
  s.format = f;
  s.element = t.element;
  s.saturate = t.saturate_default;
  s.block_size = t.block_size;
  s.scale_bits = t.scale_bits;
  return s;
}

// Errc::usage with a message naming the offending token.
Result<FormatSpec> parse_format(std::string_view text);
std::string format_name(const FormatSpec& spec);
Status validate(const FormatSpec& spec);

// Stored bits per element including the amortised shared exponent of block formats (per-tensor
// and per-channel fp32 scales depend on the shape and are not counted).
double storage_bits_per_element(const FormatSpec& spec);

struct TensorShape {
  std::size_t rows = 1;
  std::size_t cols = 0;  // the last dimension
  constexpr std::size_t size() const { return rows * cols; }
};

// Number of scale groups: 1 per tensor, `rows` per channel, rows * ceil(cols / block) blocks; 0 for
// unscaled formats.
std::size_t group_count(const FormatSpec& spec, TensorShape shape);

// Flag counts over a tensor (see the k* flags in numfmt_element.hpp).
struct QuantStats {
  std::uint64_t inexact = 0, underflow = 0, saturated = 0, overflow = 0, invalid = 0;
  void add(std::uint8_t flags) noexcept;
};

struct QuantizedTensor {
  FormatSpec spec;
  TensorShape shape;
  std::vector<std::uint32_t> codes;       // one per element, low element.bits bits
  std::vector<float> scales;              // Scaling::tensor: one per group
  std::vector<std::int32_t> zero_points;  // Scaling::tensor and affine: one per group
  std::vector<std::uint8_t> scale_codes;  // Scaling::block: X + bias_s per block, all ones = NaN
};

// Reference quantiser. Fails (Errc::usage) on an invalid spec; in.size() must equal shape.size()
// (Errc::internal otherwise). Stochastic rounding of element i uses stochastic_bits(seed, i).
Result<QuantizedTensor> quantize_ref(const FormatSpec& spec, std::span<const float> in,
                                     TensorShape shape, QuantStats* stats = nullptr);
Status dequantize_ref(const QuantizedTensor& q, std::span<float> out);
// dequantize_ref(quantize_ref(in)) in one pass. `out` may alias `in` exactly (in place).
Status fake_quantize_ref(const FormatSpec& spec, std::span<const float> in, std::span<float> out,
                         TensorShape shape, QuantStats* stats = nullptr);

// Instruction sets with a fast path. detected_isa() is probed once; passing a higher Isa than the
// CPU has is clamped down, so any value is safe.
enum class Isa : std::uint8_t { scalar = 0, avx2_f16c = 1 };
Isa detected_isa() noexcept;

// Same result as fake_quantize_ref, bit for bit. Vectorised for the default specs of bf16, fp16,
// fp8-e4m3, int8 (per-tensor symmetric) and mxint8 when `isa` allows and no stats are requested;
// every other case (Isa::scalar included) runs the reference.
Status fake_quantize(const FormatSpec& spec, std::span<const float> in, std::span<float> out,
                     TensorShape shape, QuantStats* stats = nullptr, Isa isa = detected_isa());

}  // namespace hwlock::numfmt
