// SharedById against a std::map doing the same: random inserts, edits and
// erases must leave equal entries in equal order, every copy taken on the
// way must still hold what it held then, and equal maps must be chunked
// alike however they were built.
#define BOOST_TEST_MODULE shared_by_id
#include <boost/test/unit_test.hpp>
#include <map>
#include <random>
#include <thread>

#include "projections/shared_by_id.h"

using pl::projections::SharedById;

namespace {

using Model = std::map<std::string, int, std::less<>>;
using Shared = SharedById<int>;

bool Same(const Shared& shared, const Model& model) {
  return shared.size() == model.size() &&
         std::equal(model.begin(), model.end(), shared.begin(), shared.end());
}

// The ids where the chunks of `map` begin, read through find: the first id,
// and each id after one that ends a chunk.
std::vector<std::string> ChunkStarts(const Shared& map) {
  std::vector<std::string> starts;
  bool next_starts = true;
  for (const auto& [id, value] : map) {
    if (next_starts) starts.push_back(id);
    next_starts = Shared::EndsChunk(id);
  }
  return starts;
}

}  // namespace

BOOST_AUTO_TEST_CASE(changes_leave_copies_as_they_were) {
  std::mt19937 random(7);
  Shared shared;
  Model model;
  std::vector<std::pair<Shared, Model>> copies;
  for (int step = 0; step < 20000; ++step) {
    const std::string id = "P-" + std::to_string(random() % 3000);
    switch (random() % 4) {
      case 0:
      case 1:
        if (!model.contains(id)) {
          shared.Insert(id, step);
          model.emplace(id, step);
        } else {
          *shared.Edit(id) = step;
          model[id] = step;
        }
        break;
      case 2:
        shared[id] += 1;
        model[id] += 1;
        break;
      case 3:
        BOOST_TEST(shared.erase(id) == model.erase(id));
        break;
    }
    if (step % 997 == 0) copies.emplace_back(shared, model);
  }
  BOOST_TEST(Same(shared, model));
  for (const auto& [copy, then] : copies) BOOST_TEST(Same(copy, then));

  for (const auto& [id, value] : model) {
    BOOST_TEST(shared.at(id) == value);
    BOOST_TEST(shared.find(id)->second == value);
  }
  BOOST_TEST((shared.find("Q") == shared.end()));
  BOOST_TEST(shared.Edit("Q") == nullptr);
  BOOST_CHECK_THROW(shared.at("Q"), std::out_of_range);
  for (const std::string probe : {"", "P-", "P-1", "P-1500", "P-5", "P-99999", "Z"}) {
    auto lower = model.lower_bound(probe);
    auto upper = model.upper_bound(probe);
    BOOST_TEST((shared.lower_bound(probe) == shared.end()) == (lower == model.end()));
    BOOST_TEST((shared.upper_bound(probe) == shared.end()) == (upper == model.end()));
    if (lower != model.end()) BOOST_TEST(shared.lower_bound(probe)->first == lower->first);
    if (upper != model.end()) BOOST_TEST(shared.upper_bound(probe)->first == upper->first);
  }
  shared.clear();
  BOOST_TEST(shared.empty());
  BOOST_TEST((shared.begin() == shared.end()));
}

BOOST_AUTO_TEST_CASE(equal_maps_are_chunked_alike) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back("C-" + std::to_string(i * 7919 % 100003));
  Shared ascending, shuffled;
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  for (const std::string& id : sorted) ascending.Insert(id, 1);
  std::shuffle(ids.begin(), ids.end(), std::mt19937(11));
  for (const std::string& id : ids) shuffled.Insert(id, 1);
  shuffled.Insert("extra", 1);
  shuffled.erase("extra");
  BOOST_TEST((ascending == shuffled));
  const std::vector<std::string> starts = ChunkStarts(ascending);
  BOOST_TEST(starts == ChunkStarts(shuffled));
  // About one id in SharedById::kChunkMean ends a chunk.
  BOOST_TEST(starts.size() > 5000 / Shared::kChunkMean / 2);
  BOOST_TEST(starts.size() < 5000 / Shared::kChunkMean * 2);
}

// A copy used and dropped on another thread while the original changes:
// the changes must not reach the copy, and (under TSan) neither side may
// race on a chunk they shared.
BOOST_AUTO_TEST_CASE(copies_change_apart_on_two_threads) {
  Shared original;
  for (int i = 0; i < 4096; ++i) original.Insert("P-" + std::to_string(100000 + i), i);
  for (int round = 0; round < 20; ++round) {
    Shared copy = original;
    long sum_then = 0;
    for (const auto& [id, value] : copy) sum_then += value;
    long sum_read = 0;  // (Boost.Test checks on this thread only)
    std::thread reader([copy = std::move(copy), &sum_read]() mutable {
      for (const auto& [id, value] : copy) sum_read += value;
      copy.clear();  // its chunks let go while the other thread changes them
    });
    for (int i = 0; i < 4096; i += 3) ++*original.Edit("P-" + std::to_string(100000 + i));
    reader.join();
    BOOST_TEST(sum_read == sum_then);
  }
  long sum = 0;
  for (const auto& [id, value] : original) sum += value;
  BOOST_TEST(sum == 4096L * 4095 / 2 + 20L * ((4096 + 2) / 3));
}
