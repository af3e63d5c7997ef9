#pragma once
// Progress of long work on standard error: "sweep: 37/120 configurations,
// 4.2/s, ETA 20 s". Shown when standard error is a terminal (rewritten in
// place, once the work has run a second, so short runs stay silent) or when
// asked (--progress: the first unit, a line every 5 s, the last). Never on
// standard output: what a command prints there stays byte-identical.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace spsim {

enum class ProgressMode {
  kOff,       // never (the studies of a sweep, which reports for them all)
  kTerminal,  // when standard error is a terminal
  kAlways,    // --progress
};

namespace cli {

class Progress {
 public:
  // `what`: the command ("sweep"); `unit`: what is counted ("configurations").
  Progress(std::string what, std::string unit, std::size_t total, ProgressMode mode);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `units` more units done (any thread).
  void tick(std::size_t units = 1);

 private:
  void print_locked(bool last);

  std::string what_, unit_;
  std::size_t total_ = 0, done_ = 0;
  bool forced_ = false, enabled_ = false, terminal_ = false, printed_ = false;
  std::chrono::steady_clock::time_point start_, last_print_;
  std::mutex mutex_;
};

// Ticks `progress` when it goes out of scope (a loop body left by continue,
// return or an exception counts as done).
class ProgressTick {
 public:
  explicit ProgressTick(Progress& progress) : progress_(progress) {}
  ~ProgressTick() { progress_.tick(); }
  ProgressTick(const ProgressTick&) = delete;
  ProgressTick& operator=(const ProgressTick&) = delete;

 private:
  Progress& progress_;
};

}  // namespace cli
}  // namespace spsim
