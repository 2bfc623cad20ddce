// Kernel selection: the CPU is probed once; anything without a fast kernel runs the reference.
#include <algorithm>
#include <cassert>
#include <vector>

#include "hwlock/cpu.hpp"
#include "hwlock/sparse.hpp"
#include "sparse_internal.hpp"

namespace hwlock::sparse {
namespace {

constexpr std::size_t kLanes = 16;

// X [batch][cols] -> XT, tile-major (sparse_internal.hpp): tiles of 64 lanes, padding zero.
std::vector<float> transpose_in(std::span<const float> x, std::size_t batch, std::size_t cols,
                                std::size_t ld) {
  std::vector<float> xt(cols * ld, 0.0f);
  constexpr std::size_t kTile = 64;
  for (std::size_t t0 = 0; t0 < ld; t0 += kTile) {
    const std::size_t lanes = std::min(kTile, ld - t0);
    float* tile = xt.data() + t0 * cols;
    for (std::size_t b = t0; b < std::min(batch, t0 + lanes); ++b)
      for (std::size_t i = 0; i < cols; ++i) tile[i * lanes + (b - t0)] = x[b * cols + i];
  }
  return xt;
}

void transpose_out(const std::vector<float>& yt, std::size_t batch, std::size_t rows,
                   std::size_t ld, std::span<float> y) {
  constexpr std::size_t kBlock = 32;
  for (std::size_t b0 = 0; b0 < batch; b0 += kBlock)
    for (std::size_t o0 = 0; o0 < rows; o0 += kBlock)
      for (std::size_t b = b0; b < std::min(batch, b0 + kBlock); ++b)
        for (std::size_t o = o0; o < std::min(rows, o0 + kBlock); ++o)
          y[b * rows + o] = yt[o * ld + b];
}

}  // namespace

Isa detected_isa() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  const auto& f = fingerprint::host_cpu_features();
  return f.x86_avx512f && f.x86_fma ? Isa::avx512f : Isa::scalar;
#else
  return Isa::scalar;
#endif
}

const char* isa_name(Isa isa) noexcept {
  return isa == Isa::avx512f ? "avx512f" : "scalar";
}

void gemm_nm(std::span<const float> x, std::size_t batch, const NmMatrix& w, std::span<float> y) {
  assert(x.size() == batch * w.cols && y.size() == batch * w.rows);
#if defined(HWLOCK_SPARSE_AVX512)
  if (detected_isa() == Isa::avx512f && w.rows > 0 && w.cols > 0) {
    // The batch-vectorised kernel pads the batch to 16 lanes, so its cost is flat from 1 to 16
    // examples, while the rows kernel's grows with every example: bench_sparse put the crossover
    // near 4 examples for 2:4 and below 2 for 1:4 (docs/PERFORMANCE.md, "Sparse GEMM").
    const std::size_t xt_min_batch = w.pattern.n == 1 ? 2 : 4;
    if (batch >= xt_min_batch) {
      const std::size_t ld = (batch + kLanes - 1) / kLanes * kLanes;
      const auto xt = transpose_in(x, batch, w.cols, ld);
      std::vector<float> yt(w.rows * ld);
      detail::gemm_nm_xt_avx512(xt.data(), ld, w.values.data(), w.indices.data(), w.rows,
                                w.groups(), w.pattern.n, w.pattern.m, yt.data());
      transpose_out(yt, batch, w.rows, ld, y);
      return;
    }
    if (detail::gemm_nm_rows_avx512(x.data(), batch, w.values.data(), w.indices.data(), w.rows,
                                    w.cols, w.pattern.n, w.pattern.m, y.data()))
      return;
  }
#endif
  gemm_nm_ref(x, batch, w, y);
}

void gemm_csr(std::span<const float> x, std::size_t batch, const CsrMatrix& w, std::span<float> y) {
  assert(x.size() == batch * w.cols && y.size() == batch * w.rows);
#if defined(HWLOCK_SPARSE_AVX512)
  // Below 16 rows of X the reference's scalar loop is already the right shape (a few nonzeros per
  // output at the sparsities CSR is for); above, vectorise over the batch.
  if (detected_isa() == Isa::avx512f && batch >= kLanes && w.rows > 0 && w.cols > 0) {
    const std::size_t ld = (batch + kLanes - 1) / kLanes * kLanes;
    const auto xt = transpose_in(x, batch, w.cols, ld);
    std::vector<float> yt(w.rows * ld);
    detail::gemm_csr_xt_avx512(xt.data(), ld, w.cols, w.row_ptr.data(), w.col.data(),
                               w.values.data(), w.rows, yt.data());
    transpose_out(yt, batch, w.rows, ld, y);
    return;
  }
#endif
  gemm_csr_ref(x, batch, w, y);
}

}  // namespace hwlock::sparse
