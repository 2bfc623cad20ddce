// Element-type properties and the kind dispatch of the scalar codecs.
#include <algorithm>
#include <bit>

#include "numfmt_internal.hpp"

namespace hwlock::numfmt {

namespace {
bool is_float_kind(ElementKind k) {
  return k == ElementKind::ieee_float || k == ElementKind::fn_float ||
         k == ElementKind::finite_float;
}
}  // namespace

std::uint32_t max_finite_code(const ElementType& t) noexcept {
  const unsigned em = t.exp_bits + t.man_bits;
  switch (t.kind) {
    case ElementKind::ieee_float:
      return ((((1u << t.exp_bits) - 1) << t.man_bits) - 1);
    case ElementKind::fn_float:
      return (1u << em) - 2;
    case ElementKind::finite_float:
      return (1u << em) - 1;
    case ElementKind::twos_int:
    case ElementKind::log:
      return (1u << (t.bits - 1)) - 1;
  }
  return 0;
}

int max_exponent(const ElementType& t) noexcept {
  const std::uint32_t mag = max_finite_code(t);
  switch (t.kind) {
    case ElementKind::ieee_float:
    case ElementKind::fn_float:
    case ElementKind::finite_float: {
      const int field = static_cast<int>(mag >> t.man_bits);
      if (field > 0) return field - t.bias;
      return std::bit_width(mag) - 1 + (1 - t.bias) - t.man_bits;
    }
    case ElementKind::twos_int:
      return std::bit_width(mag) - 1 - t.man_bits;
    case ElementKind::log: {
      const int l = static_cast<int>(mag) - t.bias;
      return l >= 0 ? l >> 3 : -((-l + 7) >> 3);
    }
  }
  return 0;
}

bool has_inf(const ElementType& t) noexcept {
  return t.kind == ElementKind::ieee_float;
}
bool has_nan(const ElementType& t) noexcept {
  return t.kind == ElementKind::ieee_float || t.kind == ElementKind::fn_float ||
         t.kind == ElementKind::log;
}

bool is_nan_code(const ElementType& t, std::uint32_t code) noexcept {
  const std::uint32_t mask = t.bits == 32 ? ~0u : (1u << t.bits) - 1;
  code &= mask;
  const std::uint32_t mag = code & (mask >> 1);
  switch (t.kind) {
    case ElementKind::ieee_float:
      return mag > (((1u << t.exp_bits) - 1) << t.man_bits);
    case ElementKind::fn_float:
      return mag == max_finite_code(t) + 1;
    case ElementKind::log:
      return code == 0x80;
    default:
      return false;
  }
}

bool is_valid(const ElementType& t) noexcept {
  if (t.bits < 2 || t.bits > 32) return false;
  if (is_float_kind(t.kind)) {
    if (t.bits != 1 + t.exp_bits + t.man_bits || t.exp_bits > 8 || t.man_bits > 23) return false;
    if (t.kind != ElementKind::finite_float && t.exp_bits == 0) return false;
    if (t.kind == ElementKind::fn_float && t.exp_bits + t.man_bits < 2) return false;
    // Every value, subnormals included, must be an fp32 value.
    return 1 - t.bias - t.man_bits >= -149 && max_exponent(t) <= 127;
  }
  if (t.kind == ElementKind::twos_int) return t.exp_bits == 0 && t.bias == 0 && t.man_bits <= 32;
  return t == kLog8;
}

Encoded encode_element_ref(const ElementType& t, float x, int scale_exp, Rounding mode,
                           bool saturate, std::uint32_t random) noexcept {
  switch (t.kind) {
    case ElementKind::twos_int:
      return detail::encode_twos_int(t, x, scale_exp, mode, random);
    case ElementKind::log:
      return detail::encode_log(t, x, scale_exp, mode, random);
    default:
      return detail::encode_minifloat(t, x, scale_exp, mode, saturate, random);
  }
}

float decode_element_ref(const ElementType& t, std::uint32_t code, int scale_exp) noexcept {
  switch (t.kind) {
    case ElementKind::twos_int:
      return detail::decode_twos_int(t, code, scale_exp);
    case ElementKind::log:
      return detail::decode_log(t, code, scale_exp);
    default:
      return detail::decode_minifloat(t, code, scale_exp);
  }
}

}  // namespace hwlock::numfmt
