#include "costmodel/nvls.h"

namespace spsim {

std::optional<double> nvls_efficiency(std::string_view device_type) {
  if (device_type.starts_with("h100") || device_type.starts_with("h200")) return kNvlsEfficiencyHopper;
  if (device_type.starts_with("b200")) return kNvlsEfficiencyBlackwell;
  return std::nullopt;
}

}  // namespace spsim
