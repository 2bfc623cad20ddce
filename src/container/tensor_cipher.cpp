#include <algorithm>
#include <atomic>
#include <thread>

#include "internal.hpp"

namespace hwlock::detail {
namespace {

constexpr std::uint64_t kPieceSize = 1u << 20;    // unit of parallel work
constexpr std::uint64_t kWindowSize = 16u << 20;  // streaming window: bounds resident memory

constexpr std::string_view kTensorKeyInfo = "hwlock/v1/tensor-key";
constexpr std::string_view kMacKeyInfo = "hwlock/v1/header-mac";

struct Piece {
  std::size_t tensor;
  std::uint64_t begin, end;  // data-buffer offsets
};

}  // namespace

unsigned resolve_threads(unsigned requested) {
  if (requested != 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

Result<std::vector<TensorKey>> derive_tensor_keys(const crypto::SecretKey& master,
                                                  const LockInfo& lock, const st::Header& header) {
  std::vector<TensorKey> keys(header.tensors.size());
  std::vector<std::byte> info;
  for (std::size_t i = 0; i < header.tensors.size(); ++i) {
    const auto& name = header.tensors[i].name;
    auto it = lock.tensors.find(name);
    if (it == lock.tensors.end())
      return fail(Errc::container_corrupt, "tensor \"" + name + "\" has no lock entry");
    // info = label || 0x00 || name: the fixed label and separator keep names unambiguous.
    info.assign(reinterpret_cast<const std::byte*>(kTensorKeyInfo.data()),
                reinterpret_cast<const std::byte*>(kTensorKeyInfo.data()) + kTensorKeyInfo.size());
    info.push_back(std::byte{0});
    info.insert(info.end(), reinterpret_cast<const std::byte*>(name.data()),
                reinterpret_cast<const std::byte*>(name.data()) + name.size());
    HWLOCK_TRY(crypto::hkdf_sha256(master.bytes(), lock.salt, info, keys[i].key.mutable_bytes()));
    keys[i].key = crypto::SecretKey(keys[i].key.bytes());  // mark valid
    keys[i].iv = it->second.nonce;
  }
  return keys;
}

Result<crypto::SecretKey> derive_mac_key(const crypto::SecretKey& master, const LockInfo& lock) {
  crypto::SecretKey k;
  HWLOCK_TRY(crypto::hkdf_sha256(master.bytes(), lock.salt, std::as_bytes(std::span(kMacKeyInfo)),
                                 k.mutable_bytes()));
  return crypto::SecretKey(k.bytes());
}

Result<std::string> header_mac_hex(const crypto::SecretKey& mac_key, const st::Header& header) {
  st::Header h = header;
  h.metadata.erase("hwlock.mac");
  const std::string text = st::canonical_header_json(h);
  std::array<std::byte, crypto::kSha256Size> tag{};
  HWLOCK_TRY(crypto::hmac_sha256(mac_key.bytes(), std::as_bytes(std::span(text)), tag));
  return crypto::to_hex(tag);
}

Status transform_range(const st::Header& header, const std::vector<TensorKey>& keys,
                       std::uint64_t begin, std::uint64_t end, const std::byte* src, std::byte* dst,
                       unsigned threads, bool populate_src) {
  std::vector<Piece> pieces;
  // Tensors are sorted by offset: find the first one that ends after `begin`.
  auto first = std::partition_point(header.tensors.begin(), header.tensors.end(),
                                    [&](const st::TensorInfo& t) { return t.end <= begin; });
  for (auto it = first; it != header.tensors.end() && it->begin < end; ++it) {
    const std::uint64_t b = std::max(it->begin, begin), e = std::min(it->end, end);
    for (std::uint64_t p = b; p < e; p += kPieceSize)
      pieces.push_back(
          {static_cast<std::size_t>(it - header.tensors.begin()), p, std::min(e, p + kPieceSize)});
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  Error first_error;
  std::atomic_flag error_set = ATOMIC_FLAG_INIT;
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < pieces.size() && !failed.load();) {
      const Piece& pc = pieces[i];
      const auto& t = header.tensors[pc.tensor];
      const auto n = static_cast<std::size_t>(pc.end - pc.begin);
      if (populate_src) io::populate_read(src + (pc.begin - begin), n);
      auto st = crypto::aes256_ctr_xor(keys[pc.tensor].key.bytes(), keys[pc.tensor].iv,
                                       pc.begin - t.begin, {src + (pc.begin - begin), n},
                                       {dst + (pc.begin - begin), n});
      if (!st.ok() && !error_set.test_and_set()) {
        first_error = std::move(st).error();
        failed = true;
      }
    }
  };
  const unsigned n_threads =
      static_cast<unsigned>(std::min<std::size_t>(resolve_threads(threads), pieces.size()));
  if (n_threads <= 1) {
    worker();
  } else {
    std::vector<std::jthread> pool;
    for (unsigned i = 1; i < n_threads; ++i) pool.emplace_back(worker);
    worker();
  }
  if (failed) return first_error;
  return {};
}

Status transform_stream(const st::Reader& reader, const std::vector<TensorKey>& keys,
                        unsigned threads, const ProgressFn& progress, const WindowSink& sink) {
  const st::Header& h = reader.header();
  const std::uint64_t total = h.data_size();
  const std::byte* data = reader.file().bytes().data() + reader.data_start();
  std::vector<std::byte> out(static_cast<std::size_t>(std::min(total, kWindowSize)));
  reader.file().advise_sequential();
  if (progress) progress(0, total);
  for (std::uint64_t w = 0; w < total; w += kWindowSize) {
    const std::uint64_t e = std::min(total, w + kWindowSize);
    const auto n = static_cast<std::size_t>(e - w);
    HWLOCK_TRY(transform_range(h, keys, w, e, data + w, out.data(), threads, true));
    HWLOCK_TRY(sink(w, std::span<const std::byte>(out.data(), n)));
    reader.file().release(reader.data_start() + w, n);
    if (progress) progress(e, total);
  }
  return {};
}

}  // namespace hwlock::detail
