// A container whose hwlock.* metadata is damaged gets a specific error, never a wrong key.
#include "container_fixture.hpp"

namespace {

using namespace hwlock;
using test::TempDir;

class Corrupt : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(write_synthetic_model(dir_ / "m.safetensors", {1u << 20, 5, 64}, false));
    ASSERT_TRUE(lock_file(dir_ / "m.safetensors", dir_ / "m.hwlock", key_));
  }
  Errc open_edited(void (*edit)(st::Header&)) {
    test::rewrite_header(dir_ / "m.hwlock", dir_ / "e.hwlock", edit);
    auto m = LockedModel::open(dir_ / "e.hwlock");
    return m ? Errc::ok : m.error().code;
  }
  TempDir dir_;
  StaticKeySource key_ = test::random_source();
};

TEST_F(Corrupt, UnknownVersion) {
  EXPECT_EQ(open_edited([](st::Header& h) { h.metadata["hwlock.version"] = "99"; }),
            Errc::unsupported_version);
}
TEST_F(Corrupt, UnknownKdf) {
  EXPECT_EQ(open_edited([](st::Header& h) { h.metadata["hwlock.kdf"] = "md5"; }),
            Errc::unsupported_version);
}
TEST_F(Corrupt, ShortSalt) {
  EXPECT_EQ(open_edited([](st::Header& h) { h.metadata["hwlock.salt"] = "abcd"; }),
            Errc::container_corrupt);
}
TEST_F(Corrupt, MissingField) {
  EXPECT_EQ(open_edited([](st::Header& h) { h.metadata.erase("hwlock.tensors"); }),
            Errc::container_corrupt);
}
TEST_F(Corrupt, KeySourceNotJson) {
  EXPECT_EQ(open_edited([](st::Header& h) { h.metadata["hwlock.key_source"] = "{"; }),
            Errc::container_corrupt);
}
TEST_F(Corrupt, DeeplyNestedLockJsonIsRefusedEarly) {
  // Valid JSON, 10^6 levels: refused at level 33 instead of being built and then found malformed.
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  for (const char* key : {"hwlock.key_source", "hwlock.tensors"}) {
    test::rewrite_header(dir_ / "m.hwlock", dir_ / "e.hwlock",
                         [&](st::Header& h) { h.metadata[key] = deep; });
    auto m = LockedModel::open(dir_ / "e.hwlock");
    ASSERT_FALSE(m) << key;
    EXPECT_EQ(m.error().code, Errc::container_corrupt) << m.error().message;
    EXPECT_NE(m.error().message.find("nested deeper than 32"), std::string::npos)
        << m.error().message;
  }
}
TEST_F(Corrupt, TensorWithoutLockEntry) {
  EXPECT_EQ(open_edited([](st::Header& h) {
              auto j = nlohmann::json::parse(h.metadata["hwlock.tensors"]);
              j.erase(j.begin());
              h.metadata["hwlock.tensors"] = j.dump();
            }),
            Errc::container_corrupt);
}
TEST_F(Corrupt, UnknownScheme) {
  EXPECT_EQ(open_edited([](st::Header& h) {
              auto j = nlohmann::json::parse(h.metadata["hwlock.tensors"]);
              j.begin().value()["scheme"] = "rot13";
              h.metadata["hwlock.tensors"] = j.dump();
            }),
            Errc::unsupported_version);
}
TEST_F(Corrupt, BadNonce) {
  EXPECT_EQ(open_edited([](st::Header& h) {
              auto j = nlohmann::json::parse(h.metadata["hwlock.tensors"]);
              j.begin().value()["nonce"] = "zz";
              h.metadata["hwlock.tensors"] = j.dump();
            }),
            Errc::container_corrupt);
}
TEST_F(Corrupt, MacWithoutKeyCheck) {
  EXPECT_EQ(open_edited([](st::Header& h) { h.metadata["hwlock.key_check"] = "none"; }),
            Errc::container_corrupt);
}
TEST_F(Corrupt, StrippingTheMacIsNotADowngrade) {
  // Removing hwlock.mac but keeping key_check = hmac-sha256 is corrupt, not "unchecked".
  EXPECT_EQ(open_edited([](st::Header& h) { h.metadata.erase("hwlock.mac"); }),
            Errc::container_corrupt);
}

}  // namespace
