// CSR compression for unstructured sparsity.
#include <cstdint>
#include <limits>

#include "hwlock/sparse.hpp"

namespace hwlock::sparse {

Result<CsrMatrix> pack_csr(std::span<const float> dense, std::size_t rows, std::size_t cols) {
  if ((rows != 0 && cols > dense.size() / rows) || dense.size() != rows * cols)
    return fail(Errc::model_mismatch, "dense matrix: " + std::to_string(dense.size()) +
                                          " values, expected " + std::to_string(rows) + " x " +
                                          std::to_string(cols));
  if (cols > std::numeric_limits<std::uint32_t>::max())
    return fail(Errc::model_mismatch, "CSR matrix: more than 2^32 - 1 columns");
  CsrMatrix w;
  w.rows = rows;
  w.cols = cols;
  w.row_ptr.reserve(rows + 1);
  w.row_ptr.push_back(0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const float v = dense[r * cols + c];
      if (v == 0.0f) continue;
      w.col.push_back(static_cast<std::uint32_t>(c));
      w.values.push_back(v);
    }
    w.row_ptr.push_back(w.values.size());
  }
  return w;
}

Status validate(const CsrMatrix& w) {
  if (w.row_ptr.size() != w.rows + 1 || w.row_ptr.front() != 0 ||
      w.row_ptr.back() != w.values.size() || w.col.size() != w.values.size())
    return fail(Errc::model_mismatch, "CSR matrix: row pointers do not match the entries");
  for (std::size_t r = 0; r < w.rows; ++r) {
    if (w.row_ptr[r + 1] < w.row_ptr[r])
      return fail(Errc::model_mismatch,
                  "CSR matrix: row " + std::to_string(r) + " ends before it starts");
    for (auto k = w.row_ptr[r]; k < w.row_ptr[r + 1]; ++k)
      if (w.col[k] >= w.cols || (k > w.row_ptr[r] && w.col[k] <= w.col[k - 1]))
        return fail(Errc::model_mismatch, "CSR matrix: row " + std::to_string(r) +
                                              ": columns out of range or not increasing");
  }
  return {};
}

std::vector<float> unpack(const CsrMatrix& w) {
  std::vector<float> dense(w.rows * w.cols, 0.0f);
  for (std::size_t r = 0; r < w.rows; ++r)
    for (auto k = w.row_ptr[r]; k < w.row_ptr[r + 1]; ++k)
      dense[r * w.cols + w.col[k]] = w.values[k];
  return dense;
}

}  // namespace hwlock::sparse
