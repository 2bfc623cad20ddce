// PageBuffer: the buffer that holds plaintext weights stays out of core dumps.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "hwlock/io.hpp"

namespace {

using namespace hwlock;

// The VmFlags line of the /proc/self/smaps entry whose range contains `p` ("" if none).
std::string vm_flags_of(const void* p) {
  const auto addr = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= addr && addr < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

TEST(PageBuffer, IsExcludedFromCoreDumps) {
  auto b = io::PageBuffer::allocate((5u << 20) + 123);
  ASSERT_TRUE(b);
  const std::string flags = vm_flags_of(b->data());
  if (flags.empty()) GTEST_SKIP() << "no VmFlags in /proc/self/smaps";
  EXPECT_NE(flags.find(" dd"), std::string::npos) << flags;  // dd: do not dump
}

TEST(PageBuffer, ZeroSizeIsEmpty) {
  auto b = io::PageBuffer::allocate(0);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->data(), nullptr);
  EXPECT_EQ(b->size(), 0u);
}

}  // namespace
