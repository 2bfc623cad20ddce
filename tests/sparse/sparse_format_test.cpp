// N:M and CSR formats: parsing, pruning, pack/unpack round trips, validation and rejections.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "hwlock/sparse.hpp"

namespace {

using namespace hwlock::sparse;
using hwlock::Errc;

const bool kSeeded = [] { return setenv("RC_PARAMS", "seed=20261129", 0) == 0; }();

// A random pattern and a dense matrix with about `density` nonzeros (not pattern-conforming).
struct Case {
  NmPattern p;
  std::size_t rows, cols;
  std::vector<float> w;
};

rc::Gen<Case> gen_case() {
  return rc::gen::exec([] {
    const auto m = *rc::gen::element<std::uint8_t>(1, 2, 4, 8, 16, 3, 5, 32);
    const auto n = *rc::gen::inRange<int>(1, m + 1);
    const auto rows = *rc::gen::inRange<std::size_t>(0, 9);
    const auto cols = m * *rc::gen::inRange<std::size_t>(0, 6);
    std::vector<float> w(rows * cols);
    for (auto& v : w)
      v = *rc::gen::inRange(0, 3) == 0 ? 0.0f
                                       : static_cast<float>(*rc::gen::inRange(-1000, 1001)) / 8;
    return Case{NmPattern{static_cast<std::uint8_t>(n), m}, rows, cols, w};
  });
}

TEST(SparseFormat, ParsePatterns) {
  EXPECT_EQ(parse_nm("2:4").value(), (NmPattern{2, 4}));
  EXPECT_EQ(parse_nm("1:16").value(), (NmPattern{1, 16}));
  EXPECT_EQ(to_string(NmPattern{4, 8}), "4:8");
  for (const char* bad : {"", "2", "2:", ":4", "4:2", "0:4", "2:4x", "x2:4", "1:65", "-1:4"}) {
    auto r = parse_nm(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::model_mismatch);
  }
}

TEST(SparseFormat, PruneKeepsLargestPerGroup) {
  const std::vector<float> w = {1, -5, 3, 2, /**/ 0, 0, 0, 7, /**/ 2, 2, -2, 1};
  auto p = prune_nm(w, 1, 12, {2, 4});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (std::vector<float>{0, -5, 3, 0, /**/ 0, 0, 0, 7, /**/ 2, 2, 0, 0}));
}

TEST(SparseFormat, PackRejectsNonConformingAndBadShapes) {
  const std::vector<float> w = {1, 1, 1, 0, 0, 0, 0, 0};
  auto r = pack_nm(w, 1, 8, {2, 4});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::model_mismatch);
  EXPECT_NE(r.error().message.find("row 0, group 0"), std::string::npos) << r.error().message;
  EXPECT_FALSE(pack_nm(w, 1, 6, {2, 4}).ok());  // size mismatch
  EXPECT_FALSE(pack_nm(w, 2, 4, {2, 8}).ok());  // cols not a multiple of m
  EXPECT_FALSE(pack_csr(w, 3, 3).ok());
}

TEST(SparseFormat, PaddingSlotsTakeSmallestUnusedPositions) {
  const std::vector<float> w = {0, 0, 0, 3};
  auto r = pack_nm(w, 1, 4, {2, 4});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->indices, (std::vector<std::uint8_t>{0, 3}));
  EXPECT_EQ(r->values, (std::vector<float>{0, 3}));
  EXPECT_TRUE(validate(*r).ok());
}

TEST(SparseFormat, ValidateCatchesCorruption) {
  auto r = pack_nm(std::vector<float>{1, 0, 2, 0}, 1, 4, {2, 4});
  ASSERT_TRUE(r.ok());
  auto bad = *r;
  bad.indices = {2, 0};  // not increasing
  EXPECT_FALSE(validate(bad).ok());
  bad.indices = {0, 4};  // out of the group
  EXPECT_FALSE(validate(bad).ok());
  bad = *r;
  bad.values.pop_back();
  EXPECT_FALSE(validate(bad).ok());
  auto c = pack_csr(std::vector<float>{0, 1, 2, 0}, 2, 2).value();
  EXPECT_TRUE(validate(c).ok());
  c.col[1] = 2;
  EXPECT_FALSE(validate(c).ok());
}

RC_GTEST_PROP(SparseFormat, PruneThenPackRoundTrips, ()) {
  const auto c = *gen_case();
  const auto pruned = prune_nm(c.w, c.rows, c.cols, c.p);
  RC_ASSERT(pruned.ok());
  // Pruning leaves at most n nonzeros per group and keeps every kept value unchanged.
  for (std::size_t g = 0; g < pruned->size(); g += c.p.m) {
    std::size_t nz = 0;
    for (std::size_t i = g; i < g + c.p.m; ++i) {
      nz += (*pruned)[i] != 0.0f;
      RC_ASSERT(((*pruned)[i] == 0.0f || (*pruned)[i] == c.w[i]));
    }
    RC_ASSERT(nz <= c.p.n);
  }
  const auto packed = pack_nm(*pruned, c.rows, c.cols, c.p);
  RC_ASSERT(packed.ok());
  RC_ASSERT(validate(*packed).ok());
  RC_ASSERT(unpack(*packed) == *pruned);
  const auto csr = pack_csr(*pruned, c.rows, c.cols);
  RC_ASSERT(csr.ok());
  RC_ASSERT(validate(*csr).ok());
  RC_ASSERT(unpack(*csr) == *pruned);
}

RC_GTEST_PROP(SparseFormat, PackAcceptsExactlyConformingMatrices, ()) {
  const auto c = *gen_case();
  bool conforming = true;
  for (std::size_t g = 0; g < c.w.size(); g += c.p.m) {
    std::size_t nz = 0;
    for (std::size_t i = g; i < g + c.p.m; ++i) nz += c.w[i] != 0.0f;
    conforming = conforming && nz <= c.p.n;
  }
  const auto packed = pack_nm(c.w, c.rows, c.cols, c.p);
  RC_ASSERT(packed.ok() == conforming);
  if (packed.ok()) RC_ASSERT(unpack(*packed) == c.w);
}

}  // namespace
