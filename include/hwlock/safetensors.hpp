// hwlock/safetensors.hpp — the safetensors format, validated as a hostile input.
//
// File layout (https://github.com/huggingface/safetensors):
//
//   [ u64 little-endian N ][ N bytes: UTF-8 JSON header ][ data buffer ]
//
// The header is one JSON object. Each key except "__metadata__" names a tensor:
//   "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
// with offsets relative to the start of the data buffer. "__metadata__", if present, maps strings
// to strings. The reader enforces what the reference implementation enforces, and a little more:
//   - N <= kMaxHeaderSize and 8 + N <= file size;
//   - the header is valid UTF-8, starts with '{', is valid JSON, with no key twice in one object,
//     nested at most kMaxHeaderDepth deep, with at most kMaxTensors tensors whose names are at most
//     kMaxTensorNameSize bytes (checked while parsing: the parser stops at the first violation
//     instead of building the whole document);
//   - each tensor has exactly the fields above, a known dtype, and shape x dtype size computed with
//     checked 64-bit arithmetic equals end - begin;
//   - sorted by offset, tensors are contiguous (no holes, no overlaps) and cover the data buffer
//     exactly (no trailing bytes), so one file has one meaning (no polyglots).
// Each violation has its own Errc (and CLI exit code); messages name the file and the tensor.
//
// The writer is deterministic: JSON keys sorted (byte order), compact, and the header padded with
// spaces to a multiple of 8 bytes so the data buffer starts 8-byte aligned. The same tensors and
// metadata always give the same bytes, which is what makes a MAC over the header reproducible.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hwlock/error.hpp"
#include "hwlock/io.hpp"

namespace hwlock::st {

// Every dtype of the format. Sizes in bytes per element.
enum class DType : std::uint8_t {
  BOOL,
  U8,
  I8,
  F8_E5M2,
  F8_E4M3,
  F8_E8M0,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  I64,
  U64,
  F64,
};

struct DTypeInfo {
  DType dtype;
  std::string_view name;  // as spelled in the header
  std::uint8_t size;      // bytes per element
};

// The single source of truth for dtypes: everything else (parsing, sizes, tests) reads this table.
inline constexpr std::array<DTypeInfo, 16> kDTypes{{
    {DType::BOOL, "BOOL", 1},
    {DType::U8, "U8", 1},
    {DType::I8, "I8", 1},
    {DType::F8_E5M2, "F8_E5M2", 1},
    {DType::F8_E4M3, "F8_E4M3", 1},
    {DType::F8_E8M0, "F8_E8M0", 1},
    {DType::I16, "I16", 2},
    {DType::U16, "U16", 2},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
    {DType::I32, "I32", 4},
    {DType::U32, "U32", 4},
    {DType::F32, "F32", 4},
    {DType::I64, "I64", 8},
    {DType::U64, "U64", 8},
    {DType::F64, "F64", 8},
}};
static_assert(
    [] {
      for (std::size_t i = 0; i < kDTypes.size(); ++i)
        if (static_cast<std::size_t>(kDTypes[i].dtype) != i) return false;
      return true;
    }(),
    "kDTypes must be indexed by DType");

constexpr const DTypeInfo& dtype_info(DType d) {
  return kDTypes[static_cast<std::size_t>(d)];
}
constexpr std::string_view dtype_name(DType d) {
  return dtype_info(d).name;
}
constexpr std::size_t dtype_size(DType d) {
  return dtype_info(d).size;
}
std::optional<DType> parse_dtype(std::string_view name);

inline constexpr std::uint64_t kMaxHeaderSize = 100'000'000;  // as the reference implementation
inline constexpr std::string_view kMetadataKey = "__metadata__";
// Deepest JSON nesting accepted; the root object is depth 1. A valid header needs 3 (root, tensor
// entry, shape); the slack lets a moderately wrong entry get its schema error. Checked while
// parsing, so "[[[[..." of any length is rejected after kMaxHeaderDepth + 1 brackets.
inline constexpr std::size_t kMaxHeaderDepth = 8;
// Most tensors in one file. The largest public checkpoints hold on the order of 10^5 tensors in
// all, spread over many shard files; this leaves room for a merged one while bounding per-tensor
// work (parsing, one key derivation each) to about a second. Counted while parsing.
inline constexpr std::size_t kMaxTensors = std::size_t{1} << 18;  // 262,144
// Longest tensor name in bytes. A container derives each tensor key with HKDF info
// "hwlock/v1/tensor-key" || 0x00 || name (21 + name bytes) and OpenSSL 3.0 caps info at 32 KiB
// (crypto::kMaxHkdfInfoSize), so this is the longest name that ever locked: every container written
// so far still opens, and a longer name gets st_name_too_long instead of a crypto failure.
inline constexpr std::size_t kMaxTensorNameSize = 32 * 1024 - 21;  // 32,747

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::uint64_t> shape;  // empty = scalar
  std::uint64_t begin = 0;           // offsets into the data buffer
  std::uint64_t end = 0;

  std::uint64_t nbytes() const noexcept { return end - begin; }
  // Number of elements; only call on validated tensors (no overflow possible then).
  std::uint64_t numel() const noexcept;
};

using Metadata = std::map<std::string, std::string>;

struct Header {
  std::vector<TensorInfo> tensors;  // in data order (ascending offsets)
  Metadata metadata;

  // Linear scan: for one lookup. Looking up many names, build a TensorIndex once instead.
  const TensorInfo* find(std::string_view name) const noexcept;
  std::uint64_t data_size() const noexcept { return tensors.empty() ? 0 : tensors.back().end; }
};

// Name -> position in header.tensors, built once in O(n) so per-tensor lookups are O(1) (a loop
// calling Header::find per tensor is quadratic). Refers to `header`'s names: valid while `header`
// lives and its tensors are not changed. With duplicate names (possible only in a Header built in
// memory) the first wins, as in Header::find.
class TensorIndex {
 public:
  explicit TensorIndex(const Header& header);
  // nullptr if absent.
  const TensorInfo* find(std::string_view name) const noexcept;
  // Position in header.tensors, or header.tensors.size() if absent.
  std::size_t position(std::string_view name) const noexcept;

 private:
  const Header* header_;
  std::unordered_map<std::string_view, std::size_t> by_name_;
};

// Validates and parses header JSON bytes for a data buffer of `data_size` bytes. `origin` (the
// file name) prefixes every error message.
Result<Header> parse_header(std::span<const std::byte> json, std::uint64_t data_size,
                            std::string_view origin);

// Validates and parses a whole file image. On success `*data_start` is where the data buffer
// begins.
Result<Header> parse_file(std::span<const std::byte> file, std::string_view origin,
                          std::uint64_t* data_start);

// Lays tensors out contiguously in their current vector order (sets begin/end). Fails with
// st_shape_overflow if a size overflows.
Status assign_offsets(Header& header);

// The deterministic header bytes: 8-byte length prefix + padded JSON. Offsets must be assigned.
std::string serialize_header(const Header& header);
// The canonical compact JSON text of the header (no prefix, no padding). Used for MACs.
std::string canonical_header_json(const Header& header);

// True if `s` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

// A safetensors file opened through a read-only memory map. Move-only.
class Reader {
 public:
  static Result<Reader> open(const std::filesystem::path& path);

  const Header& header() const noexcept { return header_; }
  const io::MappedFile& file() const noexcept { return file_; }
  std::uint64_t data_start() const noexcept { return data_start_; }
  // The bytes of one tensor inside the mapping (valid while the Reader lives).
  std::span<const std::byte> data(const TensorInfo& t) const noexcept;

 private:
  io::MappedFile file_;
  Header header_;
  std::uint64_t data_start_ = 0;
};

// An in-memory tensor to write.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::uint64_t> shape;
  std::span<const std::byte> data;
};

// Writes a safetensors file atomically (temporary file + rename). Tensors are laid out in name
// order. Fails with output_exists unless `overwrite`, with st_size_mismatch if a view's byte
// count disagrees with its shape, and with st_too_many_tensors / st_name_too_long past the limits
// the reader enforces (so every file written can be read back).
Status write_file(const std::filesystem::path& path, std::span<const TensorView> tensors,
                  const Metadata& metadata, bool overwrite);

}  // namespace hwlock::st
