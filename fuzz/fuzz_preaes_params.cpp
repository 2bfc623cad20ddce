// libFuzzer target: the public parameters of scheme "preaes-v1" (Scheme::decoder on hostile JSON).
// Input: one byte choosing the dtype (any of the table, 8-byte ones included), one byte the
// element count n (0..255), then the params JSON ({"codebook": "<base64>"[, "mode": "rank16"]}).
// Invariants: failures are scheme_unsupported exactly for 8-byte dtypes, otherwise
// scheme_params_invalid, and name the tensor; an accepted decoder decodes any element-aligned
// range, the same bytes whole or in two pieces; and what it decodes locks and decodes back
// exactly under the same key.
#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "fuzz_util.hpp"
#include "hwlock/transform.hpp"

namespace {

namespace st = hwlock::st;
namespace tr = hwlock::transform;
using nlohmann::json;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const st::DType dtype = st::kDTypes[data[0] % st::kDTypes.size()].dtype;
  const std::uint64_t n = data[1];
  const json params = json::parse(data + 2, data + size, nullptr, /*allow_exceptions=*/false);
  if (params.is_discarded()) return 0;

  const tr::Scheme* scheme = tr::find_scheme("preaes-v1");
  HWLOCK_FUZZ_CHECK(scheme != nullptr);
  const std::size_t b = st::dtype_size(dtype);
  const std::array<std::uint64_t, 1> shape{n};
  const tr::TensorDesc t{"fuzz.t", dtype, shape, n * b};
  std::array<std::byte, hwlock::crypto::kKeySize> key{};
  std::array<std::byte, hwlock::crypto::kIvSize> nonce{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = std::byte(i * 7 + 1);
  for (std::size_t i = 0; i < nonce.size(); ++i) nonce[i] = std::byte(0xF0 + i);
  const tr::TensorKeys keys{key, nonce, {}};

  auto dec = scheme->decoder(t, keys, params);
  if (!dec) {
    const auto code = dec.error().code;
    HWLOCK_FUZZ_CHECK((code == hwlock::Errc::scheme_unsupported) == (b == 8));
    HWLOCK_FUZZ_CHECK(code == hwlock::Errc::scheme_unsupported ||
                      code == hwlock::Errc::scheme_params_invalid);
    HWLOCK_FUZZ_CHECK(dec.error().message.find("\"fuzz.t\"") != std::string::npos);
    return 0;
  }
  HWLOCK_FUZZ_CHECK(b != 8);

  std::vector<std::byte> locked(t.bytes), whole(t.bytes), pieces(t.bytes);
  for (std::size_t i = 0; i < locked.size(); ++i) locked[i] = std::byte(i * 31 + data[0]);
  HWLOCK_FUZZ_CHECK((*dec)->decode(0, locked, whole).ok());
  const std::size_t cut = n / 3 * b;
  HWLOCK_FUZZ_CHECK(
      (*dec)->decode(0, std::span(locked).first(cut), std::span(pieces).first(cut)).ok());
  HWLOCK_FUZZ_CHECK(
      (*dec)->decode(cut, std::span(locked).subspan(cut), std::span(pieces).subspan(cut)).ok());
  HWLOCK_FUZZ_CHECK(whole == pieces);

  std::vector<std::byte> relocked(t.bytes), back(t.bytes);
  auto p = scheme->lock(t, keys, json::object(), whole, relocked);
  HWLOCK_FUZZ_CHECK(p.ok());
  HWLOCK_FUZZ_CHECK(tr::decode_tensor(*scheme, t, keys, *p, relocked, back).ok());
  HWLOCK_FUZZ_CHECK(back == whole);
  return 0;
}
