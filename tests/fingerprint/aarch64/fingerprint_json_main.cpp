// fingerprint_json: the `hwlock fingerprint` interface for builds without the rest of hwlock (the
// aarch64 cross build has no OpenSSL, so no full CLI). Accepts
//   fingerprint_json fingerprint [--source S] [--params JSON] [--repeat N] [--json] [--show-bits]
// and always prints the JSON of `hwlock fingerprint --json --show-bits` (the fields that
// `hwlock fingerprint-eval` reads: ok, source, bits, runs[].measurement_id, runs[].bits_hex), or
// {"ok": false, "error": {...}} with the error's exit code.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "hwlock/fingerprint.hpp"

namespace fp = hwlock::fingerprint;

namespace {

int fail_json(const hwlock::Error& e) {
  nlohmann::json j{{"ok", false},
                   {"error",
                    {{"code", hwlock::errc_name(e.code)},
                     {"exit_code", hwlock::exit_code(e.code)},
                     {"message", e.message}}}};
  std::cout << j.dump(2) << "\n";
  std::fprintf(stderr, "fingerprint_json: error: %s\n", e.message.c_str());
  return hwlock::exit_code(e.code);
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::string source = "numeric", params_text = "{}";
  unsigned repeat = 1;
  int i = 1;
  if (i < argc && std::strcmp(argv[i], "fingerprint") == 0) ++i;
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--source" && i + 1 < argc) {
      source = argv[++i];
    } else if (a == "--params" && i + 1 < argc) {
      params_text = argv[++i];
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    } else if (a != "--json" && a != "--show-bits") {
      return fail_json(hwlock::fail(hwlock::Errc::usage, "unknown argument \"" + a + "\""));
    }
  }
  const auto params = nlohmann::json::parse(params_text, nullptr, false);
  if (params.is_discarded())
    return fail_json(hwlock::fail(hwlock::Errc::usage, "--params is not JSON"));
  auto src = fp::make_source(source, params);
  if (!src) return fail_json(src.error());
  nlohmann::json runs = nlohmann::json::array();
  fp::BitVector first;
  std::size_t identical = 0;
  for (unsigned r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    auto m = (*src)->measure();
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!m) return fail_json(m.error());
    if (r == 0) first = m->bits;
    identical += m->bits == first ? 1 : 0;
    runs.push_back({{"measurement_id", hex64(m->hash())},
                    {"milliseconds", ms},
                    {"hamming_to_first", fp::hamming_distance(m->bits, first)},
                    {"bits_hex", m->bits.to_hex()}});
  }
  nlohmann::json out{{"ok", true},           {"source", source}, {"params", (*src)->params()},
                     {"bits", first.size()}, {"runs", runs},     {"identical_runs", identical}};
  std::cout << out.dump(2) << "\n";
  return 0;
}
