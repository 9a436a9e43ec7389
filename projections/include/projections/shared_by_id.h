// SharedById: entities by id, like a std::map, whose copies share whatever
// neither copy has changed since. A state of a million events holds some
// 180,000 projects and commitments; copying it (for the readers, for an
// as-of query) then costs a list of a few thousand chunks, not 180 MiB.
//
// The entries are kept in id order in chunks, each held by reference count.
// A copy of the map copies the list of chunks; a change first copies the
// one chunk it touches when another map still holds it (copy on write), so a
// map never changes what a copy of it sees. Where a chunk ends depends on
// the ids alone: after every id whose HashId is a multiple of kChunkMean
// (about one id in 64), so equal maps are chunked alike however they were
// built, and a map that grows at its end leaves its earlier chunks as they
// were.
//
// Thread-safety: as a std::map (concurrent const use; one writer alone),
// for each map on its own: maps sharing chunks may be used and changed on
// different threads at once.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pl::projections {

// A hash of a short name (an id, a decision type): eight bytes a step, each
// mixed by a multiply, and a final mix so that ids differing in one
// character spread over the low bits too. Several times cheaper than
// std::hash for the 10 to 40 bytes of an id. Its values are part of the
// chunking above, so they never change.
inline std::size_t HashId(std::string_view name) {
  std::uint64_t h = 0x9e3779b97f4a7c15ull ^ name.size();
  const char* p = name.data();
  std::size_t n = name.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  std::uint64_t tail = 0;
  for (std::size_t i = 0; i < n; ++i)
    tail |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  h = (h ^ tail) * 0x94d049bb133111ebull;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  return static_cast<std::size_t>(h ^ (h >> 32));
}

template <typename T>
class SharedById {
 public:
  using Entries = std::map<std::string, T, std::less<>>;
  using value_type = typename Entries::value_type;
  static constexpr std::size_t kChunkMean = 64;

  // True for the ids a chunk ends with.
  static bool EndsChunk(std::string_view id) { return HashId(id) % kChunkMean == 0; }

  // A chunk of entries. Holding one keeps its entries as they are: every map
  // holding it too copies it before it changes them.
  class Chunk {
   public:
    explicit Chunk(Entries entries = {}) : held_(new Held{{1}, std::move(entries)}) {}
    Chunk(const Chunk& o) : held_(o.held_) {
      held_->holders.fetch_add(1, std::memory_order_relaxed);
    }
    Chunk(Chunk&& o) noexcept : held_(std::exchange(o.held_, nullptr)) {}
    Chunk& operator=(Chunk o) noexcept {
      std::swap(held_, o.held_);
      return *this;
    }
    ~Chunk() {
      if (held_ && held_->holders.fetch_sub(1, std::memory_order_acq_rel) == 1) delete held_;
    }
    const Entries& entries() const { return held_->entries; }
    // The same for every holder of this chunk, and for no other chunk while held.
    const void* identity() const { return held_; }

   private:
    friend class SharedById;
    // Its own count of holders rather than std::shared_ptr's: whether a
    // chunk is shared is read with acquire order, so a map that finds itself
    // the last holder also sees all the holders before it did with it.
    struct Held {
      std::atomic<std::uint32_t> holders;
      Entries entries;
    };
    bool Shared() const { return held_->holders.load(std::memory_order_acquire) != 1; }
    Held* held_;
  };

  // Entries in id order (read-only: changes go through the map).
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = SharedById::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    const_iterator() = default;
    reference operator*() const { return *entry_; }
    pointer operator->() const { return &*entry_; }
    const_iterator& operator++() {
      if (++entry_ == chunk_->entries().end()) Enter(chunk_ + 1);
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const const_iterator& o) const {
      return chunk_ == o.chunk_ && (chunk_ == end_ || entry_ == o.entry_);
    }

   private:
    friend class SharedById;
    using Chunks = typename std::vector<Chunk>::const_iterator;
    const_iterator(Chunks chunk, Chunks end) : end_(end) { Enter(chunk); }
    const_iterator(Chunks chunk, Chunks end, typename Entries::const_iterator entry)
        : chunk_(chunk), end_(end), entry_(entry) {
      if (entry_ == chunk_->entries().end()) Enter(chunk_ + 1);
    }
    void Enter(Chunks chunk) {
      chunk_ = chunk;
      if (chunk_ != end_) entry_ = chunk_->entries().begin();
    }
    Chunks chunk_{}, end_{};
    typename Entries::const_iterator entry_{};
  };
  using iterator = const_iterator;

  const_iterator begin() const { return {chunks_.begin(), chunks_.end()}; }
  const_iterator end() const { return {chunks_.end(), chunks_.end()}; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  const_iterator find(std::string_view id) const {
    const std::size_t i = ChunkOf(id);
    if (i == chunks_.size()) return end();
    const Entries& entries = chunks_[i].entries();
    auto it = entries.find(id);
    return it == entries.end() ? end() : At(i, it);
  }
  const_iterator lower_bound(std::string_view id) const {
    const std::size_t i = ChunkOf(id);
    return i == chunks_.size() ? end() : At(i, chunks_[i].entries().lower_bound(id));
  }
  const_iterator upper_bound(std::string_view id) const {
    const std::size_t i = ChunkOf(id);
    return i == chunks_.size() ? end() : At(i, chunks_[i].entries().upper_bound(id));
  }
  std::size_t count(std::string_view id) const { return find(id) == end() ? 0 : 1; }
  const T& at(std::string_view id) const {
    auto it = find(id);
    if (it == end()) throw std::out_of_range("SharedById::at: no entity " + std::string(id));
    return it->second;
  }

  // The entity with this id, to change, or nullptr. It stays at that address
  // while no copy of the map is made (a change after a copy moves it).
  T* Edit(std::string_view id) {
    const std::size_t i = ChunkOf(id);
    if (i == chunks_.size() || !chunks_[i].entries().contains(id)) return nullptr;
    return &Own(i).find(id)->second;
  }
  // The entity with this id, a default one added when there is none.
  T& operator[](std::string_view id) {
    if (T* found = Edit(id)) return *found;
    return Insert(std::string(id), T{});
  }
  // Adds an entity. REQUIRES: no entity with this id.
  T& Insert(std::string id, T value) {
    // Ids mostly come in ascending order (a replay adds each new project
    // after the last): then no search.
    std::size_t i =
        !chunks_.empty() && LastId(chunks_.size() - 1) < id ? chunks_.size() : ChunkOf(id);
    if (i == chunks_.size() && (chunks_.empty() || EndsChunk(LastId(i - 1)))) {
      chunks_.emplace_back();
    } else if (i == chunks_.size()) {
      --i;
    }
    Entries& entries = Own(i);
    auto hint =
        entries.empty() || entries.rbegin()->first < id ? entries.end() : entries.upper_bound(id);
    auto it = entries.emplace_hint(hint, std::move(id), std::move(value));
    ++size_;
    T& added = it->second;
    if (EndsChunk(it->first) && std::next(it) != entries.end()) {  // the chunk now ends here
      Entries rest;
      while (std::next(it) != entries.end())
        rest.insert(rest.end(), entries.extract(std::next(it)));
      chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(i) + 1, Chunk(std::move(rest)));
    }
    return added;
  }
  std::size_t erase(std::string_view id) {
    const std::size_t i = ChunkOf(id);
    if (i == chunks_.size() || !chunks_[i].entries().contains(id)) return 0;
    const bool ended_chunk = EndsChunk(id);  // (id may be the key erased below)
    Entries& entries = Own(i);
    entries.erase(entries.find(id));
    --size_;
    if (ended_chunk && i + 1 < chunks_.size()) {  // join the next chunk
      for (const value_type& entry : chunks_[i + 1].entries()) entries.insert(entries.end(), entry);
      chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    }
    if (entries.empty()) chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(i));
    return 1;
  }
  // The chunks, in id order (for checkpoints).
  const std::vector<Chunk>& chunks() const { return chunks_; }
  // Adds a chunk after the map's last one (a checkpoint's, in order). False,
  // and nothing changed, unless it is not empty, its ids follow the map's,
  // and the map's last chunk ends where a chunk ends.
  bool AppendChunk(Chunk chunk) {
    const Entries& entries = chunk.entries();
    if (entries.empty()) return false;
    if (!chunks_.empty() && (!EndsChunk(LastId(chunks_.size() - 1)) ||
                             entries.begin()->first <= LastId(chunks_.size() - 1))) {
      return false;
    }
    size_ += entries.size();
    chunks_.push_back(std::move(chunk));
    return true;
  }
  void clear() {
    chunks_.clear();
    size_ = 0;
  }

  bool operator==(const SharedById& o) const {
    return size_ == o.size_ && std::equal(begin(), end(), o.begin());
  }

 private:
  // The chunk holding id, or that would: the first whose last id is not
  // before it; chunks_.size() when id follows every id.
  std::size_t ChunkOf(std::string_view id) const {
    auto it = std::partition_point(chunks_.begin(), chunks_.end(), [id](const Chunk& c) {
      return std::string_view(c.entries().rbegin()->first) < id;
    });
    return static_cast<std::size_t>(it - chunks_.begin());
  }
  std::string_view LastId(std::size_t i) const { return chunks_[i].entries().rbegin()->first; }
  // Chunk i's entries, copied first when another map holds them too.
  Entries& Own(std::size_t i) {
    if (chunks_[i].Shared()) chunks_[i] = Chunk(chunks_[i].entries());
    return chunks_[i].held_->entries;
  }
  const_iterator At(std::size_t i, typename Entries::const_iterator entry) const {
    return {chunks_.begin() + static_cast<std::ptrdiff_t>(i), chunks_.end(), entry};
  }

  std::vector<Chunk> chunks_;  // none empty
  std::size_t size_ = 0;
};

}  // namespace pl::projections
