// Test hooks of io::AtomicFile (not part of the public surface).
#pragma once

namespace hwlock::io::detail {

// Makes AtomicFile use the named-temporary fallback, as on a filesystem without O_TMPFILE, so
// tests can exercise it (and its signal-time cleanup) on any filesystem.
void set_named_temporaries_for_testing(bool on) noexcept;

}  // namespace hwlock::io::detail
