// Code-offset fuzzy extractor: enrollment (helper data + key) and reproduction (decode, verify the
// helper data's tag, derive the key). Secrets (s, codewords, the corrected response) stay in
// SecretBuffer / SecretKey.
#include <cmath>
#include <string>

#include "fuzzy_internal.hpp"
#include "hwlock/fuzzy.hpp"

namespace hwlock::fuzzy {
namespace {

constexpr std::string_view kKeyInfo = "hwlock/v1/fuzzy/key";
constexpr std::string_view kMacInfo = "hwlock/v1/fuzzy/helper-mac";

bool bit(std::span<const std::uint8_t> packed, std::size_t i) {
  return ((packed[i / 8] >> (i % 8)) & 1u) != 0;
}

bool context_too_long(std::string_view context) {
  return context.size() > std::size_t{0xFFFFFFFFu};  // its length is MACed as a u32
}

crypto::ByteSpan as_bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

Result<crypto::SecretKey> derive_key(crypto::ByteSpan s_packed, const HelperData& h,
                                     std::string_view context) {
  std::string info(kKeyInfo);
  info.push_back('\0');
  info.append(context);
  crypto::SecretKey key;
  HWLOCK_TRY(crypto::hkdf_sha256(s_packed, h.salt, as_bytes(info), key.mutable_bytes()));
  return crypto::SecretKey(key.bytes());  // marks it valid
}

// HMAC-SHA256 over the record without its tag, then u32le(|context|) || context.
Result<std::array<std::byte, kTagSize>> helper_tag(crypto::ByteSpan s_packed, const HelperData& h,
                                                   std::string_view context) {
  crypto::SecretKey mac_key;
  HWLOCK_TRY(crypto::hkdf_sha256(s_packed, h.salt, as_bytes(kMacInfo), mac_key.mutable_bytes()));
  const std::vector<std::byte> record = h.serialize();
  HWLOCK_ASSIGN(crypto::HmacSha256 mac, crypto::HmacSha256::create(mac_key.bytes()));
  HWLOCK_TRY(mac.update(crypto::ByteSpan(record).first(record.size() - kTagSize)));
  const auto len = static_cast<std::uint32_t>(context.size());
  const std::array<std::byte, 4> len_le = {
      static_cast<std::byte>(len & 0xFF), static_cast<std::byte>((len >> 8) & 0xFF),
      static_cast<std::byte>((len >> 16) & 0xFF), static_cast<std::byte>((len >> 24) & 0xFF)};
  HWLOCK_TRY(mac.update(len_le));
  HWLOCK_TRY(mac.update(as_bytes(context)));
  std::array<std::byte, kTagSize> tag{};
  HWLOCK_TRY(mac.finish(tag));
  return tag;
}

Status check_response(std::span<const std::uint8_t> response, std::size_t nbits,
                      std::size_t needed) {
  if (response.size() < detail::packed_size(nbits))
    return fail(Errc::fuzzy_bad_params, "response buffer of " + std::to_string(response.size()) +
                                            " bytes cannot hold " + std::to_string(nbits) +
                                            " bits");
  if (nbits < needed)
    return fail(Errc::fuzzy_bad_params, "response has " + std::to_string(nbits) +
                                            " bits, the code needs " + std::to_string(needed));
  return {};
}

}  // namespace

Result<Enrollment> enroll(std::span<const std::uint8_t> response, std::size_t nbits,
                          const EnrollOptions& options) {
  HWLOCK_ASSIGN(const ConcatenatedCode code, ConcatenatedCode::create(options.params));
  const std::size_t n_total = code.length(), k_total = code.message_bits();
  HWLOCK_TRY(check_response(response, nbits, n_total));
  if (context_too_long(options.context))
    return fail(Errc::fuzzy_bad_params, "context longer than 4 GiB");
  if (!std::isfinite(options.min_residual_bits) || options.min_residual_bits < 0)
    return fail(Errc::fuzzy_bad_params, "min_residual_bits must be finite and non-negative");
  HWLOCK_ASSIGN(EntropyReport entropy,
                entropy_report(options.params, options.ones_fraction, options.mask));
  if (entropy.residual_bits < options.min_residual_bits)
    return fail(Errc::fuzzy_low_entropy,
                "fuzzy extractor refuses this configuration: residual min-entropy " +
                    std::to_string(entropy.residual_bits) + " bits < required " +
                    std::to_string(options.min_residual_bits) + " (H∞ of " +
                    std::to_string(entropy.used_bits) +
                    " used response bits = " + std::to_string(entropy.min_entropy_bits) +
                    ", helper data leaks " + std::to_string(entropy.leak_bits) +
                    "); use less biased bits, a smaller repetition factor or more BCH blocks");

  // s: K uniformly random bits (the padding bits of the last byte cleared).
  crypto::SecretBuffer s_packed(detail::packed_size(k_total));
  HWLOCK_TRY(crypto::random_bytes(s_packed.span()));
  const auto s_bytes = detail::bits_of(s_packed);
  if (k_total % 8 != 0)
    s_bytes.back() = static_cast<std::uint8_t>(s_bytes.back() & ((1u << (k_total % 8)) - 1));
  crypto::SecretBuffer s_bits(k_total), codeword(n_total);
  detail::unpack_bits(s_bytes, detail::bits_of(s_bits));
  code.encode(detail::bits_of(s_bits), detail::bits_of(codeword));

  Enrollment out;
  HelperData& h = out.helper;
  h.params = options.params;
  HWLOCK_TRY(crypto::random_bytes(h.salt));
  const bool has_mask = !options.mask.empty() && entropy.used_bits < n_total;
  if (has_mask) {
    h.mask.assign(options.mask.begin(),
                  options.mask.begin() + static_cast<std::ptrdiff_t>(detail::packed_size(n_total)));
    if (n_total % 8 != 0)
      h.mask.back() = static_cast<std::uint8_t>(h.mask.back() & ((1u << (n_total % 8)) - 1));
  }
  h.offset.assign(detail::packed_size(n_total), 0);
  const auto c = detail::bits_of(codeword);
  for (std::size_t i = 0; i < n_total; ++i) {
    if (has_mask && !bit(h.mask, i)) continue;  // unreliable: not published
    const unsigned v = (bit(response, i) ? 1u : 0u) ^ c[i];
    h.offset[i / 8] = static_cast<std::uint8_t>(h.offset[i / 8] | (v << (i % 8)));
  }
  HWLOCK_ASSIGN(h.tag, helper_tag(s_packed.span(), h, options.context));
  HWLOCK_ASSIGN(out.key, derive_key(s_packed.span(), h, options.context));
  out.entropy = entropy;
  return out;
}

Result<crypto::SecretKey> reproduce(std::span<const std::uint8_t> response, std::size_t nbits,
                                    const HelperData& helper, std::string_view context) {
  HWLOCK_ASSIGN(const std::size_t n_total, detail::check_helper(helper));
  auto code = ConcatenatedCode::create(helper.params);
  if (!code) return fail(Errc::fuzzy_helper_invalid, code.error().message);
  HWLOCK_TRY(check_response(response, nbits, n_total));
  if (context_too_long(context)) return fail(Errc::fuzzy_bad_params, "context longer than 4 GiB");

  // x = w' XOR P = C(s) XOR (w XOR w') at used positions.
  crypto::SecretBuffer x_buf(n_total);
  const auto x = detail::bits_of(x_buf);
  for (std::size_t i = 0; i < n_total; ++i)
    x[i] =
        static_cast<std::uint8_t>((bit(response, i) ? 1u : 0u) ^ (bit(helper.offset, i) ? 1u : 0u));
  std::vector<std::uint8_t> mask;  // public
  if (!helper.mask.empty()) {
    mask.resize(n_total);
    detail::unpack_bits(helper.mask, mask);
  }
  const std::size_t k_total = code->message_bits();
  crypto::SecretBuffer s_bits(k_total);
  const DecodeOutcome outcome = code->decode(x, mask, detail::bits_of(s_bits));
  if (!outcome.ok())
    return fail(Errc::fuzzy_decode_failed,
                "fuzzy extractor: response does not match the enrollment (" +
                    std::to_string(outcome.failed_blocks) + " of " +
                    std::to_string(helper.params.blocks) +
                    " BCH blocks undecodable): another device, or more noise than the code "
                    "corrects");
  crypto::SecretBuffer s_packed(detail::packed_size(k_total));
  detail::pack_bits(detail::bits_of(s_bits), detail::bits_of(s_packed));

  HWLOCK_ASSIGN(const auto tag, helper_tag(s_packed.span(), helper, context));
  if (!crypto::constant_time_equal(tag, helper.tag))
    return fail(Errc::fuzzy_helper_tampered,
                "fuzzy helper data failed authentication: the record was modified, or the "
                "context differs from enrollment");
  return derive_key(s_packed.span(), helper, context);
}

Result<crypto::SecretKey> reproduce(std::span<const std::uint8_t> response, std::size_t nbits,
                                    crypto::ByteSpan record, std::string_view context) {
  HWLOCK_ASSIGN(const HelperData helper, HelperData::parse(record));
  return reproduce(response, nbits, helper, context);
}

}  // namespace hwlock::fuzzy
