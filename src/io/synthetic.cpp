#include "hwlock/synthetic.hpp"

#include <cmath>
#include <cstring>
#include <vector>

#include "hwlock/io.hpp"
#include "hwlock/safetensors.hpp"

namespace hwlock {
namespace {

// splitmix64: tiny, fast, and good enough for test data.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Approximately N(0, 1): sum of four uniforms, rescaled (Irwin-Hall).
  float gauss() {
    std::uint64_t r = next();
    float acc = 0;
    for (int i = 0; i < 4; ++i, r >>= 16) acc += static_cast<float>(r & 0xFFFF) / 65536.0f;
    return (acc - 2.0f) * 1.7320508f;
  }
};

std::uint16_t to_bf16(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return static_cast<std::uint16_t>((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

std::uint16_t to_f16(float f) {  // values here are small normals; flush the rest to zero
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  const std::uint32_t sign = (u >> 16) & 0x8000;
  const int exp = static_cast<int>((u >> 23) & 0xFF) - 127 + 15;
  if (exp <= 0) return static_cast<std::uint16_t>(sign);
  if (exp >= 31) return static_cast<std::uint16_t>(sign | 0x7C00);
  return static_cast<std::uint16_t>(sign | (static_cast<std::uint32_t>(exp) << 10) |
                                    ((u >> 13) & 0x3FF));
}

void fill(const st::TensorInfo& t, Rng& rng, std::byte* out, std::uint64_t n_elem) {
  for (std::uint64_t i = 0; i < n_elem; ++i) {
    switch (t.dtype) {
      case st::DType::F32: {
        const float v = 0.02f * rng.gauss();
        std::memcpy(out + 4 * i, &v, 4);
        break;
      }
      case st::DType::BF16: {
        const std::uint16_t v = to_bf16(1.0f + 0.1f * rng.gauss());
        std::memcpy(out + 2 * i, &v, 2);
        break;
      }
      case st::DType::F16: {
        const std::uint16_t v = to_f16(0.01f * rng.gauss());
        std::memcpy(out + 2 * i, &v, 2);
        break;
      }
      case st::DType::I64: {
        const auto v = static_cast<std::int64_t>(i);
        std::memcpy(out + 8 * i, &v, 8);
        break;
      }
      case st::DType::BOOL:
        out[i] = static_cast<std::byte>(rng.next() & 1);
        break;
      default:
        out[i * st::dtype_size(t.dtype)] = static_cast<std::byte>(rng.next());
        break;
    }
  }
}

}  // namespace

Result<std::uint64_t> write_synthetic_model(const std::filesystem::path& path,
                                            const SyntheticSpec& spec, bool overwrite) {
  const std::uint64_t h = spec.hidden == 0 ? 1 : spec.hidden;
  const std::uint64_t layer_bytes = 4 * (4 * h * h) + 4 * 4 * h + 2 * 2 * h;
  const std::uint64_t layers = std::max<std::uint64_t>(1, spec.target_bytes / layer_bytes);
  st::Header hdr;
  hdr.metadata = {
      {"format", "pt"}, {"generator", "hwlock synthetic"}, {"seed", std::to_string(spec.seed)}};
  hdr.tensors.push_back({"embed.position_ids", st::DType::I64, {h}, 0, 0});
  for (std::uint64_t l = 0; l < layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    hdr.tensors.push_back({p + "attn.qkv.weight", st::DType::F32, {3 * h, h}, 0, 0});
    hdr.tensors.push_back({p + "attn.qkv.bias", st::DType::F32, {3 * h}, 0, 0});
    hdr.tensors.push_back({p + "mlp.fc.weight", st::DType::F32, {h, h}, 0, 0});
    hdr.tensors.push_back({p + "mlp.fc.bias", st::DType::F32, {h}, 0, 0});
    hdr.tensors.push_back({p + "norm.weight", st::DType::BF16, {h}, 0, 0});
    hdr.tensors.push_back({p + "norm.bias", st::DType::F16, {h}, 0, 0});
  }
  hdr.tensors.push_back({"head.mask", st::DType::BOOL, {h}, 0, 0});
  hdr.tensors.push_back({"head.codes", st::DType::U8, {h + 3}, 0, 0});  // odd size: tails
  hdr.tensors.push_back({"empty", st::DType::F32, {0, h}, 0, 0});
  hdr.tensors.push_back({"scalar", st::DType::F32, {}, 0, 0});
  HWLOCK_TRY(st::assign_offsets(hdr));

  HWLOCK_ASSIGN(auto file, io::AtomicFile::create(path, overwrite));
  HWLOCK_TRY(file.write(st::serialize_header(hdr)));
  Rng rng{spec.seed};
  std::vector<std::byte> buf;
  constexpr std::uint64_t kChunkElems = 1u << 18;
  for (const auto& t : hdr.tensors) {
    const std::uint64_t n = t.numel(), es = st::dtype_size(t.dtype);
    for (std::uint64_t done = 0; done < n; done += kChunkElems) {
      const std::uint64_t k = std::min(kChunkElems, n - done);
      buf.assign(static_cast<std::size_t>(k * es), std::byte{0});
      fill(t, rng, buf.data(), k);
      HWLOCK_TRY(file.write(buf));
    }
  }
  HWLOCK_TRY(file.commit());
  return hdr.data_size();
}

}  // namespace hwlock
