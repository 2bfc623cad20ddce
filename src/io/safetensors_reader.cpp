#include "hwlock/safetensors.hpp"

namespace hwlock::st {

Result<Reader> Reader::open(const std::filesystem::path& path) {
  Reader r;
  HWLOCK_ASSIGN(r.file_, io::MappedFile::open(path));
  HWLOCK_ASSIGN(r.header_, parse_file(r.file_.bytes(), path.string(), &r.data_start_));
  return r;
}

std::span<const std::byte> Reader::data(const TensorInfo& t) const noexcept {
  return file_.bytes().subspan(data_start_ + t.begin, t.nbytes());
}

}  // namespace hwlock::st
