#include "internal.hpp"

namespace hwlock {

Status unlock_file(const std::filesystem::path& in, const std::filesystem::path& out,
                   KeySource& source, const UnlockOptions& options) {
  HWLOCK_ASSIGN(LockedModel model, LockedModel::open(in, options.policy));
  if (io::same_file(in, out))
    return fail(Errc::same_file, out.string() + ": output is the input file; choose another path");
  HWLOCK_TRY(model.check_key(source));
  HWLOCK_ASSIGN(crypto::SecretKey master, source.master_key(model.lock().key_source_params));
  HWLOCK_ASSIGN(auto keys, detail::derive_tensor_keys(master, model.lock(), model.header()));
  HWLOCK_TRY(detail::make_decoders(keys, master, model.lock(), model.header(), in.string()));

  st::Header header = model.header();
  for (auto it = header.metadata.begin(); it != header.metadata.end();)
    it = it->first.rfind(kMetaPrefix, 0) == 0 ? header.metadata.erase(it) : std::next(it);

  // Plaintext weights: owner-only whatever the umask, and never a partial file left behind.
  HWLOCK_ASSIGN(io::AtomicFile file,
                io::AtomicFile::create(out, options.overwrite, io::kPrivateMode));
  HWLOCK_TRY(file.write(st::serialize_header(header)));
  HWLOCK_TRY(detail::transform_stream(
      *model.reader_, keys, options.threads, options.progress,
      [&](std::uint64_t, std::span<const std::byte> bytes) { return file.write(bytes); }));
  return file.commit();
}

}  // namespace hwlock
