// Internal to the container module: key derivation and the parallel tensor cipher.
#pragma once

#include <vector>

#include "hwlock/container.hpp"

namespace hwlock::detail {

struct TensorKey {
  crypto::SecretKey key;
  std::array<std::byte, crypto::kIvSize> iv{};
};

// One key per tensor of `header`, in header order.
Result<std::vector<TensorKey>> derive_tensor_keys(const crypto::SecretKey& master,
                                                  const LockInfo& lock, const st::Header& header);
Result<crypto::SecretKey> derive_mac_key(const crypto::SecretKey& master, const LockInfo& lock);

// HMAC over the canonical JSON of `header` with any hwlock.mac entry removed, as hex.
Result<std::string> header_mac_hex(const crypto::SecretKey& mac_key, const st::Header& header);

// Transforms the data-buffer range [begin, end) (all tensors overlapping it), reading from `src`
// (which points at data offset `begin`) and writing to `dst` (same indexing). Work is split into
// pieces of at most 1 MiB run on `threads` threads. With `populate_src`, each worker faults its
// piece of a file mapping in with one call first (faster than a fault per page, and parallel).
Status transform_range(const st::Header& header, const std::vector<TensorKey>& keys,
                       std::uint64_t begin, std::uint64_t end, const std::byte* src, std::byte* dst,
                       unsigned threads, bool populate_src = false);

// Streams the data buffer of `reader` through the cipher in bounded windows, handing each
// transformed window to `sink` and releasing the source pages behind it.
using WindowSink = std::function<Status(std::uint64_t offset, std::span<const std::byte> bytes)>;
Status transform_stream(const st::Reader& reader, const std::vector<TensorKey>& keys,
                        unsigned threads, const ProgressFn& progress, const WindowSink& sink);

unsigned resolve_threads(unsigned requested);

}  // namespace hwlock::detail
