// A fresh directory under the system temp directory, removed with its
// contents at the end of the test.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace modyn_test {

class TempDir {
 public:
  TempDir() {
    std::random_device entropy;
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    for (int attempt = 0; attempt < 100; ++attempt) {
      path_ = std::filesystem::temp_directory_path() /
              ("modyn_test_" + std::to_string(entropy()) + "_" + std::to_string(now + attempt));
      if (std::filesystem::create_directory(path_)) return;
    }
    FAIL("cannot create a temporary directory");
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace modyn_test
