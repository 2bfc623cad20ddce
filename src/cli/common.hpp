// Shared plumbing of the CLI verbs: registration, errors, progress, JSON output.
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "hwlock/error.hpp"

namespace hwlock::cli {

// Each verb registers a subcommand and the function that runs it (returns the exit code).
struct Verbs {
  std::vector<std::pair<CLI::App*, std::function<int()>>> entries;
  void add(CLI::App* sub, std::function<int()> run) { entries.emplace_back(sub, std::move(run)); }
};

void register_inspect(CLI::App& app, Verbs& verbs);
void register_keygen(CLI::App& app, Verbs& verbs);
void register_lock(CLI::App& app, Verbs& verbs);
void register_unlock(CLI::App& app, Verbs& verbs);
void register_verify(CLI::App& app, Verbs& verbs);
void register_demo(CLI::App& app, Verbs& verbs);
// `fingerprint`: the runtime's sources by default; hwlock-ml adds "torch" and reports ATen's
// CPU capability through `extra` (merged into the JSON, one "key: value" line each in text).
struct FingerprintVerbOptions {
  std::string default_source = "numeric";
  std::vector<std::string> sources{"numeric", "timing", "puf-sim", "puf-file"};
  std::string description = "Measure this device's fingerprint";
  std::function<nlohmann::json()> extra;
};
void register_fingerprint(CLI::App& app, Verbs& verbs, FingerprintVerbOptions options = {});
void register_enroll(CLI::App& app, Verbs& verbs);
void register_fingerprint_eval(CLI::App& app, Verbs& verbs);
void register_train(CLI::App& app, Verbs& verbs);                 // workbench builds only
void register_eval(CLI::App& app, Verbs& verbs);                  // workbench builds only
void register_softlock(CLI::App& app, Verbs& verbs);              // workbench builds only
void register_softlock_sparse(CLI::App& softlock, Verbs& verbs);  // under `softlock`
void register_softlock_quant(CLI::App& softlock, Verbs& verbs);   // under `softlock`

// True for verbs that belong to the libtorch workbench (hwlock-ml).
bool is_workbench_verb(std::string_view verb);
// Replaces this process with hwlock-ml from this binary's directory, same arguments. Returns an
// exit code only if that fails (the workbench was not built).
int exec_workbench(char** argv);

// Prints "hwlock: error: <message>" to stderr and returns the error's exit code.
int report(const Error& error, bool json = false);

// Prints a JSON document to stdout (pretty, one trailing newline).
void print_json(const nlohmann::json& j);
// The text of a JSON document. Strings that are not valid UTF-8 (a path is any byte string) have
// their invalid bytes replaced by U+FFFD instead of throwing, so a report is always valid JSON.
std::string json_text(const nlohmann::json& j, int indent = 2);

// Runs a verb's `body` and turns any exception that escapes it (a library bug, std::bad_alloc,
// CLI11 or nlohmann errors) into "hwlock: error: ..." on stderr and Errc::internal's exit code,
// so no error ends the process with an abort.
int run_guarded(const std::function<int()>& body) noexcept;

// --allow-unchecked: the reader's opt-in to containers without a key check (ReadPolicy).
void add_allow_unchecked(CLI::App* sub, bool& flag);

// Writes a report or other text output through a temporary file renamed into place
// (io::AtomicFile); an existing `path` is replaced only with `overwrite` (else output_exists).
Status write_text_output(const std::filesystem::path& path, std::string_view text, bool overwrite);

// A progress bar on stderr, drawn only when stderr is a terminal (or HWLOCK_PROGRESS=1).
class Progress {
 public:
  explicit Progress(std::string label);
  ~Progress();
  void operator()(std::uint64_t done, std::uint64_t total);
  std::function<void(std::uint64_t, std::uint64_t)> fn() {
    return [this](std::uint64_t d, std::uint64_t t) { (*this)(d, t); };
  }

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

std::string human_bytes(double bytes);

}  // namespace hwlock::cli

namespace hwlock {
class KeyFileSource;
class KeySource;
}  // namespace hwlock
namespace hwlock::cli {
// Opens a key file, printing a warning to stderr if its permissions are too open.
Result<std::unique_ptr<KeyFileSource>> open_key_file(const std::string& path);
// Unlocking: the key file if given, else the live device (re-measured, matched to the envelopes).
// `container` (optional): the file to unlock, so that a key-file lock without --key-file is a
// clear usage error instead of a failed device measurement.
Result<std::unique_ptr<KeySource>> unlock_source(const std::string& key_file,
                                                 const std::string& container = {});
// Locking: a key file, or device records (one envelope each).
Result<std::unique_ptr<KeySource>> lock_source(const std::string& key_file,
                                               const std::vector<std::string>& devices);
}  // namespace hwlock::cli
