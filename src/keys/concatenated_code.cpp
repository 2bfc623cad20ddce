// The concatenated code of the fuzzy extractor: `blocks` BCH codewords, each bit repeated r times,
// copies interleaved across the response (layout in fuzzy.hpp).
#include <algorithm>
#include <string>

#include "fuzzy_internal.hpp"
#include "hwlock/fuzzy.hpp"

namespace hwlock::fuzzy {
namespace detail {

Result<std::size_t> check_code_params(unsigned m, unsigned t, unsigned repetition,
                                      unsigned blocks) {
  if (repetition == 0 || repetition % 2 == 0 || repetition > kMaxRepetition)
    return fail(Errc::fuzzy_bad_params, "repetition factor " + std::to_string(repetition) +
                                            " invalid: must be odd, 1.." +
                                            std::to_string(kMaxRepetition));
  if (blocks == 0 || blocks > kMaxBlocks)
    return fail(Errc::fuzzy_bad_params, "BCH block count " + std::to_string(blocks) +
                                            " invalid: must be 1.." + std::to_string(kMaxBlocks));
  HWLOCK_ASSIGN(const BchDimensions dims, bch_dimensions(m, t));
  const std::size_t n_total = std::size_t{dims.n} * repetition * blocks;
  if (n_total > kMaxCodeBits)
    return fail(Errc::fuzzy_bad_params, "code length " + std::to_string(n_total) +
                                            " bits exceeds the cap of " +
                                            std::to_string(kMaxCodeBits));
  return n_total;
}

}  // namespace detail

Result<std::size_t> response_bits(const CodeParams& p) {
  return detail::check_code_params(p.bch_m, p.bch_t, p.repetition, p.blocks);
}

ConcatenatedCode::ConcatenatedCode(const CodeParams& params, BchCode bch)
    : params_(params), bch_(std::move(bch)) {
  length_ = std::size_t{bch_.n()} * params_.repetition * params_.blocks;
  message_bits_ = std::size_t{bch_.k()} * params_.blocks;
}

Result<ConcatenatedCode> ConcatenatedCode::create(const CodeParams& params) {
  HWLOCK_TRY(response_bits(params));
  HWLOCK_ASSIGN(BchCode bch, BchCode::create(params.bch_m, params.bch_t));
  return ConcatenatedCode(params, std::move(bch));
}

void ConcatenatedCode::encode(std::span<const std::uint8_t> message,
                              std::span<std::uint8_t> codeword) const {
  assert(message.size() == message_bits_ && codeword.size() == length_);
  const std::size_t n = bch_.n(), k = bch_.k();
  const std::size_t stride = n * params_.blocks;  // distance between copies of one bit
  crypto::SecretBuffer block_buf(n);
  const std::span<std::uint8_t> block = detail::bits_of(block_buf);
  for (std::size_t b = 0; b < params_.blocks; ++b) {
    bch_.encode_ref(message.subspan(b * k, k), block);
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t q = 0; q < params_.repetition; ++q)
        codeword[q * stride + b * n + j] = block[j];
  }
}

DecodeOutcome ConcatenatedCode::decode(std::span<const std::uint8_t> word,
                                       std::span<const std::uint8_t> mask,
                                       std::span<std::uint8_t> message) const {
  assert(word.size() == length_ && message.size() == message_bits_);
  assert(mask.empty() || mask.size() == length_);
  const std::size_t n = bch_.n(), k = bch_.k();
  const std::size_t stride = n * params_.blocks;
  DecodeOutcome out;
  crypto::SecretBuffer block_buf(n);
  const std::span<std::uint8_t> block = detail::bits_of(block_buf);
  for (std::size_t b = 0; b < params_.blocks; ++b) {
    // Inner code: majority of the used copies. A tie goes to the first used copy, so whether a
    // group decodes right depends only on the error pattern, not on the codeword (as for the
    // linear BCH stage); a group with no used copy reads 0.
    for (std::size_t j = 0; j < n; ++j) {
      int balance = 0;  // (#ones − #zeros) among used copies
      int first = -1;
      for (std::size_t q = 0; q < params_.repetition; ++q) {
        const std::size_t idx = q * stride + b * n + j;
        if (!mask.empty() && (mask[idx] & 1u) == 0) continue;
        const int v = word[idx] & 1;
        if (first < 0) first = v;
        balance += v ? 1 : -1;
      }
      block[j] = static_cast<std::uint8_t>(balance > 0 || (balance == 0 && first == 1) ? 1 : 0);
    }
    const std::optional<unsigned> fixed = bch_.decode_ref(block);
    if (fixed) {
      out.corrected_bits += *fixed;
    } else {
      ++out.failed_blocks;
    }
    std::copy_n(block.begin() + static_cast<std::ptrdiff_t>(n - k), k,
                message.begin() + static_cast<std::ptrdiff_t>(b * k));
  }
  return out;
}

}  // namespace hwlock::fuzzy
