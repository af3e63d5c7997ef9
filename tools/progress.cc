#include "tools/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace spsim::cli {

namespace {

using Clock = std::chrono::steady_clock;
// Silent for work shorter than this.
constexpr auto kQuiet = std::chrono::seconds(1);
// Between two reports: on a terminal (rewritten in place), and as lines.
constexpr auto kTerminalPeriod = std::chrono::milliseconds(200);
constexpr auto kLinePeriod = std::chrono::seconds(5);

std::string duration_text(double s) {
  if (s < 90) return fmt::format("{:.0f} s", s);
  if (s < 5400) return fmt::format("{:.0f} min", s / 60);
  return fmt::format("{:.1f} h", s / 3600);
}

}  // namespace

Progress::Progress(std::string what, std::string unit, std::size_t total, ProgressMode mode)
    : what_(std::move(what)), unit_(std::move(unit)), total_(total) {
  terminal_ = isatty(STDERR_FILENO) == 1;
  forced_ = mode == ProgressMode::kAlways;
  enabled_ = forced_ || (mode == ProgressMode::kTerminal && terminal_);
  start_ = last_print_ = Clock::now();
}

Progress::~Progress() {
  std::lock_guard lock(mutex_);
  if (printed_) print_locked(true);
}

void Progress::tick(std::size_t units) {
  std::lock_guard lock(mutex_);
  done_ += units;
  if (!enabled_) return;
  const auto now = Clock::now();
  if (!forced_ && now - start_ < kQuiet) return;  // short work stays silent on a terminal
  const bool last = done_ == total_;
  if (!last && printed_ && now - last_print_ < (terminal_ ? kTerminalPeriod : kLinePeriod)) return;
  print_locked(last);
  last_print_ = now;
}

void Progress::print_locked(bool last) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
  std::string text = fmt::format("{}: {}/{} {}, {:.3g}/s", what_, done_, total_, unit_, rate);
  if (done_ < total_ && rate > 0)
    text += ", ETA " + duration_text(static_cast<double>(total_ - done_) / rate);
  else
    text += ", " + duration_text(elapsed);
  if (terminal_)
    std::fprintf(stderr, "\r%s\x1b[K%s", text.c_str(), last ? "\n" : "");
  else
    std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
  printed_ = !last;
}

}  // namespace spsim::cli
