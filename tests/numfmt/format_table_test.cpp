// The traits table, FormatSpec validation, and the --format string round trip.
#include <gtest/gtest.h>

#include <bit>
#include <string>

#include "hwlock/numfmt.hpp"

namespace {

using namespace hwlock;
using namespace hwlock::numfmt;

TEST(FormatTable, EveryNameParsesToItsDefaultSpecAndBack) {
  for (const auto& t : kFormats) {
    auto spec = parse_format(t.name);
    ASSERT_TRUE(spec.ok()) << t.name << ": " << spec.error().message;
    EXPECT_EQ(*spec, default_spec(t.format)) << t.name;
    EXPECT_EQ(format_name(*spec), t.name);
    EXPECT_TRUE(validate(*spec).ok()) << t.name;
    EXPECT_TRUE(is_valid(t.element)) << t.name;
  }
}

TEST(FormatTable, BitsBlocksAndScaling) {
  struct Row {
    Format f;
    unsigned bits;
    unsigned block;
    bool blocked;
  };
  const Row rows[] = {
      {Format::fp32, 32, 0, false},      {Format::bf16, 16, 0, false},
      {Format::fp16, 16, 0, false},      {Format::fp8_e4m3, 8, 0, false},
      {Format::fp8_e5m2, 8, 0, false},   {Format::fp8_e3m4, 8, 0, false},
      {Format::int8, 8, 0, false},       {Format::int4, 4, 0, false},
      {Format::mxint8, 8, 32, true},     {Format::mxfp8_e4m3, 8, 32, true},
      {Format::mxfp8_e5m2, 8, 32, true}, {Format::mxfp6_e2m3, 6, 32, true},
      {Format::mxfp6_e3m2, 6, 32, true}, {Format::mxfp4, 4, 32, true},
      {Format::bfp, 8, 16, true},        {Format::log8, 8, 0, false},
      {Format::fixed, 16, 0, false},
  };
  static_assert(std::size(rows) == kFormatCount);
  for (const auto& r : rows) {
    EXPECT_EQ(bits_per_element(r.f), r.bits) << format_base_name(r.f);
    EXPECT_EQ(traits(r.f).block_size, r.block) << format_base_name(r.f);
    EXPECT_EQ(is_block_scaled(r.f), r.blocked) << format_base_name(r.f);
  }
  EXPECT_DOUBLE_EQ(storage_bits_per_element(default_spec(Format::mxfp4)), 4.25);
  EXPECT_DOUBLE_EQ(storage_bits_per_element(default_spec(Format::bfp)), 8.5);
}

TEST(FormatTable, ElementMaxExponentsMatchTheMxSpec) {
  EXPECT_EQ(max_exponent(kFp8E4M3), 8);
  EXPECT_EQ(max_exponent(kFp8E5M2), 15);
  EXPECT_EQ(max_exponent(kFp6E2M3), 2);
  EXPECT_EQ(max_exponent(kFp6E3M2), 4);
  EXPECT_EQ(max_exponent(kFp4E2M1), 2);
  EXPECT_EQ(max_exponent(kMxInt8), 0);
  EXPECT_EQ(max_exponent(kFp16), 15);
  EXPECT_EQ(max_exponent(kBf16), 127);
  EXPECT_EQ(max_exponent(kFp8E3M4), 3);
  EXPECT_EQ(max_exponent(kLog8), 7);
  EXPECT_EQ(max_exponent(minifloat_element(0, 7)), 0);
}

TEST(FormatSpec, OptionsParseAndPrintCanonically) {
  auto s = parse_format("INT8:Affine:sr=42:per-channel");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->format, Format::int8);
  EXPECT_TRUE(s->affine);
  EXPECT_EQ(s->granularity, Granularity::per_channel);
  EXPECT_EQ(s->rounding, Rounding::stochastic);
  EXPECT_EQ(s->seed, 42u);
  EXPECT_EQ(format_name(*s), "int8:per-channel:affine:sr=42");

  const std::pair<const char*, const char*> canon[] = {
      {"fp16:nosat:rne", "fp16"},
      {"fp8-e4m3:sat", "fp8-e4m3"},
      {"fp8-e4m3:nosat", "fp8-e4m3:nosat"},
      {"bf16:sat:rtz", "bf16:sat:rtz"},
      {"int4:symmetric:per-tensor", "int4"},
      {"fixed:q7.8", "fixed"},
      {"fixed:q3.12", "fixed:q3.12"},
      {"bfp:s8:b16:e0m7", "bfp"},
      {"bfp:b32:e2m3:s5", "bfp:e2m3:b32:s5"},
      {"mxfp4:sr=0", "mxfp4:sr"},
      {"log8:sr=18446744073709551615", "log8:sr=18446744073709551615"},
  };
  for (const auto& [in, out] : canon) {
    auto p = parse_format(in);
    ASSERT_TRUE(p.ok()) << in << ": " << p.error().message;
    EXPECT_EQ(format_name(*p), out) << in;
    EXPECT_EQ(parse_format(format_name(*p)).value(), *p) << in;
  }
  auto q = parse_format("fixed:q3.12");
  EXPECT_EQ(q->element, fixed_element(3, 12));
  EXPECT_EQ(q->element.bits, 16);
  auto b = parse_format("bfp:e2m3:b32:s5");
  EXPECT_EQ(b->element, minifloat_element(2, 3));
  EXPECT_EQ(b->block_size, 32);
  EXPECT_EQ(b->scale_bits, 5);
}

TEST(FormatSpec, BadStringsAreUsageErrors) {
  const char* bad[] = {
      "",
      "fp64",
      "fp8",
      "fp16:",
      "fp16::rtz",
      "fp16:rne:rtz",
      "fp16:foo",
      "fp16:per-channel",
      "mxfp4:nosat",
      "int8:sat",
      "int8:affine:symmetric",
      "fixed:q40.1",
      "fixed:q3",
      "fixed:q.3",
      "fixed:q3.x",
      "fixed:q31.1",
      "bfp:e9m1",
      "bfp:e6m1",
      "bfp:e0m0",
      "bfp:e2m11",
      "bfp:b0",
      "bfp:b5000",
      "bfp:s9",
      "bfp:s1",
      "fp16:sr=abc",
      "fp16:sr=",
      "fp16:sr=-1",
      "fp16:sr=18446744073709551616",
      "mxfp4:b16",
      "fp32:e2m1",
      " fp16",
      "fp16 ",
  };
  for (const char* s : bad) {
    auto r = parse_format(s);
    ASSERT_FALSE(r.ok()) << "'" << s << "' parsed";
    EXPECT_EQ(r.error().code, Errc::usage) << s;
    EXPECT_NE(r.error().message.find("numfmt"), std::string::npos) << r.error().message;
  }
  EXPECT_NE(parse_format("fp64").error().message.find("mxfp6-e2m3"), std::string::npos)
      << "the error lists the known formats";
}

TEST(FormatSpec, ValidateRejectsInconsistentHandMadeSpecs) {
  FormatSpec s = default_spec(Format::fp16);
  s.seed = 3;  // a seed without stochastic rounding
  EXPECT_EQ(validate(s).error().code, Errc::usage);
  s = default_spec(Format::mxfp4);
  s.element = kFp6E2M3;
  EXPECT_FALSE(validate(s).ok());
  s = default_spec(Format::mxfp4);
  s.block_size = 16;
  EXPECT_FALSE(validate(s).ok());
  s = default_spec(Format::fp8_e4m3);
  s.affine = true;
  EXPECT_FALSE(validate(s).ok());
  s = default_spec(Format::int8);
  s.saturate = false;
  EXPECT_FALSE(validate(s).ok());
  s = default_spec(Format::fp16);
  s.format = static_cast<Format>(200);
  EXPECT_FALSE(validate(s).ok());
}

TEST(FormatSpec, GroupCounts) {
  const TensorShape shape{3, 40};
  EXPECT_EQ(group_count(default_spec(Format::fp16), shape), 0u);
  EXPECT_EQ(group_count(default_spec(Format::int8), shape), 1u);
  EXPECT_EQ(group_count(parse_format("int8:per-channel").value(), shape), 3u);
  EXPECT_EQ(group_count(default_spec(Format::mxfp4), shape), 6u);  // 32 + 8 per row
  EXPECT_EQ(group_count(default_spec(Format::bfp), shape), 9u);    // 16 + 16 + 8 per row
}

TEST(FormatSpec, StochasticBitsArePureAndSpread) {
  EXPECT_EQ(stochastic_bits(1, 2), stochastic_bits(1, 2));
  EXPECT_NE(stochastic_bits(1, 2), stochastic_bits(1, 3));
  EXPECT_NE(stochastic_bits(1, 2), stochastic_bits(2, 2));
  static_assert(stochastic_bits(0, 0) == stochastic_bits(0, 0));
  std::uint64_t ones = 0;
  for (std::uint64_t i = 0; i < 4096; ++i) ones += std::popcount(stochastic_bits(7, i));
  EXPECT_NEAR(static_cast<double>(ones) / (4096 * 32), 0.5, 0.01);
}

}  // namespace
