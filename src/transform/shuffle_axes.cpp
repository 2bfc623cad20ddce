#include "shuffle_axes.hpp"

#include <cstring>
#include <string>

namespace hwlock::transform::detail {
namespace {

struct FloatLayout {
  unsigned mant_bits;
  unsigned exp_bits;
};

FloatLayout float_layout(st::DType d) {
  switch (d) {
    case st::DType::F16:
      return {10, 5};
    case st::DType::BF16:
      return {7, 8};
    case st::DType::F32:
      return {23, 8};
    default:
      return {52, 11};  // F64
  }
}

std::uint64_t load_le(const std::byte* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t b = 0; b < n; ++b)
    v |= std::uint64_t{std::to_integer<std::uint8_t>(p[b])} << (8 * b);
  return v;
}

void store_le(std::byte* p, std::size_t n, std::uint64_t v) {
  for (std::size_t b = 0; b < n; ++b) p[b] = static_cast<std::byte>(v >> (8 * b));
}

// x * 2^e on the bit pattern: exact (the same as std::ldexp) whenever it returns true.
bool shift_exponent(std::uint64_t& bits, FloatLayout f, int e) {
  if (e == 0) return true;
  const std::uint64_t emax = (std::uint64_t{1} << f.exp_bits) - 1;
  const std::uint64_t mant_mask = (std::uint64_t{1} << f.mant_bits) - 1;
  const std::uint64_t ex = (bits >> f.mant_bits) & emax;
  if (ex == emax) return true;                  // inf, NaN: unchanged
  if (ex == 0) return (bits & mant_mask) == 0;  // zero unchanged; subnormals do not scale
  const std::int64_t n = static_cast<std::int64_t>(ex) + e;
  if (n < 1 || n >= static_cast<std::int64_t>(emax)) return false;  // would leave the normal range
  bits = (bits & ~(emax << f.mant_bits)) | (static_cast<std::uint64_t>(n) << f.mant_bits);
  return true;
}

struct Walk {
  std::span<const std::uint64_t> shape;
  std::vector<std::uint64_t> stride;  // in bytes
  const AxisMaps& maps;
  const std::byte* in;
  std::byte* out;
  std::size_t elem;
  bool inverse;

  void run(std::size_t axis, std::uint64_t lin, std::uint64_t mapped) const {
    if (axis == shape.size()) {
      std::memcpy(out + (inverse ? mapped : lin), in + (inverse ? lin : mapped), elem);
      return;
    }
    const auto& m = maps[axis];
    for (std::uint64_t i = 0; i < shape[axis]; ++i)
      run(axis + 1, lin + i * stride[axis], mapped + (m.empty() ? i : m[i]) * stride[axis]);
  }
};

}  // namespace

Result<std::uint64_t> check_tensor_buffers(const TensorDesc& t, std::size_t in_size,
                                           std::size_t out_size) {
  std::uint64_t n = 1;
  for (const auto d : t.shape) {
    if (d != 0 && n > UINT64_MAX / d) return fail(Errc::internal, "shape overflows");
    n *= d;
  }
  const std::uint64_t size = st::dtype_size(t.dtype);
  if (n > UINT64_MAX / size || n * size != t.bytes || in_size != t.bytes || out_size != t.bytes)
    return fail(Errc::internal, "tensor \"" + std::string(t.name) +
                                    "\": buffer sizes differ from shape x dtype size");
  return n;
}

void permute_axes(std::span<const std::uint64_t> shape, std::size_t elem_size, const AxisMaps& maps,
                  std::span<const std::byte> in, std::span<std::byte> out, bool inverse) {
  for (const auto d : shape)
    if (d == 0) return;
  Walk w{shape,  std::vector<std::uint64_t>(shape.size()), maps, in.data(), out.data(), elem_size,
         inverse};
  std::uint64_t s = elem_size;
  for (std::size_t a = shape.size(); a-- > 0;) {
    w.stride[a] = s;
    s *= shape[a];
  }
  w.run(0, 0, 0);
}

std::vector<std::uint32_t> expand_unit_permutation(const std::vector<std::uint32_t>& unit_perm,
                                                   std::uint64_t block, std::uint64_t tile) {
  const std::uint64_t seg = unit_perm.size() * block;
  std::vector<std::uint32_t> m(static_cast<std::size_t>(seg * tile));
  for (std::uint64_t t = 0; t < tile; ++t)
    for (std::uint64_t u = 0; u < unit_perm.size(); ++u)
      for (std::uint64_t j = 0; j < block; ++j)
        m[t * seg + u * block + j] = static_cast<std::uint32_t>(t * seg + unit_perm[u] * block + j);
  return m;
}

bool scalable_dtype(st::DType d) noexcept {
  return d == st::DType::F16 || d == st::DType::BF16 || d == st::DType::F32 || d == st::DType::F64;
}

bool scale_axis(st::DType dtype, std::span<const std::uint64_t> shape, std::size_t axis,
                std::uint64_t block, const std::vector<std::int8_t>& exps, int sign,
                std::span<std::byte> data, bool check) {
  const FloatLayout f = float_layout(dtype);
  const std::size_t size = st::dtype_size(dtype);
  std::uint64_t inner = 1;  // elements per step along `axis`
  for (std::size_t a = axis + 1; a < shape.size(); ++a) inner *= shape[a];
  const std::uint64_t len = shape[axis], period = exps.size() * block;
  if (period == 0) return true;
  const std::uint64_t numel = data.size() / size;
  bool exact = true;
  for (std::uint64_t k = 0; k < numel; ++k) {
    const std::uint64_t i = (k / inner) % len;
    const int e = sign * exps[static_cast<std::size_t>((i % period) / block)];
    std::byte* p = data.data() + k * size;
    std::uint64_t bits = load_le(p, size);
    if (!shift_exponent(bits, f, e)) {
      if (check) return false;
      exact = false;
      continue;
    }
    if (!check) store_le(p, size, bits);
  }
  return exact;
}

void wipe_maps(AxisMaps& maps) noexcept {
  for (auto& m : maps) crypto::secure_wipe(m.data(), m.size() * sizeof(std::uint32_t));
  maps.clear();
}

void wipe_exps(std::vector<std::int8_t>& exps) noexcept {
  crypto::secure_wipe(exps.data(), exps.size());
  exps.clear();
}

}  // namespace hwlock::transform::detail
