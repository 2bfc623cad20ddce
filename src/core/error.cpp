#include "hwlock/error.hpp"

namespace hwlock {

const char* errc_name(Errc code) noexcept {
  switch (code) {
#define HWLOCK_ERRC_CASE(name) \
  case Errc::name:             \
    return #name;
    HWLOCK_ERRC_CASE(ok)
    HWLOCK_ERRC_CASE(internal)
    HWLOCK_ERRC_CASE(usage)
    HWLOCK_ERRC_CASE(io_open)
    HWLOCK_ERRC_CASE(io_read)
    HWLOCK_ERRC_CASE(io_write)
    HWLOCK_ERRC_CASE(output_exists)
    HWLOCK_ERRC_CASE(same_file)
    HWLOCK_ERRC_CASE(st_too_small)
    HWLOCK_ERRC_CASE(st_header_too_large)
    HWLOCK_ERRC_CASE(st_header_past_eof)
    HWLOCK_ERRC_CASE(st_header_not_utf8)
    HWLOCK_ERRC_CASE(st_header_bad_start)
    HWLOCK_ERRC_CASE(st_header_bad_json)
    HWLOCK_ERRC_CASE(st_header_schema)
    HWLOCK_ERRC_CASE(st_unknown_dtype)
    HWLOCK_ERRC_CASE(st_shape_overflow)
    HWLOCK_ERRC_CASE(st_size_mismatch)
    HWLOCK_ERRC_CASE(st_offsets_not_contiguous)
    HWLOCK_ERRC_CASE(st_buffer_mismatch)
    HWLOCK_ERRC_CASE(st_duplicate_name)
    HWLOCK_ERRC_CASE(st_metadata_invalid)
    HWLOCK_ERRC_CASE(st_header_too_deep)
    HWLOCK_ERRC_CASE(st_too_many_tensors)
    HWLOCK_ERRC_CASE(st_name_too_long)
    HWLOCK_ERRC_CASE(not_locked)
    HWLOCK_ERRC_CASE(already_locked)
    HWLOCK_ERRC_CASE(unsupported_version)
    HWLOCK_ERRC_CASE(container_corrupt)
    HWLOCK_ERRC_CASE(wrong_key)
    HWLOCK_ERRC_CASE(verify_mismatch)
    HWLOCK_ERRC_CASE(unchecked_refused)
    HWLOCK_ERRC_CASE(key_file_invalid)
    HWLOCK_ERRC_CASE(key_source)
    HWLOCK_ERRC_CASE(crypto)
    HWLOCK_ERRC_CASE(fp_unknown_source)
    HWLOCK_ERRC_CASE(fp_bad_params)
    HWLOCK_ERRC_CASE(fp_unavailable)
    HWLOCK_ERRC_CASE(fp_short_response)
    HWLOCK_ERRC_CASE(idx_invalid)
    HWLOCK_ERRC_CASE(dataset_missing)
    HWLOCK_ERRC_CASE(dataset_checksum)
    HWLOCK_ERRC_CASE(torch)
    HWLOCK_ERRC_CASE(model_mismatch)
    HWLOCK_ERRC_CASE(fuzzy_bad_params)
    HWLOCK_ERRC_CASE(fuzzy_helper_invalid)
    HWLOCK_ERRC_CASE(fuzzy_helper_tampered)
    HWLOCK_ERRC_CASE(fuzzy_decode_failed)
    HWLOCK_ERRC_CASE(fuzzy_low_entropy)
    HWLOCK_ERRC_CASE(profile_invalid)
    HWLOCK_ERRC_CASE(profile_not_found)
    HWLOCK_ERRC_CASE(scheme_unsupported)
    HWLOCK_ERRC_CASE(scheme_params_invalid)
    HWLOCK_ERRC_CASE(structure_invalid)
#undef HWLOCK_ERRC_CASE
  }
  return "unknown";
}

}  // namespace hwlock
