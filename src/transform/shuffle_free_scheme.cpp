// Scheme "shuffle-free-v1": every axis of length > 1 permuted under the tensor's own key
// (docs/SHUFFLE.md). Structure-free: no tensor's permutation depends on another's.
#include <algorithm>
#include <array>

#include "keystream.hpp"
#include "schemes.hpp"
#include "shuffle_axes.hpp"

namespace hwlock::transform::detail {
namespace {

// One KeyedRng over (key, nonce); one Fisher–Yates permutation per axis, in axis order; axes of
// length 0 or 1 draw nothing.
Result<AxisMaps> free_maps(const TensorDesc& t, const TensorKeys& keys) {
  KeyedRng rng(keys.key, keys.nonce);
  AxisMaps maps(t.shape.size());
  for (std::size_t a = 0; a < t.shape.size(); ++a) {
    if (t.shape[a] <= 1) continue;
    auto p = keyed_permutation(rng, t.shape[a]);
    if (!p) {
      wipe_maps(maps);
      return fail(p.error().code, "tensor \"" + std::string(t.name) + "\": " + p.error().message);
    }
    maps[a] = std::move(*p);
  }
  return maps;
}

class ShuffleFreeDecoder final : public Decoder {
 public:
  ShuffleFreeDecoder(const TensorDesc& t, AxisMaps maps)
      : name_(t.name),
        dtype_(t.dtype),
        shape_(t.shape.begin(), t.shape.end()),
        bytes_(t.bytes),
        maps_(std::move(maps)) {}
  ~ShuffleFreeDecoder() override { wipe_maps(maps_); }
  Status decode(std::uint64_t byte_offset, std::span<const std::byte> in,
                std::span<std::byte> out) const override {
    if (byte_offset != 0 || in.size() != bytes_ || out.size() != bytes_)
      return fail(Errc::internal,
                  "tensor \"" + name_ + "\": shuffle-free-v1 decodes whole tensors");
    permute_axes(shape_, st::dtype_size(dtype_), maps_, in, out, /*inverse=*/true);
    return {};
  }

 private:
  std::string name_;
  st::DType dtype_;
  std::vector<std::uint64_t> shape_;
  std::uint64_t bytes_;
  AxisMaps maps_;
};

class ShuffleFreeScheme final : public Scheme {
 public:
  std::string_view id() const noexcept override { return "shuffle-free-v1"; }
  Locality locality() const noexcept override { return Locality::tensor; }
  Status supports(const TensorDesc& t) const override {
    for (const auto d : t.shape)
      if (d > UINT32_MAX)
        return fail(Errc::scheme_unsupported, "tensor \"" + std::string(t.name) +
                                                  "\": an axis of " + std::to_string(d) +
                                                  " entries is too long to permute");
    return {};
  }
  Result<Params> lock(const TensorDesc& t, const TensorKeys& keys, const Params& request,
                      std::span<const std::byte> plain, std::span<std::byte> out) const override {
    HWLOCK_TRY(no_params(t, request, "request"));
    HWLOCK_TRY(supports(t));
    HWLOCK_TRY(check_tensor_buffers(t, plain.size(), out.size()));
    HWLOCK_ASSIGN(auto maps, free_maps(t, keys));
    permute_axes(t.shape, st::dtype_size(t.dtype), maps, plain, out, /*inverse=*/false);
    wipe_maps(maps);
    return Params::object();
  }
  Result<std::unique_ptr<Decoder>> decoder(const TensorDesc& t, const TensorKeys& keys,
                                           const Params& params) const override {
    HWLOCK_TRY(no_params(t, params, "parameters"));
    HWLOCK_TRY(supports(t));
    HWLOCK_TRY(check_tensor_buffers(t, t.bytes, t.bytes));
    HWLOCK_ASSIGN(auto maps, free_maps(t, keys));
    return std::unique_ptr<Decoder>(std::make_unique<ShuffleFreeDecoder>(t, std::move(maps)));
  }
};

}  // namespace

const Scheme& shuffle_free_scheme() {
  static const ShuffleFreeScheme s;
  return s;
}

}  // namespace hwlock::transform::detail
