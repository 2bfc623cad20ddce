// GF(2^m) tables and the cyclotomic-coset structure of narrow-sense binary BCH codes.
#include <array>
#include <string>

#include "fuzzy_internal.hpp"
#include "hwlock/fuzzy.hpp"

namespace hwlock::fuzzy {
namespace detail {

std::uint32_t primitive_polynomial(unsigned m) noexcept {
  // Conventional primitive trinomials/pentanomials (Lin & Costello, Table 2.7; Peterson & Weldon).
  static constexpr std::array<std::uint32_t, kBchMaxM + 1> kPoly = {
      0,      0, 0,
      0xB,     // x^3 + x + 1
      0x13,    // x^4 + x + 1
      0x25,    // x^5 + x^2 + 1
      0x43,    // x^6 + x + 1
      0x89,    // x^7 + x^3 + 1
      0x11D,   // x^8 + x^4 + x^3 + x^2 + 1
      0x211,   // x^9 + x^4 + 1
      0x409,   // x^10 + x^3 + 1
      0x805,   // x^11 + x^2 + 1
      0x1053,  // x^12 + x^6 + x^4 + x + 1
      0x201B,  // x^13 + x^4 + x^3 + x + 1
      0x4443,  // x^14 + x^10 + x^6 + x + 1
      0x8003,  // x^15 + x + 1
  };
  assert(m >= kBchMinM && m <= kBchMaxM);
  return kPoly[m];
}

GaloisField make_field(unsigned m) {
  GaloisField f;
  f.m = m;
  f.n = (1u << m) - 1;
  f.exp.assign(2 * std::size_t{f.n}, 0);
  f.log.assign(std::size_t{f.n} + 1, 0);
  const std::uint32_t poly = primitive_polynomial(m);
  std::uint32_t x = 1;
  for (unsigned i = 0; i < f.n; ++i) {
    assert(i == 0 || x != 1);  // α's order below n: the polynomial is not primitive
    f.exp[i] = static_cast<std::uint16_t>(x);
    f.log[x] = static_cast<std::uint16_t>(i);
    x <<= 1;
    if (x & (1u << m)) x ^= poly;
  }
  assert(x == 1);
  for (unsigned i = f.n; i < 2 * f.n; ++i) f.exp[i] = f.exp[i - f.n];
  return f;
}

RootSet bch_root_set(unsigned m, unsigned t) {
  RootSet r;
  r.n = (1u << m) - 1;
  r.is_root.assign(r.n, 0);
  for (unsigned i = 1; i <= 2 * t; ++i) {
    if (r.is_root[i]) continue;
    std::vector<unsigned> coset;
    unsigned j = i;
    do {
      coset.push_back(j);
      r.is_root[j] = 1;
      j = static_cast<unsigned>((2 * std::size_t{j}) % r.n);
    } while (j != i);
    r.degree += coset.size();
    r.cosets.push_back(std::move(coset));
  }
  return r;
}

unsigned RootSet::bch_bound_t() const noexcept {
  unsigned d = 1;
  while (d < n && is_root[d]) ++d;
  return (d - 1) / 2;
}

}  // namespace detail

Result<BchDimensions> bch_dimensions(unsigned m, unsigned t) {
  if (m < kBchMinM || m > kBchMaxM)
    return fail(Errc::fuzzy_bad_params,
                "BCH field GF(2^" + std::to_string(m) + ") unsupported: m must be in [" +
                    std::to_string(kBchMinM) + ", " + std::to_string(kBchMaxM) + "]");
  const unsigned n = (1u << m) - 1;
  if (t == 0 || t > (n - 1) / 2)
    return fail(Errc::fuzzy_bad_params, "BCH t = " + std::to_string(t) + " out of range [1, " +
                                            std::to_string((n - 1) / 2) +
                                            "] for n = " + std::to_string(n));
  const detail::RootSet roots = detail::bch_root_set(m, t);
  if (roots.degree >= n)
    return fail(Errc::fuzzy_bad_params, "BCH(n = " + std::to_string(n) +
                                            ", t = " + std::to_string(t) + ") has no message bits");
  return BchDimensions{n, static_cast<unsigned>(n - roots.degree), roots.bch_bound_t()};
}

}  // namespace hwlock::fuzzy
