#include "program/memory_limit.h"

#include <unistd.h>

#include <cstdio>

#include "program/input_error.h"

namespace spsim {

double machine_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

double default_memory_limit_bytes() {
  const double machine = machine_memory_bytes();
  return machine > 0 ? machine / 2 : 8e9;
}

void check_memory_estimate(double estimate_bytes, double limit_bytes, std::string_view what,
                           std::string_view lower) {
  if (estimate_bytes <= limit_bytes) return;
  char text[160];
  std::snprintf(text, sizeof text, "needs about %.3g GB of host memory, more than the limit %.3g GB", estimate_bytes / 1e9,
                limit_bytes / 1e9);
  throw InputError("--memory-limit", std::string(what) + " " + text + "; lower " + std::string(lower) +
                                         " or raise --memory-limit");
}

}  // namespace spsim
