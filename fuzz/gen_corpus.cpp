// Writes the seed corpora that need real enrollments: valid device records (one per source kind,
// and a composite one, enrolled against the fake sources of fake_sources.hpp) with mutated
// variants and the envelopes a container records for them (corpus_device_record/), and
// fuzzy-extractor helper records enrolled from an all-zero response under the context the fuzz
// target uses, with and without a reliability mask, plus malformed variants
// (corpus_fuzzy_helper/).
// Usage: fuzz_gen_corpus FUZZ_DIR   (not built by default: cmake --build B --target
// fuzz_gen_corpus). Enrollment draws random salts, so each run writes different valid seeds.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fake_sources.hpp"
#include "hwlock/device.hpp"
#include "hwlock/fuzzy.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

std::string bytes_string(const std::vector<std::byte>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

void device_records(const fs::path& dir) {
  fs::create_directories(dir);
  const hwlock::fuzz::FakeSources fakes;
  const std::vector<std::pair<std::string, json>> sources = {
      {"numeric", json::object()},
      {"timing", json::object()},
      {"puf-sim", {{"type", "sram"}, {"device_seed", 3}}},
      {"puf-file", {{"path", "/dev/null"}}},
  };
  std::vector<json> records;
  for (const auto& [kind, params] : sources) {
    hwlock::device::EnrollOptions o;
    o.source = kind;
    o.params = params;
    o.measurements = 3;
    auto e = hwlock::device::enroll(o);
    if (!e) {
      std::fprintf(stderr, "enroll %s: %s\n", kind.c_str(), e.error().message.c_str());
      std::exit(1);
    }
    const json& r = e->record;
    records.push_back(r);
    write(dir / ("valid_" + kind + ".json"), r.dump());
    auto lock = hwlock::device::DeviceKeySource::for_lock({r});
    if (!lock) std::exit(1);
    write(dir / ("envelopes_" + kind + ".json"), (*lock)->describe().dump());

    json env = (*lock)->describe();
    env["envelopes"][0]["tag"] = 5;  // json::value() threw on this before the fix
    write(dir / ("envelope_tag_number_" + kind + ".json"), env.dump());
    json m = r;
    m["public_key"] = std::string(64, '0');
    write(dir / ("wrong_public_key_" + kind + ".json"), m.dump());
    m["device_id"] = 7;  // named in the wrong_key message
    write(dir / ("wrong_key_device_id_number_" + kind + ".json"), m.dump());
    m = r;
    m["bits"] = r["bits"].get<std::size_t>() + 1;
    write(dir / ("wrong_bits_" + kind + ".json"), m.dump());
  }
  hwlock::device::EnrollOptions composite;
  composite.parts = {{"numeric", json::object(), 3},
                     {"puf-sim", {{"type", "sram"}, {"device_seed", 5}}, 3}};
  auto c = hwlock::device::enroll(composite);
  if (!c) {
    std::fprintf(stderr, "enroll composite: %s\n", c.error().message.c_str());
    std::exit(1);
  }
  records.push_back(c->record);
  write(dir / "valid_composite.json", c->record.dump());
  json m = c->record;
  std::swap(m["parts"][0], m["parts"][1]);  // reordered parts: wrong_key
  write(dir / "reordered_composite.json", m.dump());
  m = c->record;
  m["parts"][1]["source"]["kind"] = 7;
  write(dir / "part_kind_number_composite.json", m.dump());
  m = c->record;
  m["extractor"] = 7;
  write(dir / "extractor_number_composite.json", m.dump());
  auto lock = hwlock::device::DeviceKeySource::for_lock(records);
  if (!lock) std::exit(1);
  write(dir / "envelopes_fleet.json", (*lock)->describe().dump());
}

void helper_records(const fs::path& dir) {
  fs::create_directories(dir);
  struct Case {
    const char* name;
    hwlock::fuzzy::CodeParams params;
    bool mask;
  };
  const Case cases[] = {
      {"default", {}, false},
      {"default_masked", {}, true},
      {"bch63_r3_b4", {6, 5, 3, 4}, false},
      {"bch127_r1_b2_masked", {7, 10, 1, 2}, true},
  };
  for (const auto& c : cases) {
    auto n = hwlock::fuzzy::response_bits(c.params);
    if (!n) std::exit(1);
    const std::vector<std::uint8_t> response((*n + 7) / 8, 0);
    std::vector<std::uint8_t> mask;
    if (c.mask) {
      mask.assign(response.size(), 0xFF);
      mask[0] = 0xFE;  // bit 0 unreliable
      if (*n % 8) mask.back() = static_cast<std::uint8_t>((1u << (*n % 8)) - 1);
    }
    hwlock::fuzzy::EnrollOptions o;
    o.params = c.params;
    o.mask = mask;
    o.context = "hwlock/fuzz";
    o.min_residual_bits = 0;
    auto e = hwlock::fuzzy::enroll(response, *n, o);
    if (!e) {
      std::fprintf(stderr, "fuzzy enroll %s: %s\n", c.name, e.error().message.c_str());
      std::exit(1);
    }
    const std::string rec = bytes_string(e->helper.serialize());
    write(dir / (std::string("valid_") + c.name + ".bin"), rec);
    std::string bad = rec;
    bad[bad.size() - 1] = static_cast<char>(bad[bad.size() - 1] ^ 1);  // tag
    write(dir / (std::string("bad_tag_") + c.name + ".bin"), bad);
    bad = rec;
    bad[48] = static_cast<char>(bad[48] ^ 2);  // one offset bit: decodes, tag fails
    write(dir / (std::string("flipped_offset_") + c.name + ".bin"), bad);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FUZZ_DIR\n", argv[0]);
    return 2;
  }
  const fs::path root(argv[1]);
  device_records(root / "corpus_device_record");
  helper_records(root / "corpus_fuzzy_helper");
  return 0;
}
