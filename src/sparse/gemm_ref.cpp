// Scalar reference kernels: one running sum per output, in index order.
#include <cassert>

#include "hwlock/sparse.hpp"

namespace hwlock::sparse {

void gemm_nm_ref(std::span<const float> x, std::size_t batch, const NmMatrix& w,
                 std::span<float> y) {
  assert(x.size() == batch * w.cols && y.size() == batch * w.rows);
  const std::size_t n = w.pattern.n, m = w.pattern.m, groups = w.groups();
  for (std::size_t b = 0; b < batch; ++b) {
    const float* xb = x.data() + b * w.cols;
    for (std::size_t o = 0; o < w.rows; ++o) {
      const float* v = w.values.data() + o * groups * n;
      const std::uint8_t* idx = w.indices.data() + o * groups * n;
      float acc = 0.0f;
      for (std::size_t g = 0; g < groups; ++g)
        for (std::size_t k = 0; k < n; ++k) acc += v[g * n + k] * xb[g * m + idx[g * n + k]];
      y[b * w.rows + o] = acc;
    }
  }
}

void gemm_csr_ref(std::span<const float> x, std::size_t batch, const CsrMatrix& w,
                  std::span<float> y) {
  assert(x.size() == batch * w.cols && y.size() == batch * w.rows);
  for (std::size_t b = 0; b < batch; ++b) {
    const float* xb = x.data() + b * w.cols;
    for (std::size_t o = 0; o < w.rows; ++o) {
      float acc = 0.0f;
      for (auto k = w.row_ptr[o]; k < w.row_ptr[o + 1]; ++k) acc += w.values[k] * xb[w.col[k]];
      y[b * w.rows + o] = acc;
    }
  }
}

void gemm_dense_ref(std::span<const float> x, std::size_t batch, std::span<const float> w,
                    std::size_t rows, std::size_t cols, std::span<float> y) {
  assert(x.size() == batch * cols && y.size() == batch * rows && w.size() == rows * cols);
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t o = 0; o < rows; ++o) {
      float acc = 0.0f;
      for (std::size_t i = 0; i < cols; ++i) acc += x[b * cols + i] * w[o * cols + i];
      y[b * rows + o] = acc;
    }
}

}  // namespace hwlock::sparse
