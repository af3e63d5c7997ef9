#include "traces/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <array>

#include "program/input_error.h"

namespace spsim {
namespace {

std::string size_text(std::size_t bytes) {
  return bytes % (std::size_t{1} << 20) == 0 ? std::to_string(bytes >> 20) + " MiB" : std::to_string(bytes) + " bytes";
}

}  // namespace

std::string inflate_gzip(std::string_view bytes, const std::string& where, std::size_t max_bytes) {
  z_stream zs{};
  // 15 + 32: a 32 KiB window, gzip or zlib header detected (zlib.h, inflateInit2).
  if (inflateInit2(&zs, 15 + 32) != Z_OK) throw InputError(where, "could not start decompressing the gzip stream");
  struct End {
    z_stream* zs;
    ~End() { inflateEnd(zs); }
  } end{&zs};
  std::string out;
  std::array<char, 1 << 16> chunk;
  std::size_t fed = 0;  // bytes handed to zlib so far
  for (;;) {
    if (zs.avail_in == 0 && fed < bytes.size()) {
      const std::size_t n = std::min<std::size_t>(bytes.size() - fed, std::size_t{1} << 30);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + fed));  // zlib only reads it
      zs.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
    zs.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const std::size_t produced = chunk.size() - zs.avail_out;
    if (out.size() + produced > max_bytes)
      throw InputError(where, "decompresses to more than " + size_text(max_bytes) + "; not a trace spsim reads");
    out.append(chunk.data(), produced);
    const bool input_left = zs.avail_in > 0 || fed < bytes.size();
    if (rc == Z_STREAM_END) {
      if (!input_left) return out;
      if (inflateReset(&zs) != Z_OK) throw InputError(where, "corrupt gzip stream");
      continue;  // the next gzip member
    }
    if (rc == Z_OK) continue;
    // Z_BUF_ERROR: no progress was possible; with room for output, that
    // means the input ran out (more is handed over above, if there is more).
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      if (!input_left) throw InputError(where, "the gzip stream ends early (a truncated file?)");
      continue;
    }
    if (rc == Z_MEM_ERROR) throw InputError(where, "out of memory while decompressing");
    throw InputError(where, std::string("corrupt gzip stream") + (zs.msg ? std::string(": ") + zs.msg : ""));
  }
}

}  // namespace spsim
