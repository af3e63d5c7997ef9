#pragma once
// OptionalId<Id>: std::optional<Id>'s interface in the size of the id itself
// (the all-ones value, never a valid dense index, marks "none"). Used in the
// Program's per-buffer records, of which a large schedule has millions.

#include <cassert>
#include <limits>
#include <optional>
#include <type_traits>

namespace spsim {

template <class Id>
class OptionalId {
  using Rep = std::underlying_type_t<Id>;
  static constexpr Rep kNone = std::numeric_limits<Rep>::max();

 public:
  constexpr OptionalId() = default;
  constexpr OptionalId(std::nullopt_t) {}
  constexpr OptionalId(Id id) : rep_(static_cast<Rep>(id)) { assert(rep_ != kNone && "OptionalId: id out of range"); }

  constexpr bool has_value() const { return rep_ != kNone; }
  constexpr explicit operator bool() const { return has_value(); }
  constexpr Id operator*() const {
    assert(has_value() && "OptionalId: dereferencing an empty id");
    return Id{rep_};
  }
  constexpr Id value_or(Id fallback) const { return has_value() ? Id{rep_} : fallback; }
  constexpr void reset() { rep_ = kNone; }
  friend constexpr bool operator==(OptionalId a, OptionalId b) { return a.rep_ == b.rep_; }

 private:
  Rep rep_ = kNone;
};

}  // namespace spsim
