// libFuzzer target: arbitrary bytes as a key file (read_key_file, through an in-memory file).
// Invariants: the reader accepts exactly the inputs of the documented form
// "hwlock-key-v1 <64 hex digits>" with an optional final newline, and decodes them to the key a
// reference decoder gives; an accepted key written with write_key_file reads back identical, in
// the canonical lowercase form.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "fuzz_util.hpp"
#include "hwlock/keys.hpp"

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The format spelled out in include/hwlock/keys.hpp, decoded independently of the library.
std::optional<std::array<std::byte, 32>> reference_decode(std::string_view s) {
  constexpr std::string_view kMagic = "hwlock-key-v1 ";
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  if (s.size() != kMagic.size() + 64 || s.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  std::array<std::byte, 32> key{};
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = hex_digit(s[kMagic.size() + 2 * i]),
              lo = hex_digit(s[kMagic.size() + 2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    key[i] = static_cast<std::byte>(hi * 16 + lo);
  }
  return key;
}

// A private directory for the writer round trip, removed at exit.
struct ScratchDir {
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hwlock-fuzz-key-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path path;
};

const std::filesystem::path& scratch_dir() {
  static const ScratchDir dir;
  return dir.path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const hwlock::fuzz::MemFile file({data, size});
  std::string warning;
  auto key = hwlock::read_key_file(file.path(), &warning);
  const auto expected =
      reference_decode(std::string_view(reinterpret_cast<const char*>(data), size));
  HWLOCK_FUZZ_CHECK(key.ok() == expected.has_value());
  if (!key) {
    HWLOCK_FUZZ_CHECK(key.error().code == hwlock::Errc::key_file_invalid);
    HWLOCK_FUZZ_CHECK(key.error().message.find(file.path()) != std::string::npos);
    return 0;
  }
  HWLOCK_FUZZ_CHECK(key->valid());
  HWLOCK_FUZZ_CHECK(std::equal(key->bytes().begin(), key->bytes().end(), expected->begin()));

  auto id = hwlock::key_id(*key);
  HWLOCK_FUZZ_CHECK(id.ok() && id->size() == 16);

  // Round trip through the writer: canonical text, same key.
  const auto path = scratch_dir() / "key";
  HWLOCK_FUZZ_CHECK(hwlock::write_key_file(path, *key, /*overwrite=*/true).ok());
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  HWLOCK_FUZZ_CHECK(text.size() == 14 + 64 + 1 && text.back() == '\n');
  for (std::size_t i = 14; i < 78; ++i)
    HWLOCK_FUZZ_CHECK((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f'));
  std::string warning2;
  auto again = hwlock::read_key_file(path, &warning2);
  HWLOCK_FUZZ_CHECK(again.ok() && warning2.empty());  // written 0600: no warning
  HWLOCK_FUZZ_CHECK(std::equal(again->bytes().begin(), again->bytes().end(), key->bytes().begin()));
  return 0;
}
