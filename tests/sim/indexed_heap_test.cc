// IndexedHeap against a brute-force reference: after every set or erase the
// top must be the item whose (time, seq) key is smallest.
#include "sim/indexed_heap.h"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <utility>

namespace spsim {
namespace {

TEST_CASE("indexed heap: top is the smallest (time, seq) under random set and erase") {
  constexpr std::uint32_t kItems = 40;
  IndexedHeap heap(kItems);
  std::map<std::uint32_t, std::pair<double, std::uint64_t>> ref;  // item -> key
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::uint32_t> item(0, kItems - 1);
  std::uniform_int_distribution<int> time(0, 30);  // small range: many equal times
  std::uint64_t seq = 0;
  for (int step = 0; step < 20000; ++step) {
    const std::uint32_t i = item(rng);
    if (rng() % 3 == 0) {
      heap.erase(i);
      ref.erase(i);
    } else {
      const double t = time(rng);
      heap.set(i, t, seq);
      ref[i] = {t, seq++};
    }
    for (std::uint32_t k = 0; k < kItems; ++k) REQUIRE(heap.contains(k) == (ref.count(k) > 0));
    REQUIRE(heap.empty() == ref.empty());
    if (ref.empty()) continue;
    auto best = ref.begin();
    for (auto it = ref.begin(); it != ref.end(); ++it)
      if (it->second < best->second) best = it;
    REQUIRE(heap.top() == best->first);
    REQUIRE(heap.top_time() == best->second.first);
  }
}

TEST_CASE("indexed heap: equal times come out in sequence order") {
  IndexedHeap heap(3);
  heap.set(2, 1.0, 0);
  heap.set(0, 1.0, 1);
  heap.set(1, 1.0, 2);
  CHECK(heap.top() == 2);
  heap.erase(2);
  CHECK(heap.top() == 0);
  heap.set(0, 1.0, 3);  // re-keyed later: now after item 1
  CHECK(heap.top() == 1);
  heap.erase(1);
  heap.erase(0);
  CHECK(heap.empty());
}

}  // namespace
}  // namespace spsim
