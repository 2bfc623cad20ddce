// Scheme "aes-256-ctr": the tensor's bytes XOR the AES-256-CTR keystream (docs/FORMAT.md).
#include "schemes.hpp"

namespace hwlock::transform::detail {
namespace {

class AesDecoder final : public Decoder {
 public:
  explicit AesDecoder(const TensorKeys& k) {
    std::copy(k.key.begin(), k.key.end(), key_.begin());
    std::copy(k.nonce.begin(), k.nonce.end(), nonce_.begin());
  }
  ~AesDecoder() override { crypto::secure_wipe(std::as_writable_bytes(std::span(key_))); }
  Status decode(std::uint64_t byte_offset, std::span<const std::byte> in,
                std::span<std::byte> out) const override {
    return crypto::aes256_ctr_xor(key_, nonce_, byte_offset, in, out);
  }

 private:
  std::array<std::byte, crypto::kKeySize> key_{};
  std::array<std::byte, crypto::kIvSize> nonce_{};
};

class AesCtrScheme final : public Scheme {
 public:
  std::string_view id() const noexcept override { return crypto::kCipherId; }
  Locality locality() const noexcept override { return Locality::bytes; }
  Status supports(const TensorDesc&) const override { return {}; }
  Result<Params> lock(const TensorDesc& t, const TensorKeys& keys, const Params& request,
                      std::span<const std::byte> plain, std::span<std::byte> out) const override {
    HWLOCK_TRY(no_params(t, request, "request"));
    HWLOCK_TRY(crypto::aes256_ctr_xor(keys.key, keys.nonce, 0, plain, out));
    return Params::object();
  }
  // CTR is its own inverse: the encoder of a range is the decoder.
  Result<std::unique_ptr<Decoder>> range_encoder(const TensorDesc&,
                                                 const TensorKeys& keys) const override {
    return std::unique_ptr<Decoder>(std::make_unique<AesDecoder>(keys));
  }
  Result<std::unique_ptr<Decoder>> decoder(const TensorDesc& t, const TensorKeys& keys,
                                           const Params& params) const override {
    HWLOCK_TRY(no_params(t, params, "parameters"));
    return std::unique_ptr<Decoder>(std::make_unique<AesDecoder>(keys));
  }
};

}  // namespace

const Scheme& aes_ctr_scheme() {
  static const AesCtrScheme s;
  return s;
}

}  // namespace hwlock::transform::detail
