// Binary BCH code: generator from minimal polynomials, systematic LFSR encoder, and the classic
// decoder (syndromes, Berlekamp–Massey, Chien search). Reference implementation: plain loops over
// unpacked bits, written to be checked against a textbook.
#include <algorithm>

#include "fuzzy_internal.hpp"
#include "hwlock/fuzzy.hpp"

namespace hwlock::fuzzy {

Result<BchCode> BchCode::create(unsigned m, unsigned t) {
  HWLOCK_ASSIGN(const BchDimensions dims, bch_dimensions(m, t));
  BchCode code;
  code.m_ = m;
  code.n_ = dims.n;
  code.k_ = dims.k;
  code.t_ = dims.t;
  code.designed_t_ = t;
  auto gf = std::make_shared<detail::GaloisField>(detail::make_field(m));

  // g(x) = Π over cosets C of the minimal polynomial M_C(x) = Π_{j ∈ C} (x + α^j). Each M_C has
  // binary coefficients (C is closed under squaring), so g is multiplied out over GF(2).
  std::vector<std::uint8_t> g{1};
  const detail::RootSet roots = detail::bch_root_set(m, t);
  for (const auto& coset : roots.cosets) {
    std::vector<std::uint16_t> mp{1};  // coefficients low degree first, in GF(2^m)
    for (unsigned j : coset) {
      const std::uint16_t a = gf->exp[j];
      std::vector<std::uint16_t> next(mp.size() + 1, 0);
      for (std::size_t i = 0; i < mp.size(); ++i) {
        next[i + 1] ^= mp[i];          // x · mp
        next[i] ^= gf->mul(a, mp[i]);  // α^j · mp
      }
      mp = std::move(next);
    }
    std::vector<std::uint8_t> prod(g.size() + mp.size() - 1, 0);
    for (std::size_t i = 0; i < g.size(); ++i) {
      if (g[i] == 0) continue;
      for (std::size_t j = 0; j < mp.size(); ++j) {
        assert(mp[j] <= 1);  // a minimal polynomial over GF(2)
        prod[i + j] ^= static_cast<std::uint8_t>(mp[j]);
      }
    }
    g = std::move(prod);
  }
  assert(g.size() == std::size_t{code.n_ - code.k_} + 1 && g.front() == 1 && g.back() == 1);
  code.generator_ = std::move(g);
  code.gf_ = std::move(gf);
  return code;
}

void BchCode::encode_ref(std::span<const std::uint8_t> message,
                         std::span<std::uint8_t> codeword) const {
  assert(message.size() == k_ && codeword.size() == n_);
  // Parity = message(x) · x^{n−k} mod g(x), by the textbook division LFSR: message bits enter from
  // the highest degree down; reg[n−k−1] is the register's highest-degree cell.
  const unsigned r = n_ - k_;
  std::span<std::uint8_t> reg = codeword.first(r);
  std::fill(reg.begin(), reg.end(), std::uint8_t{0});
  for (unsigned i = k_; i-- > 0;) {
    const std::uint8_t feedback = static_cast<std::uint8_t>((message[i] ^ reg[r - 1]) & 1u);
    for (unsigned j = r - 1; j > 0; --j)
      reg[j] = static_cast<std::uint8_t>(reg[j - 1] ^ (feedback & generator_[j]));
    reg[0] = static_cast<std::uint8_t>(feedback & generator_[0]);
  }
  std::copy(message.begin(), message.end(), codeword.begin() + r);
}

std::optional<unsigned> BchCode::decode_ref(std::span<std::uint8_t> word) const {
  assert(word.size() == n_);
  const detail::GaloisField& gf = *gf_;
  const unsigned two_t = 2 * t_;

  // Syndromes S_j = r(α^j), j = 1..2t. Odd ones by evaluation; for a binary word S_2j = S_j².
  detail::WipedVector<std::uint16_t> syn(two_t + 1);
  bool any_nonzero = false;
  for (unsigned j = 1; j <= two_t; j += 2) {
    std::uint16_t acc = 0;
    unsigned e = 0;  // i · j mod n
    for (unsigned i = 0; i < n_; ++i) {
      if (word[i] & 1u) acc ^= gf.exp[e];
      e += j;
      if (e >= n_) e -= n_;
    }
    syn[j] = acc;
    any_nonzero = any_nonzero || acc != 0;
  }
  if (!any_nonzero) return 0u;  // a codeword
  for (unsigned j = 2; j <= two_t; j += 2) syn[j] = gf.mul(syn[j / 2], syn[j / 2]);

  // Berlekamp–Massey: the shortest LFSR Λ(x) = 1 + Λ_1 x + ... + Λ_L x^L generating S_1..S_2t.
  const std::size_t len = two_t + 2;
  detail::WipedVector<std::uint16_t> lambda(len), prev(len), saved(len);
  lambda[0] = 1;
  prev[0] = 1;
  unsigned L = 0;
  unsigned shift = 1;           // x^shift multiplies prev in the update
  std::uint16_t prev_disc = 1;  // discrepancy when prev was last the current polynomial
  for (unsigned r = 0; r < two_t; ++r) {
    std::uint16_t d = syn[r + 1];
    for (unsigned i = 1; i <= L; ++i) d ^= gf.mul(lambda[i], syn[r + 1 - i]);
    if (d == 0) {
      ++shift;
      continue;
    }
    const std::uint16_t coef = gf.div(d, prev_disc);
    const bool grow = 2 * L <= r;
    if (grow) std::copy(lambda.data(), lambda.data() + len, saved.data());
    for (std::size_t i = 0; i + shift < len; ++i) lambda[i + shift] ^= gf.mul(coef, prev[i]);
    if (grow) {
      L = r + 1 - L;
      std::copy(saved.data(), saved.data() + len, prev.data());
      prev_disc = d;
      shift = 1;
    } else {
      ++shift;
    }
  }
  if (L > t_) return std::nullopt;  // more than t errors

  // Chien search: position i is in error iff Λ(α^{−i}) = 0.
  detail::WipedVector<unsigned> positions(L);
  unsigned found = 0;
  for (unsigned i = 0; i < n_ && found <= L; ++i) {
    const unsigned inv = (n_ - i) % n_;  // α^{−i} = α^{inv}
    std::uint16_t v = lambda[0];
    for (unsigned l = 1; l <= L; ++l) {
      if (lambda[l] == 0) continue;
      const unsigned e = static_cast<unsigned>((std::size_t{inv} * l) % n_);
      v ^= gf.exp[gf.log[lambda[l]] + e];
    }
    if (v == 0) {
      if (found == L) return std::nullopt;  // cannot happen for deg Λ = L; be safe
      positions[found++] = i;
    }
  }
  // Fewer roots than the degree: the error pattern is not within distance t of any codeword.
  if (found != L) return std::nullopt;
  for (unsigned i = 0; i < found; ++i) word[positions[i]] ^= 1u;
  return L;
}

}  // namespace hwlock::fuzzy
