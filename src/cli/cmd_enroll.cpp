// hwlock enroll --source S [--source S2 ...] [--params JSON] [--measurements N] -o device.json
//               [--force] [--json]
//
// Measures this device and writes its public device record (see hwlock/device.hpp). The device
// key itself is never written or printed; the record carries its public key and a device id.
// Several sources (`--source numeric --source timing`, or `--source numeric+timing`) make one
// composite record: every part must reproduce to unlock. With several sources, --params maps
// kinds to parameters ({"timing": {...}}) and --measurements applies to each source. hwlock-ml
// registers this verb too, where the "torch" source is also available.
#include <iostream>
#include <memory>

#include "common.hpp"
#include "hwlock/device.hpp"
#include "hwlock/io.hpp"

namespace hwlock::cli {
namespace {

struct EnrollArgs {
  std::vector<std::string> sources{"numeric"};
  std::string params = "{}", out;
  unsigned measurements = 0;
  bool force = false, json = false;
};

int run_enroll(const EnrollArgs& a) {
  nlohmann::json params;
  try {
    params = nlohmann::json::parse(a.params);
  } catch (const nlohmann::json::exception& e) {
    return report(fail(Errc::usage, std::string("--params is not JSON: ") + e.what()), a.json);
  }
  auto o = device::enroll_options(a.sources, params, a.measurements);
  if (!o) return report(o.error(), a.json);
  auto e = device::enroll(*o);
  if (!e) return report(e.error(), a.json);
  auto file = io::AtomicFile::create(a.out, a.force);
  if (!file) return report(file.error(), a.json);
  if (auto s = file->write(json_text(e->record) + "\n"); !s) return report(s.error(), a.json);
  if (auto s = file->commit(); !s) return report(s.error(), a.json);
  const auto kinds = device::record_source_kinds(e->record);
  std::string source = kinds.front();
  for (std::size_t i = 1; i < kinds.size(); ++i) source += "+" + kinds[i];
  if (a.json) {
    print_json({{"ok", true},
                {"record", a.out},
                {"device_id", e->device_id},
                {"source", source},
                {"bits", e->record["bits"]},
                {"reliable_bits", e->record["reliable_bits"]}});
  } else {
    std::cout << "enrolled device " << e->device_id << " (" << source << ", "
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
  sub->add_option("--source", args->sources,
                  "numeric | timing | puf-sim | puf-file (| torch in hwlock-ml); repeat it or "
                  "join kinds with '+' for a composite record")
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
