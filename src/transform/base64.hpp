// Internal to the transform module: base64 (RFC 4648 section 4, standard alphabet, with padding)
// for binary scheme parameters stored in the JSON header.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hwlock::transform::detail {

std::string base64_encode(std::span<const std::byte> data);

// The bytes of `text`, or nullopt unless `text` is canonical base64: length a multiple of 4,
// only alphabet characters, '=' only as one or two final padding characters, and zero padding
// bits (so every byte string has exactly one accepted encoding).
std::optional<std::vector<std::byte>> base64_decode(std::string_view text);

}  // namespace hwlock::transform::detail
