#pragma once
// A binary min-heap over a fixed set of items 0..n-1, each present at most
// once, keyed by (time, sequence number): the key of an item can be set,
// changed or removed in O(log n). The engine keeps one entry per device (the
// next compute completion on it), so a rate change moves one entry instead
// of leaving stale events behind in a plain priority queue.
//
// Ties in time are broken by the smaller sequence number; callers hand out
// increasing sequence numbers so equal times resolve in a fixed order.

#include <cstdint>
#include <vector>

namespace spsim {

class IndexedHeap {
 public:
  explicit IndexedHeap(std::size_t items) : pos_(items, kAbsent) {}

  bool empty() const { return heap_.empty(); }
  // The item with the smallest key, and that key's time (heap not empty).
  std::uint32_t top() const { return heap_.front().item; }
  double top_time() const { return heap_.front().t; }
  bool contains(std::uint32_t item) const { return pos_[item] != kAbsent; }

  // Inserts `item`, or changes its key.
  void set(std::uint32_t item, double t, std::uint64_t seq) {
    const Entry e{t, seq, item};
    if (pos_[item] == kAbsent) {
      heap_.push_back(e);
      sift_up(heap_.size() - 1, e);
      return;
    }
    const std::size_t i = pos_[item];
    if (before(e, heap_[i]))
      sift_up(i, e);
    else
      sift_down(i, e);
  }

  // Removes `item` if present.
  void erase(std::uint32_t item) {
    if (pos_[item] == kAbsent) return;
    const std::size_t i = pos_[item];
    pos_[item] = kAbsent;
    const Entry last = heap_.back();
    heap_.pop_back();
    if (i == heap_.size()) return;
    if (before(last, heap_[i]))
      sift_up(i, last);
    else
      sift_down(i, last);
  }

 private:
  static constexpr std::uint32_t kAbsent = 0xffffffffu;
  struct Entry {
    double t;
    std::uint64_t seq;
    std::uint32_t item;
  };
  static bool before(const Entry& a, const Entry& b) { return a.t != b.t ? a.t < b.t : a.seq < b.seq; }

  void put(std::size_t i, const Entry& e) {
    heap_[i] = e;
    pos_[e.item] = static_cast<std::uint32_t>(i);
  }
  // Moves the hole at i towards the root until e fits, then puts e there.
  void sift_up(std::size_t i, const Entry& e) {
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!before(e, heap_[parent])) break;
      put(i, heap_[parent]);
      i = parent;
    }
    put(i, e);
  }
  // Moves the hole at i towards the leaves until e fits, then puts e there.
  void sift_down(std::size_t i, const Entry& e) {
    const std::size_t n = heap_.size();
    while (true) {
      std::size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
      if (!before(heap_[child], e)) break;
      put(i, heap_[child]);
      i = child;
    }
    put(i, e);
  }

  std::vector<Entry> heap_;
  std::vector<std::uint32_t> pos_;  // per item: its index in heap_, or kAbsent
};

}  // namespace spsim
