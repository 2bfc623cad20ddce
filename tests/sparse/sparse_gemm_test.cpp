// Sparse GEMM kernels: reference == dense reference exactly; fast kernels == reference within
// kGemmTolerance, over patterns, odd batch sizes (both kernel shapes and their tails) and shapes.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "hwlock/sparse.hpp"

namespace {

using namespace hwlock::sparse;

std::vector<float> random_vector(std::size_t n, std::mt19937& rng, float zero_fraction = 0.0f) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f), z(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = z(rng) < zero_fraction ? 0.0f : u(rng);
  return v;
}

// |fast - ref| <= kGemmTolerance * sum |x w| + 1e-30 for every output.
void expect_close(const std::vector<float>& fast, const std::vector<float>& ref,
                  const std::vector<float>& x, const std::vector<float>& dense, std::size_t batch,
                  std::size_t rows, std::size_t cols, const std::string& what) {
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t o = 0; o < rows; ++o) {
      double mag = 0;
      for (std::size_t i = 0; i < cols; ++i)
        mag += std::fabs(double{x[b * cols + i]} * double{dense[o * cols + i]});
      const double err = std::fabs(double{fast[b * rows + o]} - double{ref[b * rows + o]});
      ASSERT_LE(err, kGemmTolerance * mag + 1e-30)
          << what << " b=" << b << " o=" << o << " fast=" << fast[b * rows + o]
          << " ref=" << ref[b * rows + o];
    }
}

void check_nm(NmPattern p, std::size_t batch, std::size_t rows, std::size_t cols,
              std::mt19937& rng) {
  const std::string what = to_string(p) + " batch " + std::to_string(batch) + " " +
                           std::to_string(rows) + "x" + std::to_string(cols);
  const auto dense = prune_nm(random_vector(rows * cols, rng, 0.1f), rows, cols, p).value();
  const auto w = pack_nm(dense, rows, cols, p).value();
  const auto x = random_vector(batch * cols, rng);
  std::vector<float> y_ref(batch * rows), y_dense(batch * rows), y_fast(batch * rows, NAN);
  gemm_nm_ref(x, batch, w, y_ref);
  gemm_dense_ref(x, batch, dense, rows, cols, y_dense);
  // Same nonzero terms in the same order: the references agree exactly.
  ASSERT_EQ(y_ref, y_dense) << what;
  gemm_nm(x, batch, w, y_fast);
  expect_close(y_fast, y_ref, x, dense, batch, rows, cols, what);
}

TEST(SparseGemm, ReportsIsa) {
  const auto isa = detected_isa();
  EXPECT_TRUE(isa == Isa::scalar || isa == Isa::avx512f);
  RecordProperty("isa", isa_name(isa));
  std::printf("sparse kernels: %s\n", isa_name(isa));
}

TEST(SparseGemm, NmKernelMatchesReferenceOverPatternsAndBatches) {
  std::mt19937 rng(7);
  const NmPattern patterns[] = {{2, 4},  {1, 4},   {4, 8}, {1, 2}, {2, 8},
                                {8, 16}, {16, 16}, {3, 6}, {1, 1}, {1, 16}};
  for (const auto p : patterns)
    for (const std::size_t batch : {1, 2, 3, 4, 5, 7, 15, 16, 17, 31, 33, 64, 70, 129})
      check_nm(p, batch, 13, std::size_t{p.m} * 11, rng);
}

TEST(SparseGemm, NmKernelOnLayerShapes) {
  std::mt19937 rng(11);
  check_nm({2, 4}, 1, 256, 784, rng);
  check_nm({2, 4}, 64, 256, 784, rng);
  check_nm({1, 4}, 8, 10, 256, rng);
}

TEST(SparseGemm, EmptyMatrices) {
  std::mt19937 rng(3);
  check_nm({2, 4}, 5, 0, 8, rng);
  check_nm({2, 4}, 20, 3, 0, rng);
  check_nm({2, 4}, 0, 3, 8, rng);
}

TEST(SparseGemm, CsrKernelMatchesReference) {
  std::mt19937 rng(5);
  for (const float zeros : {0.0f, 0.5f, 0.99f, 0.9995f})
    for (const std::size_t batch : {1, 3, 16, 17, 50, 128}) {
      const std::size_t rows = 37, cols = 301;
      const auto dense = random_vector(rows * cols, rng, zeros);
      const auto w = pack_csr(dense, rows, cols).value();
      const auto x = random_vector(batch * cols, rng);
      std::vector<float> y_ref(batch * rows), y_dense(batch * rows), y_fast(batch * rows, NAN);
      gemm_csr_ref(x, batch, w, y_ref);
      gemm_dense_ref(x, batch, dense, rows, cols, y_dense);
      ASSERT_EQ(y_ref, y_dense);
      gemm_csr(x, batch, w, y_fast);
      expect_close(y_fast, y_ref, x, dense, batch, rows, cols,
                   "csr zeros " + std::to_string(zeros) + " batch " + std::to_string(batch));
    }
}

RC_GTEST_PROP(SparseGemm, NmKernelMatchesReferenceOnRandomShapes, ()) {
  const auto p = *rc::gen::element(NmPattern{2, 4}, NmPattern{1, 4}, NmPattern{4, 8},
                                   NmPattern{1, 8}, NmPattern{3, 4});
  const auto batch = *rc::gen::inRange<std::size_t>(1, 40);
  const auto rows = *rc::gen::inRange<std::size_t>(1, 20);
  const auto cols = p.m * *rc::gen::inRange<std::size_t>(1, 20);
  std::mt19937 rng(*rc::gen::arbitrary<std::uint32_t>());
  check_nm(p, batch, rows, cols, rng);
  RC_ASSERT(!::testing::Test::HasFailure());
}

}  // namespace
