// hwlock/fuzzy.hpp — a fuzzy extractor: a stable 256-bit key from a noisy device response.
//
// Construction (Dodis, Reyzin, Smith: "code-offset"). Enrollment draws a random secret s of K bits,
// encodes it with a binary code C of length N, and publishes the helper data P = w XOR C(s), where
// w is the device's response (PUF bits, timing bits). Reproduction reads a noisy w', decodes w' XOR
// P = C(s) XOR (w XOR w') back to s, and derives the key with HKDF-SHA256. The code is a
// concatenation: an inner repetition code (r copies, majority vote) under an outer narrow-sense
// binary BCH code over GF(2^m) (n = 2^m − 1, k message bits, corrects t errors), `blocks` of them.
//
//   N (response bits) = blocks · n · r        K (secret bits) = blocks · k
//
// Bit layout of the N response/codeword bits: BCH block b, codeword position j (x^j; parity at
// j < n − k, message bit i at j = n − k + i), repetition copy q sits at q · (blocks · n) + b · n +
// j, so the copies of one bit are spread over the whole response (a burst hits different groups).
//
// Soft information: an optional reliability mask (1 = use) from enrollment excludes unstable
// positions: their offset bits are not published (stored as 0) and the majority vote ignores them.
// A tied vote goes to the group's first used copy; a group with no used copy decodes as 0 (an
// erasure the BCH code absorbs as an error half of the time).
//
// Helper data is public but must not be trusted: it carries an HMAC-SHA256 tag over the record and
// the caller's context, keyed from s. A modified record, or another context, fails with
// fuzzy_helper_tampered; too many errors (another device) fails with fuzzy_decode_failed. The key
// is never returned unverified.
//
// Helper-data record (serialize/parse), all integers little-endian, version 1:
//   off  size  field
//     0     4  magic "HWFE"
//     4     1  version = 1 (kExtractorId: code-offset, repetition+BCH, HKDF-SHA256, HMAC-SHA256)
//     5     1  bch_m          (3..15)
//     6     2  bch_t          (requested designed t; the code may correct more, see BchCode::t)
//     8     2  repetition     (odd, 1..kMaxRepetition)
//    10     2  blocks         (1..kMaxBlocks)
//    12     1  flags          (bit 0: a reliability mask follows; other bits 0)
//    13     3  reserved       (0)
//    16    32  salt           (HKDF salt, random per enrollment)
//    48     B  offset         (N bits, LSB first; bits at masked positions and padding bits are 0)
//  48+B     B  mask           (only with flag bit 0; N bits, LSB first, 1 = used; padding bits 0)
//   end−32 32  tag            HMAC-SHA256(mac_key, record[0 .. end−32) || u32le(|ctx|) || ctx)
//   B = ceil(N / 8). Any other length, value or padding is fuzzy_helper_invalid (one encoding only,
//   so the MAC covers exactly what is parsed).
//   mac_key = HKDF-SHA256(ikm = s, salt, info = "hwlock/v1/fuzzy/helper-mac")
//   key     = HKDF-SHA256(ikm = s, salt, info = "hwlock/v1/fuzzy/key" || 0x00 || context)
//   s is packed LSB first into ceil(K / 8) bytes (block 0's message bits first).
//
// Security accounting (see entropy_report): the helper data leaks at most N_used − K bits about w,
// so the secret keeps at least H∞(w_used) − (N_used − K) bits of min-entropy. With unbiased
// independent bits that is K; any bias is multiplied by N, so a large repetition factor leaves
// little margin (a per-bit bias of 0.505 already costs ~0.015·N bits). Enrollment refuses
// configurations below EnrollOptions::min_residual_bits.
//
// WARNING: the decoder is not constant-time (its running time depends on the number of errors),
// and "decode failed" vs "MAC mismatch" are distinguishable; an attacker who can submit modified
// helper data to a device and observe the outcome learns about the response (helper-data
// manipulation attacks). This is a deterrent-grade construction, as the rest of hwlock.
//
// Bits are passed packed, LSB first (bit i is byte i/8, bit i%8), the layout of
// fingerprint::BitVector::bytes(). Lower-level code APIs (BchCode, ConcatenatedCode) take unpacked
// bits, one 0/1 value per byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "hwlock/crypto.hpp"
#include "hwlock/error.hpp"

namespace hwlock::fuzzy {

// Identifier of helper-data version 1; record it wherever the helper data is stored.
inline constexpr std::string_view kExtractorId = "code-offset-rep-bch-hkdf-sha256-v1";

inline constexpr unsigned kBchMinM = 3;
inline constexpr unsigned kBchMaxM = 15;
inline constexpr unsigned kMaxRepetition = 255;
inline constexpr unsigned kMaxBlocks = 1024;
inline constexpr std::size_t kMaxCodeBits = std::size_t{1} << 24;  // cap on N
inline constexpr std::size_t kSaltSize = 32;
inline constexpr std::size_t kTagSize = crypto::kSha256Size;

namespace detail {
struct GaloisField;
}

// ---------------------------------------------------------------------------------------------
// Binary narrow-sense primitive BCH code over GF(2^m): generator = lcm of the minimal polynomials
// of α^1 .. α^{2t}. Systematic: codeword bit j is the coefficient of x^j, parity at [0, n − k),
// message at [n − k, n). Reference implementation (bit-serial LFSR encoder; syndromes,
// Berlekamp–Massey, Chien search): readable first; a faster variant must be tested against it.
// Immutable after create; cheap to copy (the field tables are shared).
class BchCode {
 public:
  // Errors: fuzzy_bad_params (m outside [kBchMinM, kBchMaxM], t == 0, or no message bits left).
  static Result<BchCode> create(unsigned m, unsigned t);

  unsigned m() const noexcept { return m_; }
  unsigned n() const noexcept { return n_; }
  unsigned k() const noexcept { return k_; }
  // Errors corrected. May exceed designed_t(): when the generator's consecutive roots α^1..α^{d−1}
  // run past 2t (e.g. t = 16 and t = 18 give the same (255,131) code), the decoder uses the BCH
  // bound t = (d − 1) / 2 of the code actually built.
  unsigned t() const noexcept { return t_; }
  unsigned designed_t() const noexcept { return designed_t_; }
  // Generator polynomial coefficients g_0 .. g_{n−k} (each 0 or 1; g_0 = g_{n−k} = 1).
  const std::vector<std::uint8_t>& generator() const noexcept { return generator_; }

  // message: k() bits, codeword: n() bits (unpacked 0/1).
  void encode_ref(std::span<const std::uint8_t> message, std::span<std::uint8_t> codeword) const;

  // Corrects `word` (n() bits) in place. Returns the number of bits flipped (≤ t()), or nullopt
  // when the decoder detects more than t() errors (locator degree > t, or fewer roots than its
  // degree); `word` is then unchanged. With more than t() errors it may also return a different
  // codeword: the result is always a codeword or nullopt. Scratch buffers are wiped.
  std::optional<unsigned> decode_ref(std::span<std::uint8_t> word) const;

 private:
  BchCode() = default;
  std::shared_ptr<const detail::GaloisField> gf_;
  std::vector<std::uint8_t> generator_;
  unsigned m_ = 0, n_ = 0, k_ = 0, t_ = 0, designed_t_ = 0;
};

// Dimension and correction capability of BCH(m, t) from cyclotomic cosets alone (no field tables):
// what BchCode::create would build. Errors as BchCode::create.
struct BchDimensions {
  unsigned n = 0, k = 0, t = 0;
};
Result<BchDimensions> bch_dimensions(unsigned m, unsigned t);

// ---------------------------------------------------------------------------------------------
// Parameters of the concatenated code. The default is select_params' choice for a 15 % bit-error
// rate, 1e-6 key failure and ≥ 128 residual bits (unbiased bits):
//   BCH(255,131,18) under repetition 7, 1 block: N = 1785 response bits, K = 131 secret bits,
//   inner bit error 1.21e-2, analytic failure probability 5.4e-10 per reproduction.
// (Same N as BCH(255,147,14), the smallest t meeting 1e-6 at r = 7 with FRR 7.3e-7: the selection
// spends the slack between 147 and 128 secret bits on correction.) Other selections: 5 %:
// BCH(511,130,55), r = 1, N = 511, FRR 5.0e-8; 25 %: BCH(255,131,18), r = 15, N = 3825, 1.5e-7.
struct CodeParams {
  unsigned bch_m = 8;
  unsigned bch_t = 18;
  unsigned repetition = 7;  // odd
  unsigned blocks = 1;
  friend bool operator==(const CodeParams&, const CodeParams&) = default;
};

struct DecodeOutcome {
  unsigned failed_blocks = 0;   // BCH blocks the decoder rejected (their message bits are garbage)
  unsigned corrected_bits = 0;  // bits the BCH stage flipped in the other blocks
  bool ok() const noexcept { return failed_blocks == 0; }
};

class ConcatenatedCode {
 public:
  // Errors: fuzzy_bad_params (even or out-of-range repetition, blocks, BCH parameters, N too big).
  static Result<ConcatenatedCode> create(const CodeParams& params);

  const CodeParams& params() const noexcept { return params_; }
  const BchCode& bch() const noexcept { return bch_; }
  std::size_t length() const noexcept { return length_; }              // N
  std::size_t message_bits() const noexcept { return message_bits_; }  // K

  // message: K bits, codeword: N bits (unpacked 0/1).
  void encode(std::span<const std::uint8_t> message, std::span<std::uint8_t> codeword) const;
  // word: N bits; mask: N bits (1 = use) or empty (use all); message receives K bits.
  // Majority vote per group over used copies (tie: first used copy; none: 0), then BCH per block.
  DecodeOutcome decode(std::span<const std::uint8_t> word, std::span<const std::uint8_t> mask,
                       std::span<std::uint8_t> message) const;

 private:
  ConcatenatedCode(const CodeParams& params, BchCode bch);
  CodeParams params_;
  BchCode bch_;
  std::size_t length_ = 0, message_bits_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Analytic failure probability for i.i.d. bit errors at rate `ber`, in long double / log space so
// that values near 1e-9 .. 1e-15 stay accurate.

// P(X > above) for X ~ Binomial(n, p); p in [0, 1].
long double binomial_tail_above(unsigned n, unsigned above, long double p) noexcept;

struct FailureAnalysis {
  double inner_bit_error = 0;  // after the repetition majority vote
  double block_failure = 0;    // P(more than t errors in one BCH block)
  double key_failure = 0;      // 1 − (1 − block_failure)^blocks: reproduction fails
};
// Errors: fuzzy_bad_params (invalid params, ber outside [0, 0.5]).
Result<FailureAnalysis> analyze_failure(const CodeParams& params, double ber);

struct SelectionOptions {
  double ber = 0.15;               // expected bit-error rate of a re-read against enrollment
  double max_failure = 1e-6;       // per reproduction
  double min_residual_bits = 128;  // residual min-entropy, assuming unbiased bits (= K)
  unsigned min_m = 6, max_m = 10;  // BCH field sizes considered
  unsigned max_repetition = 63;
};
struct Selection {
  CodeParams params;
  FailureAnalysis failure;
  std::size_t response_bits = 0;  // N
  std::size_t secret_bits = 0;    // K
};
// The configuration with the fewest response bits (ties: lowest failure) meeting the options.
// Errors: fuzzy_bad_params (options out of range, or no configuration meets them).
Result<Selection> select_params(const SelectionOptions& options);

// ---------------------------------------------------------------------------------------------
// Min-entropy accounting. `ones_fraction[i]` estimates P(bit i = 1) over the population of devices
// (empty: unbiased, 1 bit each); `mask` is packed (1 = used; empty: all used). Only the first N
// bits of each count. Assumes independent bits: correlated bits make the true figure lower.
struct EntropyReport {
  std::size_t used_bits = 0;    // N_used
  double min_entropy_bits = 0;  // H∞ = Σ_used −log2 max(p_i, 1 − p_i)
  std::size_t leak_bits = 0;    // N_used − K (what the code offset can reveal), ≥ 0
  double residual_bits = 0;     // max(0, H∞ − leak): lower bound on the secret's min-entropy
};
// Errors: fuzzy_bad_params (invalid params, ones_fraction shorter than N or outside [0, 1], mask
// shorter than N bits).
Result<EntropyReport> entropy_report(const CodeParams& params,
                                     std::span<const double> ones_fraction,
                                     std::span<const std::uint8_t> mask);

// Summary of repeated enrollment reads of one device: the majority reference response, each bit's
// fraction of ones across the reads (a noise measure, not the population bias), and a mask keeping
// bits whose minority fraction is ≤ max_flip_fraction. Packed in and out.
struct ReadSummary {
  std::size_t nbits = 0;
  crypto::SecretBuffer reference;  // packed majority vote (ties: 0); secret
  std::vector<double> ones_fraction;
  std::vector<std::uint8_t> mask;  // packed, 1 = reliable
  std::size_t reliable_bits = 0;
};
// Errors: fuzzy_bad_params (no reads, a read shorter than nbits, max_flip_fraction outside [0,
// 0.5]).
Result<ReadSummary> summarize_reads(std::span<const std::span<const std::uint8_t>> reads,
                                    std::size_t nbits, double max_flip_fraction);

// ---------------------------------------------------------------------------------------------
// Helper data: public, authenticated by its tag. See the record layout above.
struct HelperData {
  CodeParams params;
  std::array<std::byte, kSaltSize> salt{};
  std::vector<std::uint8_t> offset;  // packed, N bits
  std::vector<std::uint8_t> mask;    // packed, N bits, or empty (all positions used)
  std::array<std::byte, kTagSize> tag{};

  // The canonical record. The helper data must be valid (as produced by enroll/parse).
  std::vector<std::byte> serialize() const;
  // Errors: fuzzy_helper_invalid (any deviation from the layout), never allocates more than the
  // input's size.
  static Result<HelperData> parse(crypto::ByteSpan record);
};

struct EnrollOptions {
  CodeParams params{};
  std::span<const std::uint8_t> mask;     // packed reliability mask (1 = use), or empty
  std::span<const double> ones_fraction;  // population bias per bit, or empty (unbiased)
  std::string_view context;               // bound into the key and the tag (e.g. model id)
  double min_residual_bits = 128;
};

struct Enrollment {
  HelperData helper;
  crypto::SecretKey key;
  EntropyReport entropy;
};

// Required response length for `params` (N), or fuzzy_bad_params.
Result<std::size_t> response_bits(const CodeParams& params);

// `response` is packed with at least `nbits` ≥ N bits; the first N are used.
// Errors: fuzzy_bad_params, fuzzy_low_entropy (residual < min_residual_bits, message gives the
// figures), crypto (RNG/KDF failure).
Result<Enrollment> enroll(std::span<const std::uint8_t> response, std::size_t nbits,
                          const EnrollOptions& options);

// Errors: fuzzy_bad_params (response shorter than N), fuzzy_helper_invalid (inconsistent helper),
// fuzzy_decode_failed (too many errors), fuzzy_helper_tampered (tag mismatch: modified helper data
// or a different context), crypto.
Result<crypto::SecretKey> reproduce(std::span<const std::uint8_t> response, std::size_t nbits,
                                    const HelperData& helper, std::string_view context);
// Parses `record` first (fuzzy_helper_invalid on a malformed record).
Result<crypto::SecretKey> reproduce(std::span<const std::uint8_t> response, std::size_t nbits,
                                    crypto::ByteSpan record, std::string_view context);

}  // namespace hwlock::fuzzy
