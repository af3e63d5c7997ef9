#include "planner/batch.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "program/input_error.h"
#include "program/input_file.h"
#include "program/input_json.h"

namespace spsim {
namespace {

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

void check_length(std::int64_t n, std::int64_t max_context, std::string_view limit, const std::string& where) {
  if (n <= 0) throw InputError(where, "expected a positive sequence length, got " + std::to_string(n));
  if (n > max_context)
    throw InputError(where, "sequence length " + std::to_string(n) + " exceeds " +
                                (limit.empty() ? "the maximum context " + std::to_string(max_context) + " (--max-context)"
                                               : std::string(limit)));
}

std::string flag_of(BatchSize::Unit u) {
  return u == BatchSize::Unit::kTokens ? "--global-batch-tokens" : "--global-batch-seqs";
}

}  // namespace

std::int64_t Batch::total_tokens() const {
  std::int64_t n = 0;
  for (auto s : lengths) n += s;
  return n;
}

std::vector<std::int64_t> read_lengths_file(const std::string& path, std::int64_t max_context, std::string_view limit) {
  return parse_lengths(read_input_file(path, "lengths file"), path, max_context, limit);
}

std::vector<std::int64_t> parse_lengths(std::string_view text, const std::string& path, std::int64_t max_context,
                                        std::string_view limit) {
  std::vector<std::int64_t> out;
  auto add = [&](std::int64_t n, const std::string& where) {
    check_length(n, max_context, limit, where);
    if (out.size() == kMaxSequences)
      throw InputError(where, "more than " + std::to_string(kMaxSequences) + " sequences; a batch holds at most that many");
    out.push_back(n);
  };
  if (trim(text).starts_with("[")) {
    const nlohmann::json j = parse_input_json(text, path);
    if (!j.is_array()) throw InputError(path, "expected a JSON list of sequence lengths");
    for (std::size_t i = 0; i < j.size(); ++i) {
      const std::string where = path + ": entry " + std::to_string(i + 1);
      if (!j[i].is_number_integer())
        throw InputError(where, "expected a positive integer sequence length, got " + j[i].dump());
      add(j[i].get<std::int64_t>(), where);
    }
  } else {
    std::size_t number = 0;
    while (!text.empty()) {
      ++number;
      const std::size_t eol = text.find('\n');
      const std::string_view line = text.substr(0, eol);
      text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
      const std::string_view t = trim(line);
      if (t.empty() || t.front() == '#') continue;
      const std::string where = path + ":" + std::to_string(number);
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
      if (ec != std::errc{} || end != t.data() + t.size())
        throw InputError(where, "expected one positive integer sequence length per line, got '" +
                                    std::string(t.substr(0, 40)) + (t.size() > 40 ? "...'" : "'"));
      add(n, where);
    }
  }
  if (out.empty()) throw InputError(path, "the lengths file lists no sequence");
  return out;
}

Batch batch_from_lengths(std::vector<std::int64_t> lengths, const std::optional<BatchSize>& size,
                         std::string origin) {
  Batch b;
  b.origin = std::move(origin);
  if (!size) {
    b.lengths = std::move(lengths);
    return b;
  }
  if (size->value <= 0) throw InputError(flag_of(size->unit), "must be positive");
  std::int64_t have = 0;
  for (auto s : lengths) {
    if (have >= size->value) break;
    if (size->unit == BatchSize::Unit::kSequences) {
      b.lengths.push_back(s);
      ++have;
    } else {
      b.lengths.push_back(std::min(s, size->value - have));
      have += b.lengths.back();
    }
  }
  if (have < size->value)
    throw InputError(flag_of(size->unit), std::to_string(size->value) + " requested but " + b.origin + " holds only " +
                                              std::to_string(have));
  return b;
}

Batch draw_batch(const LengthDistribution& dist, std::uint64_t seed, const BatchSize& size, std::int64_t max_context) {
  if (size.value <= 0) throw InputError(flag_of(size.unit), "must be positive");
  if (max_context <= 0) throw InputError("--max-context", "must be positive");
  Batch b;
  b.origin = dist.name + " seed " + std::to_string(seed);
  LengthSampler sampler(dist.shape, seed);
  std::int64_t have = 0;
  while (have < size.value) {
    std::int64_t s = sampler.next();
    if (s > max_context) {
      s = max_context;
      ++b.clipped;
    }
    if (size.unit == BatchSize::Unit::kTokens) s = std::min(s, size.value - have);
    b.lengths.push_back(s);
    have += size.unit == BatchSize::Unit::kTokens ? s : 1;
  }
  return b;
}

}  // namespace spsim
