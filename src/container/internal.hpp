// Internal to the container module: key derivation and the parallel tensor transform.
#pragma once

#include <memory>
#include <vector>

#include "hwlock/container.hpp"
#include "hwlock/transform.hpp"

namespace hwlock::detail {

// What one tensor is transformed with: its key material, its scheme and, once created, the
// decoder (unlock) or range encoder (lock of a byte-local scheme).
struct TensorKey {
  crypto::SecretKey key;
  std::array<std::byte, crypto::kIvSize> iv{};
  const transform::Scheme* scheme = nullptr;
  std::unique_ptr<transform::Decoder> coder;
  // What `coder` needs at once (a scheme's decoder: the scheme's locality; a lock encoder of a
  // scheme that is not byte-local: the whole tensor).
  transform::Locality locality = transform::Locality::bytes;
};

// The transform's view of a header entry.
transform::TensorDesc describe(const st::TensorInfo& t) noexcept;

// One key per tensor of `header`, in header order, with its scheme from `lock` (no coder yet).
Result<std::vector<TensorKey>> derive_tensor_keys(const crypto::SecretKey& master,
                                                  const LockInfo& lock, const st::Header& header);
Result<crypto::SecretKey> derive_mac_key(const crypto::SecretKey& master, const LockInfo& lock);
// The key of coupling group `group` (structured shuffle; version 2).
Result<crypto::SecretKey> derive_group_key(const crypto::SecretKey& master, const LockInfo& lock,
                                           std::string_view group);
// The scheme's key material for tensor `i` (group keys derived from `master` on demand; `master`
// must outlive the returned value's use).
transform::TensorKeys tensor_keys(const TensorKey& k, const crypto::SecretKey& master,
                                  const LockInfo& lock);

// Creates every tensor's decoder from its recorded parameters (validated here: a malformed entry
// is scheme_params_invalid naming the file and the tensor).
Status make_decoders(std::vector<TensorKey>& keys, const crypto::SecretKey& master,
                     const LockInfo& lock, const st::Header& header, std::string_view origin);

// HMAC over the canonical JSON of `header` with any hwlock.mac entry removed, as hex.
Result<std::string> header_mac_hex(const crypto::SecretKey& mac_key, const st::Header& header);

// The end of a range that starts or continues at `end`: extended to the end of a tensor that is
// not byte-local and that `end` would split (such tensors are transformed whole or by elements).
std::uint64_t range_end(const st::Header& header, const std::vector<TensorKey>& keys,
                        std::uint64_t end);

// Transforms the data-buffer range [begin, end) (all tensors overlapping it; it must not split a
// tensor whose scheme is not byte-local: see range_end), reading from `src` (which points at data
// offset `begin`) and writing to `dst` (same indexing), with each tensor's coder. Work is split
// into pieces of at most 1 MiB run on `threads` threads. With `populate_src`, each worker faults
// its piece of a file mapping in with one call first (faster than a fault per page, and parallel).
Status transform_range(const st::Header& header, const std::vector<TensorKey>& keys,
                       std::uint64_t begin, std::uint64_t end, const std::byte* src, std::byte* dst,
                       unsigned threads, bool populate_src = false);

// Streams the data buffer of `reader` through the coders in bounded windows (a window grows to
// hold a whole tensor of a scheme that is not byte-local), handing each transformed window to
// `sink` and releasing the source pages behind it.
using WindowSink = std::function<Status(std::uint64_t offset, std::span<const std::byte> bytes)>;
Status transform_stream(const st::Reader& reader, const std::vector<TensorKey>& keys,
                        unsigned threads, const ProgressFn& progress, const WindowSink& sink);

unsigned resolve_threads(unsigned requested);

}  // namespace hwlock::detail
