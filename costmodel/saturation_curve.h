#pragma once
// A saturating efficiency curve: eff(L) = eff_max · L / (L + L½).
//
// The shape ../shared/reference/hardware.md suggests for attention kernels:
// a kernel's fixed per-tile work (prologue, epilogue, pipeline fill) is
// amortized over an inner loop of length L, so efficiency climbs towards
// eff_max and reaches half of it at L = L½ ("half_length"). L is in rows
// (tokens); what L means for a block is defined by its user
// (attention_efficiency.h).

namespace spsim {

struct SaturationCurve {
  double eff_max = 0;      // fraction of peak reached as L -> infinity, in (0, 1]
  double half_length = 0;  // L½ >= 0, rows

  // eff_max · L / (L + L½); 0 for L <= 0.
  double efficiency(double length) const {
    if (length <= 0) return 0;
    return eff_max * length / (length + half_length);
  }

  friend bool operator==(const SaturationCurve&, const SaturationCurve&) = default;
};

}  // namespace spsim
