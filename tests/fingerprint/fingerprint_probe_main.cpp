// fingerprint_probe: prints this machine's fingerprints, for comparing native runs with qemu,
// valgrind and other architectures, and as the child process of the reproducibility tests.
//   fingerprint_probe numeric   one line: numeric bits as hex
//   fingerprint_probe fields    numeric fields (presence, digest) and platform fields
//   fingerprint_probe timing    timing ratios, bins and div.f64/mul.f64
#include <cstdio>
#include <cstring>
#include <string>

#include "hwlock/fingerprint.hpp"

namespace fp = hwlock::fingerprint;

namespace {

int print_error(const hwlock::Error& e) {
  std::fprintf(stderr, "fingerprint_probe: %s: %s\n", hwlock::errc_name(e.code), e.message.c_str());
  return hwlock::exit_code(e.code);
}

int numeric(bool fields) {
  auto src = fp::make_source("numeric");
  if (!src) return print_error(src.error());
  auto m = (*src)->measure();
  if (!m) return print_error(m.error());
  if (!fields) {
    std::printf("%s\n", m->bits.to_hex().c_str());
    return 0;
  }
  for (const auto& f : m->fields)
    std::printf("%-28s %d %08llx\n", f.name.c_str(), int(m->bits.get(f.offset)),
                static_cast<unsigned long long>(m->bits.get_bits(f.offset + 1, 32)));
  for (const auto& f : m->platform_fields) {
    const unsigned w = static_cast<unsigned>(f.width);
    std::printf("%-28s   %llx\n", f.name.c_str(),
                static_cast<unsigned long long>(m->platform.get_bits(f.offset, w)));
  }
  std::printf("hash %016llx (%zu bits)\n", static_cast<unsigned long long>(m->hash()),
              m->bits.size());
  return 0;
}

int timing() {
  auto src = fp::make_source("timing");
  if (!src) return print_error(src.error());
  auto m = (*src)->measure();
  if (!m) return print_error(m.error());
  double div = 0, mul = 0;
  for (std::size_t i = 0; i < m->fields.size(); ++i) {
    const auto& f = m->fields[i];
    const unsigned w = static_cast<unsigned>(f.width);
    std::printf("%-28s %8.3f  bin %2llu\n", f.name.c_str(), m->raw[i],
                static_cast<unsigned long long>(fp::gray_decode(m->bits.get_bits(f.offset, w))));
    if (f.name == "timing.div.f64") div = m->raw[i];
    if (f.name == "timing.mul.f64") mul = m->raw[i];
  }
  std::printf("div.f64/mul.f64 %.2f\nbits %s\n", mul > 0 ? div / mul : 0.0,
              m->bits.to_hex().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "fields";
  if (what == "numeric") return numeric(false);
  if (what == "fields") return numeric(true);
  if (what == "timing") return timing();
  std::fprintf(stderr, "usage: fingerprint_probe [numeric|fields|timing]\n");
  return 2;
}
