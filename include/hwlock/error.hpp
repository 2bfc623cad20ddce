// hwlock/error.hpp — expected failures as values.
//
// Every fallible library call returns `Result<T>` (or `Status` = `Result<void>`): either a value or
// an `Error` holding one `Errc` per failure cause and a human-readable message that names the file
// and the cause. No exception crosses the library boundary. Broken invariants (programming errors)
// assert instead.
//
// The numeric value of each `Errc` is the process exit code the `hwlock` CLI uses for that cause,
// so scripts can tell "wrong key" from "truncated file" without parsing text. Values are stable.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace hwlock {

enum class Errc : int {
  ok = 0,
  internal = 1,  // a bug or an unexpected library failure
  usage = 2,     // bad command-line arguments (CLI only)

  // Files and the operating system.
  io_open = 10,        // cannot open/stat/map a file
  io_read = 11,        // read failed or file changed under us
  io_write = 12,       // write/rename/fsync failed
  output_exists = 13,  // refusing to overwrite without --force
  same_file = 14,      // output path names the input

  // safetensors validation: one code per violation of the format.
  st_too_small = 20,         // fewer than 8 bytes: no header-size field
  st_header_too_large = 21,  // header-size field above the cap (100,000,000 bytes)
  st_header_past_eof = 22,   // header-size field points past the end of the file
  st_header_not_utf8 = 23,   // header bytes are not valid UTF-8
  st_header_bad_start = 24,  // header does not start with '{'
  st_header_bad_json = 25,   // header is not valid JSON
  st_header_schema = 26,     // JSON is valid but not a safetensors header (field types/names)
  st_unknown_dtype = 27,     // dtype string not in the format
  st_shape_overflow = 28,    // shape x dtype size overflows 64 bits
  st_size_mismatch = 29,     // data_offsets span differs from shape x dtype size, or end < begin
  st_offsets_not_contiguous = 30,  // hole or overlap between consecutive tensors
  st_buffer_mismatch = 31,         // tensors do not cover the data buffer exactly (trailing bytes)
  st_duplicate_name = 32,          // the same key twice in one JSON object
  st_metadata_invalid = 33,        // __metadata__ is not an object of string values
  st_header_too_deep = 34,         // JSON nesting deeper than st::kMaxHeaderDepth
  st_too_many_tensors = 35,        // more than st::kMaxTensors tensors
  st_name_too_long = 36,           // a tensor name longer than st::kMaxTensorNameSize bytes

  // The .hwlock container.
  not_locked = 40,           // input has no hwlock.* metadata
  already_locked = 41,       // input is already a .hwlock container
  unsupported_version = 42,  // container version/KDF/scheme this build does not know
  container_corrupt = 43,    // hwlock.* metadata malformed or inconsistent with the tensors
  wrong_key = 44,            // header MAC mismatch: locked for a different device or key
  verify_mismatch = 45,      // unlocked tensors differ from the reference model
  unchecked_refused = 46,    // the container has no key check and the reader did not opt in

  // Keys.
  key_file_invalid = 50,  // key file missing, malformed, or of the wrong length
  key_source = 51,        // key source could not produce a key (device unavailable, ...)

  crypto = 60,  // the crypto library reported a failure

  // Fingerprint sources and PUFs.
  fp_unknown_source = 70,  // no fingerprint source of that kind is registered
  fp_bad_params = 71,      // source parameters missing, of the wrong type, or out of range
  fp_unavailable = 72,     // the source cannot measure here (no usable clock, budget exhausted)
  fp_short_response = 73,  // a PUF response file/device holds fewer bits than requested

  // Datasets and the libtorch workbench.
  idx_invalid = 80,       // IDX(-gz) file malformed: gzip stream, magic, dims or sizes
  dataset_missing = 81,   // dataset not installed (Fashion-MNIST: Debian dataset-fashion-mnist)
  dataset_checksum = 82,  // dataset file content differs from the pinned SHA-256
  torch = 83,             // libtorch reported a failure (c10::Error caught at the workbench edge)
  model_mismatch = 84,    // tensors do not fit the model architecture (names, shapes, dtypes)

  // Fuzzy extractor (code-offset over repetition + BCH; include/hwlock/fuzzy.hpp).
  fuzzy_bad_params = 90,       // code parameters, response length, mask or bias estimates invalid
  fuzzy_helper_invalid = 91,   // helper-data record malformed (magic, version, sizes, padding)
  fuzzy_helper_tampered = 92,  // helper-data MAC mismatch: record modified, or another context
  fuzzy_decode_failed = 93,    // too many bit errors: another device, or noise beyond the code
  fuzzy_low_entropy = 94,      // residual min-entropy after the helper-data leak below threshold

  // Device profiles (include/hwlock/profile.hpp).
  profile_invalid = 100,    // profile file malformed: JSON, unknown/missing field, bad format
  profile_not_found = 101,  // no profile of that name in the profile directories

  // Parameter transforms (include/hwlock/transform.hpp).
  scheme_unsupported = 110,     // the scheme cannot lock this tensor (dtype, size) or is unknown
  scheme_params_invalid = 111,  // a tensor's scheme parameters in the header are malformed
  structure_invalid = 112,      // a structure spec is malformed or does not fit the model
};

// Stable short name of an error code ("st_header_too_large"), for --json output.
const char* errc_name(Errc code) noexcept;

// Process exit code for an error code.
constexpr int exit_code(Errc code) noexcept {
  return static_cast<int>(code);
}

struct Error {
  Errc code = Errc::internal;
  std::string message;
};

// Builds an Error; use as `return fail(Errc::io_open, path + ": cannot open: " + why);`.
inline Error fail(Errc code, std::string message) {
  return Error{code, std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) { assert(this->error().code != Errc::ok); }  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& {
    assert(failed_);
    return error_;
  }
  Error&& error() && {
    assert(failed_);
    return std::move(error_);
  }

 private:
  Error error_{};
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace hwlock

// Propagate an error from an expression returning Result<...>/Status.
#define HWLOCK_TRY(expr)                                                                           \
  do {                                                                                             \
    if (auto hwlock_try_r_ = (expr); !hwlock_try_r_.ok()) return std::move(hwlock_try_r_).error(); \
  } while (0)

#define HWLOCK_CONCAT_INNER_(a, b) a##b
#define HWLOCK_CONCAT_(a, b) HWLOCK_CONCAT_INNER_(a, b)
// `HWLOCK_ASSIGN(auto x, expr);` — declare x from a Result's value or return its error.
#define HWLOCK_ASSIGN(decl, expr) \
  HWLOCK_ASSIGN_IMPL_(HWLOCK_CONCAT_(hwlock_r_, __LINE__), decl, expr)
#define HWLOCK_ASSIGN_IMPL_(tmp, decl, expr)    \
  auto tmp = (expr);                            \
  if (!tmp.ok()) return std::move(tmp).error(); \
  decl = std::move(tmp).value()
