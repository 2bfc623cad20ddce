// Scheme "preaes-v1": pre-transformed AES (docs/PREAES.md). Each value owns a share of the
// 2^(8b)-slot code space proportional to its count; lock stores (keyed random slot of the value +
// AES-CTR keystream word) mod 2^(8b), so a wrong key lands on a uniform slot and decodes to a
// value drawn from the tensor's own distribution.
#include <algorithm>

#include "base64.hpp"
#include "keystream.hpp"
#include "preaes_codebook.hpp"
#include "schemes.hpp"

namespace hwlock::transform::detail {
namespace {

using preaes::Codebook;
using preaes::load_le;
using preaes::Order;
using preaes::store_le;

constexpr std::string_view kId = "preaes-v1";
constexpr std::size_t kChunk = 64 * 1024;  // keystream bytes per refill (a multiple of 4)

// The dtype's element shape in the code space.
struct Space {
  unsigned b;          // bytes per element
  unsigned bits;       // 8 b
  std::uint64_t size;  // 2^bits slots
  std::uint64_t mask;  // size - 1
  Order order;
};
Space space_of(st::DType d) {
  const auto b = static_cast<unsigned>(st::dtype_size(d));
  const std::uint64_t size = std::uint64_t{1} << (8 * b);
  return {b, 8 * b, size, size - 1, preaes::order_of(d)};
}

std::string where(const TensorDesc& t) {
  return "tensor \"" + std::string(t.name) + "\": " + std::string(kId);
}
Error invalid(const TensorDesc& t, const std::string& what) {
  return fail(Errc::scheme_params_invalid, where(t) + " " + what);
}

// The slot stream's nonce: the tensor nonce with its top byte XOR 0x80, so it never meets the
// element keystream (which would need 2^127 counter blocks to reach it).
std::array<std::byte, crypto::kIvSize> slot_nonce(std::span<const std::byte, crypto::kIvSize> n) {
  std::array<std::byte, crypto::kIvSize> s{};
  std::copy(n.begin(), n.end(), s.begin());
  s[0] ^= std::byte{0x80};
  return s;
}

// Request {} / {"mode": "exact"} / {"mode": "rank16"}; true for rank16.
Result<bool> parse_request(const TensorDesc& t, const Params& req) {
  if (!req.is_object()) return invalid(t, "request is not a JSON object");
  bool rank16 = false;
  for (const auto& [k, v] : req.items()) {
    if (k != "mode") return invalid(t, "request: unknown field \"" + k + "\"");
    if (!v.is_string() || (v != "exact" && v != "rank16"))
      return invalid(t, "request: mode must be \"exact\" or \"rank16\"");
    rank16 = v == "rank16";
  }
  if (rank16 && t.dtype != st::DType::F32)
    return invalid(t,
                   "mode rank16 needs an F32 tensor, not " + std::string(st::dtype_name(t.dtype)));
  return rank16;
}

class PreaesDecoder final : public Decoder {
 public:
  PreaesDecoder(const TensorDesc& t, const TensorKeys& k, const Codebook& cb)
      : sp_(space_of(t.dtype)), bytes_(t.bytes) {
    std::copy(k.key.begin(), k.key.end(), key_.begin());
    std::copy(k.nonce.begin(), k.nonce.end(), nonce_.begin());
    if (cb.keys.empty()) return;
    const std::vector<std::uint64_t> starts = preaes::allot_slots(cb.counts, sp_.size);
    const std::size_t d = cb.keys.size();
    if (sp_.b <= 2) {  // slot -> pattern, the whole code space
      table_.resize(static_cast<std::size_t>(sp_.size));
      for (std::size_t j = 0; j < d; ++j)
        std::fill(table_.begin() + static_cast<std::ptrdiff_t>(starts[j]),
                  table_.begin() + static_cast<std::ptrdiff_t>(starts[j + 1]),
                  static_cast<std::uint16_t>(preaes::from_key(sp_.order, sp_.bits, cb.keys[j])));
      return;
    }
    // b = 4: owners by binary search within the range a 2^16-slot bucket spans.
    starts_.resize(d);
    patterns_.resize(d);
    for (std::size_t j = 0; j < d; ++j) {
      starts_[j] = static_cast<std::uint32_t>(starts[j]);
      patterns_[j] = preaes::from_key(sp_.order, sp_.bits, cb.keys[j]);
    }
    bucket_.resize(kBuckets + 1);
    std::size_t j = 0;
    for (std::size_t q = 0; q < kBuckets; ++q) {
      while (j + 1 < d && starts[j + 1] <= (std::uint64_t{q} << 16)) ++j;
      bucket_[q] = static_cast<std::uint32_t>(j);
    }
    bucket_[kBuckets] = static_cast<std::uint32_t>(d - 1);
  }
  ~PreaesDecoder() override {
    crypto::secure_wipe(std::as_writable_bytes(std::span(key_)));
    crypto::secure_wipe(std::as_writable_bytes(std::span(nonce_)));
  }

  Status decode(std::uint64_t byte_offset, std::span<const std::byte> in,
                std::span<std::byte> out) const override {
    if (in.size() != out.size() || byte_offset % sp_.b != 0 || in.size() % sp_.b != 0 ||
        byte_offset > bytes_ || in.size() > bytes_ - byte_offset)
      return fail(Errc::internal, std::string(kId) +
                                      ": decode range not element-aligned or "
                                      "outside the tensor");
    if (in.empty()) return {};
    crypto::SecretBuffer ks(std::min(kChunk, in.size()));
    for (std::size_t pos = 0; pos < in.size(); pos += kChunk) {
      const std::size_t len = std::min(kChunk, in.size() - pos);
      HWLOCK_TRY(keystream(key_, nonce_, byte_offset + pos, ks.span().first(len)));
      const std::byte* k = ks.data();
      if (sp_.b == 1) decode_table<1>(in.data() + pos, k, out.data() + pos, len);
      if (sp_.b == 2) decode_table<2>(in.data() + pos, k, out.data() + pos, len);
      if (sp_.b == 4) decode_search(in.data() + pos, k, out.data() + pos, len);
    }
    return {};
  }

 private:
  static constexpr std::size_t kBuckets = 65536;

  template <unsigned B>
  void decode_table(const std::byte* in, const std::byte* ks, std::byte* out,
                    std::size_t len) const {
    constexpr std::uint32_t kMask = (std::uint32_t{1} << (8 * B)) - 1;
    const std::uint16_t* table = table_.data();
    for (std::size_t i = 0; i < len; i += B)
      store_le(out + i, B, table[(load_le(in + i, B) - load_le(ks + i, B)) & kMask]);
  }
  void decode_search(const std::byte* in, const std::byte* ks, std::byte* out,
                     std::size_t len) const {
    const std::uint32_t* starts = starts_.data();
    for (std::size_t i = 0; i < len; i += 4) {
      const std::uint32_t r = load_le(in + i, 4) - load_le(ks + i, 4);  // mod 2^32
      const std::uint32_t lo = bucket_[r >> 16], hi = bucket_[(r >> 16) + 1];
      std::uint32_t j = lo;
      if (lo != hi)
        j = static_cast<std::uint32_t>(std::upper_bound(starts + lo + 1, starts + hi + 1, r) -
                                       starts - 1);
      store_le(out + i, 4, patterns_[j]);
    }
  }

  Space sp_;
  std::uint64_t bytes_;
  std::vector<std::uint16_t> table_;                       // b <= 2
  std::vector<std::uint32_t> starts_, patterns_, bucket_;  // b = 4
  std::array<std::byte, crypto::kKeySize> key_{};
  std::array<std::byte, crypto::kIvSize> nonce_{};
};

// Writes the codes of `keys` (the tensor's element keys) into `out`.
Status lock_elements(const Space& sp, const TensorKeys& tk, const Codebook& cb,
                     std::span<const std::uint32_t> keys, std::span<std::byte> out) {
  const std::vector<std::uint64_t> starts = preaes::allot_slots(cb.counts, sp.size);
  std::vector<std::uint32_t> index;  // b <= 2: key -> value index
  if (sp.b <= 2) {
    index.resize(static_cast<std::size_t>(sp.size));
    for (std::size_t j = 0; j < cb.keys.size(); ++j)
      index[cb.keys[j]] = static_cast<std::uint32_t>(j);
  }
  const auto nonce = slot_nonce(tk.nonce);
  KeyedRng rng(tk.key, nonce);
  crypto::SecretBuffer ks(std::min(kChunk, out.size()));
  for (std::size_t pos = 0; pos < out.size(); pos += kChunk) {
    const std::size_t len = std::min(kChunk, out.size() - pos);
    HWLOCK_TRY(keystream(tk.key, tk.nonce, pos, ks.span().first(len)));
    for (std::size_t e = 0; e < len; e += sp.b) {
      const std::uint32_t key = keys[(pos + e) / sp.b];
      const std::size_t j =
          sp.b <= 2 ? index[key]
                    : static_cast<std::size_t>(
                          std::lower_bound(cb.keys.begin(), cb.keys.end(), key) - cb.keys.begin());
      HWLOCK_ASSIGN(const std::uint64_t off, rng.below(starts[j + 1] - starts[j]));
      const std::uint64_t code = (starts[j] + off + load_le(ks.data() + e, sp.b)) & sp.mask;
      store_le(out.data() + pos + e, sp.b, static_cast<std::uint32_t>(code));
    }
  }
  return {};
}

class PreaesScheme final : public Scheme {
 public:
  std::string_view id() const noexcept override { return kId; }
  Locality locality() const noexcept override { return Locality::elements; }
  Status supports(const TensorDesc& t) const override {
    const std::size_t b = st::dtype_size(t.dtype);
    if (b != 1 && b != 2 && b != 4)
      return fail(Errc::scheme_unsupported,
                  where(t) + " cannot lock dtype " + std::string(st::dtype_name(t.dtype)) +
                      " (8-byte elements; it locks 1-, 2- and 4-byte dtypes)");
    if (t.bytes % b != 0)
      return fail(Errc::scheme_unsupported, where(t) + ": size is not a whole number of elements");
    return {};
  }

  Result<Params> lock(const TensorDesc& t, const TensorKeys& tk, const Params& request,
                      std::span<const std::byte> plain, std::span<std::byte> out) const override {
    HWLOCK_TRY(supports(t));
    HWLOCK_ASSIGN(const bool rank16, parse_request(t, request));
    if (plain.size() != t.bytes || out.size() != t.bytes)
      return fail(Errc::internal, where(t) + ": lock buffers differ from the tensor's size");
    const Space sp = space_of(t.dtype);
    std::vector<std::byte> quantised;
    if (rank16) {
      quantised.resize(plain.size());
      preaes::quantise_rank16_f32(plain, quantised);
      plain = quantised;
    }
    std::vector<std::uint32_t> keys(plain.size() / sp.b);
    for (std::size_t i = 0; i < keys.size(); ++i)
      keys[i] = preaes::to_key(sp.order, sp.bits, load_le(plain.data() + i * sp.b, sp.b));
    crypto::secure_wipe(quantised);
    const Codebook cb = preaes::codebook_of(keys, sp.bits);
    if (!keys.empty()) HWLOCK_TRY(lock_elements(sp, tk, cb, keys, out));
    crypto::secure_wipe(std::as_writable_bytes(std::span(keys)));
    Params p = Params::object();
    if (rank16) p["mode"] = "rank16";
    p["codebook"] = base64_encode(preaes::encode_codebook(cb));
    return p;
  }

  Result<std::unique_ptr<Decoder>> decoder(const TensorDesc& t, const TensorKeys& tk,
                                           const Params& params) const override {
    HWLOCK_TRY(supports(t));
    if (!params.is_object()) return invalid(t, "parameters are not a JSON object");
    const std::string* text = nullptr;
    for (const auto& [k, v] : params.items()) {
      if (k == "codebook" && v.is_string()) {
        text = v.get_ptr<const std::string*>();
      } else if (k == "codebook") {
        return invalid(t, "codebook is not a string");
      } else if (k == "mode") {
        if (v != "rank16") return invalid(t, "mode must be \"rank16\" (or absent: exact)");
        if (t.dtype != st::DType::F32) return invalid(t, "mode rank16 on a non-F32 tensor");
      } else {
        return invalid(t, "unknown field \"" + k + "\"");
      }
    }
    if (text == nullptr) return invalid(t, "codebook missing");
    const auto bytes = base64_decode(*text);
    if (!bytes) return invalid(t, "codebook is not canonical base64");
    const Space sp = space_of(t.dtype);
    HWLOCK_ASSIGN(const Codebook cb,
                  preaes::decode_codebook(*bytes, t.bytes / sp.b, sp.size, where(t)));
    return std::unique_ptr<Decoder>(std::make_unique<PreaesDecoder>(t, tk, cb));
  }
};

}  // namespace

const Scheme& preaes_scheme() {
  static const PreaesScheme s;
  return s;
}

}  // namespace hwlock::transform::detail
