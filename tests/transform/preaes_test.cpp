// Scheme "preaes-v1": round trips over every 1/2/4-byte dtype, element-aligned chunked decoding,
// the wrong-key value distribution (Kolmogorov–Smirnov), hostile parameters, rank16, and a
// known-answer vector pinning the format.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <random>
#include <set>
#include <vector>

#include "hwlock/transform.hpp"
#include "transform/base64.hpp"
#include "transform/keystream.hpp"
#include "transform/preaes_codebook.hpp"

namespace hwlock::transform {
namespace {

namespace pa = detail::preaes;
using Bytes = std::vector<std::byte>;

struct Keys {
  std::array<std::byte, crypto::kKeySize> key{};
  std::array<std::byte, crypto::kIvSize> nonce{};
  explicit Keys(std::uint8_t seed) {
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = std::byte(seed + i);
    for (std::size_t i = 0; i < nonce.size(); ++i) nonce[i] = std::byte(0xA0 + seed + i);
  }
  TensorKeys tk() const { return {key, nonce, {}}; }
};

// A tensor description that owns its shape.
struct Tensor {
  std::vector<std::uint64_t> shape;
  TensorDesc desc;
  Tensor(st::DType dtype, std::uint64_t n) : shape{n} {
    desc = {"layer.w", dtype, shape, n * st::dtype_size(dtype)};
  }
};

const Scheme& scheme() {
  const Scheme* s = find_scheme("preaes-v1");
  EXPECT_NE(s, nullptr);
  EXPECT_EQ(s, scheme_by_option("preaes"));
  return *s;
}

std::uint64_t lcg(std::uint64_t& s) {
  s = s * 6364136223846793005ull + 1442695040888963407ull;
  return s >> 17;
}

// Contents: 0 random bytes, 1 heavy ties (a pool of 1..5 patterns), 2 special patterns (NaN
// payloads, +-0, +-inf, extremes) mixed with random ones.
Bytes contents(std::size_t b, std::size_t n, int kind, std::uint64_t seed) {
  const std::uint32_t sign = std::uint32_t{1} << (8 * b - 1), mask = sign | (sign - 1);
  const std::vector<std::uint32_t> specials = {0,        sign,        mask,        sign - 1,
                                               sign | 1, 0x7FC00001u, 0xFFC00000u, 0x7F800000u,
                                               0x7E01u,  0xFC00u,     0x80u,       0x7Fu};
  std::vector<std::uint32_t> pool;
  for (std::uint64_t k = 1 + lcg(seed) % 5; k > 0; --k) pool.push_back(std::uint32_t(lcg(seed)));
  Bytes out(b * n);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t v = std::uint32_t(lcg(seed));
    if (kind == 1) v = pool[lcg(seed) % pool.size()];
    if (kind == 2 && lcg(seed) % 2 == 0) v = specials[lcg(seed) % specials.size()];
    pa::store_le(out.data() + b * i, unsigned(b), v & mask);
  }
  return out;
}

Result<Params> lock(const Tensor& t, const Keys& k, const Bytes& plain, Bytes& out,
                    const Params& request = Params::object()) {
  out.assign(plain.size(), std::byte{0});
  return scheme().lock(t.desc, k.tk(), request, plain, out);
}

Bytes decode(const Tensor& t, const Keys& k, const Params& p, const Bytes& locked) {
  Bytes out(locked.size());
  const auto st = decode_tensor(scheme(), t.desc, k.tk(), p, locked, out);
  EXPECT_TRUE(st.ok()) << st.error().message;
  return out;
}

std::vector<st::DType> small_dtypes() {
  std::vector<st::DType> d;
  for (const auto& info : st::kDTypes)
    if (info.size <= 4) d.push_back(info.dtype);
  return d;
}

RC_GTEST_PROP(PreaesProperty, LockThenDecodeIsIdentityWholeAndInChunks, ()) {
  const auto dtypes = small_dtypes();
  const st::DType dtype = dtypes[*rc::gen::inRange<std::size_t>(0, dtypes.size())];
  const auto n = *rc::gen::oneOf(rc::gen::just<std::size_t>(0), rc::gen::just<std::size_t>(1),
                                 rc::gen::inRange<std::size_t>(2, 64),
                                 rc::gen::inRange<std::size_t>(1000, 5000));
  const int kind = *rc::gen::inRange(0, 3);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  const Keys k(static_cast<std::uint8_t>(seed));
  const Tensor t(dtype, n);
  const std::size_t b = st::dtype_size(dtype);
  const Bytes plain = contents(b, n, kind, seed);
  Bytes locked;
  auto p = lock(t, k, plain, locked);
  RC_ASSERT(p.ok());
  RC_ASSERT(decode(t, k, *p, locked) == plain);

  auto dec = scheme().decoder(t.desc, k.tk(), *p);
  RC_ASSERT(dec.ok());
  Bytes chunked(plain.size());
  std::uint64_t s = seed;
  for (std::size_t e = 0; e < n;) {
    const std::size_t len = std::min<std::size_t>(n - e, 1 + lcg(s) % 700);
    const auto sub = std::span(locked).subspan(e * b, len * b);
    RC_ASSERT((*dec)->decode(e * b, sub, std::span(chunked).subspan(e * b, len * b)).ok());
    e += len;
  }
  RC_ASSERT(chunked == plain);
}

// bf16 of 100k standard normal values (round to nearest even): many ties.
Bytes normal_bf16(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  Bytes out(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t f = 0;
    const float x = dist(rng);
    std::memcpy(&f, &x, 4);
    f += 0x7FFF + ((f >> 16) & 1);
    pa::store_le(out.data() + 2 * i, 2, f >> 16);
  }
  return out;
}
float bf16_value(const Bytes& v, std::size_t i) {
  const std::uint32_t f = pa::load_le(v.data() + 2 * i, 2) << 16;
  float x = 0;
  std::memcpy(&x, &f, 4);
  return x;
}

// Two-sample Kolmogorov–Smirnov statistic sup |F_a - F_b|.
double ks(std::vector<float> a, std::vector<float> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  double worst = 0;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const float x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    worst = std::max(worst, std::abs(double(i) / double(a.size()) - double(j) / double(b.size())));
  }
  return worst;
}

TEST(Preaes, WrongKeyKeepsTheValueDistribution) {
  constexpr std::size_t kN = 100000;
  const Tensor t(st::DType::BF16, kN);
  const Bytes plain = normal_bf16(kN, 42);
  Bytes locked;
  auto p = lock(t, Keys(1), plain, locked);
  ASSERT_TRUE(p.ok()) << p.error().message;
  const Bytes wrong = decode(t, Keys(2), *p, locked);
  ASSERT_NE(wrong, plain);

  std::vector<float> orig, got;
  std::set<std::uint32_t> distinct_patterns;
  for (std::size_t i = 0; i < kN; ++i) {
    orig.push_back(bf16_value(plain, i));
    got.push_back(bf16_value(wrong, i));
    distinct_patterns.insert(pa::load_le(plain.data() + 2 * i, 2));
  }
  std::size_t same = 0;
  for (std::size_t i = 0; i < kN; ++i) {
    ASSERT_EQ(distinct_patterns.count(pa::load_le(wrong.data() + 2 * i, 2)), 1u) << i;
    same += orig[i] == got[i];
  }
  EXPECT_LT(same, kN / 20);  // positions are not kept (ties make a few coincidences likely)
  const double ks_wrong = ks(orig, got);
  std::vector<float> uniform;  // uniform over the distinct values: the decoding to avoid
  std::set<float> distinct(orig.begin(), orig.end());
  uniform.assign(distinct.begin(), distinct.end());
  const double ks_uniform = ks(orig, uniform);
  std::cout << "distinct " << distinct.size() << ", KS wrong key " << ks_wrong
            << ", KS uniform-over-distinct " << ks_uniform << "\n";
  EXPECT_LT(ks_wrong, 0.02);
  EXPECT_GT(ks_uniform, 0.1);
}

// The fast decoders (slot table for b <= 2, bucket + binary search for b = 4) against the
// definition: r = (code - k_i) mod M, the owner found by a linear scan of the slot starts.
TEST(Preaes, DecodeMatchesTheDefinitionUnderAnyKey) {
  for (const auto dtype : {st::DType::I8, st::DType::BF16, st::DType::F32}) {
    const std::size_t n = 3001, b = st::dtype_size(dtype);
    const Tensor t(dtype, n);
    const Bytes plain = contents(b, n, 0, 99), noise = contents(b, n, 0, 5);
    Bytes locked;
    auto p = lock(t, Keys(1), plain, locked);
    ASSERT_TRUE(p.ok());
    const auto bin = detail::base64_decode(p->at("codebook").get<std::string>());
    auto cb = pa::decode_codebook(*bin, n, std::uint64_t{1} << (8 * b), "t");
    ASSERT_TRUE(cb.ok());
    const auto starts = pa::allot_slots(cb->counts, std::uint64_t{1} << (8 * b));
    const Keys wrong(2);
    Bytes ks(plain.size());
    ASSERT_TRUE(detail::keystream(wrong.key, wrong.nonce, 0, ks).ok());
    const Bytes got = decode(t, wrong, *p, noise);  // any stored bytes decode
    const auto mask = (std::uint64_t{1} << (8 * b)) - 1;
    const auto order = pa::order_of(dtype);
    for (std::size_t i = 0; i < n; ++i) {
      const auto r = (pa::load_le(noise.data() + b * i, unsigned(b)) -
                      std::uint64_t{pa::load_le(ks.data() + b * i, unsigned(b))}) &
                     mask;
      std::size_t j = 0;
      while (starts[j + 1] <= r) ++j;
      ASSERT_EQ(pa::load_le(got.data() + b * i, unsigned(b)),
                pa::from_key(order, unsigned(8 * b), cb->keys[j]))
          << st::dtype_name(dtype) << " element " << i;
    }
  }
}

Bytes cb_bytes(std::initializer_list<int> v) {
  Bytes out;
  for (int x : v) out.push_back(std::byte(x));
  return out;
}
Params with_codebook(const Bytes& cb) {
  return {{"codebook", detail::base64_encode(cb)}};
}

TEST(Preaes, HostileParamsAreRejected) {
  const Tensor u8(st::DType::U8, 3), big(st::DType::U8, 300), f32(st::DType::F32, 2);
  const Keys k(3);
  // A valid base: U8 values 5 and 8, counts 1 and 2.
  ASSERT_TRUE(scheme().decoder(u8.desc, k.tk(), with_codebook(cb_bytes({1, 2, 5, 3, 1, 2}))).ok());
  struct Case {
    const char* what;
    const Tensor* t;
    Params p;
  };
  const std::vector<Case> cases = {
      {"not an object", &u8, Params::array()},
      {"empty object", &u8, Params::object()},
      {"unknown field", &u8, {{"codebook", "AQIFAwEC"}, {"extra", 1}}},
      {"codebook not a string", &u8, {{"codebook", 5}}},
      {"mode exact is implied, not written", &u8, {{"codebook", "AQIFAwEC"}, {"mode", "exact"}}},
      {"mode rank16 on U8", &u8, {{"codebook", "AQIFAwEC"}, {"mode", "rank16"}}},
      {"mode not a string", &f32, {{"codebook", "AQIFAwEC"}, {"mode", 16}}},
      {"bad base64 character", &u8, {{"codebook", "AQIF!wEC"}}},
      {"base64 length", &u8, {{"codebook", "AQIFAwE"}}},
      {"base64 padding bits", &u8, {{"codebook", "AR=="}}},
      {"base64 padding inside", &u8, {{"codebook", "AQ==AwEC"}}},
      {"empty codebook", &u8, with_codebook({})},
      {"version 2", &u8, with_codebook(cb_bytes({2, 2, 5, 3, 1, 2}))},
      {"truncated varint d", &u8, with_codebook(cb_bytes({1, 0x80}))},
      {"non-minimal varint", &u8, with_codebook(cb_bytes({1, 0x82, 0x00, 5, 3, 1, 2}))},
      {"varint over 64 bits", &u8,
       with_codebook(cb_bytes({1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02}))},
      {"d = 0 for n > 0", &u8, with_codebook(cb_bytes({1, 0}))},
      {"d > n", &u8, with_codebook(cb_bytes({1, 4, 1, 1, 1, 1, 1, 1, 1, 1}))},
      {"d > 2^8", &big, with_codebook(cb_bytes({1, 0x81, 0x02}))},
      {"d larger than the bytes", &u8, with_codebook(cb_bytes({1, 3, 5, 3}))},
      {"truncated value", &u8, with_codebook(cb_bytes({1, 1, 0x85, 0x80}))},
      {"keys not increasing", &u8, with_codebook(cb_bytes({1, 2, 5, 0, 1, 2}))},
      {"first key out of range", &u8, with_codebook(cb_bytes({1, 2, 0x80, 0x02, 3, 1, 2}))},
      {"later key out of range", &u8, with_codebook(cb_bytes({1, 2, 200, 100, 1, 2}))},
      {"zero count", &u8, with_codebook(cb_bytes({1, 2, 5, 3, 0, 3}))},
      {"counts sum below n", &u8, with_codebook(cb_bytes({1, 2, 5, 3, 1, 1}))},
      {"counts sum above n", &u8, with_codebook(cb_bytes({1, 2, 5, 3, 2, 2}))},
      {"truncated count", &u8, with_codebook(cb_bytes({1, 2, 5, 3, 1, 0x82}))},
      {"trailing bytes", &u8, with_codebook(cb_bytes({1, 2, 5, 3, 1, 2, 0}))},
  };
  for (const auto& c : cases) {
    auto dec = scheme().decoder(c.t->desc, k.tk(), c.p);
    ASSERT_FALSE(dec.ok()) << c.what;
    EXPECT_EQ(dec.error().code, Errc::scheme_params_invalid) << c.what;
    EXPECT_NE(dec.error().message.find("\"layer.w\""), std::string::npos) << c.what;
  }
}

TEST(Preaes, EmptyTensorHasAnEmptyCodebook) {
  const Tensor t(st::DType::F16, 0);
  Bytes locked;
  auto p = lock(t, Keys(1), {}, locked);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->dump(), R"({"codebook":"AQA="})");
  EXPECT_TRUE(decode(t, Keys(1), *p, locked).empty());
}

TEST(Preaes, EightByteDtypesAreUnsupported) {
  for (const auto dtype : {st::DType::F64, st::DType::I64, st::DType::U64}) {
    const Tensor t(dtype, 2);
    const Bytes plain(16);
    Bytes out;
    auto r = lock(t, Keys(1), plain, out);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::scheme_unsupported);
    EXPECT_NE(r.error().message.find("layer.w"), std::string::npos);
    EXPECT_NE(r.error().message.find(st::dtype_name(dtype)), std::string::npos);
    EXPECT_EQ(scheme().supports(t.desc).error().code, Errc::scheme_unsupported);
    EXPECT_EQ(scheme().decoder(t.desc, Keys(1).tk(), with_codebook({})).error().code,
              Errc::scheme_unsupported);
  }
}

TEST(Preaes, BadRequestsAreRejected) {
  const Tensor bf(st::DType::BF16, 4), f32(st::DType::F32, 4);
  const Bytes plain(16);
  Bytes out;
  for (const auto& [t, req] :
       std::vector<std::pair<const Tensor*, Params>>{{&bf, {{"mode", "rank16"}}},
                                                     {&f32, {{"mode", "rank8"}}},
                                                     {&f32, {{"plan", 1}}},
                                                     {&f32, Params::array()}}) {
    auto r = lock(*t, Keys(1), Bytes(t->desc.bytes), out, req);
    ASSERT_FALSE(r.ok()) << req.dump();
    EXPECT_EQ(r.error().code, Errc::scheme_params_invalid) << req.dump();
  }
  EXPECT_TRUE(lock(f32, Keys(1), plain, out, {{"mode", "exact"}}).ok());
}

TEST(Preaes, Rank16DecodesToTheQuantisedTensor) {
  constexpr std::size_t kN = 200000;
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  Bytes plain(4 * kN);
  std::set<std::uint32_t> original;
  for (std::size_t i = 0; i < kN; ++i) {
    const float x = dist(rng);
    std::memcpy(plain.data() + 4 * i, &x, 4);
    original.insert(pa::load_le(plain.data() + 4 * i, 4));
  }
  const Tensor t(st::DType::F32, kN);
  Bytes locked;
  auto p = lock(t, Keys(5), plain, locked, {{"mode", "rank16"}});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->at("mode"), "rank16");
  Bytes expected(plain.size());
  pa::quantise_rank16_f32(plain, expected);
  const Bytes got = decode(t, Keys(5), *p, locked);
  EXPECT_EQ(got, expected);
  EXPECT_NE(got, plain);
  std::set<std::uint32_t> values;
  for (std::size_t i = 0; i < kN; ++i) values.insert(pa::load_le(got.data() + 4 * i, 4));
  EXPECT_LE(values.size(), pa::kRank16Bins);
  EXPECT_GT(values.size(), pa::kRank16Bins / 2);
  for (const auto v : values) EXPECT_EQ(original.count(v), 1u);
  // At most 65536 elements: nothing to quantise.
  const Bytes small(plain.begin(), plain.begin() + 4 * 1000);
  Bytes small_q(small.size());
  pa::quantise_rank16_f32(small, small_q);
  EXPECT_EQ(small_q, small);
}

TEST(Preaes, SlotsAreProportionalWithLargestRemainder) {
  const std::vector<std::uint64_t> counts = {1, 1, 1};
  EXPECT_EQ(pa::allot_slots(counts, 256), (std::vector<std::uint64_t>{0, 86, 171, 256}));
  const std::vector<std::uint64_t> skewed = {1, 1000, 1};  // every value keeps one slot
  EXPECT_EQ(pa::allot_slots(skewed, 256), (std::vector<std::uint64_t>{0, 1, 255, 256}));
}

TEST(Preaes, Base64MatchesRfc4648) {
  const std::vector<std::pair<std::string, std::string>> v = {{"", ""},
                                                              {"f", "Zg=="},
                                                              {"fo", "Zm8="},
                                                              {"foo", "Zm9v"},
                                                              {"foob", "Zm9vYg=="},
                                                              {"fooba", "Zm9vYmE="},
                                                              {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, text] : v) {
    EXPECT_EQ(detail::base64_encode(std::as_bytes(std::span(plain))), text);
    const auto back = detail::base64_decode(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(back->data()), back->size()), plain);
  }
  for (const char* bad : {"Zg=", "Zg===", "Z===", "====", "Zh==", "Zm9=", "Zm 9", "Zm9v\n"})
    EXPECT_FALSE(detail::base64_decode(bad).has_value()) << bad;
}

// Known answer: pins preaes-v1 (order, codebook bytes, slot allotment, slot stream nonce,
// keystream arithmetic). Computed once with this implementation; a change here is a format break.
TEST(Preaes, KnownAnswer) {
  const Keys k(0);
  const Tensor bf(st::DType::BF16, 8);
  const Bytes bf_plain = cb_bytes({0x80, 0x3F, 0x00, 0xC0, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x80, 0xC0,
                                   0x7F, 0x80, 0x3F, 0x49, 0x40});  // 1 -2 1 0 -0 NaN 1 pi
  Bytes locked;
  auto p = lock(bf, k, bf_plain, locked);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(crypto::to_hex(locked), "610719002f6f0d4f3e8829718f7cf3a1");
  EXPECT_EQ(p->dump(), R"({"codebook":"AQb/f4CAAQGAf8kB934BAQEDAQE="})");
  EXPECT_EQ(decode(bf, k, *p, locked), bf_plain);

  const Tensor f32(st::DType::F32, 5);
  const Bytes f_plain = cb_bytes({0x00, 0x00, 0x80, 0x3F, 0xDB, 0x0F, 0x49, 0xC0, 0x00, 0x00,
                                  0x80, 0x3F, 0x01, 0x00, 0xC0, 0xFF, 0x00, 0x00, 0x00, 0x00});
  auto q = lock(f32, k, f_plain, locked);  // 1 -pi 1 -NaN(payload 1) 0
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(crypto::to_hex(locked), "b70213c28f7e3642f8f7f05137b33a01accadb87");
  EXPECT_EQ(q->dump(), R"({"codebook":"AQT+//8BpuDb+wPcn6SCBICAgPwDAQEBAg=="})");
  EXPECT_EQ(decode(f32, k, *q, locked), f_plain);
}

// Codebook size per element (the figures in docs/PREAES.md) and decode throughput.
TEST(Preaes, CodebookSizeOfNormalTensors) {
  constexpr std::size_t kN = 1 << 20;
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::set<float> seen;
  Bytes f32(4 * kN);
  for (std::size_t i = 0; i < kN;) {  // all distinct
    const float x = dist(rng);
    if (!seen.insert(x).second) continue;
    std::memcpy(f32.data() + 4 * i++, &x, 4);
  }
  const Bytes bf = normal_bf16(kN, 11);
  const std::vector<std::pair<st::DType, const Bytes*>> runs = {{st::DType::F32, &f32},
                                                                {st::DType::BF16, &bf}};
  for (const auto& [dtype, plain] : runs) {
    const Tensor t(dtype, kN);
    Bytes locked;
    auto p = lock(t, Keys(9), *plain, locked);
    ASSERT_TRUE(p.ok());
    const std::string& text = p->at("codebook").get_ref<const std::string&>();
    const auto bin = detail::base64_decode(text);
    const double n = double(kN);
    std::cout << st::dtype_name(dtype) << ": codebook " << bin->size() << " bytes ("
              << double(bin->size()) / n << " B/element), base64 " << text.size() << " ("
              << double(text.size()) / n << " B/element)\n";
    if (dtype == st::DType::F32) {
      EXPECT_LT(double(text.size()) / n, 5.0);
    } else {
      EXPECT_LT(text.size(), 65536u * 8);
    }

    auto dec = scheme().decoder(t.desc, Keys(9).tk(), *p);
    ASSERT_TRUE(dec.ok());
    Bytes out(plain->size()), copy(plain->size());
    const auto t0 = std::chrono::steady_clock::now();
    for (int rep = 0; rep < 4; ++rep) ASSERT_TRUE((*dec)->decode(0, locked, out).ok());
    const auto t1 = std::chrono::steady_clock::now();
    for (int rep = 0; rep < 4; ++rep) std::memcpy(copy.data(), locked.data(), copy.size());
    const auto t2 = std::chrono::steady_clock::now();
    EXPECT_EQ(out, *plain);
    const double bytes = 4.0 * double(plain->size());
    std::cout << "  decode " << bytes / std::chrono::duration<double>(t1 - t0).count() / 1e9
              << " GB/s, memcpy " << bytes / std::chrono::duration<double>(t2 - t1).count() / 1e9
              << " GB/s (one thread)\n";
  }
}

}  // namespace
}  // namespace hwlock::transform
