// RFC 7748 section 6.1 known answers for X25519.
#include <gtest/gtest.h>

#include "hwlock/crypto.hpp"

namespace {

using namespace hwlock::crypto;

std::array<std::byte, 32> hex32(std::string_view h) {
  auto v = from_hex(h);
  std::array<std::byte, 32> out{};
  EXPECT_TRUE(v.ok());
  if (v.ok() && v->size() == 32) std::copy(v->begin(), v->end(), out.begin());
  return out;
}

TEST(X25519, Rfc7748Section6_1) {
  const auto alice = hex32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const auto bob = hex32("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  std::array<std::byte, 32> alice_pub{}, bob_pub{}, s1{}, s2{};
  ASSERT_TRUE(x25519_public(alice, alice_pub));
  ASSERT_TRUE(x25519_public(bob, bob_pub));
  EXPECT_EQ(to_hex(alice_pub), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(to_hex(bob_pub), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  ASSERT_TRUE(x25519_shared(alice, bob_pub, s1));
  ASSERT_TRUE(x25519_shared(bob, alice_pub, s2));
  EXPECT_EQ(to_hex(s1), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(s1, s2);
}

TEST(X25519, SmallOrderPeerIsRejected) {
  const auto mine = hex32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const std::array<std::byte, 32> zero{};
  std::array<std::byte, 32> shared{};
  auto s = x25519_shared(mine, zero, shared);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, hwlock::Errc::crypto);
}

}  // namespace
