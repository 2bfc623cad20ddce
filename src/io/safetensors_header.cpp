#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "hwlock/safetensors.hpp"
#include "io/json_bounded.hpp"

namespace hwlock::st {
namespace {

using nlohmann::json;

// Thrown from the key hook to stop at the first tensor past the count or name limit; caught below,
// never escapes this file.
struct Reject {
  Errc code;
  std::string message;
};

// At most `max` bytes of `s`, cut at a UTF-8 character boundary: for messages about huge names.
std::string shorten(const std::string& s, std::size_t max = 256) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

Result<json> parse_json_strict(std::string_view text, const std::string& where) {
  std::size_t tensors = 0;
  auto on_key = [&](std::size_t depth, const std::string& key) {
    if (depth != 1 || key == kMetadataKey) return;  // not a tensor name
    if (++tensors > kMaxTensors)
      throw Reject{Errc::st_too_many_tensors,
                   where + ": header has more than " + std::to_string(kMaxTensors) + " tensors"};
    if (key.size() > kMaxTensorNameSize)
      throw Reject{Errc::st_name_too_long, where + ": tensor \"" + shorten(key) +
                                               "\" has a name of " + std::to_string(key.size()) +
                                               " bytes, above the limit of " +
                                               std::to_string(kMaxTensorNameSize)};
  };
  json root;
  detail::BoundedJsonBuilder builder(root, kMaxHeaderDepth, /*reject_duplicate_keys=*/true, on_key);
  try {
    detail::parse_bounded(text, builder);
    return root;
  } catch (const detail::JsonDuplicateKey& d) {
    return fail(Errc::st_duplicate_name,
                where + ": header has the key \"" + shorten(d.key) + "\" twice");
  } catch (const detail::JsonTooDeep&) {
    return fail(Errc::st_header_too_deep, where + ": header JSON is nested deeper than " +
                                              std::to_string(kMaxHeaderDepth) + " levels");
  } catch (const Reject& r) {
    return fail(r.code, r.message);
  } catch (const json::exception& e) {
    return fail(Errc::st_header_bad_json, where + ": header is not valid JSON: " + e.what());
  }
}

bool checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

Result<std::uint64_t> read_u64(const json& v, const std::string& where, const char* what) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
    return fail(Errc::st_header_schema, where + ": " + what + " must be a non-negative integer");
  return v.get<std::uint64_t>();
}

Result<TensorInfo> parse_tensor(const std::string& name, const json& v, const std::string& where) {
  const std::string at = where + ": tensor \"" + name + "\"";
  if (!v.is_object()) return fail(Errc::st_header_schema, at + ": entry is not an object");
  for (const auto& [k, _] : v.items())
    if (k != "dtype" && k != "shape" && k != "data_offsets")
      return fail(Errc::st_header_schema, at + ": unexpected field \"" + k + "\"");
  if (!v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
    return fail(Errc::st_header_schema, at + ": needs dtype, shape and data_offsets");
  TensorInfo t;
  t.name = name;
  const json& dt = v["dtype"];
  if (!dt.is_string()) return fail(Errc::st_header_schema, at + ": dtype is not a string");
  const auto dtype = parse_dtype(dt.get<std::string>());
  if (!dtype)
    return fail(Errc::st_unknown_dtype, at + ": unknown dtype \"" + dt.get<std::string>() + "\"");
  t.dtype = *dtype;
  const json& shape = v["shape"];
  if (!shape.is_array()) return fail(Errc::st_header_schema, at + ": shape is not an array");
  std::uint64_t bytes = dtype_size(t.dtype);
  for (const auto& d : shape) {
    HWLOCK_ASSIGN(std::uint64_t dim, read_u64(d, at, "each shape dimension"));
    t.shape.push_back(dim);
    if (!checked_mul(bytes, dim, &bytes))
      return fail(Errc::st_shape_overflow, at + ": shape x dtype size overflows 64 bits");
  }
  const json& off = v["data_offsets"];
  if (!off.is_array() || off.size() != 2)
    return fail(Errc::st_header_schema, at + ": data_offsets is not an array of two integers");
  HWLOCK_ASSIGN(t.begin, read_u64(off[0], at, "data_offsets[0]"));
  HWLOCK_ASSIGN(t.end, read_u64(off[1], at, "data_offsets[1]"));
  if (t.end < t.begin)
    return fail(Errc::st_size_mismatch, at + ": data_offsets end " + std::to_string(t.end) +
                                            " is before begin " + std::to_string(t.begin));
  if (t.end - t.begin != bytes)
    return fail(Errc::st_size_mismatch,
                at + ": data_offsets span " + std::to_string(t.end - t.begin) +
                    " bytes but shape x dtype size is " + std::to_string(bytes));
  return t;
}

json tensor_json(const TensorInfo& t) {
  return json{{"dtype", std::string(dtype_name(t.dtype))},
              {"shape", t.shape},
              {"data_offsets", json::array({t.begin, t.end})}};
}

}  // namespace

Result<Header> parse_header(std::span<const std::byte> bytes, std::uint64_t data_size,
                            std::string_view origin) {
  const std::string where(origin);
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (!is_valid_utf8(text))
    return fail(Errc::st_header_not_utf8, where + ": header is not valid UTF-8");
  if (text.empty() || text.front() != '{')
    return fail(Errc::st_header_bad_start, where + ": header does not start with '{'");
  HWLOCK_ASSIGN(json root, parse_json_strict(text, where));
  if (!root.is_object())
    return fail(Errc::st_header_schema, where + ": header is not a JSON object");

  Header h;
  for (const auto& [key, value] : root.items()) {
    if (key == kMetadataKey) {
      if (!value.is_object())
        return fail(Errc::st_metadata_invalid, where + ": __metadata__ is not an object");
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string())
          return fail(Errc::st_metadata_invalid,
                      where + ": __metadata__ value of \"" + mk + "\" is not a string");
        h.metadata.emplace(mk, mv.get<std::string>());
      }
      continue;
    }
    HWLOCK_ASSIGN(TensorInfo t, parse_tensor(key, value, where));
    h.tensors.push_back(std::move(t));
  }

  std::sort(h.tensors.begin(), h.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin
                              : (a.end != b.end ? a.end < b.end : a.name < b.name);
  });
  std::uint64_t expected = 0;
  for (const auto& t : h.tensors) {
    if (t.begin != expected)
      return fail(Errc::st_offsets_not_contiguous,
                  where + ": tensor \"" + t.name + "\" starts at " + std::to_string(t.begin) +
                      " but the previous tensor ends at " + std::to_string(expected) +
                      (t.begin > expected ? " (hole)" : " (overlap)"));
    expected = t.end;
  }
  if (expected != data_size)
    return fail(Errc::st_buffer_mismatch,
                where + ": tensors cover " + std::to_string(expected) +
                    " bytes but the data buffer has " + std::to_string(data_size) +
                    (data_size > expected ? " (trailing bytes)" : " (truncated)"));
  return h;
}

Result<Header> parse_file(std::span<const std::byte> file, std::string_view origin,
                          std::uint64_t* data_start) {
  const std::string where(origin);
  if (file.size() < 8)
    return fail(Errc::st_too_small, where + ": " + std::to_string(file.size()) +
                                        " bytes is too small for a safetensors file (needs 8+)");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | std::to_integer<std::uint64_t>(file[static_cast<std::size_t>(i)]);
  if (n > kMaxHeaderSize)
    return fail(Errc::st_header_too_large, where + ": header size " + std::to_string(n) +
                                               " exceeds the limit of " +
                                               std::to_string(kMaxHeaderSize) + " bytes");
  if (n > file.size() - 8)
    return fail(Errc::st_header_past_eof, where + ": header size " + std::to_string(n) +
                                              " runs past the end of the " +
                                              std::to_string(file.size()) + "-byte file");
  const std::uint64_t start = 8 + n;
  HWLOCK_ASSIGN(Header h, parse_header(file.subspan(8, n), file.size() - start, origin));
  if (data_start != nullptr) *data_start = start;
  return h;
}

Status assign_offsets(Header& header) {
  std::uint64_t off = 0;
  for (auto& t : header.tensors) {
    std::uint64_t bytes = dtype_size(t.dtype);
    for (auto d : t.shape)
      if (!checked_mul(bytes, d, &bytes))
        return fail(Errc::st_shape_overflow, "tensor \"" + t.name + "\": size overflows 64 bits");
    t.begin = off;
    if (__builtin_add_overflow(off, bytes, &off))
      return fail(Errc::st_shape_overflow, "tensor \"" + t.name + "\": offset overflows 64 bits");
    t.end = off;
  }
  return {};
}

std::string canonical_header_json(const Header& header) {
  json root = json::object();
  for (const auto& t : header.tensors) root[t.name] = tensor_json(t);
  if (!header.metadata.empty()) root[std::string(kMetadataKey)] = header.metadata;
  // std::map-backed objects dump keys in byte order; no spaces; UTF-8 passed through unescaped.
  return root.dump();
}

std::string serialize_header(const Header& header) {
  std::string text = canonical_header_json(header);
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  std::uint64_t n = text.size();
  for (int i = 0; i < 8; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + text;
}

}  // namespace hwlock::st
