#include <sys/mman.h>

#include <utility>

#include "hwlock/crypto.hpp"
#include "hwlock/io.hpp"

namespace hwlock::io {
namespace {

constexpr std::size_t kHugePage = 2u << 20;

void unmap(std::byte* p, std::size_t used, std::size_t mapped) {
  if (p == nullptr) return;
  crypto::secure_wipe(p, used);
  ::munmap(p, mapped);
}

}  // namespace

PageBuffer::~PageBuffer() {
  unmap(data_, size_, mapped_);
}

PageBuffer::PageBuffer(PageBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      mapped_(std::exchange(o.mapped_, 0)) {}

PageBuffer& PageBuffer::operator=(PageBuffer&& o) noexcept {
  if (this != &o) {
    unmap(data_, size_, mapped_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    mapped_ = std::exchange(o.mapped_, 0);
  }
  return *this;
}

Result<PageBuffer> PageBuffer::allocate(std::size_t size) {
  PageBuffer b;
  if (size == 0) return b;
  // Round up to whole huge pages so the kernel can back the buffer with 2 MiB pages.
  const std::size_t mapped = (size + kHugePage - 1) / kHugePage * kHugePage;
  void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return fail(Errc::internal, "out of memory: cannot map " + std::to_string(size) + " bytes");
  ::madvise(p, mapped, MADV_HUGEPAGE);
  // Plaintext weights must not land in core dumps. Kernels without MADV_DONTDUMP (before 3.4) say
  // EINVAL; nothing else can fail on a mapping we just made, so the hint is best effort.
  ::madvise(p, mapped, MADV_DONTDUMP);
#ifdef MADV_POPULATE_WRITE
  ::madvise(p, mapped, MADV_POPULATE_WRITE);
#endif
  b.data_ = static_cast<std::byte*>(p);
  b.size_ = size;
  b.mapped_ = mapped;
  return b;
}

}  // namespace hwlock::io
