#include <vector>

#include "internal.hpp"

namespace hwlock {
namespace {

// Reject inputs that already carry reserved metadata: locking twice would be ambiguous.
Status check_unlocked(const st::Header& h, const std::string& where) {
  if (is_locked(h))
    return fail(Errc::already_locked, where + ": already a .hwlock container; unlock it first");
  for (const auto& [k, _] : h.metadata)
    if (k.rfind(kMetaPrefix, 0) == 0)
      return fail(Errc::already_locked,
                  where + ": metadata key \"" + k + "\" uses the reserved prefix \"hwlock.\"");
  return {};
}

// The lock direction of a scheme that is not byte-local, as a coder of whole tensors: locks again
// and checks that the parameters are the ones already recorded in the header (schemes lock
// deterministically given the key).
class WholeTensorEncoder final : public transform::Decoder {
 public:
  WholeTensorEncoder(const transform::Scheme& scheme, transform::TensorDesc desc,
                     transform::TensorKeys keys, nlohmann::json request, nlohmann::json params)
      : scheme_(scheme),
        desc_(desc),
        keys_(std::move(keys)),
        request_(std::move(request)),
        params_(std::move(params)) {}
  Status decode(std::uint64_t, std::span<const std::byte> in,
                std::span<std::byte> out) const override {
    HWLOCK_ASSIGN(auto params, scheme_.lock(desc_, keys_, request_, in, out));
    if (params != params_)
      return fail(Errc::internal, "tensor \"" + std::string(desc_.name) + "\": scheme " +
                                      std::string(scheme_.id()) + " locked nondeterministically");
    return {};
  }

 private:
  const transform::Scheme& scheme_;
  transform::TensorDesc desc_;
  transform::TensorKeys keys_;
  nlohmann::json request_, params_;
};

// Each tensor's public scheme parameters: byte-local schemes have none; the others lock every
// tensor once (into a scratch buffer) to learn them.
Status learn_params(const st::Reader& reader, const LockOptions& options,
                    const std::vector<detail::TensorKey>& keys, const crypto::SecretKey& master,
                    LockInfo& lock, const std::string& where) {
  const st::Header& h = reader.header();
  std::vector<std::byte> scratch;
  for (std::size_t i = 0; i < h.tensors.size(); ++i) {
    const auto& t = h.tensors[i];
    const auto desc = detail::describe(t);
    auto tag = [&](Error e) { return fail(e.code, where + ": " + e.message); };
    if (auto s = keys[i].scheme->supports(desc); !s) return tag(std::move(s).error());
    auto req = options.requests.find(t.name);
    const nlohmann::json request =
        req == options.requests.end() ? nlohmann::json::object() : req->second;
    if (keys[i].scheme->locality() == transform::Locality::bytes) {
      if (!request.empty())
        return fail(Errc::scheme_params_invalid, where + ": tensor \"" + t.name + "\": scheme " +
                                                     std::string(keys[i].scheme->id()) +
                                                     " takes no options");
      continue;
    }
    scratch.resize(static_cast<std::size_t>(t.nbytes()));
    auto params = keys[i].scheme->lock(desc, detail::tensor_keys(keys[i], master, lock), request,
                                       reader.data(t), scratch);
    crypto::secure_wipe(scratch);
    if (!params) return tag(std::move(params).error());
    lock.tensors.at(t.name).params = std::move(params).value();
  }
  return {};
}

}  // namespace

Status lock_file(const std::filesystem::path& in, const std::filesystem::path& out,
                 KeySource& source, const LockOptions& options) {
  HWLOCK_ASSIGN(st::Reader reader, st::Reader::open(in));
  if (io::same_file(in, out))
    return fail(Errc::same_file, out.string() + ": output is the input file; choose another path");
  HWLOCK_TRY(check_unlocked(reader.header(), in.string()));
  const transform::Scheme* scheme = transform::find_scheme(options.scheme);
  if (scheme == nullptr)
    return fail(Errc::scheme_unsupported, "unknown scheme \"" + options.scheme + "\"");
  const st::TensorIndex index(reader.header());
  for (const auto& [name, _] : options.requests)
    if (index.find(name) == nullptr)
      return fail(Errc::scheme_params_invalid,
                  in.string() + ": lock options name tensor \"" + name + "\", which is not there");
  for (const auto& [name, id] : options.tensor_schemes) {
    if (index.find(name) == nullptr)
      return fail(Errc::scheme_params_invalid,
                  in.string() + ": lock options name tensor \"" + name + "\", which is not there");
    if (transform::find_scheme(id) == nullptr)
      return fail(Errc::scheme_unsupported, "unknown scheme \"" + id + "\"");
  }

  nlohmann::json description = source.describe();
  HWLOCK_ASSIGN(crypto::SecretKey master, source.master_key(description));

  LockInfo lock;
  lock.version = kContainerVersion;
  lock.kdf = crypto::kKdfId;
  HWLOCK_TRY(crypto::random_bytes(lock.salt));
  lock.key_source_kind = source.kind();
  lock.key_source_params = description;
  lock.key_check = options.key_check;
  // The key id is key-dependent: publishing it in the indistinguishable mode would let an attacker
  // test guesses without a forward pass, so it is only written alongside the MAC.
  if (options.key_check) {
    HWLOCK_ASSIGN(lock.key_id, key_id(master));
  }
  for (const auto& t : reader.header().tensors) {
    auto override_it = options.tensor_schemes.find(t.name);
    TensorLock tl{override_it == options.tensor_schemes.end() ? std::string(scheme->id())
                                                              : override_it->second,
                  {},
                  nlohmann::json::object()};
    HWLOCK_TRY(crypto::random_bytes(tl.nonce));
    lock.tensors.emplace(t.name, tl);
  }
  HWLOCK_ASSIGN(auto keys, detail::derive_tensor_keys(master, lock, reader.header()));
  HWLOCK_TRY(learn_params(reader, options, keys, master, lock, in.string()));

  nlohmann::json tensors = nlohmann::json::object();
  for (const auto& [name, tl] : lock.tensors) {
    nlohmann::json entry{{"scheme", tl.scheme}, {"nonce", crypto::to_hex(tl.nonce)}};
    if (!tl.params.empty()) entry["params"] = tl.params;
    tensors[name] = std::move(entry);
  }
  st::Header header = reader.header();  // same tensors, same offsets
  nlohmann::json ks{{"kind", lock.key_source_kind}, {"params", lock.key_source_params}};
  if (!lock.key_id.empty()) ks["key_id"] = lock.key_id;
  header.metadata["hwlock.version"] = lock.version;
  header.metadata["hwlock.kdf"] = lock.kdf;
  header.metadata["hwlock.salt"] = crypto::to_hex(lock.salt);
  header.metadata["hwlock.key_source"] = ks.dump();
  header.metadata["hwlock.key_check"] = options.key_check ? std::string(crypto::kMacId) : "none";
  header.metadata["hwlock.tensors"] = tensors.dump();
  if (options.key_check) {
    HWLOCK_ASSIGN(crypto::SecretKey mac_key, detail::derive_mac_key(master, lock));
    HWLOCK_ASSIGN(header.metadata["hwlock.mac"], detail::header_mac_hex(mac_key, header));
  }

  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto& t = header.tensors[i];
    const auto desc = detail::describe(t);
    auto tk = detail::tensor_keys(keys[i], master, lock);
    if (keys[i].scheme->locality() == transform::Locality::bytes) {
      HWLOCK_ASSIGN(keys[i].coder, keys[i].scheme->range_encoder(desc, tk));
      keys[i].locality = transform::Locality::bytes;
    } else {
      auto req = options.requests.find(t.name);
      keys[i].coder = std::make_unique<WholeTensorEncoder>(
          *keys[i].scheme, desc, std::move(tk),
          req == options.requests.end() ? nlohmann::json::object() : req->second,
          lock.tensors.at(t.name).params);
      keys[i].locality = transform::Locality::tensor;
    }
  }

  HWLOCK_ASSIGN(io::AtomicFile file, io::AtomicFile::create(out, options.overwrite));
  HWLOCK_TRY(file.write(st::serialize_header(header)));
  HWLOCK_TRY(detail::transform_stream(
      reader, keys, options.threads, options.progress,
      [&](std::uint64_t, std::span<const std::byte> bytes) { return file.write(bytes); }));
  return file.commit();
}

}  // namespace hwlock
