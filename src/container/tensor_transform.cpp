// The parallel, streaming tensor transform: every tensor through its scheme's coder.
#include <algorithm>
#include <atomic>
#include <new>
#include <system_error>
#include <thread>

#include "internal.hpp"

namespace hwlock::detail {
namespace {

constexpr std::uint64_t kPieceSize = 1u << 20;    // unit of parallel work (a multiple of 8)
constexpr std::uint64_t kWindowSize = 16u << 20;  // streaming window: bounds resident memory

struct Piece {
  std::size_t tensor;
  std::uint64_t begin, end;  // data-buffer offsets
};

}  // namespace

unsigned resolve_threads(unsigned requested) {
  if (requested != 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

std::uint64_t range_end(const st::Header& header, const std::vector<TensorKey>& keys,
                        std::uint64_t end) {
  auto it = std::partition_point(header.tensors.begin(), header.tensors.end(),
                                 [&](const st::TensorInfo& t) { return t.end <= end; });
  if (it == header.tensors.end() || it->begin >= end) return end;
  const auto i = static_cast<std::size_t>(it - header.tensors.begin());
  return keys[i].locality == transform::Locality::bytes ? end : it->end;
}

Status transform_range(const st::Header& header, const std::vector<TensorKey>& keys,
                       std::uint64_t begin, std::uint64_t end, const std::byte* src, std::byte* dst,
                       unsigned threads, bool populate_src) {
  std::vector<Piece> pieces;
  // Tensors are sorted by offset: find the first one that ends after `begin`.
  auto first = std::partition_point(header.tensors.begin(), header.tensors.end(),
                                    [&](const st::TensorInfo& t) { return t.end <= begin; });
  for (auto it = first; it != header.tensors.end() && it->begin < end; ++it) {
    const auto i = static_cast<std::size_t>(it - header.tensors.begin());
    const auto locality = keys[i].locality;
    if (locality != transform::Locality::bytes && (it->begin < begin || it->end > end))
      return fail(Errc::internal, "transform_range splits tensor \"" + it->name + "\"");
    const std::uint64_t b = std::max(it->begin, begin), e = std::min(it->end, end);
    const std::uint64_t step = locality == transform::Locality::tensor ? e - b : kPieceSize;
    for (std::uint64_t p = b; p < e; p += step) pieces.push_back({i, p, std::min(e, p + step)});
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  Error first_error;
  std::atomic_flag error_set = ATOMIC_FLAG_INIT;
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < pieces.size() && !failed.load();) {
      const Piece& pc = pieces[i];
      const auto& t = header.tensors[pc.tensor];
      const auto n = static_cast<std::size_t>(pc.end - pc.begin);
      if (populate_src) io::populate_read(src + (pc.begin - begin), n);
      auto st = keys[pc.tensor].coder->decode(pc.begin - t.begin, {src + (pc.begin - begin), n},
                                              {dst + (pc.begin - begin), n});
      if (!st.ok() && !error_set.test_and_set()) {
        first_error = std::move(st).error();
        failed = true;
      }
    }
  };
  const unsigned n_threads =
      static_cast<unsigned>(std::min<std::size_t>(resolve_threads(threads), pieces.size()));
  if (n_threads <= 1) {
    worker();
  } else {
    // If the system refuses a thread (std::system_error), the workers already started and this
    // thread share the pieces: the result is complete either way and no exception escapes.
    std::vector<std::jthread> pool;
    try {
      pool.reserve(n_threads - 1);
      for (unsigned i = 1; i < n_threads; ++i) pool.emplace_back(worker);
    } catch (const std::system_error&) {
    } catch (const std::bad_alloc&) {
    }
    worker();
  }
  if (failed) return first_error;
  return {};
}

Status transform_stream(const st::Reader& reader, const std::vector<TensorKey>& keys,
                        unsigned threads, const ProgressFn& progress, const WindowSink& sink) {
  const st::Header& h = reader.header();
  const std::uint64_t total = h.data_size();
  const std::byte* data = reader.file().bytes().data() + reader.data_start();
  // Unlock and verify decode into this window: a PageBuffer is kept out of core dumps and wiped
  // before it is unmapped. It grows only for a whole tensor of a scheme that is not byte-local.
  io::PageBuffer out;
  reader.file().advise_sequential();
  if (progress) progress(0, total);
  for (std::uint64_t w = 0, e = 0; w < total; w = e) {
    e = range_end(h, keys, std::min(total, w + kWindowSize));
    const auto n = static_cast<std::size_t>(e - w);
    if (out.size() < n) {
      out = io::PageBuffer();  // wiped and unmapped before the larger one is mapped
      HWLOCK_ASSIGN(out, io::PageBuffer::allocate(n));
    }
    HWLOCK_TRY(transform_range(h, keys, w, e, data + w, out.data(), threads, true));
    HWLOCK_TRY(sink(w, std::span<const std::byte>(out.data(), n)));
    reader.file().release(reader.data_start() + w, n);
    if (progress) progress(e, total);
  }
  return {};
}

}  // namespace hwlock::detail
