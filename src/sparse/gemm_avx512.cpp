// AVX-512F sparse GEMM kernels. Compiled with -mavx512f -mfma and only called after
// detected_isa() says so (gemm_dispatch.cpp).
//
// This file deliberately includes no project or library header: an inline function instantiated
// here would be compiled with AVX-512 and the linker could keep that copy for the whole program,
// breaking CPUs without it. The declarations match sparse_internal.hpp (a mismatch fails to link).
//
// Two shapes of kernel:
//  * "xt" kernels vectorise over the batch: X is transposed to XT in tiles of 64 batch lanes (the
//    last tile 16, 32 or 48), each tile a contiguous [cols][lanes] block (padding lanes zero; one
//    row stride per tile keeps L1 free of the set conflicts a 1 KiB stride causes), and every kept
//    weight w[o, i] does YT[o, :] += w * XT[i, :], i.e. one broadcast and one load-FMA per 16 batch
//    lanes. No shuffles: the load ports, not port 5, bound it, which is what lets N:M skip work
//    that a dense GEMM must do.
//  * "rows" kernel for small batches (< 16): 16 kept weights of a row at a time, the matching
//    inputs picked out of a window of X with a permute (window <= 32 floats) or a gather.
// GCC 12 reports the _mm512_undefined_*() placeholders inside its own intrinsics as
// maybe-uninitialized once inlined (a false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace hwlock::sparse::detail {

void gemm_nm_xt_avx512(const float* xt, std::size_t ld, const float* values,
                       const std::uint8_t* indices, std::size_t rows, std::size_t groups,
                       unsigned n, unsigned m, float* yt) noexcept;
void gemm_csr_xt_avx512(const float* xt, std::size_t ld, std::size_t cols,
                        const std::uint64_t* row_ptr, const std::uint32_t* col, const float* values,
                        std::size_t rows, float* yt) noexcept;
bool gemm_nm_rows_avx512(const float* x, std::size_t batch, const float* values,
                         const std::uint8_t* indices, std::size_t rows, std::size_t cols,
                         unsigned n, unsigned m, float* y) noexcept;

namespace {

constexpr std::size_t kL1Floats = 6 * 1024;  // 24 KiB of XT per block: half of a 48 KiB L1

// Two output rows x T vectors of 16 batch lanes: 2T independent accumulators.
template <int T>
void nm_xt_tile(const float* xt, std::size_t ld, std::size_t t0, const float* v0, const float* v1,
                const std::uint8_t* i0, const std::uint8_t* i1, std::size_t g0, std::size_t g1,
                unsigned n, unsigned m, float* y0, float* y1) noexcept {
  __m512 a0[T], a1[T];
#pragma GCC unroll 4
  for (int t = 0; t < T; ++t) {
    a0[t] = g0 == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(y0 + t0 + 16 * t);
    a1[t] = g0 == 0 || y1 == nullptr ? _mm512_setzero_ps() : _mm512_loadu_ps(y1 + t0 + 16 * t);
  }
  for (std::size_t g = g0; g < g1; ++g) {
    const float* xg = xt + g * m * ld;
    for (unsigned k = 0; k < n; ++k) {
      const std::size_t s = g * n + k;
      const __m512 w0 = _mm512_set1_ps(v0[s]);
      const __m512 w1 = _mm512_set1_ps(v1[s]);
      const float* x0 = xg + i0[s] * ld;
      const float* x1 = xg + i1[s] * ld;
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) {
        a0[t] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x0 + 16 * t), a0[t]);
        a1[t] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x1 + 16 * t), a1[t]);
      }
    }
  }
#pragma GCC unroll 4
  for (int t = 0; t < T; ++t) {
    _mm512_storeu_ps(y0 + t0 + 16 * t, a0[t]);
    if (y1 != nullptr) _mm512_storeu_ps(y1 + t0 + 16 * t, a1[t]);
  }
}

template <int T>
void nm_xt_all_rows(const float* xt, std::size_t ld, std::size_t t0, const float* values,
                    const std::uint8_t* indices, std::size_t rows, std::size_t groups, unsigned n,
                    unsigned m, float* yt) noexcept {
  const std::size_t spr = groups * n;
  const float* xtile = xt + t0 * groups * m;  // this tile's [cols][16 T] block of XT
  // Blocks of inputs small enough that their XT rows (T x 64 bytes each) stay in L1 while every
  // output row streams past them.
  const std::size_t fit = kL1Floats / (16 * T) / m, block = fit > 0 ? fit : 1;
  for (std::size_t g0 = 0; g0 < groups; g0 += block) {
    const std::size_t g1 = groups - g0 < block ? groups : g0 + block;
    for (std::size_t o = 0; o < rows; o += 2) {
      const bool pair = o + 1 < rows;
      const std::size_t o1 = pair ? o + 1 : o;  // an odd last row runs twice, stored once
      nm_xt_tile<T>(xtile, 16 * T, t0, values + o * spr, values + o1 * spr, indices + o * spr,
                    indices + o1 * spr, g0, g1, n, m, yt + o * ld, pair ? yt + o1 * ld : nullptr);
    }
  }
}

template <int T>
void csr_xt_row(const float* xt, std::size_t ld, std::size_t t0, std::uint64_t begin,
                std::uint64_t end, const std::uint32_t* col, const float* values,
                float* y) noexcept {
  __m512 a[2][T];
#pragma GCC unroll 4
  for (int t = 0; t < T; ++t) a[0][t] = a[1][t] = _mm512_setzero_ps();
  std::uint64_t k = begin;
  for (; k + 2 <= end; k += 2)
#pragma GCC unroll 4
    for (int p = 0; p < 2; ++p) {
      const __m512 w = _mm512_set1_ps(values[k + p]);
      const float* x = xt + std::size_t{col[k + p]} * ld;
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t)
        a[p][t] = _mm512_fmadd_ps(w, _mm512_loadu_ps(x + 16 * t), a[p][t]);
    }
  if (k < end) {
    const __m512 w = _mm512_set1_ps(values[k]);
    const float* x = xt + std::size_t{col[k]} * ld;
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) a[0][t] = _mm512_fmadd_ps(w, _mm512_loadu_ps(x + 16 * t), a[0][t]);
  }
#pragma GCC unroll 4
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(y + t0 + 16 * t, _mm512_add_ps(a[0][t], a[1][t]));
}

// Batch rows [b0, b0 + B) of the small-batch kernel; W = 16 m / n inputs per 16 kept weights.
template <int B>
void nm_rows_block(const float* x, std::size_t b0, const float* values, const std::uint8_t* indices,
                   std::size_t rows, std::size_t cols, unsigned n, unsigned m, float* y) noexcept {
  const std::size_t spr = cols / m * n, full = spr / 16 * 16;
  const unsigned width = 16 * m / n;
  alignas(64) std::int32_t offs[16];
  for (unsigned j = 0; j < 16; ++j) offs[j] = static_cast<std::int32_t>(j / n * m);
  const __m512i lane_off = _mm512_load_si512(offs);
  const __mmask16 lo_mask = static_cast<__mmask16>(width >= 16 ? 0xFFFFu : (1u << width) - 1);
  const __mmask16 hi_mask = static_cast<__mmask16>(width <= 16   ? 0u
                                                   : width >= 32 ? 0xFFFFu
                                                                 : (1u << (width - 16)) - 1);
  for (std::size_t o = 0; o < rows; ++o) {
    const float* v = values + o * spr;
    const std::uint8_t* id = indices + o * spr;
    __m512 acc[B][2];
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) acc[b][0] = acc[b][1] = _mm512_setzero_ps();
    for (std::size_t c = 0; c < full; c += 16) {
      const __m512 w = _mm512_loadu_ps(v + c);
      const __m512i idx = _mm512_add_epi32(
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(id + c))),
          lane_off);
      const std::size_t win = c / n * m;
      const int p = static_cast<int>((c / 16) & 1);
#pragma GCC unroll 4
      for (int b = 0; b < B; ++b) {
        const float* xw = x + (b0 + static_cast<std::size_t>(b)) * cols + win;
        __m512 xv;
        if (width <= 16) {
          xv = _mm512_permutexvar_ps(idx, _mm512_maskz_loadu_ps(lo_mask, xw));
        } else if (width <= 32) {
          xv = _mm512_permutex2var_ps(_mm512_loadu_ps(xw), idx,
                                      _mm512_maskz_loadu_ps(hi_mask, xw + 16));
        } else {
          xv = _mm512_i32gather_ps(idx, xw, 4);
        }
        acc[b][p] = _mm512_fmadd_ps(w, xv, acc[b][p]);
      }
    }
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) {
      const float* xb = x + (b0 + static_cast<std::size_t>(b)) * cols;
      float tail = 0.0f;
      for (std::size_t s = full; s < spr; ++s) tail += v[s] * xb[s / n * m + id[s]];
      y[(b0 + static_cast<std::size_t>(b)) * rows + o] =
          _mm512_reduce_add_ps(_mm512_add_ps(acc[b][0], acc[b][1])) + tail;
    }
  }
}

}  // namespace

void gemm_nm_xt_avx512(const float* xt, std::size_t ld, const float* values,
                       const std::uint8_t* indices, std::size_t rows, std::size_t groups,
                       unsigned n, unsigned m, float* yt) noexcept {
  std::size_t t0 = 0;
  for (; t0 + 64 <= ld; t0 += 64)
    nm_xt_all_rows<4>(xt, ld, t0, values, indices, rows, groups, n, m, yt);
  switch ((ld - t0) / 16) {
    case 3:
      nm_xt_all_rows<3>(xt, ld, t0, values, indices, rows, groups, n, m, yt);
      break;
    case 2:
      nm_xt_all_rows<2>(xt, ld, t0, values, indices, rows, groups, n, m, yt);
      break;
    case 1:
      nm_xt_all_rows<1>(xt, ld, t0, values, indices, rows, groups, n, m, yt);
      break;
    default:
      break;
  }
}

void gemm_csr_xt_avx512(const float* xt, std::size_t ld, std::size_t cols,
                        const std::uint64_t* row_ptr, const std::uint32_t* col, const float* values,
                        std::size_t rows, float* yt) noexcept {
  for (std::size_t o = 0; o < rows; ++o) {
    const auto b = row_ptr[o], e = row_ptr[o + 1];
    float* y = yt + o * ld;
    std::size_t t0 = 0;
    for (; t0 + 64 <= ld; t0 += 64) csr_xt_row<4>(xt + t0 * cols, 64, t0, b, e, col, values, y);
    switch ((ld - t0) / 16) {
      case 3:
        csr_xt_row<3>(xt + t0 * cols, 48, t0, b, e, col, values, y);
        break;
      case 2:
        csr_xt_row<2>(xt + t0 * cols, 32, t0, b, e, col, values, y);
        break;
      case 1:
        csr_xt_row<1>(xt + t0 * cols, 16, t0, b, e, col, values, y);
        break;
      default:
        break;
    }
  }
}

bool gemm_nm_rows_avx512(const float* x, std::size_t batch, const float* values,
                         const std::uint8_t* indices, std::size_t rows, std::size_t cols,
                         unsigned n, unsigned m, float* y) noexcept {
  if (16 % n != 0) return false;  // 16 kept weights must cover whole groups
  std::size_t b = 0;
  for (; b + 4 <= batch; b += 4) nm_rows_block<4>(x, b, values, indices, rows, cols, n, m, y);
  switch (batch - b) {
    case 3:
      nm_rows_block<3>(x, b, values, indices, rows, cols, n, m, y);
      break;
    case 2:
      nm_rows_block<2>(x, b, values, indices, rows, cols, n, m, y);
      break;
    case 1:
      nm_rows_block<1>(x, b, values, indices, rows, cols, n, m, y);
      break;
    default:
      break;
  }
  return true;
}

}  // namespace hwlock::sparse::detail
