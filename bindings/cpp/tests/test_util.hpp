// Helpers shared by the C++ binding tests (temporary run dirs, reading files).
#pragma once

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/resource.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace wbtest {

inline int rm_entry(const char* path, const struct stat*, int, struct FTW*) { return std::remove(path); }

/// A fresh directory under $TMPDIR, removed on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/wbcpp-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) std::abort();
    path_ = buf.data();
  }
  ~TempDir() { ::nftw(path_.c_str(), rm_entry, 16, FTW_DEPTH | FTW_PHYS); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string files() const { return path_ + "/files"; }

 private:
  std::string path_;
};

inline bool read_file(const std::string& path, std::vector<unsigned char>& out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  out.clear();
  unsigned char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + n);
  std::fclose(f);
  return true;
}

inline bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

inline long file_size(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long>(st.st_size) : -1;
}

/// The records of a `.wandb` transaction log (the LevelDB-style framing of spec §16.2:
/// 7-byte file header, chunks of {crc u32, len u16, type u8} in 32 KiB blocks).
inline std::vector<std::string> wandb_records(const std::vector<unsigned char>& f) {
  std::vector<std::string> out;
  std::string cur;
  std::size_t pos = 7;
  while (pos + 7 <= f.size()) {
    const std::size_t left = 32768 - pos % 32768;
    if (left < 7) {  // zero-filled block tail
      pos += left;
      continue;
    }
    const std::size_t len = static_cast<std::size_t>(f[pos + 4]) | (static_cast<std::size_t>(f[pos + 5]) << 8);
    const unsigned type = f[pos + 6];
    pos += 7;
    if (pos + len > f.size()) break;
    cur.append(f.begin() + static_cast<std::ptrdiff_t>(pos), f.begin() + static_cast<std::ptrdiff_t>(pos + len));
    pos += len;
    if (type == 1 || type == 4) {  // FULL or LAST
      out.push_back(cur);
      cur.clear();
    }
  }
  return out;
}

inline bool pb_varint(const std::string& s, std::size_t& i, uint64_t& v) {
  v = 0;
  for (unsigned shift = 0; i < s.size() && shift < 64; shift += 7) {
    const auto b = static_cast<unsigned char>(s[i++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

/// Calls f(field, wire_type, varint_value, bytes) for each top-level protobuf field.
template <class F>
inline bool pb_fields(const std::string& s, F&& f) {
  std::size_t i = 0;
  while (i < s.size()) {
    uint64_t key = 0, v = 0;
    if (!pb_varint(s, i, key)) return false;
    const unsigned wire = static_cast<unsigned>(key & 7);
    const uint64_t field = key >> 3;
    std::string bytes;
    if (wire == 0) {
      if (!pb_varint(s, i, v)) return false;
    } else if (wire == 2) {
      if (!pb_varint(s, i, v) || v > s.size() - i) return false;
      bytes = s.substr(i, static_cast<std::size_t>(v));
      i += static_cast<std::size_t>(v);
    } else if (wire == 1 || wire == 5) {
      i += wire == 1 ? 8 : 4;
    } else {
      return false;
    }
    f(field, wire, v, bytes);
  }
  return i == s.size();
}

/// The exit code of the run log's exit record (Record field 18 = RunExitRecord, its field 1
/// = exit_code), or kNoExit if the log has no exit record.
constexpr long long kNoExit = -1000000;
inline long long wandb_exit_code(const std::string& log_path) {
  std::vector<unsigned char> f;
  if (!read_file(log_path, f)) return kNoExit - 1;
  long long code = kNoExit;
  for (const std::string& rec : wandb_records(f)) {
    pb_fields(rec, [&](uint64_t field, unsigned wire, uint64_t, const std::string& body) {
      if (field != 18 || wire != 2) return;
      code = 0;  // exit_code 0 is not serialised (proto3 default)
      pb_fields(body, [&](uint64_t ef, unsigned ew, uint64_t v, const std::string&) {
        if (ef == 1 && ew == 0) code = static_cast<int32_t>(static_cast<uint32_t>(v));
      });
    });
  }
  return code;
}

/// Lowers RLIMIT_FSIZE so that any file write past `bytes` fails with EFBIG (SIGXFSZ is
/// ignored): makes the run log's next write fail. Restored on destruction.
class FileSizeLimit {
 public:
  FileSizeLimit() { ::getrlimit(RLIMIT_FSIZE, &old_); }
  void arm(long bytes) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit l = old_;
    l.rlim_cur = static_cast<rlim_t>(bytes);
    armed_ = ::setrlimit(RLIMIT_FSIZE, &l) == 0;
  }
  void disarm() {
    if (armed_) ::setrlimit(RLIMIT_FSIZE, &old_);
    armed_ = false;
  }
  ~FileSizeLimit() { disarm(); }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  bool armed() const { return armed_; }

 private:
  rlimit old_{};
  bool armed_ = false;
};

}  // namespace wbtest
