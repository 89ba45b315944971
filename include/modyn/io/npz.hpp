/// @file
/// save_npz / load_npz: several arrays in one NumPy .npz archive, so that the
/// records of a run open in Python as a dict of arrays.
///
/// @code
///   StateDict run;
///   run.insert_or_assign("lif.V", v_history);       // tensors of any dtype but bfloat16
///   io::insert_spike_record(run, "spikes", record);  // spikes.steps, spikes.indices, ...
///   io::save_npz("run.npz", run);
///   >>> run = np.load("run.npz"); run["lif.V"], run["spikes.steps"]
///   const StateDict back = io::load_npz("run.npz");  // np.savez's archives too
/// @endcode
///
/// An .npz file is a ZIP archive with one member "<name>.npy" per array, each
/// a .npy file (io/npy.hpp). save_npz writes the bytes np.savez writes (numpy
/// 1.24 with Python 3.11's zipfile): members stored, not compressed, in the
/// dict's order, dated 1980-01-01 00:00, each with its CRC-32. Like np.savez,
/// every local header carries a zip64 extra field, and the 32-bit fields,
/// the central directory and the end record take their zip64 forms when a
/// size or an offset passes 2^31 - 1 (Python's limit: readers that take the
/// fields as signed still work) or there are more than 65535 members. The
/// file is written atomically (io/atomic_file.hpp).
///
/// load_npz reads stored members (np.savez), not deflated ones
/// (np.savez_compressed: modyn has no zlib), and trusts nothing in the file:
/// the end record is looked for in the last 64 KiB only, every offset and
/// size (zip64 ones included) is checked against the file before it is used,
/// each local header must agree with its central directory entry, members
/// must not overlap, each CRC-32 must match, names must end in ".npy" and
/// appear once, and each member is parsed by load_npy's checks. Every problem
/// is an io_error naming the file, the member and the byte offset.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "modyn/core/dtype.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/dyn/spike_record.hpp"
#include "modyn/io/atomic_file.hpp"
#include "modyn/io/npy.hpp"
#include "modyn/module/state_dict.hpp"

namespace modyn::io {

namespace detail {

// ---------------------------------------------------------------- CRC-32

// The CRC-32 of ZIP (ISO-HDLC: reflected polynomial 0xEDB88320, all ones in
// and out), a byte at a time through a table built at compile time.
inline constexpr std::array<std::uint32_t, 256> crc32_table = [] {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}();

// Continues a CRC over more bytes: crc32(crc32(0, a), b) is the CRC of a
// then b.
constexpr std::uint32_t crc32(std::uint32_t crc, std::span<const std::byte> bytes) noexcept {
  crc = ~crc;
  for (const std::byte b : bytes) crc = crc32_table[(crc ^ static_cast<std::uint8_t>(b)) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// ---------------------------------------------------------------- ZIP

inline constexpr std::uint32_t zip_local_signature = 0x04034b50;               // "PK\3\4"
inline constexpr std::uint32_t zip_central_signature = 0x02014b50;             // "PK\1\2"
inline constexpr std::uint32_t zip_end_signature = 0x06054b50;                 // "PK\5\6"
inline constexpr std::uint32_t zip64_end_signature = 0x06064b50;               // "PK\6\6"
inline constexpr std::uint32_t zip64_locator_signature = 0x07064b50;           // "PK\6\7"
inline constexpr std::size_t zip_local_size = 30;                              // fixed part of a local header
inline constexpr std::size_t zip_central_size = 46;                            // of a central directory entry
inline constexpr std::size_t zip_end_size = 22;                                // of the end record
inline constexpr std::size_t zip64_end_size = 56;                              // of the zip64 end record
inline constexpr std::size_t zip64_locator_size = 20;                          // of the zip64 locator
inline constexpr std::uint64_t zip_max_comment = 0xffff;                       // the end record's comment
inline constexpr std::uint16_t zip64_extra_id = 0x0001;                        // the zip64 extra field
inline constexpr std::uint16_t zip_version = 20;                               // 2.0, what Python writes
inline constexpr std::uint16_t zip64_version = 45;                             // 4.5, needed for zip64
inline constexpr std::uint16_t zip_made_on_unix = 3 << 8;                      // "version made by": Unix
inline constexpr std::uint32_t zip_external_attributes = 0600u << 16;          // rw------- as Python writes
inline constexpr std::uint16_t zip_date_1980_01_01 = (0 << 9) | (1 << 5) | 1;  // MS-DOS date
inline constexpr std::uint16_t zip_flag_encrypted = 0x0001;
inline constexpr std::uint16_t zip_flag_data_descriptor = 0x0008;  // CRC and sizes after the data
inline constexpr std::uint16_t zip_flag_utf8 = 0x0800;             // the name is UTF-8
inline constexpr std::uint16_t zip_stored = 0;
inline constexpr std::uint16_t zip_deflated = 8;
inline constexpr std::uint64_t zip_marker16 = 0xffff;      // "see the zip64 field" in 16 bits
inline constexpr std::uint64_t zip_marker32 = 0xffffffff;  // in 32 bits
// Past these, np.savez (Python's zipfile) writes the zip64 forms.
inline constexpr std::uint64_t zip64_limit = 0x7fffffff;
inline constexpr std::uint64_t zip_member_limit = 0xffff;

// Appends v as n little-endian bytes.
inline void zip_put(std::string& out, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// The n little-endian bytes at `at` (which the caller has checked lie in bytes).
inline std::uint64_t zip_get(std::span<const std::byte> bytes, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = v << 8 | static_cast<std::uint8_t>(bytes[at + i]);
  return v;
}

inline std::string zip_hex(std::uint64_t v) {
  constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (int shift = 28; shift >= 0; shift -= 4) out += digits[(v >> shift) & 0xf];
  return "0x" + out;
}

inline std::string zip_byte(std::uint64_t at) { return "byte " + std::to_string(at); }

// ---------------------------------------------------------------- writing

// Gathers the bytes of an archive in memory (to_npz); FileWriter is the
// other sink (save_npz).
class npz_memory_sink {
 public:
  void write(std::string_view text) { write(std::as_bytes(std::span<const char>(text.data(), text.size()))); }
  void write(std::span<const std::byte> data) { bytes_.insert(bytes_.end(), data.begin(), data.end()); }
  std::vector<std::byte> take() { return std::move(bytes_); }

 private:
  std::vector<std::byte> bytes_;
};

// Writes members, then the central directory and the end records, as
// Python's zipfile does for np.savez. `limit` is zip64_limit; the tests lower
// it to see the zip64 forms without writing gigabytes.
template <class Sink>
class npz_writer {
 public:
  npz_writer(Sink& sink, std::string context, std::uint64_t limit)
      : sink_(sink), context_(std::move(context)), limit_(limit) {}

  void add(const std::string& key, const StateEntry& entry) {
    const std::string name = member_name(key);
    const npy_encoded npy = npy_encode(entry, context_ + ": the array '" + key + "'");
    const std::string_view header = npy.header();
    const std::uint32_t crc =
        crc32(crc32(0, std::as_bytes(std::span<const char>(header.data(), header.size()))), npy.data());
    const Member member{name, crc, npy.size(), position_};
    const std::string local = local_header(member);
    sink_.write(local);
    sink_.write(header);
    sink_.write(npy.data());
    position_ += local.size() + member.size;
    members_.push_back(member);
  }

  void finish() {
    const std::uint64_t directory_at = position_;
    for (const Member& m : members_) {
      const std::string entry = central_entry(m);
      sink_.write(entry);
      position_ += entry.size();
    }
    sink_.write(end_records(directory_at, position_ - directory_at));
  }

 private:
  struct Member {
    std::string name;
    std::uint32_t crc;
    std::uint64_t size, offset;
  };

  [[noreturn]] void fail(const std::string& what) const { throw io_error(context_ + ": " + what); }

  std::string member_name(const std::string& key) const {
    if (key.empty()) fail("an array has an empty name (np.load would list it as '')");
    if (key.find('\0') != std::string::npos) fail("the name of the array '" + key + "' holds a NUL byte");
    std::string name = key + ".npy";
    if (name.size() > 0xffff)
      fail("the name of the array '" + key.substr(0, 40) + "...' is over ZIP's 64 KiB");
    return name;
  }

  // Python's zipfile marks a name that is not ASCII as UTF-8.
  static std::uint16_t flags(std::string_view name) {
    const bool ascii = std::all_of(name.begin(), name.end(), [](char c) { return (c & 0x80) == 0; });
    return ascii ? 0 : zip_flag_utf8;
  }

  // The 32-bit size field, or the marker when the zip64 field holds it.
  std::uint64_t size32(std::uint64_t v) const { return v > limit_ ? zip_marker32 : v; }

  // np.savez forces the zip64 extra field into every local header.
  std::string local_header(const Member& m) const {
    std::string h;
    zip_put(h, zip_local_signature, 4);
    zip_put(h, m.size > limit_ ? zip64_version : zip_version, 2);
    zip_put(h, flags(m.name), 2);
    zip_put(h, zip_stored, 2);
    zip_put(h, 0, 2);  // 00:00:00
    zip_put(h, zip_date_1980_01_01, 2);
    zip_put(h, m.crc, 4);
    zip_put(h, size32(m.size), 4);  // compressed size
    zip_put(h, size32(m.size), 4);  // size
    zip_put(h, m.name.size(), 2);
    zip_put(h, 4 + 16, 2);  // the extra field's length
    h += m.name;
    zip_put(h, zip64_extra_id, 2);
    zip_put(h, 16, 2);
    zip_put(h, m.size, 8);
    zip_put(h, m.size, 8);
    return h;
  }

  std::string central_entry(const Member& m) const {
    std::vector<std::uint64_t> zip64;  // the zip64 field's values, in the order ZIP fixes
    if (m.size > limit_) zip64.insert(zip64.end(), {m.size, m.size});
    if (m.offset > limit_) zip64.push_back(m.offset);
    const std::uint16_t version = zip64.empty() ? zip_version : zip64_version;

    std::string e;
    zip_put(e, zip_central_signature, 4);
    zip_put(e, zip_made_on_unix | version, 2);
    zip_put(e, version, 2);
    zip_put(e, flags(m.name), 2);
    zip_put(e, zip_stored, 2);
    zip_put(e, 0, 2);
    zip_put(e, zip_date_1980_01_01, 2);
    zip_put(e, m.crc, 4);
    zip_put(e, size32(m.size), 4);
    zip_put(e, size32(m.size), 4);
    zip_put(e, m.name.size(), 2);
    zip_put(e, zip64.empty() ? 0 : 4 + 8 * zip64.size(), 2);
    zip_put(e, 0, 2);  // comment
    zip_put(e, 0, 2);  // disk
    zip_put(e, 0, 2);  // internal attributes
    zip_put(e, zip_external_attributes, 4);
    zip_put(e, size32(m.offset), 4);
    e += m.name;
    if (!zip64.empty()) {
      zip_put(e, zip64_extra_id, 2);
      zip_put(e, 8 * zip64.size(), 2);
      for (const std::uint64_t v : zip64) zip_put(e, v, 8);
    }
    return e;
  }

  // The end record, after the zip64 end record and its locator when the
  // count, size or offset of the central directory need them.
  std::string end_records(std::uint64_t directory_at, std::uint64_t directory_size) const {
    std::uint64_t count = members_.size();
    std::string r;
    if (count > zip_member_limit || directory_at > limit_ || directory_size > limit_) {
      const std::uint64_t record_at = directory_at + directory_size;
      zip_put(r, zip64_end_signature, 4);
      zip_put(r, zip64_end_size - 12, 8);  // the record's size after this field
      zip_put(r, zip64_version, 2);        // made by
      zip_put(r, zip64_version, 2);        // needed
      zip_put(r, 0, 4);                    // this disk
      zip_put(r, 0, 4);                    // the central directory's disk
      zip_put(r, count, 8);                // entries on this disk
      zip_put(r, count, 8);                // entries
      zip_put(r, directory_size, 8);
      zip_put(r, directory_at, 8);
      zip_put(r, zip64_locator_signature, 4);
      zip_put(r, 0, 4);  // the zip64 end record's disk
      zip_put(r, record_at, 8);
      zip_put(r, 1, 4);  // disks
      count = std::min(count, zip_marker16);
      directory_size = std::min(directory_size, zip_marker32);
      directory_at = std::min(directory_at, zip_marker32);
    }
    zip_put(r, zip_end_signature, 4);
    zip_put(r, 0, 2);  // this disk
    zip_put(r, 0, 2);  // the central directory's disk
    zip_put(r, count, 2);
    zip_put(r, count, 2);
    zip_put(r, directory_size, 4);
    zip_put(r, directory_at, 4);
    zip_put(r, 0, 2);  // comment
    return r;
  }

  Sink& sink_;
  std::string context_;
  std::uint64_t limit_;
  std::uint64_t position_ = 0;
  std::vector<Member> members_;
};

template <class Sink>
void npz_write(Sink& sink, const StateDict& arrays, const std::string& context, std::uint64_t limit) {
  npz_writer<Sink> writer(sink, context, limit);
  for (const auto& [key, entry] : arrays) writer.add(key, entry);
  writer.finish();
}

// The bytes of an archive, with zip64 forms past `limit`.
inline std::vector<std::byte> npz_bytes(const StateDict& arrays, std::uint64_t limit) {
  npz_memory_sink sink;
  npz_write(sink, arrays, "modyn::io::to_npz", limit);
  return sink.take();
}

// ---------------------------------------------------------------- reading

// The two places an archive is read from, with one interface: bytes in
// memory and an open file. read(at, n, buffer) returns the n bytes at `at`,
// which the reader has checked lie in the file; a file fills `buffer`.
class npz_memory_source {
 public:
  explicit npz_memory_source(std::span<const std::byte> bytes) : bytes_(bytes) {}
  std::uint64_t size() const noexcept { return bytes_.size(); }
  std::span<const std::byte> read(std::uint64_t at, std::size_t n, std::vector<std::byte>&) const {
    return bytes_.subspan(static_cast<std::size_t>(at), n);
  }

 private:
  std::span<const std::byte> bytes_;
};

class npz_file_source {
 public:
  npz_file_source(const std::filesystem::path& path, std::string context) : context_(std::move(context)) {
    size_ = open_for_reading(in_, path, context_);
  }

  std::uint64_t size() const noexcept { return size_; }

  std::span<const std::byte> read(std::uint64_t at, std::size_t n, std::vector<std::byte>& buffer) {
    buffer.resize(n);
    in_.seekg(static_cast<std::streamoff>(at));
    in_.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(n));
    if (!in_ || static_cast<std::size_t>(in_.gcount()) != n) {
      fail("reading " + std::to_string(n) + " bytes at " + zip_byte(at) + " failed");
    }
    return buffer;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw io_error(context_ + ": " + what); }

  std::string context_;
  std::ifstream in_;
  std::uint64_t size_ = 0;
};

// Where the central directory is, from the end records.
struct zip_end {
  std::uint64_t count;         // members
  std::uint64_t directory_at;  // the central directory's offset
  std::uint64_t directory_size;
  std::uint64_t records_at;  // the first end record (zip64 or not): the central directory ends there
  std::uint64_t end_at;      // the 32-bit end record, for messages
};

// A member as its central directory entry describes it.
struct zip_member {
  std::string name;
  std::uint64_t entry_at;  // the central directory entry
  std::uint16_t flags, method;
  std::uint32_t crc;
  std::uint64_t size, offset;  // offset: of the local header
  std::uint64_t data_at = 0;   // found from the local header
};

// A 32-bit (or 16-bit) field that a zip64 extra field may replace.
struct zip64_field {
  std::uint64_t& value;
  std::uint64_t marker;
  std::size_t bytes;  // in the zip64 field
};

template <class Source>
class npz_reader {
 public:
  npz_reader(Source& source, std::string context) : source_(source), context_(std::move(context)) {}

  StateDict read() {
    const zip_end end = find_end();
    std::vector<zip_member> members = central_directory(end);
    for (zip_member& m : members) m.data_at = data_at(m, end);
    check_overlaps(members);
    StateDict arrays;
    for (const zip_member& m : members)
      arrays.insert_or_assign(m.name.substr(0, m.name.size() - 4), entry(m));
    return arrays;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw io_error(context_ + ": " + what); }

  static std::string member(const zip_member& m) { return "member '" + m.name + "'"; }

  std::span<const std::byte> read(std::uint64_t at, std::size_t n, std::vector<std::byte>& buffer) {
    return source_.read(at, n, buffer);
  }

  // ------------------------------------------------------ the end records

  // The end record lies in the last 22 + 65535 bytes (its comment is at most
  // 65535); the last one whose comment reaches exactly the end of the file
  // is taken, so a signature inside a comment cannot be mistaken for it.
  zip_end find_end() {
    const std::uint64_t size = source_.size();
    if (size < zip_end_size) {
      fail("not a .npz file (a ZIP archive): it has " + std::to_string(size) + " bytes, fewer than the " +
           std::to_string(zip_end_size) + " of the end-of-central-directory record");
    }
    const auto tail_size =
        static_cast<std::size_t>(std::min<std::uint64_t>(size, zip_end_size + zip_max_comment));
    const std::uint64_t tail_at = size - tail_size;
    std::vector<std::byte> buffer;
    const std::span<const std::byte> tail = read(tail_at, tail_size, buffer);
    std::optional<std::size_t> misfit;  // the last signature whose comment does not fit
    for (std::size_t p = tail_size - zip_end_size + 1; p-- > 0;) {
      if (zip_get(tail, p, 4) != zip_end_signature) continue;
      if (p + zip_end_size + zip_get(tail, p + 20, 2) == tail_size) return end_records(tail_at + p);
      if (!misfit) misfit = p;
    }
    if (misfit) {
      const std::uint64_t comment = zip_get(tail, *misfit + 20, 2);
      const std::uint64_t follow = tail_size - *misfit - zip_end_size;
      fail("the end-of-central-directory record at " + zip_byte(tail_at + *misfit) +
           " announces a comment of " + std::to_string(comment) + " bytes, but " + std::to_string(follow) +
           " bytes follow it (" +
           (follow > comment ? "trailing garbage after the archive" : "a truncated file") + ")");
    }
    fail("not a .npz file (a ZIP archive): no end-of-central-directory record in its last " +
         std::to_string(tail_size) + " bytes");
  }

  zip_end end_records(std::uint64_t at) {
    std::vector<std::byte> buffer;
    const std::span<const std::byte> r = read(at, zip_end_size, buffer);
    const std::uint64_t disk = zip_get(r, 4, 2), directory_disk = zip_get(r, 6, 2),
                        on_disk = zip_get(r, 8, 2);
    const zip_end end{zip_get(r, 10, 2), zip_get(r, 16, 4), zip_get(r, 12, 4), at, at};
    const std::string where = "the end-of-central-directory record at " + zip_byte(at);
    if (at >= zip64_locator_size) {
      std::vector<std::byte> locator_buffer;
      const std::uint64_t locator_at = at - zip64_locator_size;
      const std::span<const std::byte> locator = read(locator_at, zip64_locator_size, locator_buffer);
      if (zip_get(locator, 0, 4) == zip64_locator_signature) {
        const auto agrees = [](std::uint64_t narrow, std::uint64_t marker, std::uint64_t wide) {
          return narrow == marker || narrow == wide;
        };
        const zip_end wide = zip64_end_records(locator_at, locator, end.end_at);
        if (!agrees(disk, zip_marker16, 0) || !agrees(directory_disk, zip_marker16, 0) ||
            !agrees(on_disk, zip_marker16, wide.count) || !agrees(end.count, zip_marker16, wide.count) ||
            !agrees(end.directory_size, zip_marker32, wide.directory_size) ||
            !agrees(end.directory_at, zip_marker32, wide.directory_at)) {
          fail(where + " and the zip64 one at " + zip_byte(wide.records_at) + " disagree (members " +
               std::to_string(end.count) + " and " + std::to_string(wide.count) +
               ", central directory at bytes " + std::to_string(end.directory_at) + " and " +
               std::to_string(wide.directory_at) + ", of " + std::to_string(end.directory_size) + " and " +
               std::to_string(wide.directory_size) + " bytes)");
        }
        return wide;
      }
    }
    if (disk != 0 || directory_disk != 0 || on_disk != end.count) {
      fail(where + " describes a multi-disk (split) archive, which load_npz does not read");
    }
    return end;
  }

  zip_end zip64_end_records(std::uint64_t locator_at, std::span<const std::byte> locator,
                            std::uint64_t end_at) {
    const std::string where = "the zip64 end-of-central-directory locator at " + zip_byte(locator_at);
    const std::uint64_t record_at = zip_get(locator, 8, 8);
    if (zip_get(locator, 4, 4) != 0 || zip_get(locator, 16, 4) > 1) {
      fail(where + " describes a multi-disk (split) archive, which load_npz does not read");
    }
    if (record_at > locator_at || locator_at - record_at < zip64_end_size) {
      fail(where + " points to " + zip_byte(record_at) + ", where no zip64 end record of " +
           std::to_string(zip64_end_size) + " bytes fits before the locator");
    }
    std::vector<std::byte> buffer;
    const std::span<const std::byte> r = read(record_at, zip64_end_size, buffer);
    const std::string record = "the zip64 end-of-central-directory record at " + zip_byte(record_at);
    if (zip_get(r, 0, 4) != zip64_end_signature) {
      fail(where + " points to " + zip_byte(record_at) + ", which holds no zip64 end record (no signature)");
    }
    // The locator follows the record and its extensible data directly.
    if (zip_get(r, 4, 8) != locator_at - record_at - 12) {
      fail(record + " gives its size as " + std::to_string(zip_get(r, 4, 8)) +
           " bytes, but the locator follows " + std::to_string(locator_at - record_at - 12) +
           " bytes after that field");
    }
    const std::uint64_t count = zip_get(r, 32, 8);
    if (zip_get(r, 16, 4) != 0 || zip_get(r, 20, 4) != 0 || zip_get(r, 24, 8) != count) {
      fail(record + " describes a multi-disk (split) archive, which load_npz does not read");
    }
    return {count, zip_get(r, 48, 8), zip_get(r, 40, 8), record_at, end_at};
  }

  // ------------------------------------------------ the central directory

  std::vector<zip_member> central_directory(const zip_end& end) {
    const std::string where = "the central directory (at " + zip_byte(end.directory_at) + ", " +
                              std::to_string(end.directory_size) + " bytes, by the end record at " +
                              zip_byte(end.end_at) + ")";
    // It must end where the end records start: not past them (a truncated
    // file or a bad offset), and not before (bytes that belong to nothing).
    if (end.directory_at > end.records_at || end.directory_size > end.records_at - end.directory_at) {
      fail(where + " runs past " + zip_byte(end.records_at) +
           ", where the end records start (a truncated file, or a bad offset or size?)");
    }
    if (end.directory_size != end.records_at - end.directory_at) {
      fail(where + " ends at " + zip_byte(end.directory_at + end.directory_size) + ", " +
           std::to_string(end.records_at - end.directory_at - end.directory_size) +
           " bytes before the end records at " + zip_byte(end.records_at) +
           " (bytes that belong to nothing)");
    }
    if (end.count > end.directory_size / zip_central_size) {
      fail(where + " cannot hold the " + std::to_string(end.count) + " members the end record announces (" +
           std::to_string(zip_central_size) + " bytes or more each)");
    }
    std::vector<std::byte> buffer;
    const std::span<const std::byte> directory =
        read(end.directory_at, static_cast<std::size_t>(end.directory_size), buffer);

    std::vector<zip_member> members;
    std::unordered_map<std::string, std::uint64_t> seen;  // name -> its entry's offset
    std::size_t pos = 0;
    for (std::uint64_t i = 0; i < end.count; ++i) {
      zip_member m = central_entry(directory, pos, end, i);
      if (const auto [it, fresh] = seen.emplace(m.name, m.entry_at); !fresh) {
        fail("the member '" + m.name + "' appears twice in the central directory (entries at bytes " +
             std::to_string(it->second) + " and " + std::to_string(m.entry_at) + ")");
      }
      members.push_back(std::move(m));
    }
    if (pos != directory.size()) {
      fail(std::to_string(directory.size() - pos) + " bytes follow the last central directory entry, from " +
           zip_byte(end.directory_at + pos) + " (the end record announces " + std::to_string(end.count) +
           " members)");
    }
    return members;
  }

  // The entry at directory[pos], which it moves past.
  zip_member central_entry(std::span<const std::byte> directory, std::size_t& pos, const zip_end& end,
                           std::uint64_t index) {
    const std::uint64_t at = end.directory_at + pos;
    const std::string which = "member " + std::to_string(index + 1) + " of " + std::to_string(end.count);
    if (directory.size() - pos < zip_central_size) {
      fail("the central directory ends inside the entry of " + which + ", at " + zip_byte(at));
    }
    const std::span<const std::byte> e = directory.subspan(pos);
    if (zip_get(e, 0, 4) != zip_central_signature) {
      fail("no central directory entry at " + zip_byte(at) + " (" + which + "): the signature is missing");
    }
    const std::size_t name_size = zip_get(e, 28, 2), extra_size = zip_get(e, 30, 2),
                      comment_size = zip_get(e, 32, 2);
    if (e.size() - zip_central_size < name_size + extra_size + comment_size) {
      fail("the central directory entry at " + zip_byte(at) + " (" + which +
           ") runs past the central directory");
    }
    const auto* name = reinterpret_cast<const char*>(e.data() + zip_central_size);
    zip_member m{std::string(name, name_size),
                 at,
                 static_cast<std::uint16_t>(zip_get(e, 8, 2)),
                 static_cast<std::uint16_t>(zip_get(e, 10, 2)),
                 static_cast<std::uint32_t>(zip_get(e, 16, 4)),
                 zip_get(e, 24, 4),
                 zip_get(e, 42, 4)};
    std::uint64_t compressed = zip_get(e, 20, 4), disk = zip_get(e, 34, 2);
    const std::string where = member(m) + " (central directory entry at " + zip_byte(at) + ")";
    std::array<zip64_field, 4> wide{{{m.size, zip_marker32, 8},
                                     {compressed, zip_marker32, 8},
                                     {m.offset, zip_marker32, 8},
                                     {disk, zip_marker16, 4}}};
    read_zip64(e.subspan(zip_central_size + name_size, extra_size), at + zip_central_size + name_size, where,
               wide);
    pos += zip_central_size + name_size + extra_size + comment_size;

    if (m.flags & zip_flag_encrypted) fail(where + ": it is encrypted, which load_npz does not read");
    if (m.method == zip_deflated) {
      fail(where +
           ": it is compressed (deflate), as np.savez_compressed writes; load_npz reads the stored members "
           "np.savez writes: save with np.savez");
    }
    if (m.method != zip_stored) {
      fail(where + ": compression method " + std::to_string(m.method) +
           "; load_npz reads stored members (method 0) only");
    }
    if (compressed != m.size) {
      fail(where + ": a stored member, but its compressed size (" + std::to_string(compressed) +
           " bytes) is not its size (" + std::to_string(m.size) + ")");
    }
    if (disk != 0) fail(where + ": it starts on disk " + std::to_string(disk) + " of a multi-disk archive");
    if (m.name.size() <= 4 || !m.name.ends_with(".npy")) {
      fail(where + ": the name is not '<array name>.npy' (np.savez stores each array so)");
    }
    return m;
  }

  // Replaces the fields that hold their marker with the values of the zip64
  // extra field, which holds them in the order given, and only those. Every
  // extra field must lie within `extra`.
  template <std::size_t N>
  void read_zip64(std::span<const std::byte> extra, std::uint64_t extra_at, const std::string& where,
                  std::array<zip64_field, N>& fields) const {
    std::optional<std::span<const std::byte>> zip64;
    std::uint64_t zip64_at = 0;
    // Like Python's zipfile, up to 3 bytes left over after the last field
    // are padding.
    for (std::size_t pos = 0; extra.size() - pos >= 4;) {
      const std::size_t id = zip_get(extra, pos, 2), size = zip_get(extra, pos + 2, 2);
      if (size > extra.size() - pos - 4) {
        fail(where + ": the extra field at " + zip_byte(extra_at + pos) + " gives its size as " +
             std::to_string(size) + " bytes, but " + std::to_string(extra.size() - pos - 4) + " remain");
      }
      if (id == zip64_extra_id && !zip64) {
        zip64 = extra.subspan(pos + 4, size);
        zip64_at = extra_at + pos;
      }
      pos += 4 + size;
    }
    std::size_t used = 0;
    for (zip64_field& f : fields) {
      if (f.value != f.marker) continue;
      if (!zip64)
        fail(where + ": a field holds the zip64 marker " + zip_hex(f.marker) +
             ", but there is no zip64 extra field");
      if (zip64->size() - used < f.bytes) {
        fail(where + ": the zip64 extra field at " + zip_byte(zip64_at) + " has " +
             std::to_string(zip64->size()) + " bytes, too few for the fields that hold the zip64 marker");
      }
      f.value = zip_get(*zip64, used, f.bytes);
      used += f.bytes;
    }
  }

  // ------------------------------------------------------ the members

  // Checks the local header against the central directory entry; returns
  // where the data start.
  std::uint64_t data_at(const zip_member& m, const zip_end& end) {
    const std::string where = member(m) + " (local header at " + zip_byte(m.offset) + ")";
    // Members lie before the central directory.
    if (m.offset > end.directory_at || end.directory_at - m.offset < zip_local_size) {
      fail(member(m) + ": its central directory entry (at " + zip_byte(m.entry_at) +
           ") places its local header at " + zip_byte(m.offset) +
           ", past the members, which end at the central directory at " + zip_byte(end.directory_at));
    }
    std::vector<std::byte> buffer;
    const std::span<const std::byte> h = read(m.offset, zip_local_size, buffer);
    if (zip_get(h, 0, 4) != zip_local_signature) {
      fail(member(m) + ": no local header at " + zip_byte(m.offset) +
           ", where its central directory entry (at " + zip_byte(m.entry_at) + ") points");
    }
    const auto flags = static_cast<std::uint16_t>(zip_get(h, 6, 2));
    const std::uint64_t method = zip_get(h, 8, 2), crc = zip_get(h, 14, 4);
    std::uint64_t compressed = zip_get(h, 18, 4), size = zip_get(h, 22, 4);
    const std::size_t name_size = zip_get(h, 26, 2), extra_size = zip_get(h, 28, 2);
    const std::uint64_t after_header = m.offset + zip_local_size;
    if (end.directory_at - after_header < name_size + extra_size) {
      fail(where + ": its name and extra field run into the central directory at " +
           zip_byte(end.directory_at));
    }
    std::vector<std::byte> tail_buffer;
    const std::span<const std::byte> tail = read(after_header, name_size + extra_size, tail_buffer);
    const std::string name(reinterpret_cast<const char*>(tail.data()), name_size);
    if (name != m.name) {
      fail(where + ": the local header names '" + name + "', its central directory entry (at " +
           zip_byte(m.entry_at) + ") '" + m.name + "'");
    }
    if (flags != m.flags || method != m.method) {
      fail(where + ": the local header gives flags " + zip_hex(flags) + " and method " +
           std::to_string(method) + ", the central directory flags " + zip_hex(m.flags) + " and method " +
           std::to_string(m.method));
    }
    // With a data descriptor, the CRC and sizes follow the data; the
    // central directory has them.
    if (!(flags & zip_flag_data_descriptor)) {
      std::array<zip64_field, 2> wide{{{size, zip_marker32, 8}, {compressed, zip_marker32, 8}}};
      read_zip64(tail.subspan(name_size), after_header + name_size, where, wide);
      if (crc != m.crc || size != m.size || compressed != m.size) {
        fail(where + ": the local header gives CRC-32 " + zip_hex(crc) + " and sizes " +
             std::to_string(compressed) + " and " + std::to_string(size) + ", the central directory (at " +
             zip_byte(m.entry_at) + ") " + zip_hex(m.crc) + " and " + std::to_string(m.size));
      }
    }
    const std::uint64_t data = after_header + name_size + extra_size;
    if (m.size > end.directory_at - data) {
      fail(where + ": its " + std::to_string(m.size) + " bytes of data from " + zip_byte(data) +
           " run past the start of the central directory at " + zip_byte(end.directory_at) +
           " (a truncated file, or a bad size?)");
    }
    return data;
  }

  // Members overlapping each other are a malformed archive (or a "zip
  // bomb"); gaps between them are allowed (data descriptors leave some).
  void check_overlaps(const std::vector<zip_member>& members) const {
    std::vector<const zip_member*> by_offset;
    for (const zip_member& m : members) by_offset.push_back(&m);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const zip_member* a, const zip_member* b) { return a->offset < b->offset; });
    for (std::size_t i = 1; i < by_offset.size(); ++i) {
      const zip_member& a = *by_offset[i - 1];
      const zip_member& b = *by_offset[i];
      if (b.offset < a.data_at + a.size) {
        fail(member(a) + " (bytes " + std::to_string(a.offset) + " to " + std::to_string(a.data_at + a.size) +
             ") and " + member(b) + " (from " + zip_byte(b.offset) + ") overlap");
      }
    }
  }

  StateEntry entry(const zip_member& m) {
    std::vector<std::byte> buffer;
    const std::span<const std::byte> data = read(m.data_at, static_cast<std::size_t>(m.size), buffer);
    const std::uint32_t crc = crc32(0, data);
    if (crc != m.crc) {
      fail(member(m) + ": CRC-32 mismatch: its " + std::to_string(m.size) + " bytes of data at " +
           zip_byte(m.data_at) + " have " + zip_hex(crc) + ", the central directory (at " +
           zip_byte(m.entry_at) + ") says " + zip_hex(m.crc) + " (a corrupt file)");
    }
    return npy_decode(data, context_ + ": " + member(m) + " (data at " + zip_byte(m.data_at) + ")", "member");
  }

  Source& source_;
  std::string context_;
};

inline std::string npz_load_context(std::string_view name) {
  return "modyn::io::load_npz: '" + std::string(name) + "'";
}

// The elements of dict[key], which must hold T at rank `rank`.
template <HasDType T>
std::vector<T> npz_record_values(const StateDict& dict, const std::string& key, std::size_t rank) {
  const StateEntry& e = dict.at(key);
  const std::string who = "modyn::io::spike_record_from: '" + key + "'";
  if (!e.holds<T>()) {
    throw type_error(who + " holds " + std::string(to_string(e.dtype())) + ", not " +
                     std::string(to_string(dtype_v<T>)));
  }
  if (e.rank() != rank) {
    throw shape_error(who + " has shape " + e.shape().to_string() + ", not one of rank " +
                      std::to_string(rank));
  }
  std::vector<T> values(e.size());
  if (!values.empty()) std::memcpy(values.data(), e.bytes().data(), e.bytes().size());
  return values;
}

template <HasDType T>
StateEntry npz_record_entry(const Shape& shape, std::span<const T> values) {
  return StateEntry(dtype_v<T>, shape, std::as_bytes(values));
}

}  // namespace detail

// ---------------------------------------------------------------- public

/// The bytes of the .npz archive of `arrays` (in its order), as np.savez
/// writes them. Throws io_error for a bfloat16 entry (numpy has no bfloat16)
/// and for an empty name.
inline std::vector<std::byte> to_npz(const StateDict& arrays) {
  return detail::npz_bytes(arrays, detail::zip64_limit);
}

/// The arrays of an .npz archive held in memory, in its central directory's
/// order, each under its member's name less ".npy"; `name` names the archive
/// in messages.
inline StateDict from_npz(std::span<const std::byte> file, std::string_view name = "<memory>") {
  detail::npz_memory_source source(file);
  return detail::npz_reader<detail::npz_memory_source>(source, detail::npz_load_context(name)).read();
}

/// Writes `arrays` to `path` as an .npz archive, atomically: np.load(path)
/// gives a dict-like NpzFile with one array per key.
inline void save_npz(const std::filesystem::path& path, const StateDict& arrays) {
  const std::string context = "modyn::io::save_npz: '" + path.string() + "'";
  write_file_atomically(
      path, [&](FileWriter& out) { detail::npz_write(out, arrays, context, detail::zip64_limit); },
      "modyn::io::save_npz");
}

/// The arrays of an .npz archive (np.savez's, or save_npz's), in its order.
inline StateDict load_npz(const std::filesystem::path& path) {
  const std::string context = detail::npz_load_context(path.string());
  detail::npz_file_source source(path, context);
  return detail::npz_reader<detail::npz_file_source>(source, context).read();
}

// ---------------------------------------------------------------- spike records

/// Adds a SpikeRecord to `dict` as the arrays an archive holds, under
/// "<name>.": steps and indices (int64, (K,), the events), shape (int64,
/// (rank,), the monitored State's), num_steps (int64, ()), t0 and dt
/// (float64, (), ms). In numpy:
/// @code
///   run = np.load("run.npz")
///   times = run["spikes.t0"] + run["spikes.steps"] * run["spikes.dt"]
/// @endcode
inline void insert_spike_record(StateDict& dict, const std::string& name, const SpikeRecord& record) {
  if (record.steps.size() != record.indices.size()) {
    throw shape_error("modyn::io::insert_spike_record: '" + name + "': the SpikeRecord has " +
                      std::to_string(record.steps.size()) + " steps but " +
                      std::to_string(record.indices.size()) + " indices");
  }
  using detail::npz_record_entry;
  const std::vector<std::int64_t> shape(record.shape.begin(), record.shape.end());
  const auto num_steps = static_cast<std::int64_t>(record.num_steps);
  dict.insert_or_assign(name + ".steps",
                        npz_record_entry(Shape{record.steps.size()}, std::span(record.steps)));
  dict.insert_or_assign(name + ".indices",
                        npz_record_entry(Shape{record.indices.size()}, std::span(record.indices)));
  dict.insert_or_assign(name + ".shape", npz_record_entry(Shape{shape.size()}, std::span(shape)));
  dict.insert_or_assign(name + ".num_steps", npz_record_entry(Shape{}, std::span(&num_steps, 1)));
  dict.insert_or_assign(name + ".t0", npz_record_entry(Shape{}, std::span(&record.t0, 1)));
  dict.insert_or_assign(name + ".dt", npz_record_entry(Shape{}, std::span(&record.dt, 1)));
}

/// The SpikeRecord insert_spike_record stored under `name`. "<name>.steps"
/// and "<name>.indices" must be there (key_error); shape, num_steps, t0 and
/// dt keep their defaults where absent (an archive written in Python may hold
/// only the events). A dtype or rank other than insert_spike_record's is a
/// type_error or shape_error naming the key.
inline SpikeRecord spike_record_from(const StateDict& dict, std::string_view name) {
  using detail::npz_record_values;
  const std::string prefix(name);
  SpikeRecord record;
  record.steps = npz_record_values<std::int64_t>(dict, prefix + ".steps", 1);
  record.indices = npz_record_values<std::int64_t>(dict, prefix + ".indices", 1);
  if (record.steps.size() != record.indices.size()) {
    throw shape_error("modyn::io::spike_record_from: '" + prefix +
                      "': " + std::to_string(record.steps.size()) + " steps but " +
                      std::to_string(record.indices.size()) + " indices");
  }
  if (dict.contains(prefix + ".shape")) {
    const std::vector<std::int64_t> extents = npz_record_values<std::int64_t>(dict, prefix + ".shape", 1);
    if (extents.size() > Shape::max_rank ||
        std::any_of(extents.begin(), extents.end(), [](auto e) { return e < 0; })) {
      throw shape_error("modyn::io::spike_record_from: '" + prefix +
                        ".shape' is not a shape of rank at most " + std::to_string(Shape::max_rank) +
                        " with non-negative extents");
    }
    const std::vector<std::size_t> sizes(extents.begin(), extents.end());
    record.shape = Shape(std::span<const std::size_t>(sizes));
  }
  if (dict.contains(prefix + ".num_steps")) {
    const std::int64_t steps = npz_record_values<std::int64_t>(dict, prefix + ".num_steps", 0)[0];
    if (steps < 0) throw shape_error("modyn::io::spike_record_from: '" + prefix + ".num_steps' is negative");
    record.num_steps = static_cast<std::size_t>(steps);
  }
  if (dict.contains(prefix + ".t0")) record.t0 = npz_record_values<double>(dict, prefix + ".t0", 0)[0];
  if (dict.contains(prefix + ".dt")) record.dt = npz_record_values<double>(dict, prefix + ".dt", 0)[0];
  return record;
}

}  // namespace modyn::io
