/// @file
/// write_file_atomically: a file that appears whole or not at all.
///
/// @code
///   io::write_file_atomically(path, [&](io::FileWriter& out) {
///     out.write(header);
///     out.write(data);
///   });
/// @endcode
///
/// The bytes go to a temporary file in the same directory ("<name>.tmp-XXXXXX",
/// so that the final rename stays within one filesystem), which is flushed to
/// the disk (fsync) and then renamed over `path`. A write that fails (a full
/// disk, a file-size limit, an exception thrown by the callback) removes the
/// temporary file and throws io_error naming the path and the system's reason;
/// a file already at `path` is left as it was. POSIX only, like the rest of
/// modyn's file I/O.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "modyn/core/error.hpp"

namespace modyn::io {

/// The open temporary file that write_file_atomically's callback fills.
class FileWriter {
 public:
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  /// Appends the bytes; a failing write throws io_error with the system's reason.
  void write(std::span<const std::byte> bytes) {
    const auto* data = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
      const ::ssize_t n = ::write(fd_, data, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int code = n < 0 ? errno : ENOSPC;
        throw io_error(context_ + ": writing failed after " + std::to_string(written_) +
                       " bytes: " + std::generic_category().message(code));
      }
      data += n;
      left -= static_cast<std::size_t>(n);
      written_ += static_cast<std::size_t>(n);
    }
  }
  /// Appends the characters of text.
  void write(std::string_view text) { write(std::as_bytes(std::span<const char>(text.data(), text.size()))); }

  /// Bytes written so far.
  std::size_t written() const noexcept { return written_; }

 private:
  template <class Fill>
  friend void write_file_atomically(const std::filesystem::path& path, Fill&& fill, std::string_view who);

  FileWriter(int fd, std::string context) : fd_(fd), context_(std::move(context)) {}

  int fd_;
  std::string context_;
  std::size_t written_ = 0;
};

namespace detail {

// Why `path` cannot be created in its directory.
inline std::string creation_failure(const std::filesystem::path& path, int code) {
  std::error_code ec;
  const std::filesystem::path parent = path.parent_path();
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
    return "the directory '" + parent.string() + "' does not exist";
  }
  return "cannot create a file beside it: " + std::generic_category().message(code);
}

// Closes the descriptor and removes the temporary file unless released.
class TemporaryFile {
 public:
  TemporaryFile(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!name_.empty()) ::unlink(name_.c_str());
  }
  int fd() const noexcept { return fd_; }
  const std::string& name() const noexcept { return name_; }
  // Closes the file, returning the error of close (0 when none).
  int close() {
    const int rc = ::close(std::exchange(fd_, -1));
    return rc == 0 ? 0 : errno;
  }
  void release() noexcept { name_.clear(); }

 private:
  int fd_;
  std::string name_;
};

}  // namespace detail

/// Calls fill(FileWriter&) to write the file's bytes, then puts the file in
/// place of `path` in one step. `who` names the caller in messages
/// ("modyn::io::save_safetensors").
template <class Fill>
void write_file_atomically(const std::filesystem::path& path, Fill&& fill, std::string_view who) {
  const std::string context = std::string(who) + ": '" + path.string() + "'";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw io_error(context + ": it is a directory");

  std::string pattern = path.string() + ".tmp-XXXXXX";
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) throw io_error(context + ": " + detail::creation_failure(path, errno));
  detail::TemporaryFile temporary(fd, pattern);
  // mkstemp makes the file private (0600); a saved file gets the usual
  // permissions, as std::ofstream would give it (0666 less the umask).
  const ::mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);

  FileWriter writer(fd, context);
  std::forward<Fill>(fill)(writer);
  if (::fsync(fd) != 0) {
    throw io_error(context + ": flushing to the disk failed: " + std::generic_category().message(errno));
  }
  if (const int code = temporary.close(); code != 0) {
    throw io_error(context + ": closing failed: " + std::generic_category().message(code));
  }
  if (::rename(temporary.name().c_str(), path.c_str()) != 0) {
    throw io_error(context + ": renaming the finished temporary file into place failed: " +
                   std::generic_category().message(errno));
  }
  temporary.release();
}

}  // namespace modyn::io
