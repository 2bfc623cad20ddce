// hwlock/transform.hpp — parameter transforms: what a lock does to a tensor's bytes.
//
// A scheme transforms one tensor under key material the container derives for that tensor (and,
// for schemes that couple tensors, for a group of tensors). One interface for every scheme; the
// container only records which scheme each tensor uses and the scheme's public parameters
// (docs/FORMAT.md). Schemes are rows of one table (find_scheme); a new scheme is a new file in
// src/transform/ registered there.
//
//   "aes-256-ctr"  AES-256-CTR over the tensor's bytes (NIST SP 800-38A). Byte-local. A wrong key
//                  decodes to uniformly random bytes (NaN, huge exponents): a guess is rejected by
//                  looking at the weights.
//   "preaes-v1"    pre-transformed AES: each value is mapped to a slot of a per-tensor code space
//   in
//                  which every distinct value owns a share of slots proportional to how often it
//                  occurs, the slot is shifted by the AES-CTR keystream modulo the code-space size,
//                  and the shifted code is stored. The right key decodes bit for bit; any wrong key
//                  decodes every element to a value drawn from the tensor's own value distribution
//                  (ties included, up to the slot quantisation). Element-local.
//   "shuffle-free-v1"  structure-free keyed shuffle: each axis of the tensor is permuted under the
//                  key, independently of every other tensor. The locked tensor holds exactly the
//                  original values (its rows/columns are real rows/columns, reordered). Whole
//                  tensor.
//
// Every scheme's unlock restores the original bytes exactly. Key material is wiped by its owner
// (the container); schemes keep no copy beyond the Decoder they return.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hwlock/crypto.hpp"
#include "hwlock/error.hpp"
#include "hwlock/safetensors.hpp"

namespace hwlock::transform {

// The tensor a scheme works on (the header entry, without its offsets).
struct TensorDesc {
  std::string_view name;
  st::DType dtype;
  std::span<const std::uint64_t> shape;
  std::uint64_t bytes = 0;  // shape x dtype size
};

// Derives the key of a named coupling group (structured shuffle): every tensor of one file gets the
// same key for the same group name. Valid only during the Scheme call it is passed to (a decoder
// derives what it needs when it is created).
using GroupKeyFn = std::function<Result<crypto::SecretKey>(std::string_view group)>;

// Key material for one tensor: an AES-256 key and a 16-byte initial counter block (derived by the
// container from the master key, the file's salt and the tensor's name), and group keys.
struct TensorKeys {
  std::span<const std::byte, crypto::kKeySize> key;
  std::span<const std::byte, crypto::kIvSize> nonce;
  GroupKeyFn group_key;
};

// How much of a tensor a Decoder needs at once.
enum class Locality {
  bytes,     // any byte range, independently (streams in pieces, parallel)
  elements,  // any range that starts and ends on element boundaries
  tensor,    // the whole tensor in one call
};

// Decodes one locked tensor under one key. Created by Scheme::decoder() after the scheme's public
// parameters were validated; holds a copy of the key material, wiped when destroyed.
class Decoder {
 public:
  virtual ~Decoder() = default;
  // Decodes the tensor bytes [byte_offset, byte_offset + in.size()) into `out` (same size). The
  // range obeys the scheme's Locality (Locality::tensor: offset 0 and the whole tensor).
  virtual Status decode(std::uint64_t byte_offset, std::span<const std::byte> in,
                        std::span<std::byte> out) const = 0;
};

// A scheme's public per-tensor parameters (a JSON object; {} when it has none), written into the
// container at lock time and validated before any use at unlock time.
using Params = nlohmann::json;

class Scheme {
 public:
  virtual ~Scheme() = default;
  // The id recorded per tensor in the container ("aes-256-ctr", ...).
  virtual std::string_view id() const noexcept = 0;
  virtual Locality locality() const noexcept = 0;
  // Whether the scheme can lock this tensor; errors: scheme_unsupported (names tensor and cause).
  virtual Status supports(const TensorDesc& t) const = 0;
  // Locks a whole tensor: `plain` -> `out` (same size). `request` holds the caller's options for
  // this tensor ({} for the defaults; e.g. a shuffle plan, a preaes mode). Returns the public
  // parameters to record. Errors: scheme_unsupported, scheme_params_invalid (bad request).
  virtual Result<Params> lock(const TensorDesc& t, const TensorKeys& keys, const Params& request,
                              std::span<const std::byte> plain, std::span<std::byte> out) const = 0;
  // Locality::bytes schemes only: an encoder for any byte range of the tensor (the lock direction,
  // so huge tensors lock in bounded memory). Others: scheme_unsupported.
  virtual Result<std::unique_ptr<Decoder>> range_encoder(const TensorDesc& t,
                                                         const TensorKeys& keys) const;
  // Validates `params` (hostile: read from a file) and returns a decoder for this tensor.
  // Errors: scheme_params_invalid, naming the tensor and the field.
  virtual Result<std::unique_ptr<Decoder>> decoder(const TensorDesc& t, const TensorKeys& keys,
                                                   const Params& params) const = 0;
};

// The scheme with this id, or nullptr.
const Scheme* find_scheme(std::string_view id) noexcept;
// Every scheme id, in table order.
std::vector<std::string_view> scheme_ids();

// Short user-facing names (`--scheme aes|preaes|shuffle-free|shuffle`) to schemes (an id is
// accepted too); nullptr if unknown. scheme_options(): every short name, in table order.
const Scheme* scheme_by_option(std::string_view option) noexcept;
std::vector<std::string_view> scheme_options();

// Decodes a whole tensor in one call (any locality): the reference the fast paths are tested
// against.
Status decode_tensor(const Scheme& scheme, const TensorDesc& t, const TensorKeys& keys,
                     const Params& params, std::span<const std::byte> locked,
                     std::span<std::byte> out);

}  // namespace hwlock::transform
