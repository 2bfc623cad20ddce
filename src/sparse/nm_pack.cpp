// N:M patterns: parsing, magnitude pruning, compression and its inverse.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <numeric>

#include "hwlock/sparse.hpp"

namespace hwlock::sparse {
namespace {

Status check_pattern(NmPattern p) {
  if (p.n < 1 || p.m < p.n || p.m > kMaxGroup)
    return fail(Errc::model_mismatch, "sparsity pattern " + to_string(p) +
                                          ": need 1 <= N <= M <= " + std::to_string(kMaxGroup));
  return {};
}

Status check_dense(std::size_t size, std::size_t rows, std::size_t cols, NmPattern p) {
  HWLOCK_TRY(check_pattern(p));
  if (rows != 0 && cols > size / rows)
    return fail(Errc::model_mismatch, "dense matrix: " + std::to_string(size) +
                                          " values do not hold " + std::to_string(rows) + " x " +
                                          std::to_string(cols));
  if (size != rows * cols)
    return fail(Errc::model_mismatch, "dense matrix: " + std::to_string(size) +
                                          " values, expected " + std::to_string(rows) + " x " +
                                          std::to_string(cols));
  if (cols % p.m != 0)
    return fail(Errc::model_mismatch,
                "sparsity pattern " + to_string(p) + ": " + std::to_string(cols) +
                    " input columns are not a multiple of " + std::to_string(p.m));
  return {};
}

}  // namespace

std::string to_string(NmPattern p) {
  return std::to_string(p.n) + ":" + std::to_string(p.m);
}

Result<NmPattern> parse_nm(std::string_view text) {
  const auto colon = text.find(':');
  unsigned n = 0, m = 0;
  const auto bad = [&] {
    return fail(Errc::model_mismatch,
                "sparsity pattern \"" + std::string(text) + "\": expected N:M such as 2:4");
  };
  if (colon == std::string_view::npos) return bad();
  const auto* b = text.data();
  if (std::from_chars(b, b + colon, n).ptr != b + colon) return bad();
  if (std::from_chars(b + colon + 1, b + text.size(), m).ptr != b + text.size()) return bad();
  if (n > 255 || m > 255) return bad();
  const NmPattern p{static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(m)};
  HWLOCK_TRY(check_pattern(p));
  return p;
}

Result<std::vector<float>> prune_nm(std::span<const float> dense, std::size_t rows,
                                    std::size_t cols, NmPattern p) {
  HWLOCK_TRY(check_dense(dense.size(), rows, cols, p));
  std::vector<float> out(dense.size(), 0.0f);
  std::array<std::uint8_t, kMaxGroup> order{};
  for (std::size_t g = 0; g < dense.size(); g += p.m) {
    std::iota(order.begin(), order.begin() + p.m, std::uint8_t{0});
    // Stable: equal magnitudes keep the lower index first.
    std::stable_sort(order.begin(), order.begin() + p.m, [&](std::uint8_t a, std::uint8_t b) {
      return std::fabs(dense[g + a]) > std::fabs(dense[g + b]);
    });
    for (std::size_t k = 0; k < p.n; ++k) out[g + order[k]] = dense[g + order[k]];
  }
  return out;
}

Result<NmMatrix> pack_nm(std::span<const float> dense, std::size_t rows, std::size_t cols,
                         NmPattern p) {
  HWLOCK_TRY(check_dense(dense.size(), rows, cols, p));
  NmMatrix w;
  w.pattern = p;
  w.rows = rows;
  w.cols = cols;
  w.values.assign(rows * w.slots_per_row(), 0.0f);
  w.indices.assign(w.values.size(), 0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t g = 0; g < w.groups(); ++g) {
      const float* in = dense.data() + r * cols + g * p.m;
      const std::size_t slot0 = (r * w.groups() + g) * p.n;
      std::size_t nz = 0;
      for (std::size_t i = 0; i < p.m; ++i) nz += in[i] != 0.0f;
      if (nz > p.n)
        return fail(Errc::model_mismatch, "matrix is not " + to_string(p) + " sparse: row " +
                                              std::to_string(r) + ", group " + std::to_string(g) +
                                              " (columns " + std::to_string(g * p.m) + ".." +
                                              std::to_string(g * p.m + p.m - 1) + ") holds " +
                                              std::to_string(nz) + " nonzeros");
      // Nonzeros plus the first zeros to fill n slots, kept in position order.
      std::size_t pad = p.n - nz, k = 0;
      for (std::size_t i = 0; i < p.m && k < p.n; ++i) {
        const bool keep = in[i] != 0.0f || (pad > 0 && (--pad, true));
        if (!keep) continue;
        w.values[slot0 + k] = in[i] != 0.0f ? in[i] : 0.0f;
        w.indices[slot0 + k] = static_cast<std::uint8_t>(i);
        ++k;
      }
    }
  }
  return w;
}

Status validate(const NmMatrix& w) {
  HWLOCK_TRY(check_pattern(w.pattern));
  if (w.cols % w.pattern.m != 0)
    return fail(Errc::model_mismatch, "N:M matrix: columns not a multiple of M");
  if (w.rows != 0 && w.slots_per_row() > w.values.max_size() / w.rows)
    return fail(Errc::model_mismatch, "N:M matrix: size overflows");
  const std::size_t slots = w.rows * w.slots_per_row();
  if (w.values.size() != slots || w.indices.size() != slots)
    return fail(Errc::model_mismatch, "N:M matrix: " + std::to_string(w.values.size()) +
                                          " values and " + std::to_string(w.indices.size()) +
                                          " indices, expected " + std::to_string(slots));
  for (std::size_t s = 0; s < slots; s += w.pattern.n)
    for (std::size_t k = 0; k < w.pattern.n; ++k) {
      const auto idx = w.indices[s + k];
      if (idx >= w.pattern.m || (k > 0 && idx <= w.indices[s + k - 1]))
        return fail(Errc::model_mismatch, "N:M matrix: group " + std::to_string(s / w.pattern.n) +
                                              ": indices out of range or not increasing");
    }
  return {};
}

std::vector<float> unpack(const NmMatrix& w) {
  std::vector<float> dense(w.rows * w.cols, 0.0f);
  const std::size_t groups = w.rows * w.groups();
  for (std::size_t g = 0; g < groups; ++g)
    for (std::size_t k = 0; k < w.pattern.n; ++k) {
      const float v = w.values[g * w.pattern.n + k];
      if (v != 0.0f) dense[g * w.pattern.m + w.indices[g * w.pattern.n + k]] = v;
    }
  return dense;
}

}  // namespace hwlock::sparse
