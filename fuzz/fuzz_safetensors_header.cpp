// libFuzzer target: arbitrary bytes as a safetensors file, then as a .hwlock container.
// Invariants checked: parsing never crashes, and an accepted header re-serialises to a file that
// parses back to the same tensors and metadata.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "hwlock/container.hpp"
#include "hwlock/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  std::uint64_t start = 0;
  auto h = hwlock::st::parse_file(bytes, "fuzz", &start);
  if (!h) return 0;
  if (hwlock::is_locked(*h)) (void)hwlock::parse_lock_info(*h, "fuzz");
  // Round trip: serialise the accepted header and parse it again with the same data size.
  const std::string again = hwlock::st::serialize_header(*h);
  std::uint64_t start2 = 0;
  std::string file = again;
  file.append(static_cast<std::size_t>(h->data_size()), '\0');
  auto h2 = hwlock::st::parse_file(std::as_bytes(std::span(file)), "fuzz-again", &start2);
  if (!h2 || h2->tensors.size() != h->tensors.size() || h2->metadata != h->metadata) std::abort();
  for (std::size_t i = 0; i < h->tensors.size(); ++i) {
    const auto &a = h->tensors[i], &b = h2->tensors[i];
    if (a.name != b.name || a.dtype != b.dtype || a.shape != b.shape || a.begin != b.begin ||
        a.end != b.end)
      std::abort();
  }
  return 0;
}
