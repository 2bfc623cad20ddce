// Internal helpers shared by the numfmt sources; not installed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "hwlock/numfmt.hpp"

namespace hwlock::numfmt::detail {

// |x| = sig * 2^exp exactly, sig < 2^24; sig == 0 for +-0. Only for finite x.
struct Magnitude {
  std::uint32_t sig = 0;
  int exp = 0;
};
Magnitude magnitude(float x) noexcept;
int floor_log2(Magnitude m) noexcept;  // m.sig != 0

// sig * 2^(exp - q) rounded to an integer n under `mode`; values >= 2^62 come back as 2^62.
// Ties go to the n whose code `n + code_offset` is even (the offset matters only for formats
// without mantissa bits, where the exponent field holds the code's last bit).
struct Rounded {
  std::uint64_t n = 0;
  bool inexact = false;
};
Rounded round_at(Magnitude m, int q, Rounding mode, std::uint32_t random,
                 std::uint64_t code_offset = 0) noexcept;

// v * 2^e rounded once to fp32 (v exact in double).
float to_float_scaled(double v, int e) noexcept;

Encoded encode_minifloat(const ElementType& t, float x, int scale_exp, Rounding mode, bool saturate,
                         std::uint32_t random) noexcept;
float decode_minifloat(const ElementType& t, std::uint32_t code, int scale_exp) noexcept;
Encoded encode_twos_int(const ElementType& t, float x, int scale_exp, Rounding mode,
                        std::uint32_t random) noexcept;
float decode_twos_int(const ElementType& t, std::uint32_t code, int scale_exp) noexcept;
Encoded encode_log(const ElementType& t, float x, int scale_exp, Rounding mode,
                   std::uint32_t random) noexcept;
float decode_log(const ElementType& t, std::uint32_t code, int scale_exp) noexcept;

// Tensor-level quantisers; shapes and spec are already validated, q.codes sized.
void quantize_tensor_scaled(std::span<const float> in, QuantizedTensor& q, QuantStats* stats);
void dequantize_tensor_scaled(const QuantizedTensor& q, std::span<float> out);
void quantize_block_scaled(std::span<const float> in, QuantizedTensor& q, QuantStats* stats);
void dequantize_block_scaled(const QuantizedTensor& q, std::span<float> out);

// Vector kernels (fake_quantize_avx2.cpp, compiled with -mavx2 -mf16c -mfma): bf16 and fp16 with
// rne and IEEE overflow, bit-identical to the reference. They process whole groups of 8 and return
// how many elements they did; the caller finishes the tail. Call only when the CPU has AVX2 + F16C.
std::size_t fake_quantize_bf16_avx2(const float* in, float* out, std::size_t n) noexcept;
std::size_t fake_quantize_fp16_f16c(const float* in, float* out, std::size_t n) noexcept;
// fake_quantize_q8_avx2.cpp (same flags): the default specs of int8 (per-tensor symmetric, over
// the whole n-element tensor), mxint8 (rows x cols, blocks of 32 along each row) and fp8-e4m3.
// They do every element, non-finite inputs and short tails included.
void fake_quantize_int8_avx2(const float* in, float* out, std::size_t n) noexcept;
void fake_quantize_mxint8_avx2(const float* in, float* out, std::size_t rows,
                               std::size_t cols) noexcept;
void fake_quantize_fp8_e4m3_avx2(const float* in, float* out, std::size_t n) noexcept;

}  // namespace hwlock::numfmt::detail
