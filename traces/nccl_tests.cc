#include "traces/nccl_tests.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "program/input_error.h"
#include "program/input_file.h"
#include "program/input_json.h"

namespace spsim {
namespace {

struct TestFacts {
  std::string_view name;
  std::optional<CollectiveKind> collective;
  int factor;   // 2: 2(n−1)/n, 1: (n−1)/n, 0: 1
  bool reduces; // prints a reduction operator (else "none")
  bool counts_all_ranks;  // size counts every rank's data (bytes per member = size / n)
};

// nccl-tests src/*.cu: GetBw's factor, whether the test reduces, what its
// size counts. sendrecv and hypercube print the default op ("sum").
constexpr TestFacts kTests[] = {
    {"all_reduce", CollectiveKind::kAllReduce, 2, true, false},
    {"all_gather", CollectiveKind::kAllGather, 1, false, true},
    {"reduce_scatter", CollectiveKind::kReduceScatter, 1, true, false},
    {"alltoall", CollectiveKind::kAllToAll, 1, false, false},
    {"broadcast", CollectiveKind::kBroadcast, 0, false, false},
    {"reduce", std::nullopt, 0, true, false},
    {"sendrecv", std::nullopt, 0, true, false},
    {"gather", std::nullopt, 1, false, true},
    {"scatter", std::nullopt, 1, false, true},
    {"hypercube", std::nullopt, 0, true, false},
};

const TestFacts* find_test(std::string_view name) {
  for (const auto& t : kTests)
    if (t.name == name) return &t;
  return nullptr;
}

double factor_value(int factor, std::uint32_t n) {
  const double nn = n;
  return factor == 2 ? 2 * (nn - 1) / nn : factor == 1 ? (nn - 1) / nn : 1.0;
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// Open MPI --tag-output: "[jobid,rank]<stdout>:" or "<stderr>:".
std::string_view strip_mpi_tag(std::string_view line) {
  if (line.empty() || line[0] != '[') return line;
  const auto close = line.find(']');
  if (close == std::string_view::npos) return line;
  const auto inside = line.substr(1, close - 1);
  if (inside.find_first_not_of("0123456789,") != std::string_view::npos || inside.find(',') == std::string_view::npos)
    return line;
  const auto rest = line.substr(close + 1);
  for (std::string_view tag : {"<stdout>:", "<stderr>:"})
    if (rest.starts_with(tag)) return rest.substr(tag.size());
  return line;
}

template <class T>
std::optional<T> parse_int(std::string_view s) {
  T v{};
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_real(std::string_view s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// "22902" -> "2.29.2" (NCCL_VERSION_CODE = major·10000 + minor·100 + patch).
std::string nccl_code_version(std::string_view code) {
  const auto v = parse_int<std::int64_t>(code);
  if (!v || *v < 10000) return std::string(code);
  return fmt::format("{}.{}.{}", *v / 10000, (*v / 100) % 100, *v % 100);
}

// The layout of a table line, from the header line's names.
struct Columns {
  std::size_t tokens = 0;  // tokens a data line has
  std::size_t size = 0, count = 0, type = 0, redop = 0;
  std::optional<std::size_t> root;
  std::size_t time[2] = {0, 0}, algbw[2] = {0, 0}, busbw[2] = {0, 0};
  std::size_t header_line = 0;
};

class Reader {
 public:
  explicit Reader(const std::string& where) : where_(where) {}

  std::vector<NcclTestRun> read(std::string_view text) {
    std::size_t line_no = 0, pos = 0;
    while (pos <= text.size()) {
      auto end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      line_ = line_no;
      handle(strip_mpi_tag(line));
      if (end == text.size()) break;
    }
    finish_run();
    if (runs_.empty()) throw InputError(where_, "no nccl-tests table (expected a '#  size  count  type ...' header and its rows)");
    return std::move(runs_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(fmt::format("{}: line {}", where_, line_), what);
  }

  NcclTestRun& run() {
    if (!current_) {
      current_.emplace();
      current_->first_line = line_;
    }
    return *current_;
  }

  void finish_run() {
    if (!current_) return;
    NcclTestRun r = std::move(*current_);
    current_.reset();
    columns_.reset();
    seen_nthread_ = false;
    std::vector<NcclTestRank> ranks;
    for (auto& [rank, info] : ranks_) ranks.push_back(info);
    ranks_.clear();
    if (r.rows.empty()) return;  // a header without a table (e.g. a run that failed)
    for (std::size_t i = 0; i < ranks.size(); ++i)
      if (ranks[i].rank != static_cast<std::int64_t>(i))
        throw InputError(fmt::format("{}: line {}", where_, r.first_line),
                         fmt::format("rank {} is missing from the device list (ranks up to {} are listed)", i,
                                     ranks.back().rank));
    r.ranks = std::move(ranks);
    if (r.test.empty()) infer(r);
    runs_.push_back(std::move(r));
  }

  // The test of a run whose file does not name it, from its busbw/algbw
  // ratio and whether it reduces (old-format files).
  void infer(NcclTestRun& r) const {
    if (r.ranks.empty()) return;
    const std::uint32_t n = r.num_ranks();
    double ratio_sum = 0;
    int points = 0;
    for (const auto& row : r.rows)
      if (row.algbw_gb_per_s >= 1.0) {  // printed to 0.01 GB/s: the ratio is good to 1%
        ratio_sum += row.busbw_gb_per_s / row.algbw_gb_per_s;
        ++points;
      }
    if (points == 0) return;
    const double ratio = ratio_sum / points;
    const bool reduces = r.rows.front().redop != "none";
    for (const auto& t : kTests)
      if (t.reduces == reduces && std::abs(factor_value(t.factor, n) - ratio) <= 0.01 * ratio)
        r.candidates.emplace_back(t.name);
    if (r.candidates.size() == 1) {
      r.test = r.candidates.front();
      r.test_inferred = true;
      r.candidates.clear();
    }
  }

  void handle(std::string_view line) {
    const auto tokens = split_ws(line);
    if (tokens.empty()) return;
    if (tokens[0] == "#" || tokens[0][0] == '#') {
      comment(line, tokens);
      return;
    }
    if (tokens[0] == "NCCL" && tokens.size() >= 3 && tokens[1] == "version") {
      if (current_ && current_->nccl_version.empty()) {
        const auto v = tokens[2];
        current_->nccl_version = std::string(v.substr(0, v.find('+')));
      }
      return;
    }
    if (tokens[0].find_first_not_of("0123456789") != std::string_view::npos) return;  // not the table (NCCL INFO, SHARP, ...)
    data(tokens);
  }

  void comment(std::string_view line, std::vector<std::string_view> tokens) {
    if (tokens[0] == "#") tokens.erase(tokens.begin());
    else tokens[0].remove_prefix(1);
    if (tokens.empty()) return;
    const std::string_view body = line.substr(line.find('#') + 1);
    if (tokens[0].starts_with("nccl-tests") && tokens.size() >= 3 && tokens[1] == "version") {
      finish_run();
      run().nccl_tests_version = std::string(tokens[2]);
      for (auto t : tokens)
        if (t.starts_with("nccl-library=")) run().nccl_version = nccl_code_version(t.substr(13));
      return;
    }
    if (body.starts_with(" Collective test starting:") && tokens.size() >= 4) {
      if (current_ && (!current_->rows.empty() || !current_->test.empty())) finish_run();
      run().test = std::string(tokens[3].substr(0, tokens[3].rfind("_perf")));
      return;
    }
    if (body.starts_with(" Collective test concluded:") && tokens.size() >= 4) {
      const std::string name(tokens[3].substr(0, tokens[3].rfind("_perf")));
      if (current_ && !current_->test.empty() && current_->test != name)
        fail(fmt::format("'{}' concludes, but the test that started is '{}': outputs of separate runs are interleaved",
                         name, current_->test));
      finish_run();
      return;
    }
    if (tokens[0] == "nThread") {
      if (current_ && !current_->rows.empty()) finish_run();
      if (seen_nthread_)
        fail("a second '# nThread' header before any row: outputs of separate runs are interleaved; split the file per run");
      seen_nthread_ = true;
      run();
      return;
    }
    if (tokens[0] == "Rank" && tokens.size() >= 2) {
      rank_line(tokens);
      return;
    }
    if (tokens[0] == "size" && tokens.size() >= 3 && tokens[1] == "count") {
      header(tokens);
      return;
    }
    if (tokens[0] == "Avg" && tokens.size() >= 5 && tokens[1] == "bus") {
      if (current_) current_->avg_busbw_gb_per_s = parse_real(tokens[4]);
      return;
    }
  }

  //  Rank  0 Group  0 Pid 4180122 on cnode3-002 device  0 [0000:1b:00] NVIDIA H100 80GB HBM3
  //  Rank  0 Pid 2916721 on      a0000 device  0 [0x27] NVIDIA A100-SXM4-40GB      (old)
  void rank_line(const std::vector<std::string_view>& t) {
    if (current_ && !current_->rows.empty()) finish_run();
    NcclTestRank r;
    std::size_t i = 1;
    const auto rank = parse_int<std::int64_t>(t[i++]);
    if (!rank || *rank < 0 || *rank >= (1 << 20)) fail("a rank number in 0..1048575 after 'Rank'");
    r.rank = *rank;
    auto expect = [&](std::string_view key) {
      if (i >= t.size() || t[i] != key) fail(fmt::format("'{}' in the device line of rank {}", key, r.rank));
      ++i;
    };
    if (i < t.size() && t[i] == "Group") {
      ++i;
      if (i >= t.size() || !(r.group = parse_int<std::int64_t>(t[i]))) fail("a group number after 'Group'");
      ++i;
    }
    expect("Pid");
    if (i >= t.size()) fail("a process id after 'Pid'");
    const auto pid = parse_int<std::int64_t>(t[i++]);
    if (!pid) fail("a process id after 'Pid'");
    r.pid = *pid;
    expect("on");
    if (i >= t.size()) fail("a host name after 'on'");
    r.host = std::string(t[i++]);
    expect("device");
    if (i >= t.size()) fail("a device number after 'device'");
    const auto dev = parse_int<std::int64_t>(t[i++]);
    if (!dev) fail("a device number after 'device'");
    r.device = *dev;
    if (i < t.size() && t[i].front() == '[') ++i;  // PCI bus id
    std::string name;
    for (; i < t.size(); ++i) name += (name.empty() ? "" : " ") + std::string(t[i]);
    r.device_name = name;
    run();
    const auto [it, fresh] = ranks_.emplace(r.rank, r);
    if (!fresh && (it->second.pid != r.pid || it->second.host != r.host))
      fail(fmt::format("rank {} is listed twice, by process {} on {} and process {} on {}: outputs of separate runs "
                       "are interleaved; split the file per run",
                       r.rank, it->second.pid, it->second.host, r.pid, r.host));
  }

  void header(const std::vector<std::string_view>& t) {
    if (current_ && !current_->rows.empty())
      fail("a second table header inside one test: outputs of separate runs are concatenated without their "
           "'# nccl-tests version' lines or interleaved; split the file per run");
    Columns c;
    c.header_line = line_;
    int group = -1;
    bool has_wrong = false, has_error = false, timestamp = false;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const auto name = t[i];
      if (name == "size") c.size = i;
      else if (name == "count") c.count = i;
      else if (name == "type") c.type = i;
      else if (name == "redop") c.redop = i;
      else if (name == "root") c.root = i;
      else if (name == "time" || name == "cputime") {
        if (++group > 1) fail("at most two time columns (out-of-place, in-place) in the table header");
        c.time[group] = i;
        if (name == "cputime") run().cputime = true;
      } else if (name == "algbw" && group >= 0) c.algbw[group] = i;
      else if (name == "busbw" && group >= 0) c.busbw[group] = i;
      else if (name == "#wrong") has_wrong = true;
      else if (name == "error") has_error = true;
      else if (name == "timestamp") timestamp = true;
    }
    if (group != 1 || c.type == 0 || c.redop == 0 || c.algbw[1] == 0 || c.busbw[1] == 0)
      fail("a table header naming size, count, type, redop and two groups of time, algbw, busbw");
    // A "%Y-%m-%d %H:%M:%S" timestamp is two tokens under its one name.
    c.tokens = t.size() + (timestamp ? 1 : 0);
    run().old_format = !c.root && has_error && !has_wrong;
    columns_ = c;
  }

  void data(const std::vector<std::string_view>& t) {
    if (!columns_) fail("a table row before the table's header line ('#  size  count  type ...')");
    const Columns& c = *columns_;
    if (t.size() != c.tokens)
      fail(fmt::format("{} columns, as the header at line {} says; got {} (a cut or interleaved line?)", c.tokens,
                       c.header_line, t.size()));
    NcclTestRow base;
    base.line = line_;
    const auto size = parse_int<std::uint64_t>(t[c.size]);
    const auto count = parse_int<std::uint64_t>(t[c.count]);
    if (!size || !count) fail("a size in bytes and a count of elements (integers)");
    base.bytes = *size;
    base.count = *count;
    base.type = std::string(t[c.type]);
    base.redop = std::string(t[c.redop]);
    if (c.root) {
      const auto root = parse_int<std::int64_t>(t[*c.root]);
      if (!root || *root < -1) fail("a root rank (an integer >= -1)");
      if (*root >= 0) base.root = *root;
    }
    NcclTestRun& r = run();
    if (!r.rows.empty() && base.bytes <= r.rows.back().bytes)
      fail(fmt::format("sizes grow down a table; {} follows {} (line {}): outputs of separate runs are interleaved, or a "
                       "table lacks its header; split the file per run",
                       base.bytes, r.rows.back().bytes, r.rows.back().line));
    for (int g = 0; g < 2; ++g) {
      NcclTestRow row = base;
      row.in_place = g == 1;
      const auto time = parse_real(t[c.time[g]]);
      const auto alg = parse_real(t[c.algbw[g]]);
      const auto bus = parse_real(t[c.busbw[g]]);
      if (!time || *time <= 0) fail(fmt::format("a time in µs > 0, got '{}'", t[c.time[g]]));
      if (!alg || *alg < 0 || !bus || *bus < 0) fail("algbw and busbw in GB/s (numbers >= 0)");
      row.time_us = *time;
      row.algbw_gb_per_s = *alg;
      row.busbw_gb_per_s = *bus;
      r.rows.push_back(std::move(row));
    }
    if (r.rows.size() > kMaxRows) fail(fmt::format("at most {} table rows in one test", kMaxRows));
  }

  static constexpr std::size_t kMaxRows = std::size_t{1} << 20;

  const std::string& where_;
  std::size_t line_ = 0;
  std::optional<NcclTestRun> current_;
  std::optional<Columns> columns_;
  std::map<std::int64_t, NcclTestRank> ranks_;
  bool seen_nthread_ = false;
  std::vector<NcclTestRun> runs_;
};

// -J output (nccl-tests src/util.cu, jsonOutputInit .. writeResultFooter).
std::vector<NcclTestRun> read_json(std::string_view text, const std::string& where) {
  const auto doc = parse_input_json(text, where);
  auto bad = [&](const std::string& key, const std::string& what) -> InputError {
    return InputError(fmt::format("{}: key '{}'", where, key), what);
  };
  if (!doc.is_object()) throw InputError(where, "a JSON object (nccl-tests -J output)");
  NcclTestRun r;
  r.first_line = 1;
  const auto args = doc.find("args");
  if (args == doc.end() || !args->is_array() || args->empty() || !(*args)[0].is_string())
    throw bad("args", "the test's command line, a list starting with the binary (e.g. \"./all_reduce_perf\")");
  std::string binary = (*args)[0].get<std::string>();
  binary = binary.substr(binary.find_last_of('/') + 1);
  r.test = binary.substr(0, binary.rfind("_perf"));
  if (const auto v = doc.find("nccl_version"); v != doc.end() && v->is_number_integer())
    r.nccl_version = nccl_code_version(std::to_string(v->get<std::int64_t>()));
  const auto config = doc.find("config");
  if (config == doc.end() || !config->is_object()) throw bad("config", "an object with the test's devices");
  const auto devices = config->find("devices");
  if (devices == config->end() || !devices->is_array()) throw bad("config.devices", "a list of devices");
  for (const auto& d : *devices) {
    if (!d.is_object()) throw bad("config.devices", "objects with rank, pid, hostname, device");
    NcclTestRank k;
    auto get_int = [&](const char* key) -> std::int64_t {
      const auto f = d.find(key);
      if (f == d.end() || !f->is_number_integer()) throw bad(std::string("config.devices.") + key, "an integer");
      return f->get<std::int64_t>();
    };
    k.rank = get_int("rank");
    k.pid = get_int("pid");
    k.device = get_int("device");
    if (const auto h = d.find("hostname"); h != d.end() && h->is_string()) k.host = h->get<std::string>();
    if (const auto n = d.find("device_info"); n != d.end() && n->is_string()) k.device_name = n->get<std::string>();
    if (k.rank != static_cast<std::int64_t>(r.ranks.size()))
      throw bad("config.devices", fmt::format("ranks 0..n-1 in order; got rank {} at position {}", k.rank, r.ranks.size()));
    r.ranks.push_back(k);
  }
  const auto results = doc.find("results");
  if (results == doc.end() || !results->is_array()) throw bad("results", "the list of measured sizes");
  std::size_t index = 0;
  for (const auto& e : *results) {
    const std::string at = fmt::format("results[{}]", index++);
    if (!e.is_object()) throw bad(at, "an object");
    NcclTestRow base;
    const auto size = e.find("size"), count = e.find("count");
    if (size == e.end() || !size->is_number_unsigned() || count == e.end() || !count->is_number_unsigned())
      throw bad(at, "size and count as integers >= 0");
    base.bytes = size->get<std::uint64_t>();
    base.count = count->get<std::uint64_t>();
    if (const auto t = e.find("type"); t != e.end() && t->is_string()) base.type = t->get<std::string>();
    if (const auto o = e.find("redop"); o != e.end() && o->is_string()) base.redop = o->get<std::string>();
    if (const auto o = e.find("root"); o != e.end() && o->is_string()) {
      std::string s = o->get<std::string>();
      s.erase(0, s.find_first_not_of(' '));
      const auto root = parse_int<std::int64_t>(s);
      if (root && *root >= 0) base.root = *root;
    }
    if (!r.rows.empty() && base.bytes <= r.rows.back().bytes)
      throw bad(at, fmt::format("sizes that grow; {} follows {}", base.bytes, r.rows.back().bytes));
    for (const char* half : {"out_of_place", "in_place"}) {
      const auto h = e.find(half);
      if (h == e.end() || h->is_null()) continue;  // trace replay prints in-place only
      auto num = [&](const char* key) -> std::optional<double> {
        const auto f = h->find(key);
        if (f == h->end() || !f->is_number()) return std::nullopt;
        return f->get<double>();
      };
      if (!h->is_object()) throw bad(fmt::format("{}.{}", at, half), "an object");
      NcclTestRow row = base;
      row.in_place = std::string_view(half) == "in_place";
      const auto time = h->contains("cpu_time") ? num("cpu_time") : num("time");
      const auto alg = num("alg_bw"), bus = num("bus_bw");
      if (!time || *time <= 0 || !alg || *alg < 0 || !bus || *bus < 0)
        throw bad(fmt::format("{}.{}", at, half), "time (µs > 0), alg_bw and bus_bw (GB/s >= 0) as numbers");
      r.cputime = h->contains("cpu_time");
      row.time_us = *time;
      row.algbw_gb_per_s = *alg;
      row.busbw_gb_per_s = *bus;
      r.rows.push_back(std::move(row));
    }
  }
  if (r.rows.empty()) throw bad("results", "at least one measured size");
  if (const auto avg = doc.find("average_bus_bandwidth"); avg != doc.end() && avg->is_object())
    if (const auto b = avg->find("bandwidth"); b != avg->end() && b->is_number()) r.avg_busbw_gb_per_s = b->get<double>();
  std::vector<NcclTestRun> out;
  out.push_back(std::move(r));
  return out;
}

}  // namespace

std::optional<double> nccl_test_bus_factor(std::string_view test, std::uint32_t n) {
  const auto* t = find_test(test);
  if (!t || n == 0) return std::nullopt;
  return factor_value(t->factor, n);
}

std::optional<CollectiveKind> nccl_test_collective(std::string_view test) {
  const auto* t = find_test(test);
  return t ? t->collective : std::nullopt;
}

double nccl_test_bytes_per_member(std::string_view test, std::uint32_t n, std::uint64_t size) {
  const auto* t = find_test(test);
  return (t && t->counts_all_ranks && n > 0) ? static_cast<double>(size) / n : static_cast<double>(size);
}

std::vector<NcclTestRun> parse_nccl_tests(std::string_view text, const std::string& where) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') return read_json(text, where);
  return Reader(where).read(text);
}

std::vector<NcclTestRun> read_nccl_tests(const std::string& path) {
  return parse_nccl_tests(read_input_file(path, "nccl-tests output"), path);
}

}  // namespace spsim
