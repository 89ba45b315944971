// Helpers of the file-format tests (tests/io): bytes as text and back, an
// entry of sample bytes, whole files read and written, a file-size limit
// that makes writes fail, and Python run on a script with its output shown
// when it fails.
#pragma once

#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "modyn/core/dtype.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/module/state_dict.hpp"

namespace modyn_test {

// The characters of `s` as bytes, and bytes as the characters of a string.
inline std::vector<std::byte> bytes_of(std::string_view s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

inline std::string text_of(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// An entry of dtype d and the given shape whose bytes differ from element
// to element (bools are 0 or 1).
inline modyn::StateEntry sample_entry(modyn::DType d, const modyn::Shape& shape) {
  std::vector<std::byte> bytes(shape.size() * modyn::dtype_size(d));
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] =
        d == modyn::DType::boolean ? std::byte{i % 3 == 0} : static_cast<std::byte>((i * 37 + 11) & 0xff);
  }
  return modyn::StateEntry(d, shape, bytes);
}

// The bytes of the file at `path` (empty if it cannot be read).
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Writes `bytes` to the file at `path`, replacing it; fails the test if it
// cannot.
inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// Runs f under a file-size limit of `bytes` (writes past it fail with EFBIG,
// as a full disk fails them with ENOSPC, rather than killing the process
// with SIGXFSZ); returns what f returns. The limit and the signal's handler
// are restored however f ends.
template <class F>
auto with_file_size_limit(rlim_t bytes, F f) {
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  const auto previous = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = old;
  limited.rlim_cur = bytes;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
  struct Restore {
    rlimit limit;
    decltype(previous) handler;
    ~Restore() {
      ::setrlimit(RLIMIT_FSIZE, &limit);
      std::signal(SIGXFSZ, handler);
    }
  } restore{old, previous};
  return f();
}

// A path in single quotes, for a shell command (the tests' paths hold no
// quote). (Appended, not "'" + ...: g++ 12 at -O3 warns of a bogus memcpy
// bound in operator+(const char*, std::string&&).)
inline std::string quoted(const std::filesystem::path& p) {
  std::string s = "'";
  s += p.string();
  s += '\'';
  return s;
}

// The system's Python, with numpy from scripts/setup-deps (python3-numpy).
inline constexpr std::string_view system_python = "/usr/bin/python3";

// Fails the test unless the system's Python imports numpy: a test that
// needs it fails without it rather than passing untested.
inline void require_system_numpy() {
  // (Appended, not concatenated: g++ 12 at -O2 reports a false -Warray-bounds
  // for std::string(...) + "literal".)
  std::string command(system_python);
  command += " -c 'import numpy' > /dev/null 2>&1";
  if (std::system(command.c_str()) != 0)
    FAIL(system_python << " cannot import numpy: run scripts/setup-deps (python3-numpy)");
}

// Runs `python script args` (args quoted for the shell already), its output
// in dir/python.log. Fails the test if Python fails, with that output, and
// points to scripts/setup-deps if a module is missing.
inline void run_python(const std::filesystem::path& python, const std::filesystem::path& script,
                       const std::string& args, const std::filesystem::path& dir) {
  const std::filesystem::path log = dir / "python.log";
  std::string command = quoted(python);
  command += " " + quoted(script) + " " + args + " > " + quoted(log) + " 2>&1";
  const int status = std::system(command.c_str());
  const std::string said = read_file(log);
  INFO(python.string() << " " << script.filename().string() << " says: " << said);
  if (status != 0 && said.find("No module named") != std::string::npos) {
    FAIL(python.string() << " lacks a package (above): run scripts/setup-deps");
  }
  REQUIRE(status == 0);
}

// Writes `script_text` to dir/check.py and runs it under the system's Python
// with `dir` as its argument, as run_python.
inline void run_system_python(std::string_view script_text, const std::filesystem::path& dir) {
  const std::filesystem::path script = dir / "check.py";
  write_file(script, script_text);
  run_python(system_python, script, quoted(dir), dir);
}

}  // namespace modyn_test
