// hwlock/sparse.hpp — sparse weight formats and GEMM kernels for the sparsity-aware soft lock.
//
// A linear layer's weight W is [out, in] (PyTorch's nn.Linear layout). Every kernel here computes
//   Y[b, o] = sum_i X[b, i] * W[o, i]          (Y = X . W^T; X is [batch, in], Y is [batch, out])
// with all matrices row-major float32 and no bias.
//
// N:M structured sparsity (NmMatrix): along `in`, every group of M consecutive weights of a row
// holds at most N nonzeros (2:4 is the pattern of NVIDIA's sparse tensor cores). The compressed
// form keeps exactly N (value, index) slots per group:
//   values [out][in / M][N]  float32 — the kept weights (0 in slots a sparser group did not need)
//   indices[out][in / M][N]  uint8   — position of each slot inside its group, strictly increasing
// so a 2:4 matrix stores half the values plus one byte per value (0.625 of the dense bytes).
// Padding slots of a group with fewer than N nonzeros take the smallest unused positions.
//
// CSR (CsrMatrix) is for unstructured high sparsity (the paper's 99.95 %): row_ptr[out + 1],
// col[nnz], values[nnz], columns strictly increasing within a row.
//
// Kernels: every `_ref` function is the readable scalar definition, summing in index order. The
// dispatching functions (gemm_nm, gemm_csr) run an AVX-512F kernel when the CPU has it (detected
// once) and the `_ref` twin otherwise. The AVX-512 kernels sum in another order (several partial
// sums, fused multiply-add), so they equal the reference within kGemmTolerance, not bit-exactly.
// Kernels are single-threaded; they never allocate per call except gemm_nm / gemm_csr, which
// transpose X into a scratch buffer when batch >= 16.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hwlock/error.hpp"

namespace hwlock::sparse {

// Keep at most `n` of every `m` consecutive weights along `in`. Valid: 1 <= n <= m <= 64.
struct NmPattern {
  std::uint8_t n = 2;
  std::uint8_t m = 4;
  friend bool operator==(const NmPattern&, const NmPattern&) = default;
};
inline constexpr std::uint8_t kMaxGroup = 64;

// "2:4" <-> {2, 4}. parse_nm fails (Errc::model_mismatch) on anything else or an invalid pattern.
Result<NmPattern> parse_nm(std::string_view text);
std::string to_string(NmPattern p);

struct NmMatrix {
  NmPattern pattern;
  std::size_t rows = 0;  // out
  std::size_t cols = 0;  // in (a multiple of pattern.m)
  std::vector<float> values;
  std::vector<std::uint8_t> indices;
  std::size_t groups() const { return cols / pattern.m; }
  std::size_t slots_per_row() const { return groups() * pattern.n; }
};

struct CsrMatrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<std::uint64_t> row_ptr;  // rows + 1 entries, row_ptr[0] = 0
  std::vector<std::uint32_t> col;
  std::vector<float> values;
  std::size_t nnz() const { return values.size(); }
};

// Magnitude pruning to the pattern: in every group keep the n largest |w| (ties: lower index),
// zero the rest. Returns the pruned dense copy. Fails (Errc::model_mismatch) when the pattern is
// invalid, dense.size() != rows * cols, or cols is not a multiple of m.
Result<std::vector<float>> prune_nm(std::span<const float> dense, std::size_t rows,
                                    std::size_t cols, NmPattern pattern);

// Compresses a dense [rows, cols] matrix that already satisfies the pattern. Fails
// (Errc::model_mismatch, naming row and group) if a group holds more than n nonzeros, and for the
// size conditions of prune_nm. Entries equal to 0 (+0.0 or -0.0) are zeros; NaN is a nonzero.
Result<NmMatrix> pack_nm(std::span<const float> dense, std::size_t rows, std::size_t cols,
                         NmPattern pattern);
// The dense [rows, cols] matrix back: pack then unpack returns every nonzero bit for bit and every
// zero as +0.0.
std::vector<float> unpack(const NmMatrix& w);
// Structural check of a matrix built by hand or read from a file (sizes, index order and range).
Status validate(const NmMatrix& w);

// Keeps exactly the nonzero entries (as for pack_nm). Fails (Errc::model_mismatch)
// if dense.size() != rows * cols or cols > UINT32_MAX.
Result<CsrMatrix> pack_csr(std::span<const float> dense, std::size_t rows, std::size_t cols);
std::vector<float> unpack(const CsrMatrix& w);
Status validate(const CsrMatrix& w);

// Relative tolerance of the fast kernels against the references:
//   |y_fast - y_ref| <= kGemmTolerance * sum_i |X[b, i] * W[o, i]|  (+ denormal slack).
inline constexpr float kGemmTolerance = 1e-5f;

// Y (batch x rows) = X (batch x cols) . W^T. Spans must hold exactly batch * cols and
// batch * rows floats (asserted: a size mismatch is a programming error).
void gemm_nm_ref(std::span<const float> x, std::size_t batch, const NmMatrix& w,
                 std::span<float> y);
void gemm_nm(std::span<const float> x, std::size_t batch, const NmMatrix& w, std::span<float> y);
void gemm_csr_ref(std::span<const float> x, std::size_t batch, const CsrMatrix& w,
                  std::span<float> y);
void gemm_csr(std::span<const float> x, std::size_t batch, const CsrMatrix& w, std::span<float> y);
// The plain dense reference, Y = X . W^T for a dense [rows, cols] W (tests and fallbacks).
void gemm_dense_ref(std::span<const float> x, std::size_t batch, std::span<const float> w,
                    std::size_t rows, std::size_t cols, std::span<float> y);

// The instruction set the dispatching kernels use on this CPU (detected once).
enum class Isa : std::uint8_t { scalar, avx512f };
Isa detected_isa() noexcept;
const char* isa_name(Isa isa) noexcept;

}  // namespace hwlock::sparse
