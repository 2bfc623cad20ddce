// The hwlock command line, run as a user would: exit codes, messages, files left behind.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "hwlock/synthetic.hpp"
#include "test_util.hpp"

namespace {

using hwlock::test::quote;
using hwlock::test::run;
using hwlock::test::TempDir;

const std::string kCli = HWLOCK_CLI_PATH;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hwlock::write_synthetic_model(dir_ / "m.safetensors", {3u << 20, 9, 96}, false));
    ASSERT_EQ(cli("keygen -o " + quote(dir_ / "k.key")).exit_code, 0);
    ASSERT_EQ(cli("keygen -o " + quote(dir_ / "other.key")).exit_code, 0);
  }
  hwlock::test::RunResult cli(const std::string& args) { return run(kCli + " " + args); }
  TempDir dir_;
};

TEST_F(Cli, KeygenWrites0600AndNeverOverwrites) {
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "k.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto before = hwlock::test::read_file(dir_ / "k.key");
  auto r = cli("keygen -o " + quote(dir_ / "k.key"));
  EXPECT_EQ(r.exit_code, 13) << r.out;
  EXPECT_EQ(hwlock::test::read_file(dir_ / "k.key"), before);
  // The raw key never appears in output.
  auto j = cli("keygen --json -o " + quote(dir_ / "k2.key"));
  ASSERT_EQ(j.exit_code, 0);
  auto key_text = hwlock::test::read_file(dir_ / "k2.key");
  EXPECT_EQ(j.out.find(std::string(key_text.begin() + 14, key_text.begin() + 78)),
            std::string::npos);
}

TEST_F(Cli, LockInspectVerifyUnlock) {
  auto r = cli("lock " + quote(dir_ / "m.safetensors") + " -o " + quote(dir_ / "m.hwlock") +
               " --key-file " + quote(dir_ / "k.key"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto i = cli("inspect --json " + quote(dir_ / "m.hwlock"));
  ASSERT_EQ(i.exit_code, 0) << i.out;
  auto j = nlohmann::json::parse(i.out);
  EXPECT_EQ(j["format"], "hwlock");
  EXPECT_EQ(j["lock"]["key_check"], "hmac-sha256");
  EXPECT_EQ(j["lock"]["kdf"], "hkdf-sha256-v1");
  EXPECT_EQ(j["metadata"]["generator"], "hwlock synthetic");
  auto v = cli("verify " + quote(dir_ / "m.hwlock") + " --key-file " + quote(dir_ / "k.key") +
               " --against " + quote(dir_ / "m.safetensors"));
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("bit for bit"), std::string::npos);
  auto u = cli("unlock " + quote(dir_ / "m.hwlock") + " -o " + quote(dir_ / "u.safetensors") +
               " --key-file " + quote(dir_ / "k.key"));
  ASSERT_EQ(u.exit_code, 0) << u.out;
  auto ri = cli("inspect --json " + quote(dir_ / "u.safetensors"));
  auto oi = cli("inspect --json " + quote(dir_ / "m.safetensors"));
  auto rj = nlohmann::json::parse(ri.out), oj = nlohmann::json::parse(oi.out);
  EXPECT_EQ(rj["tensors"], oj["tensors"]);
  EXPECT_EQ(rj["metadata"], oj["metadata"]);
}

TEST_F(Cli, AnyReaderListsTheSameTensors) {
  HWLOCK_REQUIRE_DEPENDENCY(std::filesystem::exists("/usr/bin/python3"), "needs /usr/bin/python3");
  ASSERT_EQ(cli("lock " + quote(dir_ / "m.safetensors") + " -o " + quote(dir_ / "m.hwlock") +
                " --key-file " + quote(dir_ / "k.key"))
                .exit_code,
            0);
  auto a = run(std::string("/usr/bin/python3 ") + HWLOCK_REFERENCE_READER + " " +
               quote(dir_ / "m.safetensors"));
  auto b = run(std::string("/usr/bin/python3 ") + HWLOCK_REFERENCE_READER + " " +
               quote(dir_ / "m.hwlock"));
  ASSERT_EQ(a.exit_code, 0) << a.out;
  ASSERT_EQ(b.exit_code, 0) << b.out;
  EXPECT_GT(a.out.size(), 100u);
  EXPECT_EQ(a.out, b.out);
}

TEST_F(Cli, WrongKeyHasItsOwnExitCodeAndMessage) {
  ASSERT_EQ(cli("lock " + quote(dir_ / "m.safetensors") + " -o " + quote(dir_ / "m.hwlock") +
                " --key-file " + quote(dir_ / "k.key"))
                .exit_code,
            0);
  auto r = cli("unlock " + quote(dir_ / "m.hwlock") + " -o " + quote(dir_ / "u") + " --key-file " +
               quote(dir_ / "other.key"));
  EXPECT_EQ(r.exit_code, 44) << r.out;
  EXPECT_NE(r.out.find("locked for a different device or key"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "u"));
  auto v = cli("verify " + quote(dir_ / "m.hwlock") + " --key-file " + quote(dir_ / "other.key"));
  EXPECT_EQ(v.exit_code, 44) << v.out;
}

TEST_F(Cli, NoKeyCheckModeCannotBeVerifiedWithoutOriginal) {
  ASSERT_EQ(cli("lock --no-key-check " + quote(dir_ / "m.safetensors") + " -o " +
                quote(dir_ / "m.hwlock") + " --key-file " + quote(dir_ / "k.key"))
                .exit_code,
            0);
  auto r = cli("verify --allow-unchecked " + quote(dir_ / "m.hwlock") + " --key-file " +
               quote(dir_ / "other.key"));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  // The reader decides: without --allow-unchecked such a file is refused (exit 46).
  auto refused = cli("unlock " + quote(dir_ / "m.hwlock") + " -o " + quote(dir_ / "garbage") +
                     " --key-file " + quote(dir_ / "k.key"));
  EXPECT_EQ(refused.exit_code, 46) << refused.out;
  EXPECT_NE(refused.out.find("--allow-unchecked"), std::string::npos) << refused.out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "garbage"));
  auto w = cli("unlock --allow-unchecked " + quote(dir_ / "m.hwlock") + " -o " +
               quote(dir_ / "garbage") + " --key-file " + quote(dir_ / "other.key"));
  EXPECT_EQ(w.exit_code, 0) << "a wrong key is undetectable in this mode: " << w.out;
  auto v = cli("verify --allow-unchecked " + quote(dir_ / "m.hwlock") + " --key-file " +
               quote(dir_ / "other.key") + " --against " + quote(dir_ / "m.safetensors"));
  EXPECT_EQ(v.exit_code, 45) << v.out;
}

TEST_F(Cli, MalformedInputsGetDistinctExitCodes) {
  const std::filesystem::path corpus = std::filesystem::path(HWLOCK_TEST_DATA_DIR) / "malformed";
  const std::pair<const char*, int> cases[] = {{"too_small.safetensors", 20},
                                               {"header_too_large.safetensors", 21},
                                               {"not_utf8.safetensors", 23},
                                               {"bad_json_truncated.safetensors", 25},
                                               {"hole.safetensors", 30},
                                               {"trailing_bytes.safetensors", 31},
                                               {"duplicate_tensor.safetensors", 32},
                                               {"deep_nesting_huge.safetensors", 34},
                                               {"too_many_tensors.safetensors", 35},
                                               {"name_too_long.safetensors", 36}};
  for (const auto& [file, code] : cases) {
    auto r = cli("inspect " + quote(corpus / file));
    EXPECT_EQ(r.exit_code, code) << file << ": " << r.out;
    EXPECT_NE(r.out.find(file), std::string::npos) << r.out;
    auto l = cli("lock " + quote(corpus / file) + " -o " + quote(dir_ / "x") + " --key-file " +
                 quote(dir_ / "k.key"));
    EXPECT_EQ(l.exit_code, code) << file << ": " << l.out;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "x"));
  }
  auto missing = cli("inspect " + quote(dir_ / "nope.safetensors"));
  EXPECT_EQ(missing.exit_code, 10) << missing.out;
  auto badkey = cli("lock " + quote(dir_ / "m.safetensors") + " -o " + quote(dir_ / "x") +
                    " --key-file " + quote(dir_ / "m.safetensors"));
  EXPECT_EQ(badkey.exit_code, 50) << badkey.out;
}

TEST_F(Cli, UsageErrorsAndHelp) {
  EXPECT_EQ(cli("").exit_code, 2);
  EXPECT_EQ(cli("lock").exit_code, 2);
  EXPECT_EQ(cli("frobnicate").exit_code, 2);
  EXPECT_EQ(cli("lock --scheme rot13 a -o b --key-file c").exit_code, 2);
  auto h = cli("lock --help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("--no-key-check"), std::string::npos);
  EXPECT_EQ(cli("--version").exit_code, 0);
}

TEST_F(Cli, OutputsAreNeverClobbered) {
  hwlock::test::write_file(dir_ / "existing", "precious");
  auto r = cli("lock " + quote(dir_ / "m.safetensors") + " -o " + quote(dir_ / "existing") +
               " --key-file " + quote(dir_ / "k.key"));
  EXPECT_EQ(r.exit_code, 13) << r.out;
  auto bytes = hwlock::test::read_file(dir_ / "existing");
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "precious");
  auto same = cli("lock " + quote(dir_ / "m.safetensors") + " -o " + quote(dir_ / "m.safetensors") +
                  " --key-file " + quote(dir_ / "k.key") + " --force");
  EXPECT_EQ(same.exit_code, 14) << same.out;
  // No temporary files left behind by failures.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_.path())) ++entries;
  EXPECT_EQ(entries, 4u);
}

TEST_F(Cli, QuickDemoRunsEndToEnd) {
  auto r = cli("demo --quick");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("demo OK"), std::string::npos) << r.out;
  auto j = cli("demo --quick --json");
  ASSERT_EQ(j.exit_code, 0) << j.out;
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_TRUE(doc["unlocked_identical"].get<bool>());
  EXPECT_TRUE(doc["wrong_key_rejected"].get<bool>());
  EXPECT_GT(doc["nokeycheck_wrong_key_wild_f32_fraction"].get<double>(), 0.2);
}

}  // namespace

namespace {

// Every --scheme through the CLI: lock, verify against the original, unlock bit for bit.
TEST_F(Cli, EverySchemeLocksAndUnlocksBitForBit) {
  const std::string spec = R"({"hwlock_structure": 1, "groups": [{"name": "g", "in": [
      {"tensor": "layers.0.mlp.fc.weight", "axis": 0}], "out": [
      {"tensor": "layers.1.mlp.fc.weight", "axis": 0}]}]})";
  { std::ofstream(dir_ / "spec.json") << spec; }
  auto inspect = cli("inspect --json " + quote(dir_ / "m.safetensors"));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.out;
  for (const std::string scheme : {"aes", "preaes", "shuffle-free", "shuffle"}) {
    SCOPED_TRACE(scheme);
    const auto locked = dir_ / (scheme + ".hwlock");
    const std::string extra =
        scheme == "shuffle" ? " --structure " + quote(dir_ / "spec.json") : "";
    auto l = cli("lock --json --scheme " + scheme + extra + " " + quote(dir_ / "m.safetensors") +
                 " -o " + quote(locked) + " --key-file " + quote(dir_ / "k.key"));
    ASSERT_EQ(l.exit_code, 0) << l.out;
    auto v = cli("verify " + quote(locked) + " --key-file " + quote(dir_ / "k.key") +
                 " --against " + quote(dir_ / "m.safetensors"));
    EXPECT_EQ(v.exit_code, 0) << v.out;
    const auto plain = dir_ / (scheme + ".safetensors");
    auto u = cli("unlock " + quote(locked) + " -o " + quote(plain) + " --key-file " +
                 quote(dir_ / "k.key"));
    ASSERT_EQ(u.exit_code, 0) << u.out;
    EXPECT_EQ(hwlock::test::read_file(plain), hwlock::test::read_file(dir_ / "m.safetensors"));
    auto w = cli("verify " + quote(locked) + " --key-file " + quote(dir_ / "other.key"));
    EXPECT_EQ(w.exit_code, 44) << w.out;
  }
  // Structured mode on a graph it does not know: a clear error, never a weaker lock.
  auto s = cli("lock --scheme shuffle " + quote(dir_ / "m.safetensors") + " -o " +
               quote(dir_ / "x.hwlock") + " --key-file " + quote(dir_ / "k.key"));
  EXPECT_EQ(s.exit_code, 112) << s.out;
  EXPECT_NE(s.out.find("--structure"), std::string::npos) << s.out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x.hwlock"));
}

TEST_F(Cli, ForgettingTheKeyFileSaysSo) {
  ASSERT_EQ(cli("lock " + quote(dir_ / "m.safetensors") + " -o " + quote(dir_ / "m.hwlock") +
                " --key-file " + quote(dir_ / "k.key"))
                .exit_code,
            0);
  auto u = cli("unlock " + quote(dir_ / "m.hwlock") + " -o " + quote(dir_ / "u"));
  EXPECT_EQ(u.exit_code, 2) << u.out;
  EXPECT_NE(u.out.find("--key-file"), std::string::npos) << u.out;
  EXPECT_EQ(u.out.find("container_corrupt"), std::string::npos) << u.out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "u"));
}

}  // namespace
