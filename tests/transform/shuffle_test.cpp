// The two keyed shuffles (src/transform/shuffle_*.cpp): round trips over every dtype and odd
// shapes, what a locked tensor holds, hostile parameters, known answers, and a small MLP.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "hwlock/shuffle.hpp"
#include "transform/shuffle_keys.hpp"

namespace hwlock {
namespace {

using test::OwnedTensor;
using test::ShuffleKeys;
using transform::Params;

const transform::Scheme& free_scheme() {
  return *transform::find_scheme("shuffle-free-v1");
}
const transform::Scheme& shuffle_scheme() {
  return *transform::find_scheme("shuffle-v1");
}

// Random bytes; float dtypes get mostly mid-range normals (so scaling usually applies) and, with
// `specials`, NaN, inf, -0.0, subnormals and the largest finite value mixed in.
OwnedTensor random_tensor(st::DType dtype, std::vector<std::uint64_t> shape, std::uint64_t seed,
                          bool specials) {
  OwnedTensor t{"t", dtype, std::move(shape), {}};
  std::uint64_t n = 1;
  for (auto d : t.shape) n *= d;
  const std::size_t size = st::dtype_size(dtype);
  t.data.resize(static_cast<std::size_t>(n) * size);
  auto next = [&] { return (seed = seed * 6364136223846793005ull + 1442695040888963407ull) >> 11; };
  unsigned mant = 0, ebits = 0;
  if (dtype == st::DType::F16) mant = 10, ebits = 5;
  if (dtype == st::DType::BF16) mant = 7, ebits = 8;
  if (dtype == st::DType::F32) mant = 23, ebits = 8;
  if (dtype == st::DType::F64) mant = 52, ebits = 11;
  for (std::uint64_t k = 0; k < n; ++k) {
    std::uint64_t bits = next() ^ (next() << 40);
    if (ebits != 0) {
      const std::uint64_t bias = (std::uint64_t{1} << (ebits - 1)) - 1, emax = (bias << 1) + 1;
      const std::uint64_t sign = std::uint64_t{next() & 1} << (mant + ebits);
      std::uint64_t ex = bias - 6 + next() % 12;
      const std::uint64_t r = next() % 16;
      std::uint64_t m = bits & ((std::uint64_t{1} << mant) - 1);
      if (specials && r == 0) ex = emax, m = 1;  // NaN
      if (specials && r == 1) ex = emax, m = 0;  // inf
      if (specials && r == 2) ex = 0, m = 0;     // +-0
      if (specials && r == 3) ex = 0, m |= 1;    // subnormal
      if (specials && r == 4) ex = emax - 1;     // near the top
      bits = sign | (ex << mant) | m;
    }
    for (std::size_t b = 0; b < size; ++b)
      t.data[k * size + b] = static_cast<std::byte>(bits >> (8 * b));
  }
  return t;
}

std::vector<std::string> elements(const OwnedTensor& t, const std::vector<std::byte>& data) {
  const std::size_t size = st::dtype_size(t.dtype);
  std::vector<std::string> e;
  for (std::size_t k = 0; k < data.size(); k += size)
    e.emplace_back(reinterpret_cast<const char*>(data.data() + k), size);
  std::sort(e.begin(), e.end());
  return e;
}

rc::Gen<std::vector<std::uint64_t>> gen_shape() {
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, 5), [](std::size_t rank) {
    return rc::gen::container<std::vector<std::uint64_t>>(rank,
                                                          rc::gen::inRange<std::uint64_t>(0, 8));
  });
}

Result<std::vector<std::byte>> decode(const transform::Scheme& s, const OwnedTensor& t,
                                      const ShuffleKeys& k, const Params& p,
                                      const std::vector<std::byte>& locked) {
  std::vector<std::byte> out(locked.size());
  HWLOCK_TRY(transform::decode_tensor(s, t.desc(), k.keys(), p, locked, out));
  return out;
}

TEST(ShuffleSchemes, Registered) {
  EXPECT_EQ(transform::scheme_by_option("shuffle-free"), &free_scheme());
  EXPECT_EQ(transform::scheme_by_option("shuffle"), &shuffle_scheme());
  EXPECT_EQ(free_scheme().locality(), transform::Locality::tensor);
  EXPECT_EQ(shuffle_scheme().locality(), transform::Locality::tensor);
}

RC_GTEST_PROP(ShuffleFree, RoundTripsAnyDtypeAndIsAPermutation, ()) {
  const auto dtype = st::kDTypes[*rc::gen::inRange<std::size_t>(0, st::kDTypes.size())].dtype;
  const auto t = random_tensor(dtype, *gen_shape(), *rc::gen::arbitrary<std::uint64_t>(),
                               *rc::gen::arbitrary<bool>());
  const ShuffleKeys k(*rc::gen::inRange(0u, 200u));
  std::vector<std::byte> locked(t.data.size());
  auto params = free_scheme().lock(t.desc(), k.keys(), Params::object(), t.data, locked);
  RC_ASSERT(params.ok());
  RC_ASSERT(*params == Params::object());
  RC_ASSERT(elements(t, locked) == elements(t, t.data));
  auto back = decode(free_scheme(), t, k, *params, locked);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == t.data);
}

RC_GTEST_PROP(ShuffleV1, RoundTripsWithRandomAxesAndScaling, ()) {
  constexpr st::DType kFloats[] = {st::DType::F16, st::DType::BF16, st::DType::F32, st::DType::F64};
  const auto dtype = kFloats[*rc::gen::inRange(0, 4)];
  const auto t = random_tensor(dtype, *gen_shape(), *rc::gen::arbitrary<std::uint64_t>(),
                               *rc::gen::arbitrary<bool>());
  Params axes = Params::array();
  bool any_scale = false;
  for (const auto len : t.shape) {
    if (*rc::gen::inRange(0, 4) == 0) {
      axes.push_back(nullptr);
      continue;
    }
    std::vector<std::uint64_t> divisors;
    for (std::uint64_t b = 1; b <= std::max<std::uint64_t>(len, 1); ++b)
      if (len % b == 0) divisors.push_back(b);
    const bool scale = *rc::gen::arbitrary<bool>();
    any_scale |= scale;
    axes.push_back({{"group", *rc::gen::element<std::string>("g0", "g1")},
                    {"side", *rc::gen::element<std::string>("in", "out")},
                    {"block", *rc::gen::elementOf(divisors)},
                    {"scale", scale}});
  }
  const Params request{{"axes", axes}};
  const ShuffleKeys k(*rc::gen::inRange(0u, 200u));
  std::vector<std::byte> locked(t.data.size());
  auto params = shuffle_scheme().lock(t.desc(), k.keys(), request, t.data, locked);
  RC_ASSERT(params.ok());
  RC_ASSERT((*params)["axes"].size() == t.shape.size());
  bool scaled = false;
  for (const auto& a : (*params)["axes"]) scaled |= !a.is_null() && a["scale"].get<bool>();
  if (!scaled) RC_ASSERT(elements(t, locked) == elements(t, t.data));
  RC_TAG(scaled ? "scaled" : (any_scale ? "scaling refused" : "unscaled"));
  auto back = decode(shuffle_scheme(), t, k, *params, locked);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == t.data);
}

TEST(ShuffleV1, ScaledRowsArePowerOfTwoMultiplesOfOriginalRows) {
  const auto t = random_tensor(st::DType::F32, {12, 5}, 7, false);
  const Params request{{"axes", {{{"group", "g"}, {"side", "in"}, {"scale", true}}, nullptr}}};
  const ShuffleKeys k;
  std::vector<std::byte> locked(t.data.size());
  auto params = shuffle_scheme().lock(t.desc(), k.keys(), request, t.data, locked);
  ASSERT_TRUE(params.ok()) << params.error().message;
  ASSERT_TRUE((*params)["axes"][0]["scale"].get<bool>());
  const auto a = test::as_floats(t.data), b = test::as_floats(locked);
  std::set<int> rows_used, exps_seen;
  for (int r = 0; r < 12; ++r) {
    bool found = false;
    for (int s = 0; s < 12 && !found; ++s)
      for (int e = -2; e <= 2 && !found; ++e) {
        bool all = true;
        for (int c = 0; c < 5; ++c) all &= b[r * 5 + c] == std::ldexp(a[s * 5 + c], e);
        if (all) {
          found = rows_used.insert(s).second;
          exps_seen.insert(e);
        }
      }
    EXPECT_TRUE(found) << "locked row " << r;
  }
  EXPECT_EQ(rows_used.size(), 12u);
  EXPECT_GT(exps_seen.size(), 1u);  // the key picks exponents, not a constant
  EXPECT_NE(locked, t.data);
}

TEST(ShuffleV1, ScalingIsRefusedWhereItWouldNotRoundTrip) {
  // The largest finite float doubles to inf: the axis is recorded unscaled and still permuted.
  auto t = random_tensor(st::DType::F32, {16, 2}, 3, false);
  for (std::size_t i = 0; i < t.data.size(); i += 8) {
    const float big = 3.0e38f;
    std::memcpy(t.data.data() + i, &big, 4);
  }
  const Params request{{"axes", {{{"group", "g"}, {"side", "out"}, {"scale", true}}, nullptr}}};
  const ShuffleKeys k;
  std::vector<std::byte> locked(t.data.size());
  auto params = shuffle_scheme().lock(t.desc(), k.keys(), request, t.data, locked);
  ASSERT_TRUE(params.ok());
  EXPECT_FALSE((*params)["axes"][0]["scale"].get<bool>());
  EXPECT_EQ(elements(t, locked), elements(t, t.data));
  EXPECT_NE(locked, t.data);
  auto back = decode(shuffle_scheme(), t, k, *params, locked);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, t.data);
}

TEST(ShuffleV1, SidesOfOneGroupDisagreeAndOneSideAgrees) {
  const auto t = random_tensor(st::DType::F32, {64}, 1, false);
  const ShuffleKeys k;
  auto lock_as = [&](const char* group, const char* side) {
    std::vector<std::byte> out(t.data.size());
    const Params r{{"axes", {{{"group", group}, {"side", side}}}}};
    EXPECT_TRUE(shuffle_scheme().lock(t.desc(), k.keys(), r, t.data, out).ok());
    return out;
  };
  EXPECT_EQ(lock_as("g", "in"), lock_as("g", "in"));
  EXPECT_NE(lock_as("g", "in"), lock_as("g", "out"));
  EXPECT_NE(lock_as("g", "in"), lock_as("h", "in"));
}

TEST(ShuffleV1, AllNullAxesAreTheIdentity) {
  const auto t = random_tensor(st::DType::I32, {3, 4}, 5, false);
  std::vector<std::byte> locked(t.data.size());
  const ShuffleKeys k;
  auto p = shuffle_scheme().lock(t.desc(), k.keys(), Params{{"axes", {nullptr, nullptr}}}, t.data,
                                 locked);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(locked, t.data);
}

// Known answers pinning the format: the key/nonce/group keys of ShuffleKeys(0), computed once by
// this implementation. A change here changes what every locked file decodes to.
TEST(ShuffleKnownAnswer, ShuffleFreeV1) {
  OwnedTensor t{"kat", st::DType::U8, {3, 4}, {}};
  for (int i = 0; i < 12; ++i) t.data.push_back(static_cast<std::byte>(i));
  std::vector<std::byte> locked(12);
  const ShuffleKeys k;
  ASSERT_TRUE(free_scheme().lock(t.desc(), k.keys(), Params::object(), t.data, locked).ok());
  std::vector<int> got;
  for (auto b : locked) got.push_back(std::to_integer<int>(b));
  EXPECT_EQ(got, (std::vector<int>{2, 3, 0, 1, 10, 11, 8, 9, 6, 7, 4, 5}));
}

TEST(ShuffleKnownAnswer, ShuffleV1) {
  const auto t = test::f32_tensor("kat", {4, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  const Params request{
      {"axes",
       {{{"group", "g"}, {"side", "in"}, {"scale", true}}, {{"group", "g2"}, {"side", "out"}}}}};
  std::vector<std::byte> locked(t.data.size());
  const ShuffleKeys k;
  ASSERT_TRUE(shuffle_scheme().lock(t.desc(), k.keys(), request, t.data, locked).ok());
  EXPECT_EQ(test::as_floats(locked),
            (std::vector<float>{6, 2, 4, 3, 2, 2.5, 4.5, 3.5, 4, 48, 40, 44}))
      << "rows: source rows 0, 1, 2, 3 scaled by 2^1, 2^-1, 2^-1, 2^2; columns: 2, 0, 1";
  auto params = shuffle_scheme().lock(t.desc(), k.keys(), request, t.data, locked);
  ASSERT_TRUE(params.ok());
  auto back = decode(shuffle_scheme(), t, k, *params, locked);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, t.data);
}

// Hostile parameters: one case each, all scheme_params_invalid naming the tensor and the field.
struct BadParams {
  const char* label;
  const char* json;
  const char* field;
};
class ShuffleV1BadParams : public testing::TestWithParam<BadParams> {};

TEST_P(ShuffleV1BadParams, Rejected) {
  const auto t = random_tensor(st::DType::F32, {6, 4}, 1, false);
  auto i32 = random_tensor(st::DType::I32, {6, 4}, 1, false);
  const bool int_case = std::string(GetParam().label) == "scale_on_int";
  const auto& tensor = int_case ? i32 : t;
  const ShuffleKeys k;
  auto d = shuffle_scheme().decoder(tensor.desc(), k.keys(), Params::parse(GetParam().json));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, Errc::scheme_params_invalid);
  EXPECT_NE(d.error().message.find("tensor \"t\""), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find(GetParam().field), std::string::npos) << d.error().message;
  // A lock request is validated the same way.
  std::vector<std::byte> out(tensor.data.size());
  auto l = shuffle_scheme().lock(tensor.desc(), k.keys(), Params::parse(GetParam().json),
                                 tensor.data, out);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, Errc::scheme_params_invalid);
}

const std::string kLongName(257, 'x');
const std::string kLongJson = R"({"axes":[{"group":")" + kLongName + R"(","side":"in"},null]})";

INSTANTIATE_TEST_SUITE_P(
    Cases, ShuffleV1BadParams,
    testing::Values(
        BadParams{"not_object", "[1]", "top level"},
        BadParams{"unknown_top_field", R"({"axes":[null,null],"x":1})", "x: unknown"},
        BadParams{"axes_missing", "{}", "axes: missing"},
        BadParams{"axes_not_array", R"({"axes":{}})", "axes: not an array"},
        BadParams{"too_few_axes", R"({"axes":[null]})", "axes: 1 entries"},
        BadParams{"too_many_axes", R"({"axes":[null,null,null]})", "axes: 3 entries"},
        BadParams{"entry_not_object", R"({"axes":[1,null]})", "axes[0]"},
        BadParams{"unknown_axis_field", R"({"axes":[{"group":"g","side":"in","k":1},null]})",
                  "axes[0].k"},
        BadParams{"group_missing", R"({"axes":[{"side":"in"},null]})", "axes[0].group"},
        BadParams{"group_not_string", R"({"axes":[{"group":3,"side":"in"},null]})",
                  "axes[0].group"},
        BadParams{"group_empty", R"({"axes":[{"group":"","side":"in"},null]})", "axes[0].group"},
        BadParams{"group_too_long", kLongJson.c_str(), "axes[0].group"},
        BadParams{"side_missing", R"({"axes":[null,{"group":"g"}]})", "axes[1].side"},
        BadParams{"side_unknown", R"({"axes":[null,{"group":"g","side":"up"}]})", "axes[1].side"},
        BadParams{"block_zero", R"({"axes":[{"group":"g","side":"in","block":0},null]})",
                  "axes[0].block"},
        BadParams{"block_negative", R"({"axes":[{"group":"g","side":"in","block":-2},null]})",
                  "axes[0].block"},
        BadParams{"block_fraction", R"({"axes":[{"group":"g","side":"in","block":1.5},null]})",
                  "axes[0].block"},
        BadParams{"block_not_dividing", R"({"axes":[{"group":"g","side":"in","block":4},null]})",
                  "axes[0].block"},
        BadParams{"tile_not_dividing", R"({"axes":[null,{"group":"g","side":"in","tile":3}]})",
                  "axes[1].block"},
        BadParams{"tile_string", R"({"axes":[null,{"group":"g","side":"in","tile":"2"}]})",
                  "axes[1].tile"},
        BadParams{"scale_not_bool", R"({"axes":[{"group":"g","side":"in","scale":1},null]})",
                  "axes[0].scale"},
        BadParams{"scale_on_int", R"({"axes":[{"group":"g","side":"in","scale":true},null]})",
                  "axes[0].scale"}),
    [](const testing::TestParamInfo<BadParams>& i) { return std::string(i.param.label); });

TEST(ShuffleV1, NoGroupKeysIsUnsupported) {
  const auto t = random_tensor(st::DType::F32, {4}, 1, false);
  ShuffleKeys k;
  auto keys = k.keys();
  keys.group_key = nullptr;
  auto d = shuffle_scheme().decoder(t.desc(), keys,
                                    Params::parse(R"({"axes":[{"group":"g","side":"in"}]})"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, Errc::scheme_unsupported);
}

TEST(ShuffleFree, RejectsParameters) {
  const auto t = random_tensor(st::DType::F32, {4}, 1, false);
  const ShuffleKeys k;
  auto d = free_scheme().decoder(t.desc(), k.keys(), Params{{"axes", {nullptr}}});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, Errc::scheme_params_invalid);
}

}  // namespace
}  // namespace hwlock
