#pragma once
// Reader of nccl-tests output (NVIDIA/nccl-tests, the `*_perf` binaries): the
// measured time of one collective or send/recv per message size, which
// `spsim calibrate` fits the link model to and `spsim compare` predicts.
//
// Formats read (../shared/reference/data/README.md; nccl-tests src/util.cu):
// - text, every version in use: the newer one (a "# nccl-tests version" line,
//   "# Collective test starting: X_perf" ... "concluded"), the old one (no
//   version or test lines, no `root` column, an `error` column of the max
//   error instead of `#wrong`, "Rank N Pid" device lines without Group);
//   `-C` (cputime), `-I` (per-iteration columns i_min..i_cv%), `-S` (a
//   timestamp column); lines of NCCL_DEBUG=INFO, SHARP and anything else that
//   is not the table are skipped; Open MPI `--tag-output` prefixes
//   ("[1,0]<stdout>:") are removed; several tests concatenated in one file
//   are separate runs;
// - JSON written by `-J FILE.json` (one test per file; the test is named by
//   the binary in "args", the ranks by "config.devices").
// The columns are located by the table's own header line, so a version that
// adds columns is read as long as it keeps the names.
//
// A run's number of ranks is the number of distinct "Rank" lines. Outputs of
// separate runs interleaved in one file (two mpiruns writing to one log) are
// refused, never read as one bigger run: a rank listed twice by different
// processes, a second header before any row, or sizes that do not grow down
// the table are InputErrors naming the line.
//
// Units as nccl-tests prints them: size in bytes (what its busbw formula
// counts: all ranks' data for all_gather / alltoall / gather / scatter, see
// nccl_test_bus_factor), time in µs (the mean over iterations), algbw and
// busbw in GB/s (1e9 bytes/s).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "program/op_kind.h"

namespace spsim {

struct NcclTestRow {
  std::uint64_t bytes = 0;   // the "size" column
  std::uint64_t count = 0;   // elements
  std::string type;          // "float", "double", "half", "bfloat16", ...
  std::string redop;         // "sum", ..., "none"
  std::optional<std::int64_t> root;  // nullopt: -1 (no root) or no root column (old format)
  bool in_place = false;     // the in-place half of the table line, else out-of-place
  double time_us = 0;        // > 0
  double algbw_gb_per_s = 0;
  double busbw_gb_per_s = 0;
  std::size_t line = 0;      // 1-based line of the file
};

struct NcclTestRank {
  std::int64_t rank = 0;
  std::optional<std::int64_t> group;
  std::int64_t pid = 0;
  std::string host;
  std::int64_t device = 0;
  std::string device_name;  // e.g. "NVIDIA H100 80GB HBM3"
};

struct NcclTestRun {
  // The test without "_perf": "all_reduce", "all_gather", "reduce_scatter",
  // "alltoall", "broadcast", "reduce", "sendrecv", "gather", "scatter",
  // "hypercube", ... Empty when the file does not name it and the table does
  // not tell it apart (infer_nccl_test); `candidates` then lists the tests
  // its busbw/algbw ratio fits.
  std::string test;
  bool test_inferred = false;  // named by infer_nccl_test, not by the file
  std::vector<std::string> candidates;
  std::vector<NcclTestRank> ranks;  // in rank order, 0..n-1 (empty when the run lists none)
  std::string nccl_tests_version;   // "2.17.8"; "" for the old format
  std::string nccl_version;         // "2.29.2" from nccl-library=22902, or "NCCL version" lines
  bool old_format = false;          // no root column, `error` instead of `#wrong`
  bool cputime = false;             // -C: the time columns are CPU time
  std::optional<double> avg_busbw_gb_per_s;  // "# Avg bus bandwidth" (mean of all rows' busbw)
  std::vector<NcclTestRow> rows;    // each table line gives an out-of-place and an in-place row
  std::size_t first_line = 0;

  std::uint32_t num_ranks() const { return static_cast<std::uint32_t>(ranks.size()); }
};

// busbw / algbw of a test with n ranks (nccl-tests src/<test>.cu):
// all_reduce 2(n−1)/n; all_gather, reduce_scatter, alltoall, gather, scatter
// (n−1)/n; broadcast, reduce, sendrecv, hypercube 1. nullopt for a test it
// does not know.
std::optional<double> nccl_test_bus_factor(std::string_view test, std::uint32_t n);

// The CollectiveKind a test measures (all_reduce, all_gather, reduce_scatter,
// alltoall, broadcast); nullopt for the others (sendrecv is point-to-point).
std::optional<CollectiveKind> nccl_test_collective(std::string_view test);

// The input bytes of one member (program/comm_volume.h's bytes_per_member)
// for a row of `test` with n ranks: all_gather, gather, scatter: size / n
// (size counts all ranks' data); the others: size.
double nccl_test_bytes_per_member(std::string_view test, std::uint32_t n, std::uint64_t size);

// Reads every run of a file (text or -J JSON). `where` names it in errors.
// Throws InputError("<where>: line N", what was expected) for a table that
// cannot be read, InputError(where, ...) for a file with no table at all.
std::vector<NcclTestRun> parse_nccl_tests(std::string_view text, const std::string& where);
std::vector<NcclTestRun> read_nccl_tests(const std::string& path);

}  // namespace spsim
