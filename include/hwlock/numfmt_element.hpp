// hwlock/numfmt_element.hpp — bit-exact scalar codecs for one element of a number format.
//
// An element is what one stored code means on its own: an IEEE-like or OCP minifloat, a two's
// complement integer with an implicit power-of-two scale, or a log8 value. Tensor formats
// (numfmt.hpp) add per-tensor, per-channel or per-block scales on top of these codecs.
//
// Contracts shared by every codec:
// - `encode_element_ref(t, x, scale_exp, ...)` returns the code of x * 2^-scale_exp rounded ONCE,
//   exactly (no intermediate float rounding), under the chosen rounding mode. The power-of-two
//   `scale_exp` is how block formats (MX, block floating point) shift a block into element range.
// - `decode_element_ref(t, code, scale_exp)` returns value(code) * 2^scale_exp rounded once to fp32
//   (round to nearest even; only an fp32-subnormal result can be inexact).
// - Rounding acts on the magnitude: nearest-even ties to the even code, toward_zero truncates the
//   magnitude, stochastic rounds the magnitude up with probability floor(frac * 2^32) / 2^32 where
//   frac is the exact discarded fraction; "random" is 32 caller-supplied bits, normally
//   `stochastic_bits(seed, element_index)`, so results are a pure function of (seed, index).
// - NaN: IEEE kinds keep the input's sign, set the quiet bit and keep the top payload bits (what
//   x86 F16C / AVX512-BF16 conversions do); fp32 passes NaNs through bit for bit; fn_float gives
//   S.1..1.1..1 with the input's sign; log8 gives 0x80. A NaN into a format without NaN gives
//   code 0 and flag `kInvalid`. Decoding a NaN code gives a quiet fp32 NaN (sign and payload kept).
// - Ties to even means the even CODE (last code bit 0); for floats that is the even mantissa.
// - Overflow: with `saturate`, finite overflow and +-inf clamp to +-max finite (`kSaturated`).
//   Without it, IEEE kinds go to +-inf and `fn_float` to NaN (`kOverflow`), except that
//   toward_zero clamps finite values to max finite as IEEE 754 prescribes. Kinds with neither inf
//   nor NaN (finite_float, twos_int, log) always saturate.
// - Codes occupy the low `bits` bits of a uint32; the sign is the top bit of those (two's
//   complement for twos_int). decode ignores bits above `bits`.
#pragma once

#include <cstdint>

namespace hwlock::numfmt {

enum class Rounding : std::uint8_t {
  nearest_even,  // round to nearest, ties to even (IEEE default; the default everywhere)
  toward_zero,   // truncate the magnitude
  stochastic,    // round the magnitude up with probability = discarded fraction (seeded)
};

enum class ElementKind : std::uint8_t {
  ieee_float,    // exponent all ones: mantissa 0 = +-inf, otherwise NaN (fp32 bf16 fp16 e5m2 e3m4)
  fn_float,      // no inf; only S.1..1.1..1 is NaN, the rest of the top binade is finite (e4m3)
  finite_float,  // every code is finite: no inf, no NaN (fp6 e2m3/e3m2, fp4 e2m1, bfp elements)
  twos_int,      // two's complement integer q, value q * 2^-man_bits (int8/int4, fixed, MXINT8)
  log,           // log8: sign + 7-bit code L, |value| = 2^((L - bias) / 8); L = 0 is zero
};

// Layout of one element. Float kinds: bits = 1 + exp_bits + man_bits, subnormals always present,
// value = (-1)^s * 2^(e - bias) * 1.m (e > 0) or 2^(1 - bias) * 0.m (e = 0). exp_bits may be 0
// (finite_float only): then every code is "subnormal", a sign-magnitude fixed-point number.
struct ElementType {
  ElementKind kind = ElementKind::ieee_float;
  std::uint8_t bits = 32;      // code width including the sign
  std::uint8_t exp_bits = 8;   // floats: exponent field width; otherwise 0
  std::uint8_t man_bits = 23;  // floats: mantissa field; twos_int: fraction bits; log: 3
  std::int16_t bias = 127;     // floats: exponent bias; log: the code L of 1.0
  bool symmetric = false;  // twos_int: clamp to +-(2^(bits-1) - 1), never the most negative code

  friend constexpr bool operator==(const ElementType&, const ElementType&) = default;
};

// Every element type the format table uses, defined once here.
inline constexpr ElementType kFp32{ElementKind::ieee_float, 32, 8, 23, 127, false};
inline constexpr ElementType kBf16{ElementKind::ieee_float, 16, 8, 7, 127, false};
inline constexpr ElementType kFp16{ElementKind::ieee_float, 16, 5, 10, 15, false};
inline constexpr ElementType kFp8E4M3{ElementKind::fn_float, 8, 4, 3, 7, false};     // OCP E4M3
inline constexpr ElementType kFp8E5M2{ElementKind::ieee_float, 8, 5, 2, 15, false};  // OCP E5M2
// E3M4 follows ml_dtypes `float8_e3m4` / LLVM Float8E3M4: IEEE-like (inf and NaN in the top
// binade), bias 3, max finite 15.5, min subnormal 2^-6.
inline constexpr ElementType kFp8E3M4{ElementKind::ieee_float, 8, 3, 4, 3, false};
inline constexpr ElementType kFp6E2M3{ElementKind::finite_float, 6, 2, 3, 1, false};  // OCP MX
inline constexpr ElementType kFp6E3M2{ElementKind::finite_float, 6, 3, 2, 3, false};  // OCP MX
inline constexpr ElementType kFp4E2M1{ElementKind::finite_float, 4, 2, 1, 1, false};  // OCP MX
// MXINT8 element: 8-bit two's complement with implicit scale 2^-6, clamped to +-127/64 like the
// OCP reference implementation (microsoft/microxcaling); code 0x80 (-2.0) is never produced.
inline constexpr ElementType kMxInt8{ElementKind::twos_int, 8, 0, 6, 0, true};
inline constexpr ElementType kInt8{ElementKind::twos_int, 8, 0, 0, 0, true};  // symmetric int8
inline constexpr ElementType kInt4{ElementKind::twos_int, 4, 0, 0, 0, true};  // symmetric int4
inline constexpr ElementType kLog8{ElementKind::log, 8, 0, 3, 64, false};

// Builders for the parametrised element types. Fixed point Qm.n uses the TI convention: m integer
// bits NOT counting the sign, so bits = 1 + m + n and the range is [-2^m, 2^m - 2^-n].
constexpr ElementType fixed_element(unsigned m, unsigned n) {
  return {ElementKind::twos_int,
          static_cast<std::uint8_t>(1 + m + n),
          0,
          static_cast<std::uint8_t>(n),
          0,
          false};
}
// Block-minifloat element with e exponent and m mantissa bits: no inf/NaN (the shared exponent
// carries range), bias 2^(e-1) - 1 (0 when e <= 1). e = 0 is classic block floating point.
constexpr ElementType minifloat_element(unsigned e, unsigned m) {
  return {ElementKind::finite_float,
          static_cast<std::uint8_t>(1 + e + m),
          static_cast<std::uint8_t>(e),
          static_cast<std::uint8_t>(m),
          static_cast<std::int16_t>(e > 1 ? (1 << (e - 1)) - 1 : 0),
          false};
}

// True if the layout is one this library can encode and decode exactly in fp32.
bool is_valid(const ElementType& t) noexcept;

// Largest finite positive code (magnitude field; the sign bit clear).
std::uint32_t max_finite_code(const ElementType& t) noexcept;
// floor(log2(largest finite value)): "emax_elem" of the OCP MX spec (e4m3 8, e5m2 15, e2m1 2,
// MXINT8 0).
int max_exponent(const ElementType& t) noexcept;
bool is_nan_code(const ElementType& t, std::uint32_t code) noexcept;
bool has_inf(const ElementType& t) noexcept;
bool has_nan(const ElementType& t) noexcept;

// Flags describing what happened to one value; OR-able.
enum : std::uint8_t {
  kInexact = 1,    // the value changed (rounding, saturation, overflow)
  kUnderflow = 2,  // a non-zero finite input became zero
  kSaturated = 4,  // clamped to the largest finite magnitude (includes +-inf inputs)
  kOverflow = 8,   // became +-inf or NaN because it was too large
  kInvalid = 16,   // NaN into a format without NaN (code 0), or a value in a NaN-scaled block
};

struct Encoded {
  std::uint32_t code = 0;
  std::uint8_t flags = 0;
};

Encoded encode_element_ref(const ElementType& t, float x, int scale_exp = 0,
                           Rounding mode = Rounding::nearest_even, bool saturate = false,
                           std::uint32_t random = 0) noexcept;
float decode_element_ref(const ElementType& t, std::uint32_t code, int scale_exp = 0) noexcept;

// 32 uniform bits for stochastic rounding of element `index` under `seed`: a counter-based hash
// (SplitMix64 finaliser), so no state is shared and any element can be recomputed alone.
constexpr std::uint32_t stochastic_bits(std::uint64_t seed, std::uint64_t index) noexcept {
  auto mix = [](std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  return static_cast<std::uint32_t>(mix(seed ^ mix(index)) >> 32);
}

}  // namespace hwlock::numfmt
