// libFuzzer target: arbitrary bytes as a `--format` string (numfmt::parse_format).
// Invariants: failures are Errc::usage; parsing is case-insensitive; an accepted spec validates,
// its canonical name parses back to the same spec and is a fixed point of format_name; and the
// spec quantises a fixed tensor (zeros, subnormals, extremes, inf, NaN) identically through
// quantize_ref + dequantize_ref, fake_quantize_ref and fake_quantize (scalar and detected ISA).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.hpp"
#include "hwlock/numfmt.hpp"

namespace {

namespace nf = hwlock::numfmt;

constexpr nf::TensorShape kShape{3, 13};

std::vector<float> sample_tensor() {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {
      0.0f,     -0.0f,   1.0f,     -1.0f,    0.5f,   1e-40f,
      -1e-45f,  6.1e-5f, 65504.0f, 65520.0f, 448.0f, 464.0f,
      57344.0f, 3.4e38f, -3.4e38f, kInf,     -kInf,  std::numeric_limits<float>::quiet_NaN(),
      0.1f,     -0.3f,   2.5f,     -7.75f,   1e-8f,  123.456f};
  // The rest: a fixed pseudo-random spread over many magnitudes.
  std::uint64_t x = 0x9E3779B97F4A7C15u;
  while (v.size() < kShape.size()) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const float mant = static_cast<float>(x % 20001) / 10000.0f - 1.0f;
    v.push_back(std::ldexp(mant, static_cast<int>((x >> 32) % 40) - 20));
  }
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void check_quantisation(const nf::FormatSpec& spec) {
  static const std::vector<float> in = sample_tensor();
  auto q = nf::quantize_ref(spec, in, kShape);
  HWLOCK_FUZZ_CHECK(q.ok());
  HWLOCK_FUZZ_CHECK(q->codes.size() == kShape.size());
  const std::uint32_t bits = q->spec.element.bits;
  for (std::uint32_t c : q->codes) HWLOCK_FUZZ_CHECK(bits >= 32 || (c >> bits) == 0);
  std::vector<float> two_pass(in.size()), one_pass(in.size()), fast(in.size()), scalar(in.size());
  HWLOCK_FUZZ_CHECK(nf::dequantize_ref(*q, two_pass).ok());
  HWLOCK_FUZZ_CHECK(nf::fake_quantize_ref(spec, in, one_pass, kShape).ok());
  HWLOCK_FUZZ_CHECK(nf::fake_quantize(spec, in, fast, kShape).ok());
  HWLOCK_FUZZ_CHECK(nf::fake_quantize(spec, in, scalar, kShape, nullptr, nf::Isa::scalar).ok());
  HWLOCK_FUZZ_CHECK(same_bits(two_pass, one_pass));
  HWLOCK_FUZZ_CHECK(same_bits(one_pass, fast));
  HWLOCK_FUZZ_CHECK(same_bits(one_pass, scalar));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 256) return 0;  // format strings are short; longer inputs add nothing
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto spec = nf::parse_format(text);

  std::string upper = text;
  for (char& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  auto spec_upper = nf::parse_format(upper);
  HWLOCK_FUZZ_CHECK(spec.ok() == spec_upper.ok());

  if (!spec) {
    HWLOCK_FUZZ_CHECK(spec.error().code == hwlock::Errc::usage);
    return 0;
  }
  HWLOCK_FUZZ_CHECK(*spec == *spec_upper);
  HWLOCK_FUZZ_CHECK(nf::validate(*spec).ok());
  const std::string name = nf::format_name(*spec);
  auto again = nf::parse_format(name);
  HWLOCK_FUZZ_CHECK(again.ok());
  HWLOCK_FUZZ_CHECK(*again == *spec);
  HWLOCK_FUZZ_CHECK(nf::format_name(*again) == name);
  const double sbits = nf::storage_bits_per_element(*spec);
  HWLOCK_FUZZ_CHECK(std::isfinite(sbits) && sbits > 0 && sbits <= 40);
  check_quantisation(*spec);
  return 0;
}
