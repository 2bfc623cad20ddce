// hwlock enroll --source S [--params JSON] [--measurements N] -o device.json [--force] [--json]
//
// Measures this device and writes its public device record (see hwlock/device.hpp). The device
// key itself is never written or printed; the record carries its public key and a device id.
#include <iostream>
#include <memory>

#include "common.hpp"
#include "hwlock/device.hpp"
#include "hwlock/io.hpp"

namespace hwlock::cli {
namespace {

struct EnrollArgs {
  std::string source = "numeric", params = "{}", out;
  unsigned measurements = 0;
  bool force = false, json = false;
};

int run_enroll(const EnrollArgs& a) {
  device::EnrollOptions o;
  o.source = a.source;
  o.measurements = a.measurements;
  try {
    o.params = nlohmann::json::parse(a.params);
  } catch (const nlohmann::json::exception& e) {
    return report(fail(Errc::usage, std::string("--params is not JSON: ") + e.what()), a.json);
  }
  auto e = device::enroll(o);
  if (!e) return report(e.error(), a.json);
  auto file = io::AtomicFile::create(a.out, a.force);
  if (!file) return report(file.error(), a.json);
  if (auto s = file->write(e->record.dump(2) + "\n"); !s) return report(s.error(), a.json);
  if (auto s = file->commit(); !s) return report(s.error(), a.json);
  if (a.json) {
    print_json({{"ok", true},
                {"record", a.out},
                {"device_id", e->device_id},
                {"source", a.source},
                {"bits", e->record["bits"]},
                {"reliable_bits", e->record["reliable_bits"]}});
  } else {
    std::cout << "enrolled device " << e->device_id << " (" << a.source << ", "
              << e->record["reliable_bits"].get<std::size_t>() << " of "
              << e->record["bits"].get<std::size_t>() << " bits stable over "
              << e->record["measurements"].get<unsigned>() << " measurements) -> " << a.out << "\n";
  }
  return 0;
}

}  // namespace

void register_enroll(CLI::App& app, Verbs& verbs) {
  auto args = std::make_shared<EnrollArgs>();
  auto* sub =
      app.add_subcommand("enroll", "Measure this device and write its public device record");
  sub->add_option("--source", args->source, "numeric | timing | puf-sim | puf-file")
      ->check(CLI::IsMember({"numeric", "timing", "puf-sim", "puf-file"}))
      ->capture_default_str();
  sub->add_option("--params", args->params, "Source parameters as a JSON object")
      ->capture_default_str();
  sub->add_option("--measurements", args->measurements, "Measurements (0 = source default)")
      ->capture_default_str();
  sub->add_option("-o,--output", args->out, "Device record to write")->required();
  sub->add_flag("--force", args->force, "Replace an existing output");
  sub->add_flag("--json", args->json, "Print JSON");
  verbs.add(sub, [args] { return run_enroll(*args); });
}

}  // namespace hwlock::cli
