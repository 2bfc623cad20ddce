// Scheme "shuffle-v1": structured keyed shuffle. Each axis named in the parameters is permuted
// (and optionally scaled by powers of two) under its coupling group's key and side, so tensors on
// one side of a group agree and the two sides disagree (docs/SHUFFLE.md).
#include <array>
#include <optional>

#include "keystream.hpp"
#include "schemes.hpp"
#include "shuffle_axes.hpp"

namespace hwlock::transform::detail {
namespace {

constexpr std::size_t kMaxGroupName = 256;

struct AxisSpec {
  std::string group;
  bool out_side = false;
  std::uint64_t block = 1;
  std::uint64_t tile = 1;
  bool scale = false;
  std::uint64_t units = 0;  // axis length / (block * tile)
};
using AxisSpecs = std::vector<std::optional<AxisSpec>>;

std::optional<std::uint64_t> positive_integer(const Params& v) {
  if (v.is_number_unsigned() && v.get<std::uint64_t>() >= 1) return v.get<std::uint64_t>();
  if (v.is_number_integer() && !v.is_number_unsigned() && v.get<std::int64_t>() >= 1)
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  return std::nullopt;
}

// Validates hostile parameters (or a lock request) against the tensor.
Result<AxisSpecs> parse_axes(const TensorDesc& t, const Params& p, const char* what) {
  const std::string where = "tensor \"" + std::string(t.name) + "\": shuffle-v1 " + what;
  auto bad = [&](const std::string& field, const std::string& why) {
    return fail(Errc::scheme_params_invalid, where + ": " + field + ": " + why);
  };
  if (!p.is_object()) return bad("(top level)", "not a JSON object");
  for (const auto& [k, v] : p.items())
    if (k != "axes") return bad(k, "unknown field");
  const auto it = p.find("axes");
  if (it == p.end()) return bad("axes", "missing");
  if (!it->is_array()) return bad("axes", "not an array");
  if (it->size() != t.shape.size())
    return bad("axes", std::to_string(it->size()) + " entries for a tensor of rank " +
                           std::to_string(t.shape.size()));
  AxisSpecs specs(t.shape.size());
  for (std::size_t a = 0; a < t.shape.size(); ++a) {
    const Params& e = (*it)[a];
    const std::string field = "axes[" + std::to_string(a) + "]";
    if (e.is_null()) continue;
    if (!e.is_object()) return bad(field, "neither null nor an object");
    for (const auto& [k, v] : e.items())
      if (k != "group" && k != "side" && k != "block" && k != "tile" && k != "scale")
        return bad(field + "." + k, "unknown field");
    AxisSpec s;
    const auto g = e.find("group");
    if (g == e.end() || !g->is_string()) return bad(field + ".group", "missing or not a string");
    s.group = g->get<std::string>();
    if (s.group.empty() || s.group.size() > kMaxGroupName)
      return bad(field + ".group", "must be 1 to 256 bytes");
    const auto side = e.find("side");
    if (side == e.end() || !side->is_string() || (*side != "in" && *side != "out"))
      return bad(field + ".side", "must be \"in\" or \"out\"");
    s.out_side = *side == "out";
    for (const char* name : {"block", "tile"}) {
      const auto f = e.find(name);
      if (f == e.end()) continue;
      const auto v = positive_integer(*f);
      if (!v) return bad(field + "." + name, "not a positive integer");
      (std::string_view(name) == "block" ? s.block : s.tile) = *v;
    }
    if (s.block > UINT64_MAX / s.tile || t.shape[a] % (s.block * s.tile) != 0)
      return bad(field + ".block",
                 "block x tile (" + std::to_string(s.block) + " x " + std::to_string(s.tile) +
                     ") does not divide the axis length " + std::to_string(t.shape[a]));
    s.units = t.shape[a] / (s.block * s.tile);
    if (s.units > UINT32_MAX) return bad(field, "too many units to permute");
    if (const auto sc = e.find("scale"); sc != e.end()) {
      if (!sc->is_boolean()) return bad(field + ".scale", "not a boolean");
      s.scale = sc->get<bool>();
      if (s.scale && !scalable_dtype(t.dtype))
        return bad(field + ".scale",
                   "power-of-two scaling needs a float dtype (F16, BF16, F32, "
                   "F64), not " +
                       std::string(st::dtype_name(t.dtype)));
    }
    specs[a] = std::move(s);
  }
  return specs;
}

Params to_params(const AxisSpecs& specs) {
  Params axes = Params::array();
  for (const auto& s : specs)
    if (!s)
      axes.push_back(nullptr);
    else
      axes.push_back({{"group", s->group},
                      {"side", s->out_side ? "out" : "in"},
                      {"block", s->block},
                      {"tile", s->tile},
                      {"scale", s->scale}});
  return Params{{"axes", std::move(axes)}};
}

// The 16-byte nonce of a side's stream: SHA-256("hwlock/shuffle-v1/" + what + "/" + side)[0:16].
Result<std::array<std::byte, crypto::kIvSize>> side_nonce(std::string_view what, bool out_side) {
  const std::string label =
      "hwlock/shuffle-v1/" + std::string(what) + "/" + (out_side ? "out" : "in");
  std::array<std::byte, crypto::kSha256Size> d{};
  HWLOCK_TRY(crypto::sha256(std::as_bytes(std::span(label)), d));
  std::array<std::byte, crypto::kIvSize> n{};
  std::copy(d.begin(), d.begin() + crypto::kIvSize, n.begin());
  return n;
}

// What the key gives one tensor: per axis, its index map and (scaled axes) unit exponents.
struct Derived {
  AxisMaps maps;
  std::vector<std::vector<std::int8_t>> exps;
  ~Derived() {
    wipe_maps(maps);
    for (auto& e : exps) wipe_exps(e);
  }
};

Status derive(const TensorDesc& t, const TensorKeys& keys, const AxisSpecs& specs, Derived& d) {
  d.maps.assign(specs.size(), {});
  d.exps.assign(specs.size(), {});
  for (std::size_t a = 0; a < specs.size(); ++a) {
    if (!specs[a]) continue;
    const AxisSpec& s = *specs[a];
    if (!keys.group_key)
      return fail(Errc::scheme_unsupported, "tensor \"" + std::string(t.name) +
                                                "\": shuffle-v1 needs group keys; none offered");
    HWLOCK_ASSIGN(const crypto::SecretKey gk, keys.group_key(s.group));
    HWLOCK_ASSIGN(const auto perm_nonce, side_nonce("perm", s.out_side));
    KeyedRng perm_rng(gk.bytes(), perm_nonce);
    HWLOCK_ASSIGN(auto unit_perm, keyed_permutation(perm_rng, s.units));
    d.maps[a] = expand_unit_permutation(unit_perm, s.block, s.tile);
    crypto::secure_wipe(unit_perm.data(), unit_perm.size() * sizeof(std::uint32_t));
    if (!s.scale) continue;
    HWLOCK_ASSIGN(const auto scale_nonce, side_nonce("scale", s.out_side));
    KeyedRng scale_rng(gk.bytes(), scale_nonce);
    d.exps[a].resize(static_cast<std::size_t>(s.units));
    for (auto& e : d.exps[a]) {
      HWLOCK_ASSIGN(const std::uint64_t v, scale_rng.below(5));
      e = static_cast<std::int8_t>(static_cast<int>(v) - 2);  // in [-2, 2]
    }
  }
  return {};
}

class ShuffleDecoder final : public Decoder {
 public:
  ShuffleDecoder(const TensorDesc& t, const AxisSpecs& specs, Derived&& d)
      : name_(t.name), dtype_(t.dtype), shape_(t.shape.begin(), t.shape.end()), bytes_(t.bytes) {
    std::swap(d_.maps, d.maps);
    std::swap(d_.exps, d.exps);
    for (const auto& s : specs) block_.push_back(s ? s->block : 1);
  }
  Status decode(std::uint64_t byte_offset, std::span<const std::byte> in,
                std::span<std::byte> out) const override {
    if (byte_offset != 0 || in.size() != bytes_ || out.size() != bytes_)
      return fail(Errc::internal, "tensor \"" + name_ + "\": shuffle-v1 decodes whole tensors");
    permute_axes(shape_, st::dtype_size(dtype_), d_.maps, in, out, /*inverse=*/true);
    for (std::size_t a = shape_.size(); a-- > 0;)  // undo the scalings in reverse order
      if (!d_.exps[a].empty())
        scale_axis(dtype_, shape_, a, block_[a], d_.exps[a], -1, out, /*check=*/false);
    return {};
  }

 private:
  std::string name_;
  st::DType dtype_;
  std::vector<std::uint64_t> shape_;
  std::uint64_t bytes_;
  std::vector<std::uint64_t> block_;
  Derived d_;
};

class ShuffleScheme final : public Scheme {
 public:
  std::string_view id() const noexcept override { return "shuffle-v1"; }
  Locality locality() const noexcept override { return Locality::tensor; }
  Status supports(const TensorDesc&) const override { return {}; }

  Result<Params> lock(const TensorDesc& t, const TensorKeys& keys, const Params& request,
                      std::span<const std::byte> plain, std::span<std::byte> out) const override {
    HWLOCK_ASSIGN(AxisSpecs specs, parse_axes(t, request, "request"));
    HWLOCK_TRY(check_tensor_buffers(t, plain.size(), out.size()));
    Derived d;
    HWLOCK_TRY(derive(t, keys, specs, d));
    // Scale a copy (axis by axis, each only if every element round-trips exactly), then permute.
    std::vector<std::byte> work(plain.begin(), plain.end());
    for (std::size_t a = 0; a < specs.size(); ++a) {
      if (!specs[a] || !specs[a]->scale) continue;
      if (scale_axis(t.dtype, t.shape, a, specs[a]->block, d.exps[a], 1, work, /*check=*/true))
        scale_axis(t.dtype, t.shape, a, specs[a]->block, d.exps[a], 1, work, /*check=*/false);
      else
        specs[a]->scale = false;  // recorded: unlock must not unscale this axis
    }
    permute_axes(t.shape, st::dtype_size(t.dtype), d.maps, work, out, /*inverse=*/false);
    crypto::secure_wipe(work);
    return to_params(specs);
  }

  Result<std::unique_ptr<Decoder>> decoder(const TensorDesc& t, const TensorKeys& keys,
                                           const Params& params) const override {
    HWLOCK_ASSIGN(const AxisSpecs specs, parse_axes(t, params, "parameters"));
    HWLOCK_TRY(check_tensor_buffers(t, t.bytes, t.bytes));
    Derived d;
    HWLOCK_TRY(derive(t, keys, specs, d));
    return std::unique_ptr<Decoder>(std::make_unique<ShuffleDecoder>(t, specs, std::move(d)));
  }
};

}  // namespace

const Scheme& shuffle_scheme() {
  static const ShuffleScheme s;
  return s;
}

}  // namespace hwlock::transform::detail
