// save_npz / load_npz: the bytes np.savez writes (an archive Python's zipfile
// wrote, spelled out field by field), round trips of every dtype, the zip64
// forms, archives of other ZIP writers, SpikeRecord entries, one crafted
// archive per error load_npz reports, atomic writes, and archives exchanged
// with numpy itself (/usr/bin/python3 with numpy, from scripts/setup-deps:
// without it the test fails).
#include "modyn/io/npz.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modyn/core/tensor_print.hpp"  // so that Catch prints tensors on failure
#include "support/files.hpp"
#include "support/helpers.hpp"
#include "support/temp_dir.hpp"

using Catch::Matchers::Contains;
using modyn::DType;
using modyn::Shape;
using modyn::SpikeRecord;
using modyn::StateDict;
using modyn::StateEntry;
using modyn::Tensor;
using modyn_test::bytes_of;
using modyn_test::message_of;
using modyn_test::read_file;
using modyn_test::require_system_numpy;
using modyn_test::run_system_python;
using modyn_test::sample_entry;
using modyn_test::TempDir;
using modyn_test::text_of;
using modyn_test::with_file_size_limit;
using modyn_test::write_file;
namespace io = modyn::io;
namespace fs = std::filesystem;

namespace {

// n little-endian bytes of v, and the field of archive bytes that holds one.
std::string le(std::uint64_t v, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}
std::uint64_t field(const std::string& bytes, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = v << 8 | static_cast<unsigned char>(bytes.at(at + i));
  return v;
}
void set_field(std::string& bytes, std::size_t at, std::uint64_t v, std::size_t n) {
  bytes.replace(at, n, le(v, n));
}

std::uint32_t crc_of(std::string_view s) { return io::detail::crc32(0, bytes_of(s)); }

std::string npy_of(const StateEntry& e) { return text_of(io::to_npy(e)); }

// A plain ZIP archive of stored members, as most ZIP writers make it (no
// zip64 extra fields, version 1.0, a file comment): a writer independent of
// save_npz's, for the reader's tests. A member may have a data descriptor
// (CRC and sizes after its data) or extra fields of another kind.
struct RawMember {
  std::string name;
  std::string data;
  bool descriptor = false;
  std::string extra = "";
};

std::string raw_local_header(const RawMember& m) {
  const bool d = m.descriptor;
  return "PK\x03\x04" + le(10, 2) + le(d ? 8 : 0, 2) + le(0, 2) + le(0x6000, 2) + le(0x5821, 2) +
         le(d ? 0 : crc_of(m.data), 4) + le(d ? 0 : m.data.size(), 4) + le(d ? 0 : m.data.size(), 4) +
         le(m.name.size(), 2) + le(m.extra.size(), 2) + m.name + m.extra;
}

std::string raw_central_entry(const RawMember& m, std::uint64_t offset) {
  return "PK\x01\x02" + le(0x031e, 2) + le(10, 2) + le(m.descriptor ? 8 : 0, 2) + le(0, 2) + le(0x6000, 2) +
         le(0x5821, 2) + le(crc_of(m.data), 4) + le(m.data.size(), 4) + le(m.data.size(), 4) +
         le(m.name.size(), 2) + le(m.extra.size(), 2) + le(0, 2) + le(0, 2) + le(1, 2) + le(0x81a40000, 4) +
         le(offset, 4) + m.name + m.extra;
}

std::string raw_end_record(std::size_t count, std::size_t directory_size, std::size_t directory_at,
                           std::string_view comment = "") {
  return "PK\x05\x06" + le(0, 2) + le(0, 2) + le(count, 2) + le(count, 2) + le(directory_size, 4) +
         le(directory_at, 4) + le(comment.size(), 2) + std::string(comment);
}

std::string zip_of(const std::vector<RawMember>& members, std::string_view comment = "") {
  std::string out, directory;
  for (const RawMember& m : members) {
    directory += raw_central_entry(m, out.size());
    out += raw_local_header(m) + m.data;
    if (m.descriptor)
      out += "PK\x07\x08" + le(crc_of(m.data), 4) + le(m.data.size(), 4) + le(m.data.size(), 4);
  }
  return out + directory + raw_end_record(members.size(), directory.size(), out.size(), comment);
}

// The archive of the byte-level tests: the arrays of
//   np.savez(f, x=np.arange(3, dtype=np.int32), y=np.float32(1.5))
StateDict two_arrays() {
  StateDict d;
  d.insert_or_assign("x", Tensor<std::int32_t>{0, 1, 2});
  d.insert_or_assign("y", Tensor<float>(Shape{}, {1.5f}));
  return d;
}

// Where its parts lie: each local header is 30 bytes, the 5 of the name and
// the 20 of the zip64 extra field; x's .npy file is 128 + 12 bytes, y's
// 128 + 4; each central directory entry 46 + 5.
constexpr std::size_t x_local = 0, x_data = 55, y_local = 195, y_data = 250, x_entry = 382, y_entry = 433,
                      end_at = 484, archive_size = 506;

std::string two_archive() { return text_of(io::to_npz(two_arrays())); }

std::string load_error(const std::string& archive) {
  return message_of<modyn::io_error>([&] { (void)io::from_npz(bytes_of(archive), "bad.npz"); });
}

Tensor<bool> bools(std::initializer_list<bool> values, Shape shape) {
  Tensor<bool> x = Tensor<bool>::empty(shape);
  std::copy(values.begin(), values.end(), x.data());
  return x;
}

// 1.0, -2.0, 0.5 and infinity in half precision.
StateEntry half_entry() {
  return StateEntry(DType::float16, Shape{4}, bytes_of(std::string("\x00\x3c\x00\xc0\x00\x38\x00\x7c", 8)));
}

}  // namespace

TEST_CASE("crc32 is the CRC-32 of ZIP", "[npz]") {
  using io::detail::crc32;
  CHECK(crc32(0, {}) == 0);
  CHECK(crc_of("123456789") == 0xcbf43926u);  // the standard's check value
  CHECK(crc_of("The quick brown fox jumps over the lazy dog") == 0x414fa339u);
  // It continues over pieces.
  CHECK(crc32(crc_of("12345"), bytes_of("6789")) == 0xcbf43926u);
  static_assert(io::detail::crc32_table[1] == 0x77073096u);
}

TEST_CASE("save_npz writes the bytes np.savez writes", "[npz]") {
  // The archive np.savez(f, x=np.arange(3, dtype=np.int32), y=np.float32(1.5))
  // wrote with numpy 1.24 and Python 3.11, field by field.
  const StateDict arrays = two_arrays();
  const std::string x_npy = npy_of(arrays.at("x")), y_npy = npy_of(arrays.at("y"));
  REQUIRE(x_npy.size() == 140);
  REQUIRE(y_npy.size() == 132);
  const std::string local_x = std::string(
                                  "PK\x03\x04"
                                  "\x14\x00"           // version needed: 2.0
                                  "\x00\x00"           // flags
                                  "\x00\x00"           // stored
                                  "\x00\x00\x21\x00"   // 1980-01-01 00:00:00
                                  "\x02\xec\xbd\xa9"   // CRC-32
                                  "\x8c\x00\x00\x00"   // compressed size: 140
                                  "\x8c\x00\x00\x00"   // size
                                  "\x05\x00\x14\x00",  // name and extra field lengths
                                  30) +
                              "x.npy" +
                              std::string(
                                  "\x01\x00\x10\x00"  // zip64 extra field: 16 bytes
                                  "\x8c\x00\x00\x00\x00\x00\x00\x00"
                                  "\x8c\x00\x00\x00\x00\x00\x00\x00",
                                  20);
  const std::string local_y =
      std::string(
          "PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00\x25\x13\xe6\x5d\x84\x00\x00\x00\x84\x00"
          "\x00\x00\x05\x00\x14\x00",
          30) +
      "y.npy" +
      std::string("\x01\x00\x10\x00\x84\x00\x00\x00\x00\x00\x00\x00\x84\x00\x00\x00\x00\x00\x00\x00", 20);
  const std::string central_x = std::string(
                                    "PK\x01\x02"
                                    "\x14\x03"          // made by: 2.0, Unix
                                    "\x14\x00"          // needed: 2.0
                                    "\x00\x00\x00\x00"  // flags, stored
                                    "\x00\x00\x21\x00"  // time, date
                                    "\x02\xec\xbd\xa9"  // CRC-32
                                    "\x8c\x00\x00\x00\x8c\x00\x00\x00"
                                    "\x05\x00\x00\x00\x00\x00"  // name, extra, comment lengths
                                    "\x00\x00\x00\x00"          // disk, internal attributes
                                    "\x00\x00\x80\x01"          // rw------- regular file
                                    "\x00\x00\x00\x00",         // local header at byte 0
                                    46) +
                                "x.npy";
  const std::string central_y =
      std::string(
          "PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00\x25\x13\xe6\x5d\x84\x00\x00\x00"
          "\x84\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\xc3\x00\x00\x00",
          46) +
      "y.npy";
  const std::string end = std::string(
      "PK\x05\x06"
      "\x00\x00\x00\x00"  // disks
      "\x02\x00\x02\x00"  // members
      "\x66\x00\x00\x00"  // central directory: 102 bytes
      "\x7e\x01\x00\x00"  // at byte 382
      "\x00\x00",         // no comment
      22);
  const std::string expected = local_x + x_npy + local_y + y_npy + central_x + central_y + end;
  REQUIRE(expected.size() == archive_size);
  CHECK(two_archive() == expected);

  const TempDir dir;
  io::save_npz(dir / "two.npz", arrays);
  CHECK(read_file(dir / "two.npz") == expected);
  CHECK(io::load_npz(dir / "two.npz") == arrays);
  CHECK(io::load_npz(dir / "two.npz").keys() == std::vector<std::string>{"x", "y"});

  SECTION("an empty dict is an empty archive: the end record alone") {
    io::save_npz(dir / "empty.npz", StateDict{});
    CHECK(read_file(dir / "empty.npz") == std::string("PK\x05\x06", 4) + std::string(18, '\0'));
    CHECK(io::load_npz(dir / "empty.npz").empty());
  }
  SECTION("names that are not ASCII are flagged UTF-8, as Python flags them") {
    StateDict d;
    d.insert_or_assign("\xc3\xbc", Tensor<float>{1.0f});  // "ü"
    const std::string bytes = text_of(io::to_npz(d));
    CHECK(field(bytes, 6, 2) == 0x0800);
    CHECK(bytes.substr(30, 6) == "\xc3\xbc.npy");
    CHECK(io::from_npz(bytes_of(bytes)).keys() == std::vector<std::string>{"\xc3\xbc"});
  }
}

TEST_CASE("every dtype but bfloat16 round trips through .npz", "[npz]") {
  StateDict arrays;
  const Shape shapes[] = {Shape{}, Shape{5}, Shape{2, 3}, Shape{2, 1, 3, 2}, Shape{0}, Shape{2, 0}};
  std::size_t i = 0;
  for (const DType d : modyn::all_dtypes) {
    if (d == DType::bfloat16) continue;
    arrays.insert_or_assign(std::string(to_string(d)), sample_entry(d, shapes[i++ % std::size(shapes)]));
  }
  // Names as the paths of a model's states, and names of other scripts.
  arrays.insert_or_assign("lif.V", sample_entry(DType::float32, Shape{3, 4}));
  arrays.insert_or_assign("layers/0.weight", sample_entry(DType::float64, Shape{2, 2}));
  arrays.insert_or_assign("\xce\xbc", sample_entry(DType::uint16, Shape{3}));  // "μ"

  const StateDict back = io::from_npz(io::to_npz(arrays));
  CHECK(back == arrays);
  CHECK(back.keys() == arrays.keys());
  const TempDir dir;
  io::save_npz(dir / "all.npz", arrays);
  CHECK(io::load_npz(dir / "all.npz") == arrays);
  // The zip64 forms hold the same.
  CHECK(io::from_npz(io::detail::npz_bytes(arrays, 0)) == arrays);
}

TEST_CASE("the zip64 forms, as np.savez writes them past 2 GiB", "[npz][zip64]") {
  // Writing gigabytes is out of a unit test's reach: the writer's limit is
  // lowered to 0, so that every size and offset takes its zip64 form.
  // (numpy itself checks these bytes against np.savez under the same limit,
  // in the test with numpy below.)
  const std::string z = text_of(io::detail::npz_bytes(two_arrays(), 0));
  // Local headers: version 4.5, sizes in the zip64 field only.
  CHECK(field(z, 4, 2) == 45);
  CHECK(field(z, 18, 4) == 0xffffffff);
  CHECK(field(z, 22, 4) == 0xffffffff);
  CHECK(z.substr(35, 4) == std::string("\x01\x00\x10\x00", 4));
  CHECK(field(z, 39, 8) == 140);
  CHECK(field(z, 47, 8) == 140);
  // Central directory entries: x (at byte 0) has its sizes in the zip64
  // field; y (at byte 195) its sizes and offset.
  const std::size_t x = 382, y = x + 46 + 5 + 20;
  CHECK(field(z, x, 4) == 0x02014b50);
  CHECK(field(z, x + 4, 2) == 0x0300 + 45);
  CHECK(field(z, x + 30, 2) == 20);
  CHECK(field(z, x + 42, 4) == 0);
  CHECK(field(z, x + 51 + 4, 8) == 140);
  CHECK(field(z, y, 4) == 0x02014b50);
  CHECK(field(z, y + 30, 2) == 28);
  CHECK(field(z, y + 42, 4) == 0xffffffff);
  CHECK(field(z, y + 51, 4) == (24u << 16 | 1));
  CHECK(field(z, y + 51 + 20, 8) == 195);
  // The zip64 end record and its locator, then the end record.
  const std::size_t record = y + 46 + 5 + 28;
  CHECK(field(z, record, 4) == 0x06064b50);
  CHECK(field(z, record + 4, 8) == 44);
  CHECK(field(z, record + 32, 8) == 2);
  CHECK(field(z, record + 40, 8) == record - x);
  CHECK(field(z, record + 48, 8) == x);
  CHECK(field(z, record + 56, 4) == 0x07064b50);
  CHECK(field(z, record + 64, 8) == record);
  CHECK(field(z, record + 72, 4) == 1);
  CHECK(field(z, record + 76, 4) == 0x06054b50);
  CHECK(z.size() == record + 76 + 22);
  CHECK(io::from_npz(bytes_of(z)) == two_arrays());
}

TEST_CASE("load_npz reads archives of other ZIP writers", "[npz]") {
  const std::string x = npy_of(StateEntry(Tensor<std::int32_t>{0, 1, 2}));
  const std::string y = npy_of(half_entry());
  StateDict expected;
  expected.insert_or_assign("x", Tensor<std::int32_t>{0, 1, 2});
  expected.insert_or_assign("y", half_entry());

  SECTION("no zip64 fields, and a comment") {
    CHECK(io::from_npz(bytes_of(zip_of({{"x.npy", x}, {"y.npy", y}}, "made by hand"))) == expected);
  }
  SECTION("a comment that holds an end record's signature") {
    const std::string comment = std::string("PK\x05\x06", 4) + std::string(40, 'x');
    CHECK(io::from_npz(bytes_of(zip_of({{"x.npy", x}, {"y.npy", y}}, comment))) == expected);
  }
  SECTION("data descriptors: CRC and sizes after the data") {
    CHECK(io::from_npz(bytes_of(zip_of({{"x.npy", x, true}, {"y.npy", y, true}}))) == expected);
  }
  SECTION("extra fields of other kinds") {
    const std::string timestamp = le(0x5455, 2) + le(5, 2) + le(3, 1) + le(0x5f000000, 4);
    CHECK(io::from_npz(bytes_of(zip_of({{"x.npy", x, false, timestamp}, {"y.npy", y}}))) == expected);
  }
  SECTION("an empty archive") { CHECK(io::from_npz(bytes_of(zip_of({}))).empty()); }
}

TEST_CASE("load_npz names the file, the member and the byte of each problem", "[npz]") {
  std::string a = two_archive();
  REQUIRE(a.size() == archive_size);
  REQUIRE(field(a, y_local, 4) == 0x04034b50);
  REQUIRE(field(a, x_entry, 4) == 0x02014b50);
  REQUIRE(field(a, y_entry, 4) == 0x02014b50);
  REQUIRE(field(a, end_at, 4) == 0x06054b50);
  REQUIRE(a.substr(x_data, 6) == "\x93NUMPY");
  REQUIRE(a.substr(y_data, 6) == "\x93NUMPY");
  const auto error = [](const std::string& archive) { return load_error(archive); };

  SECTION("not a ZIP archive") {
    REQUIRE_THAT(error("PK\x05\x06"),
                 Contains("modyn::io::load_npz: 'bad.npz'") && Contains("it has 4 bytes, fewer than the 22"));
    REQUIRE_THAT(
        error(npy_of(half_entry())),
        Contains(
            "not a .npz file (a ZIP archive): no end-of-central-directory record in its last 136 bytes"));
  }
  SECTION("trailing garbage after the archive") {
    REQUIRE_THAT(error(a + "junk"),
                 Contains("the end-of-central-directory record at byte 484 announces a comment "
                          "of 0 bytes, but 4 bytes follow it (trailing garbage after the archive)"));
  }
  SECTION("a truncated end record") {
    std::string commented = zip_of({{"x.npy", npy_of(half_entry())}}, "0123456789");
    commented.pop_back();
    REQUIRE_THAT(error(commented),
                 Contains("announces a comment of 10 bytes, but 9 bytes follow it (a truncated file)"));
    REQUIRE_THAT(error(a.substr(0, a.size() - 1)), Contains("no end-of-central-directory record"));
  }
  SECTION("a file cut short inside a member") {
    REQUIRE_THAT(
        error(a.substr(0, 300) + a.substr(310)),
        Contains("the central directory (at byte 382, 102 bytes, by the end record at byte 474) runs past "
                 "byte 474, where the end records start"));
  }
  SECTION("a central directory out of place") {
    set_field(a, end_at + 16, 0xfffffff0, 4);
    REQUIRE_THAT(error(a), Contains("central directory (at byte 4294967280, 102 bytes") &&
                               Contains("runs past byte 484"));
    set_field(a, end_at + 16, 300, 4);
    REQUIRE_THAT(error(a), Contains("ends at byte 402, 82 bytes before the end records at byte 484"));
    set_field(a, end_at + 16, x_entry, 4);
    set_field(a, end_at + 12, 0xffffff00, 4);
    REQUIRE_THAT(error(a), Contains("runs past byte 484"));
  }
  SECTION("a count of members the central directory does not hold") {
    set_field(a, end_at + 8, 100, 2);
    set_field(a, end_at + 10, 100, 2);
    REQUIRE_THAT(error(a), Contains("cannot hold the 100 members the end record announces"));
    set_field(a, end_at + 8, 1, 2);
    set_field(a, end_at + 10, 1, 2);
    REQUIRE_THAT(error(a), Contains("51 bytes follow the last central directory entry, from byte 433"));
  }
  SECTION("a multi-disk archive") {
    set_field(a, end_at + 4, 1, 2);
    REQUIRE_THAT(error(a), Contains("end-of-central-directory record at byte 484 describes a multi-disk"));
  }
  SECTION("a central directory entry without its signature") {
    set_field(a, y_entry, 0x12345678, 4);
    REQUIRE_THAT(error(a), Contains("no central directory entry at byte 433 (member 2 of 2)"));
  }
  SECTION("a central directory entry whose name runs past the directory") {
    set_field(a, y_entry + 28, 200, 2);
    REQUIRE_THAT(error(a), Contains("the central directory entry at byte 433 (member 2 of 2) runs past"));
  }
  SECTION("a local header offset past the members") {
    set_field(a, y_entry + 42, 1000, 4);
    REQUIRE_THAT(error(a),
                 Contains("member 'y.npy': its central directory entry (at byte 433) places its local "
                          "header at byte 1000, past the members"));
  }
  SECTION("a local header offset that points at no local header") {
    set_field(a, y_entry + 42, 10, 4);
    REQUIRE_THAT(error(a), Contains("member 'y.npy': no local header at byte 10, where its central directory "
                                    "entry (at byte 433) points"));
  }
  SECTION("a local header that names another member") {
    a[x_local + 30] = 'z';
    REQUIRE_THAT(error(a),
                 Contains("member 'x.npy' (local header at byte 0): the local header names 'z.npy', "
                          "its central directory entry (at byte 382) 'x.npy'"));
  }
  SECTION("a local header and a central directory that disagree on the CRC") {
    set_field(a, x_entry + 16, 0xdeadbeef, 4);
    REQUIRE_THAT(error(a), Contains("member 'x.npy' (local header at byte 0): the local header gives CRC-32 "
                                    "0xa9bdec02 and sizes 140 and 140, the central directory (at byte 382) "
                                    "0xdeadbeef and 140"));
  }
  SECTION("a local header and a central directory that disagree on the size") {
    set_field(a, y_local + 22, 131, 4);
    REQUIRE_THAT(error(a),
                 Contains("member 'y.npy' (local header at byte 195)") &&
                     Contains("sizes 132 and 131, the central directory (at byte 433) 0x5de61325 and 132"));
  }
  SECTION("a size that runs past the members") {
    for (const std::size_t at : {x_entry + 20, x_entry + 24, x_local + 18, x_local + 22})
      set_field(a, at, 400, 4);
    REQUIRE_THAT(error(a),
                 Contains("member 'x.npy' (local header at byte 0): its 400 bytes of data from byte 55 "
                          "run past the start of the central directory at byte 382"));
  }
  SECTION("a CRC-32 mismatch") {
    a[x_data + 130] ^= 0x01;
    REQUIRE_THAT(error(a),
                 Contains("modyn::io::load_npz: 'bad.npz': member 'x.npy': CRC-32 mismatch: its 140 "
                          "bytes of data at byte 55 have 0x") &&
                     Contains("the central directory (at byte 382) says 0xa9bdec02"));
  }
  SECTION("a name that appears twice") {
    a[y_local + 30] = 'x';
    a[y_entry + 46] = 'x';
    REQUIRE_THAT(error(a),
                 Contains("the member 'x.npy' appears twice in the central directory (entries at bytes "
                          "382 and 433)"));
  }
  SECTION("a member that is not a .npy file by name") {
    a.replace(y_local + 32, 3, "txt");
    a.replace(y_entry + 48, 3, "txt");
    REQUIRE_THAT(error(a), Contains("member 'y.txt' (central directory entry at byte 433): the name is not "
                                    "'<array name>.npy'"));
    REQUIRE_THAT(error(zip_of({{".npy", npy_of(half_entry())}})),
                 Contains("member '.npy'") && Contains("the name is not"));
  }
  SECTION("a deflated member: np.savez_compressed") {
    set_field(a, x_entry + 10, 8, 2);
    REQUIRE_THAT(error(a), Contains("member 'x.npy' (central directory entry at byte 382): it is compressed "
                                    "(deflate), as np.savez_compressed writes") &&
                               Contains("save with np.savez"));
    set_field(a, x_entry + 10, 12, 2);
    REQUIRE_THAT(error(a), Contains("compression method 12; load_npz reads stored members (method 0) only"));
  }
  SECTION("an encrypted member") {
    set_field(a, x_entry + 8, 1, 2);
    REQUIRE_THAT(error(a), Contains("member 'x.npy' (central directory entry at byte 382): it is encrypted"));
  }
  SECTION("a stored member whose compressed size is not its size") {
    set_field(a, x_entry + 20, 139, 4);
    REQUIRE_THAT(error(a),
                 Contains("a stored member, but its compressed size (139 bytes) is not its size (140)"));
  }
  SECTION("flags that differ between local header and central directory") {
    set_field(a, y_local + 6, 0x0800, 2);
    REQUIRE_THAT(error(a), Contains("member 'y.npy' (local header at byte 195): the local header gives flags "
                                    "0x00000800 and method 0, the central directory flags 0x00000000"));
  }
  SECTION("the zip64 marker without a zip64 field") {
    set_field(a, x_entry + 24, 0xffffffff, 4);
    REQUIRE_THAT(error(a),
                 Contains("member 'x.npy' (central directory entry at byte 382): a field holds the zip64 "
                          "marker 0xffffffff, but there is no zip64 extra field"));
  }
  SECTION("an extra field that runs past its end") {
    set_field(a, x_local + 37, 17, 2);  // the zip64 field of the local header: 17 bytes of 16
    REQUIRE_THAT(error(a),
                 Contains("member 'x.npy' (local header at byte 0): the extra field at byte 35 gives its "
                          "size as 17 bytes, but 16 remain"));
  }
  SECTION("members that overlap") {
    // A member whose data hold a second member, local header and all.
    const RawMember inner{"b.npy", npy_of(half_entry())};
    const RawMember outer{"a.npy", raw_local_header(inner) + inner.data};
    const std::string members = raw_local_header(outer) + outer.data;
    const std::string directory = raw_central_entry(outer, 0) + raw_central_entry(inner, 30 + 5);
    const std::string archive = members + directory + raw_end_record(2, directory.size(), members.size());
    REQUIRE_THAT(error(archive), Contains("member 'a.npy' (bytes 0 to ") &&
                                     Contains("and member 'b.npy' (from byte 35) overlap"));
  }
  SECTION("the contents of a member, checked as load_npy checks a file") {
    const std::string npy = npy_of(half_entry());
    REQUIRE_THAT(
        error(zip_of({{"x.npy", npy + "junk"}})),
        Contains("modyn::io::load_npz: 'bad.npz': member 'x.npy' (data at byte 35): 4 trailing bytes "
                 "after the data: the shape (4,) of '<f2' needs 8 bytes of data, the member has 12"));
    REQUIRE_THAT(
        error(zip_of({{"x.npy", npy.substr(0, 100)}})),
        Contains("member 'x.npy' (data at byte 35): the header length (118 bytes) runs past the end of "
                 "the member (90 bytes follow the preamble)"));
    REQUIRE_THAT(error(zip_of({{"x.npy", npy.substr(0, npy.size() - 2)}})),
                 Contains("member 'x.npy' (data at byte 35): the data is truncated"));
    REQUIRE_THAT(error(zip_of({{"ok.npy", npy}, {"x.npy", "hello, world"}})),
                 Contains("member 'x.npy' (data at byte ") && Contains("not a .npy file"));
    std::string complex = npy;
    complex.replace(complex.find("<f2"), 3, "<c8");
    REQUIRE_THAT(
        error(zip_of({{"c.npy", complex}})),
        Contains(
            "member 'c.npy' (data at byte 35): it holds '<c8' (complex64), a dtype modyn does not read"));
  }
}

TEST_CASE("load_npz checks the zip64 records", "[npz][zip64]") {
  std::string z = text_of(io::detail::npz_bytes(two_arrays(), 0));
  // Central directory entries at 382 (71 bytes) and 453 (79), the zip64 end
  // record at 532, its locator at 588, the end record at 608.
  constexpr std::size_t y_entry64 = 453, record = 532, locator = 588, end = 608;
  REQUIRE(z.size() == end + 22);
  REQUIRE(field(z, record, 4) == 0x06064b50);
  REQUIRE(field(z, locator, 4) == 0x07064b50);
  const auto error = [](const std::string& archive) { return load_error(archive); };

  SECTION("a locator that points at no zip64 end record") {
    set_field(z, locator + 8, 500, 8);
    REQUIRE_THAT(error(z),
                 Contains("the zip64 end-of-central-directory locator at byte 588 points to byte 500, "
                          "which holds no zip64 end record"));
    set_field(z, locator + 8, 580, 8);
    REQUIRE_THAT(error(z), Contains("points to byte 580, where no zip64 end record of 56 bytes fits"));
  }
  SECTION("a zip64 end record of the wrong size") {
    set_field(z, record + 4, 60, 8);
    REQUIRE_THAT(error(z),
                 Contains("the zip64 end-of-central-directory record at byte 532 gives its size as 60 "
                          "bytes, but the locator follows 44 bytes after that field"));
  }
  SECTION("end records that disagree") {
    set_field(z, record + 24, 3, 8);
    set_field(z, record + 32, 3, 8);
    REQUIRE_THAT(error(z),
                 Contains("the end-of-central-directory record at byte 608 and the zip64 one at byte "
                          "532 disagree (members 2 and 3"));
  }
  SECTION("a multi-disk zip64 archive") {
    set_field(z, locator + 16, 2, 4);
    REQUIRE_THAT(error(z), Contains("locator at byte 588 describes a multi-disk"));
  }
  SECTION("a zip64 field too short for the values it must hold") {
    set_field(z, y_entry64 + 46 + 5 + 2, 16, 2);  // 16 of its 24 bytes, then 8 bytes of a stray field
    REQUIRE_THAT(error(z),
                 Contains("member 'y.npy' (central directory entry at byte 453): the zip64 extra field "
                          "at byte 504 has 16 bytes, too few for the fields that hold the zip64 marker"));
  }
  SECTION("an offset in the zip64 field that points elsewhere") {
    set_field(z, y_entry64 + 46 + 5 + 20, 1 << 20, 8);
    REQUIRE_THAT(error(z),
                 Contains("member 'y.npy': its central directory entry (at byte 453) places its local "
                          "header at byte 1048576, past the members"));
  }
}

TEST_CASE("load_npz names the path it cannot read", "[npz]") {
  const TempDir dir;
  REQUIRE_THAT(message_of<modyn::io_error>([&] { (void)io::load_npz(dir / "none.npz"); }),
               Contains("modyn::io::load_npz: '" + (dir / "none.npz").string() +
                        "': cannot open: the file does not "
                        "exist"));
  REQUIRE_THAT(message_of<modyn::io_error>([&] { (void)io::load_npz(dir.path()); }),
               Contains("it is a directory"));
  write_file(dir / "bad.npz", two_archive() + "x");
  REQUIRE_THAT(message_of<modyn::io_error>([&] { (void)io::load_npz(dir / "bad.npz"); }),
               Contains("'" + (dir / "bad.npz").string() + "'") && Contains("trailing garbage"));
}

TEST_CASE("save_npz refuses what an archive cannot hold and writes atomically", "[npz]") {
  const TempDir dir;
  const fs::path file = dir / "run.npz";
  io::save_npz(file, two_arrays());
  const std::string before = read_file(file);
  const auto error_saving = [&](const StateDict& arrays) {
    return message_of<modyn::io_error>([&] { io::save_npz(file, arrays); });
  };

  SECTION("bfloat16, which numpy has no dtype for") {
    StateDict d = two_arrays();
    d.insert_or_assign("w", sample_entry(DType::bfloat16, Shape{2}));
    REQUIRE_THAT(error_saving(d), Contains("modyn::io::save_npz: '" + file.string() +
                                           "': the array 'w': bfloat16 "
                                           "has no numpy dtype") &&
                                      Contains("save_safetensors"));
    REQUIRE_THAT(message_of<modyn::io_error>([&] { (void)io::to_npz(d); }),
                 Contains("modyn::io::to_npz: the array 'w': bfloat16"));
  }
  SECTION("an empty name") {
    StateDict d;
    d.insert_or_assign("", Tensor<float>{1.0f});
    REQUIRE_THAT(error_saving(d), Contains("an array has an empty name"));
  }
  SECTION("a full disk") {
    StateDict big;
    big.insert_or_assign("x", Tensor<float>::zeros({10000}));
    const std::string msg = with_file_size_limit(4096, [&] { return error_saving(big); });
    REQUIRE_THAT(msg, Contains("modyn::io::save_npz: '" + file.string() + "': writing failed after"));
  }
  SECTION("a directory that does not exist") {
    REQUIRE_THAT(message_of<modyn::io_error>([&] { io::save_npz(dir / "no" / "run.npz", two_arrays()); }),
                 Contains("the directory '" + (dir / "no").string() + "' does not exist"));
  }
  // Nothing replaced the earlier archive, and no temporary file is left.
  CHECK(read_file(file) == before);
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("a SpikeRecord goes into an archive as arrays under its name", "[npz]") {
  SpikeRecord record;
  record.steps = {0, 2, 9};
  record.indices = {5, 1, std::int64_t{1} << 40};
  record.shape = Shape{2, 10};
  record.num_steps = 20;
  record.t0 = 1.0;
  record.dt = 0.25;
  StateDict run;
  run.insert_or_assign("lif.V", Tensor<float>{1.0f, 2.0f});
  io::insert_spike_record(run, "spikes", record);
  CHECK(run.keys() == std::vector<std::string>{"lif.V", "spikes.steps", "spikes.indices", "spikes.shape",
                                               "spikes.num_steps", "spikes.t0", "spikes.dt"});
  CHECK(run.get<std::int64_t>("spikes.steps") == Tensor<std::int64_t>{0, 2, 9});
  CHECK(run.at("spikes.num_steps").shape() == Shape{});
  CHECK(run.get<double>("spikes.dt").item() == 0.25);
  CHECK(run.get<std::int64_t>("spikes.shape") == Tensor<std::int64_t>{2, 10});

  const StateDict back = io::from_npz(io::to_npz(run));
  const SpikeRecord loaded = io::spike_record_from(back, "spikes");
  CHECK(loaded.steps == record.steps);
  CHECK(loaded.indices == record.indices);
  CHECK(loaded.shape == record.shape);
  CHECK(loaded.num_steps == 20);
  CHECK(loaded.t0 == 1.0);
  CHECK(loaded.dt == 0.25);

  SECTION("only the events are required") {
    StateDict events;
    events.insert_or_assign("s.steps", Tensor<std::int64_t>{3});
    events.insert_or_assign("s.indices", Tensor<std::int64_t>{4});
    const SpikeRecord r = io::spike_record_from(events, "s");
    CHECK(r.steps == std::vector<std::int64_t>{3});
    CHECK(r.dt == SpikeRecord{}.dt);
    CHECK_THROWS_AS(io::spike_record_from(events, "t"), modyn::key_error);
  }
  SECTION("mismatched, mistyped or misshapen arrays") {
    StateDict bad = run;
    bad.insert_or_assign("spikes.indices", Tensor<std::int64_t>{1, 2});
    REQUIRE_THAT(message_of<modyn::shape_error>([&] { (void)io::spike_record_from(bad, "spikes"); }),
                 Contains("'spikes': 3 steps but 2 indices"));
    bad.insert_or_assign("spikes.indices", Tensor<std::int32_t>{1, 2, 3});
    REQUIRE_THAT(message_of<modyn::type_error>([&] { (void)io::spike_record_from(bad, "spikes"); }),
                 Contains("'spikes.indices' holds int32, not int64"));
    bad = run;
    bad.insert_or_assign("spikes.steps", Tensor<std::int64_t>{{0, 1, 2}});
    REQUIRE_THAT(message_of<modyn::shape_error>([&] { (void)io::spike_record_from(bad, "spikes"); }),
                 Contains("'spikes.steps' has shape (1, 3), not one of rank 1"));
    bad = run;
    bad.insert_or_assign("spikes.shape", Tensor<std::int64_t>{2, -1});
    REQUIRE_THAT(message_of<modyn::shape_error>([&] { (void)io::spike_record_from(bad, "spikes"); }),
                 Contains("'spikes.shape' is not a shape"));
    record.indices.pop_back();
    REQUIRE_THAT(message_of<modyn::shape_error>([&] { io::insert_spike_record(bad, "r", record); }),
                 Contains("insert_spike_record: 'r': the SpikeRecord has 3 steps but 2 indices"));
  }
}

namespace {

// Checks the archives the C++ side wrote against np.load and np.savez, then
// writes archives for the C++ side to read. Exits non-zero with a message on
// the first mismatch.
constexpr std::string_view numpy_script = R"py(
import io, sys, zipfile
import numpy as np

d = sys.argv[1]

expected = {
    "lif.V": np.array([[1, 2], [-0.5, 0.25], [3, 1.5]], np.float32),
    "f64": np.array([0.1, -2.5, 1e300], np.float64),
    "f16": np.array([1, -2, 0.5, np.inf], np.float16),
    "i8": np.array([-128, 0, 127], np.int8),
    "i16": np.array([[-32768], [32767]], np.int16),
    "i32": np.array(-7, np.int32),
    "i64": np.array([-(2**40), 2**62], np.int64),
    "u8": np.array([0, 255], np.uint8),
    "u16": np.array([0, 65535], np.uint16),
    "u32": np.array([0, 2**32 - 1], np.uint32),
    "u64": np.array([0, 2**64 - 1], np.uint64),
    "b1": np.array([[True, False], [False, True]]),
    "empty": np.zeros((2, 0), np.uint8),
    "spikes.steps": np.array([0, 2, 9], np.int64),
    "spikes.indices": np.array([5, 1, 5], np.int64),
    "spikes.shape": np.array([10], np.int64),
    "spikes.num_steps": np.array(20, np.int64),
    "spikes.t0": np.array(1.0),
    "spikes.dt": np.array(0.5),
}

def check(name):
    with np.load(f"{d}/{name}") as run:
        if run.files != list(expected):
            sys.exit(f"{name}: np.load gives the keys {run.files}, expected {list(expected)}")
        for key, want in expected.items():
            a = run[key]
            if a.dtype != want.dtype or a.shape != want.shape or not np.array_equal(a, want):
                sys.exit(f"{name}: {key} is {a.dtype} {a.shape} {a!r}, expected {want.dtype} {want.shape} {want!r}")
        times = run["spikes.t0"] + run["spikes.steps"] * run["spikes.dt"]
        if not np.array_equal(times, [1.0, 2.0, 5.5]):
            sys.exit(f"{name}: spike times {times}")
    with zipfile.ZipFile(f"{d}/{name}") as z:
        if z.testzip() is not None:
            sys.exit(f"{name}: zipfile finds a bad CRC")
    with open(f"{d}/{name}", "rb") as f:
        return f.read()

def savez_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()

if check("run.npz") != savez_bytes(**expected):
    sys.exit("run.npz differs from what np.savez writes")
# Python writes the zip64 forms past ZIP64_LIMIT: lowered to 0, every size
# and offset takes them, as the C++ side's run64.npz.
zipfile.ZIP64_LIMIT = 0
if check("run64.npz") != savez_bytes(**expected):
    sys.exit("run64.npz differs from what np.savez writes with zip64 forms throughout")
np.savez(f"{d}/np_zip64.npz", **expected)
zipfile.ZIP64_LIMIT = (1 << 31) - 1

np.savez(f"{d}/np_run.npz", **expected)
np.savez(f"{d}/np_positional.npz", np.arange(6, dtype=np.int32).reshape(2, 3), np.float16(0.5),
         **{"a.b/c": np.array([True]), "strided": np.arange(12, dtype=np.uint16).reshape(3, 4)[:, ::2]})
np.savez_compressed(f"{d}/np_compressed.npz", x=np.arange(3))
np.savez(f"{d}/np_complex.npz", ok=np.zeros(2), z=np.zeros(2, np.complex64))
)py";

StateDict numpy_arrays() {
  StateDict d;
  d.insert_or_assign("lif.V", Tensor<float>{{1, 2}, {-0.5f, 0.25f}, {3, 1.5f}});
  d.insert_or_assign("f64", Tensor<double>{0.1, -2.5, 1e300});
  d.insert_or_assign("f16", half_entry());
  d.insert_or_assign("i8", Tensor<std::int8_t>{-128, 0, 127});
  d.insert_or_assign("i16", Tensor<std::int16_t>{{-32768}, {32767}});
  d.insert_or_assign("i32", Tensor<std::int32_t>(Shape{}, {-7}));
  d.insert_or_assign("i64", Tensor<std::int64_t>{-(std::int64_t{1} << 40), std::int64_t{1} << 62});
  d.insert_or_assign("u8", Tensor<std::uint8_t>{0, 255});
  d.insert_or_assign("u16", Tensor<std::uint16_t>{0, 65535});
  d.insert_or_assign("u32", Tensor<std::uint32_t>{0, 0xffffffffu});
  d.insert_or_assign("u64", Tensor<std::uint64_t>{0, std::numeric_limits<std::uint64_t>::max()});
  d.insert_or_assign("b1", bools({true, false, false, true}, Shape{2, 2}));
  d.insert_or_assign("empty", Tensor<std::uint8_t>::empty({2, 0}));
  SpikeRecord record;
  record.steps = {0, 2, 9};
  record.indices = {5, 1, 5};
  record.shape = Shape{10};
  record.num_steps = 20;
  record.t0 = 1.0;
  record.dt = 0.5;
  io::insert_spike_record(d, "spikes", record);
  return d;
}

}  // namespace

TEST_CASE("archives round trip through numpy", "[npz][numpy]") {
  // scripts/setup-deps installs python3-numpy: without it this test fails
  // rather than passing untested.
  require_system_numpy();
  const TempDir dir;
  const StateDict arrays = numpy_arrays();
  io::save_npz(dir / "run.npz", arrays);
  write_file(dir / "run64.npz", text_of(io::detail::npz_bytes(arrays, 0)));

  run_system_python(numpy_script, dir.path());

  // Archives numpy wrote, read back by load_npz.
  CHECK(io::load_npz(dir / "np_run.npz") == arrays);
  CHECK(io::load_npz(dir / "np_zip64.npz") == arrays);  // Python's own zip64 forms
  const SpikeRecord record = io::spike_record_from(io::load_npz(dir / "np_run.npz"), "spikes");
  CHECK(record.indices == std::vector<std::int64_t>{5, 1, 5});
  CHECK(record.dt == 0.5);

  const StateDict positional = io::load_npz(dir / "np_positional.npz");
  // np.savez puts the named arrays first, then the positional ones.
  CHECK(positional.keys() == std::vector<std::string>{"a.b/c", "strided", "arr_0", "arr_1"});
  CHECK(positional.get<std::int32_t>("arr_0") == Tensor<std::int32_t>{{0, 1, 2}, {3, 4, 5}});
  CHECK(positional.at("arr_1").dtype() == DType::float16);
  CHECK(positional.at("arr_1").shape() == Shape{});
  CHECK(text_of(positional.at("arr_1").bytes()) == std::string("\x00\x38", 2));
  CHECK(positional.get<bool>("a.b/c").item());
  CHECK(positional.get<std::uint16_t>("strided") == Tensor<std::uint16_t>{{0, 2}, {4, 6}, {8, 10}});

  REQUIRE_THAT(message_of<modyn::io_error>([&] { (void)io::load_npz(dir / "np_compressed.npz"); }),
               Contains("np_compressed.npz") && Contains("member 'x.npy'") &&
                   Contains("np.savez_compressed") && Contains("save with np.savez"));
  REQUIRE_THAT(
      message_of<modyn::io_error>([&] { (void)io::load_npz(dir / "np_complex.npz"); }),
      Contains("np_complex.npz") && Contains("member 'z.npy' (data at byte ") && Contains("complex64"));
}
