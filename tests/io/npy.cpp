// save_npy / load_npy: the exact bytes numpy writes, round trips of every
// element type at ranks 0 to 4 (typed tensors, and StateEntry of every DType),
// SpikeRecord as (K, 2) rows, one crafted corrupt file per error load_npy
// reports, atomic writes, and files exchanged with numpy itself
// (/usr/bin/python3 with numpy, from scripts/setup-deps: without it the test
// fails).
#include "modyn/io/npy.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
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
using modyn::StateEntry;
using modyn::Tensor;
using modyn::io::from_npy;
using modyn::io::load_npy;
using modyn::io::load_npy_entry;
using modyn::io::load_npy_record;
using modyn::io::save_npy;
using modyn::io::to_npy;
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
namespace fs = std::filesystem;

namespace {

// A hand-made .npy file: the header `dict` padded as numpy pads it, in a
// preamble of the given major version, then `data`.
std::string npy_file(std::string_view dict, std::string_view data = "", char major = 1) {
  const std::size_t preamble = major == 1 ? 10 : 12;
  std::string header(dict);
  header.append(64 - (preamble + header.size() + 1) % 64, ' ');
  header += '\n';
  std::string out = std::string("\x93NUMPY", 6) + major + '\0';
  const std::size_t length = header.size();
  for (std::size_t i = 0; i < preamble - 8; ++i) out += static_cast<char>((length >> (8 * i)) & 0xff);
  return out + header + std::string(data);
}

// The header dict of a file save_npy wrote, and its total header length.
struct SavedHeader {
  std::string dict;
  std::size_t header_bytes;
};
SavedHeader saved_header(const fs::path& path) {
  const std::string bytes = read_file(path);
  REQUIRE(bytes.size() >= 10);
  const std::size_t length = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
  return {bytes.substr(10, length), 10 + length};
}

// Distinct values of each type, with the extremes first and last. (Filled
// through data(): a std::vector<bool> has no span to construct a tensor from.)
// A 1-D Tensor<bool>. (Tensor<bool>{...} does not compile: Tensor's nested
// list constructor goes through a std::vector<bool>, which has no span.)
Tensor<bool> bools(std::initializer_list<bool> values) {
  Tensor<bool> x = Tensor<bool>::empty({values.size()});
  std::copy(values.begin(), values.end(), x.data());
  return x;
}

template <class T>
Tensor<T> sample(Shape shape) {
  Tensor<T> x = Tensor<T>::empty(shape);
  const std::size_t n = x.size();
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<T, bool>) {
      x.data()[i] = i % 3 == 0;
    } else if constexpr (std::is_floating_point_v<T>) {
      x.data()[i] = static_cast<T>(i) * T(0.37) - T(2);
    } else {
      x.data()[i] = static_cast<T>(i * 37 + 11);  // wraps around: modular since C++20
    }
  }
  if constexpr (!std::is_same_v<T, bool>) {
    if (n >= 2) {
      x.data()[0] = std::numeric_limits<T>::lowest();
      x.data()[n - 1] = std::numeric_limits<T>::max();
    }
  }
  return x;
}

}  // namespace

TEST_CASE("save_npy writes numpy's header and the data, byte for byte", "[npy]") {
  const TempDir dir;
  const fs::path file = dir / "x.npy";
  save_npy(file, Tensor<float>{{1.0f, 2.0f, -0.5f}, {0.25f, 3.0f, 1.5f}});

  // The dict is 59 bytes. numpy then leaves 20 spaces so that the first
  // extent can grow to 21 digits, and pads with 38 spaces and '\n' to
  // 10 + 59 + 20 + 38 + 1 = 128 bytes, a multiple of 64. The header length
  // 118 is 0x76 ('v').
  const std::string header = std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
                             "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
                             std::string(20 + 38, ' ') + "\n";
  REQUIRE(header.size() == 128);
  // IEEE 754 single precision, little-endian: 1.0f is 0x3f800000.
  const std::string data(
      "\x00\x00\x80\x3f"
      "\x00\x00\x00\x40"
      "\x00\x00\x00\xbf"
      "\x00\x00\x80\x3e"
      "\x00\x00\x40\x40"
      "\x00\x00\xc0\x3f",
      24);
  CHECK(read_file(file) == header + data);
}

TEST_CASE("save_npy spells dtypes and shapes as numpy does", "[npy]") {
  const TempDir dir;
  const fs::path file = dir / "x.npy";
  const auto check_header = [&](std::string_view expected_dict) {
    const SavedHeader saved = saved_header(file);
    CHECK(saved.dict.starts_with(expected_dict));
    CHECK(saved.dict.ends_with(" \n"));
    CHECK(saved.dict.find_first_not_of(' ', expected_dict.size()) == saved.dict.size() - 1);
    CHECK(saved.header_bytes % 64 == 0);
  };

  save_npy(file, Tensor<float>(Shape{3}, {1, 2, 3}));
  check_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }");
  save_npy(file, Tensor<double>(Shape{}, {1}));
  check_header("{'descr': '<f8', 'fortran_order': False, 'shape': (), }");
  save_npy(file, Tensor<bool>::empty({2, 0}));
  check_header("{'descr': '|b1', 'fortran_order': False, 'shape': (2, 0), }");
  save_npy(file, modyn::zeros<std::int8_t>({1, 2, 3, 4}));
  check_header("{'descr': '|i1', 'fortran_order': False, 'shape': (1, 2, 3, 4), }");
  save_npy(file, modyn::zeros<std::uint8_t>({1}));
  check_header("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }");
  save_npy(file, modyn::zeros<std::int16_t>({1}));
  check_header("{'descr': '<i2', 'fortran_order': False, 'shape': (1,), }");
  save_npy(file, modyn::zeros<std::uint32_t>({1}));
  check_header("{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }");
  save_npy(file, modyn::zeros<std::int64_t>({1}));
  check_header("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }");
  save_npy(file, modyn::zeros<std::uint64_t>({1}));
  check_header("{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }");
}

TEMPLATE_TEST_CASE("save_npy then load_npy gives the tensor back", "[npy]", float, double, std::int32_t,
                   std::int64_t, std::uint8_t, std::int8_t, std::int16_t, std::uint16_t, std::uint32_t,
                   std::uint64_t, bool) {
  const TempDir dir;
  const fs::path file = dir / "x.npy";
  for (const Shape shape : {Shape{}, Shape{5}, Shape{2, 3}, Shape{2, 3, 4}, Shape{2, 1, 3, 2}, Shape{0},
                            Shape{2, 0}, Shape{0, 3, 0}}) {
    CAPTURE(shape);
    const Tensor<TestType> x = sample<TestType>(shape);
    save_npy(file, x);
    CHECK(load_npy<TestType>(file) == x);
  }
}

TEST_CASE("save_npy takes views, spans and vectors", "[npy]") {
  const TempDir dir;
  const fs::path file = dir / "x.npy";
  Tensor<float> x = sample<float>({3, 4});

  save_npy(file, x[1]);  // the second row, a TensorView<float>
  CHECK(load_npy<float>(file) == Tensor<float>(x[1]));
  save_npy(file, std::as_const(x).view());  // a view of const elements
  CHECK(load_npy<float>(file) == x);

  const std::vector<std::int64_t> values{-3, 0, 1LL << 40};
  save_npy(file, values);
  CHECK(load_npy<std::int64_t>(file) == Tensor<std::int64_t>(Shape{3}, values));
  save_npy(file, std::span<const std::int64_t>(values).first(2));
  CHECK(load_npy<std::int64_t>(file).to_vector() == std::vector<std::int64_t>{-3, 0});
}

TEST_CASE("a SpikeRecord is saved as (K, 2) int64 rows of (step, index)", "[npy]") {
  const TempDir dir;
  const fs::path file = dir / "spikes.npy";
  SpikeRecord record;
  record.steps = {0, 0, 3, 7};
  record.indices = {1, 4, 2, std::int64_t{1} << 40};
  save_npy(file, record);

  CHECK(saved_header(file).dict.starts_with("{'descr': '<i8', 'fortran_order': False, 'shape': (4, 2), }"));
  const Tensor<std::int64_t> rows = load_npy<std::int64_t>(file);
  CHECK(rows == Tensor<std::int64_t>{{0, 1}, {0, 4}, {3, 2}, {7, std::int64_t{1} << 40}});

  const SpikeRecord loaded = load_npy_record(file);
  CHECK(loaded.steps == record.steps);
  CHECK(loaded.indices == record.indices);

  SECTION("an empty record is a (0, 2) array") {
    save_npy(file, SpikeRecord{});
    CHECK(load_npy<std::int64_t>(file).shape() == Shape{0, 2});
    CHECK(load_npy_record(file).empty());
  }
  SECTION("a record whose steps and indices differ in length is refused") {
    record.indices.pop_back();
    const std::string msg = message_of<modyn::io_error>([&] { save_npy(file, record); });
    REQUIRE_THAT(msg, Contains(file.string()) && Contains("4 steps but 3 indices"));
  }
  SECTION("load_npy_record refuses an array that is not (K, 2)") {
    save_npy(file, Tensor<std::int64_t>(Shape{3}, {1, 2, 3}));
    const std::string msg = message_of<modyn::io_error>([&] { load_npy_record(file); });
    REQUIRE_THAT(msg, Contains(file.string()) && Contains("(3,) is not (K, 2)"));
  }
}

TEST_CASE("load_npy reads what other writers may write", "[npy]") {
  const TempDir dir;
  const fs::path file = dir / "x.npy";
  const std::string data("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);  // 1.0f, 2.0f
  const Tensor<float> expected(Shape{2}, {1, 2});

  SECTION("format versions 2.0 and 3.0 (a 32-bit header length)") {
    const char major = GENERATE(char{2}, char{3});
    write_file(file, npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data, major));
    CHECK(load_npy<float>(file) == expected);
  }
  SECTION("keys in another order, double quotes, no spaces, no padding") {
    const std::string dict = "{\"shape\":(2,),\"fortran_order\":False,\"descr\":\"<f4\"}";
    std::string bytes =
        std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(dict.size()) + '\0' + dict + data;
    write_file(file, bytes);
    CHECK(load_npy<float>(file) == expected);
  }
  SECTION("Python 2's long suffix in the shape") {
    write_file(file, npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }", data));
    CHECK(load_npy<float>(file) == expected);
  }
  SECTION("fortran_order True at rank 1, where both orders agree") {
    write_file(file, npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", data));
    CHECK(load_npy<float>(file) == expected);
  }
  SECTION("a single-byte type with '<' or '>' instead of '|'") {
    write_file(file, npy_file("{'descr': '>u1', 'fortran_order': False, 'shape': (2,), }", "\x07\xff"));
    CHECK(load_npy<std::uint8_t>(file) == Tensor<std::uint8_t>(Shape{2}, {7, 255}));
  }
}

TEST_CASE("load_npy names the file and the problem", "[npy]") {
  const TempDir dir;
  const fs::path file = dir / "bad.npy";
  const std::string f4x2("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);
  const auto error_loading = [&]<class T = float>(std::string_view bytes) {
    write_file(file, bytes);
    return message_of<modyn::io_error>([&] { load_npy<T>(file); });
  };
  const auto header = [](std::string_view descr, std::string_view shape, std::string_view fortran = "False") {
    return "{'descr': '" + std::string(descr) + "', 'fortran_order': " + std::string(fortran) +
           ", 'shape': " + std::string(shape) + ", }";
  };

  SECTION("the file does not exist") {
    const std::string msg = message_of<modyn::io_error>([&] { load_npy<float>(dir / "missing.npy"); });
    REQUIRE_THAT(msg, Contains("missing.npy") && Contains("cannot open") && Contains("does not exist"));
  }
  SECTION("the path is a directory") {
    const std::string msg = message_of<modyn::io_error>([&] { load_npy<float>(dir.path()); });
    REQUIRE_THAT(msg, Contains(dir.path().string()) && Contains("is a directory"));
  }
  SECTION("an empty file") {
    REQUIRE_THAT(error_loading(""),
                 Contains(file.string()) && Contains("not a .npy file") && Contains("0 bytes"));
  }
  SECTION("bad magic") {
    const std::string msg = error_loading(std::string("\x93NUMPZ\x01\x00\x00\x00", 10));
    REQUIRE_THAT(msg, Contains(file.string()) && Contains("not a .npy file") && Contains("magic"));
    REQUIRE_THAT(error_loading("PK\x03\x04 this is a zip"), Contains("not a .npy file"));
  }
  SECTION("the file ends inside the preamble") {
    const std::string msg = error_loading(std::string("\x93NUMPY\x01\x00\x10", 9));
    REQUIRE_THAT(msg, Contains(file.string()) && Contains("ends inside the header length"));
  }
  SECTION("unsupported versions") {
    REQUIRE_THAT(error_loading(std::string("\x93NUMPY\x04\x00\x00\x00", 10)),
                 Contains(file.string()) && Contains("unsupported .npy format version 4.0"));
    REQUIRE_THAT(error_loading(std::string("\x93NUMPY\x01\x01\x00\x00", 10)),
                 Contains("unsupported .npy format version 1.1"));
  }
  SECTION("a header length past the end of the file") {
    const std::string msg = error_loading(std::string("\x93NUMPY\x01\x00\xe8\x03{'descr'", 18));
    REQUIRE_THAT(msg, Contains(file.string()) && Contains("header length (1000 bytes) runs past the end") &&
                          Contains("8 bytes follow"));
    // A 32-bit length of 4 GiB - 1 in a version 2.0 file: refused before any allocation.
    REQUIRE_THAT(error_loading(std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff", 12)),
                 Contains("header length (4294967295 bytes) runs past the end"));
  }
  SECTION("a header without one of its keys") {
    REQUIRE_THAT(error_loading(npy_file("{'fortran_order': False, 'shape': (2,), }", f4x2)),
                 Contains(file.string()) && Contains("malformed header") && Contains("no 'descr' key"));
    REQUIRE_THAT(error_loading(npy_file("{'descr': '<f4', 'fortran_order': False, }", f4x2)),
                 Contains("malformed header") && Contains("no 'shape' key"));
    REQUIRE_THAT(error_loading(npy_file("{'descr': '<f4', 'shape': (2,), }", f4x2)),
                 Contains("malformed header") && Contains("no 'fortran_order' key"));
  }
  SECTION("headers that are not the dict numpy writes") {
    const auto malformed = [&](std::string_view dict, std::string_view what) {
      CAPTURE(dict);
      REQUIRE_THAT(error_loading(npy_file(dict, f4x2)),
                   Contains(file.string()) && Contains("malformed header") && Contains(std::string(what)));
    };
    malformed("[1, 2]", "does not start with '{'");
    malformed("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1, }",
              "unexpected key 'extra'");
    malformed("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "appears twice");
    malformed("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", "not a 1-tuple");
    malformed("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "non-negative integer");
    malformed("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", "expected ',' or ')'");
    malformed("{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", "not a tuple");
    malformed("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", "not True or False");
    malformed("{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }", "expected ','");
    malformed("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", "after the closing '}'");
    malformed("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", "a quoted key");
    malformed("{descr: '<f4'}", "a quoted key");
    malformed("{'descr: '<f4'}", "expected ':'");
    malformed("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", "64 bits");
    // Non-printable bytes of the header are shown escaped.
    REQUIRE_THAT(error_loading(npy_file("{\x01}", f4x2)), Contains("\"{\\x01}\""));
  }
  SECTION("a structured dtype") {
    const std::string msg = error_loading(
        npy_file("{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (1,), }", f4x2));
    REQUIRE_THAT(msg, Contains(file.string()) && Contains("structured dtype"));
  }
  SECTION("fortran_order True") {
    const std::string msg = error_loading(npy_file(header("<f4", "(2, 3)", "True"), std::string(24, '\0')));
    REQUIRE_THAT(msg, Contains(file.string()) && Contains("fortran_order is True") &&
                          Contains("does not support") && Contains("np.ascontiguousarray"));
  }
  SECTION("another dtype than the one asked for") {
    const std::string msg = error_loading(npy_file(header("<f8", "(1,)"), f4x2));
    REQUIRE_THAT(msg, Contains(file.string()) && Contains("holds '<f8' (float64), expected '<f4' (float32)"));
    REQUIRE_THAT(error_loading.operator()<std::int32_t>(npy_file(header("<i8", "(1,)"), f4x2)),
                 Contains("holds '<i8' (int64), expected '<i4' (int32)"));
    REQUIRE_THAT(error_loading.operator()<std::int8_t>(npy_file(header("|u1", "(8,)"), f4x2)),
                 Contains("holds '|u1' (uint8), expected '|i1' (int8)"));
    REQUIRE_THAT(error_loading.operator()<bool>(npy_file(header("|u1", "(8,)"), f4x2)),
                 Contains("holds '|u1' (uint8), expected '|b1' (bool)"));
    REQUIRE_THAT(error_loading(npy_file(header("|O", "(1,)"), f4x2)), Contains("holds '|O', expected '<f4'"));
    REQUIRE_THAT(error_loading(npy_file(header("", "(1,)"), f4x2)), Contains("holds '', expected '<f4'"));
  }
  SECTION("big-endian data") {
    const std::string msg = error_loading(npy_file(header(">f4", "(2,)"), f4x2));
    REQUIRE_THAT(msg, Contains(file.string()) && Contains("big-endian") && Contains("'>f4'") &&
                          Contains("astype('<f4')"));
  }
  SECTION("rank above 4") {
    const std::string msg = error_loading(npy_file(header("<f4", "(1, 1, 1, 1, 2)"), f4x2));
    REQUIRE_THAT(msg,
                 Contains(file.string()) && Contains("(1, 1, 1, 1, 2) has rank 5") && Contains("at most 4"));
  }
  SECTION("data shorter than the shape requires") {
    const std::string msg = error_loading(npy_file(header("<f4", "(3, 4)"), std::string(40, '\0')));
    REQUIRE_THAT(msg, Contains(file.string()) && Contains("truncated") && Contains("needs 48 bytes") &&
                          Contains("has 40 after the header"));
  }
  SECTION("data longer than the shape requires") {
    const std::string msg = error_loading(npy_file(header("<f4", "(3, 4)"), std::string(52, '\0')));
    REQUIRE_THAT(msg, Contains(file.string()) && Contains("4 trailing bytes") && Contains("needs 48 bytes") &&
                          Contains("has 52 after the header"));
  }
  SECTION("huge shapes are refused before anything is allocated") {
    REQUIRE_THAT(error_loading(npy_file(header("<f4", "(1000000000000,)"), f4x2)),
                 Contains("truncated") && Contains("needs 4000000000000 bytes"));
    REQUIRE_THAT(error_loading(npy_file(header("<f4", "(4294967296, 4294967296)"), f4x2)),
                 Contains("more elements than fit in memory"));
    REQUIRE_THAT(error_loading(npy_file(header("<f4", "(5000000000000000000,)"), f4x2)),
                 Contains("more bytes than fit in memory"));
    REQUIRE_THAT(error_loading(npy_file(header("<f4", "(4294967296, 4294967296, 0)"), f4x2)),
                 Contains("8 trailing bytes"));
  }
  SECTION("a bool byte other than 0 or 1") {
    const std::string msg =
        error_loading.operator()<bool>(npy_file(header("|b1", "(3,)"), std::string("\x01\x02\x00", 3)));
    REQUIRE_THAT(msg, Contains(file.string()) && Contains("bool element 1 holds the byte 2"));
  }
}

TEST_CASE("entries of every dtype but bfloat16 round trip through .npy", "[npy][entry]") {
  const TempDir dir;
  const fs::path file = dir / "x.npy";
  for (const DType d : modyn::all_dtypes) {
    if (d == DType::bfloat16) continue;
    for (const Shape shape : {Shape{}, Shape{5}, Shape{2, 3}, Shape{2, 1, 3, 2}, Shape{0}, Shape{2, 0}}) {
      CAPTURE(d, shape);
      const StateEntry entry = sample_entry(d, shape);
      save_npy(file, entry);
      const std::vector<std::byte> bytes = to_npy(entry);
      CHECK(bytes_of(read_file(file)) == bytes);
      CHECK(load_npy_entry(file) == entry);
      CHECK(from_npy(bytes) == entry);
    }
  }
}

TEST_CASE("entries and typed tensors give the same files", "[npy][entry]") {
  const TempDir dir;
  const Tensor<std::int16_t> x = sample<std::int16_t>({2, 3});
  save_npy(dir / "typed.npy", x);
  save_npy(dir / "entry.npy", StateEntry(x));
  CHECK(read_file(dir / "typed.npy") == read_file(dir / "entry.npy"));
  CHECK(load_npy_entry(dir / "typed.npy").as<std::int16_t>() == x);
  CHECK(load_npy<std::int16_t>(dir / "entry.npy") == x);

  // numpy's spelling of each dtype, float16 included.
  const auto descr_of = [](DType d) {
    const std::string dict = text_of(to_npy(sample_entry(d, Shape{1})));
    return dict.substr(10 + 11, dict.find('\'', 10 + 11) - 10 - 11);
  };
  CHECK(descr_of(DType::float16) == "<f2");
  CHECK(descr_of(DType::float32) == "<f4");
  CHECK(descr_of(DType::float64) == "<f8");
  CHECK(descr_of(DType::int8) == "|i1");
  CHECK(descr_of(DType::uint8) == "|u1");
  CHECK(descr_of(DType::int32) == "<i4");
  CHECK(descr_of(DType::uint64) == "<u8");
  CHECK(descr_of(DType::boolean) == "|b1");
}

TEST_CASE("a float16 .npy holds numpy's half-precision bits", "[npy][entry]") {
  // 1.0, -2.0, 0.5 and infinity in IEEE 754 half precision, little-endian.
  const std::string data("\x00\x3c\x00\xc0\x00\x38\x00\x7c", 8);
  const StateEntry half = from_npy(
      bytes_of(npy_file("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", data)), "half.npy");
  CHECK(half.dtype() == DType::float16);
  CHECK(half.shape() == Shape{2, 2});
  CHECK(half.bytes().size() == 8);
  CHECK(std::equal(half.bytes().begin(), half.bytes().end(), bytes_of(data).begin()));
  // The bytes numpy writes for np.array([[1, -2], [0.5, np.inf]], np.float16).
  CHECK(text_of(to_npy(half)) == std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
                                     "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }" +
                                     std::string(20 + 38, ' ') + "\n" + data);
}

TEST_CASE("bfloat16 has no .npy form", "[npy][entry]") {
  const TempDir dir;
  const fs::path file = dir / "x.npy";
  save_npy(file, Tensor<float>{1.0f});
  const std::string before = read_file(file);
  const StateEntry bf16 = sample_entry(DType::bfloat16, Shape{3});
  const std::string msg = message_of<modyn::io_error>([&] { save_npy(file, bf16); });
  REQUIRE_THAT(msg, Contains("modyn::io::save_npy: '" + file.string() + "'") &&
                        Contains("bfloat16 has no numpy dtype") && Contains("save_safetensors") &&
                        Contains("float32"));
  CHECK(read_file(file) == before);
  REQUIRE_THAT(message_of<modyn::io_error>([&] { (void)to_npy(bf16); }),
               Contains("modyn::io::to_npy") && Contains("bfloat16"));
}

TEST_CASE("versions 2.0 and 3.0: a 32-bit header length", "[npy][entry]") {
  const std::string data("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);  // 1.0f, 2.0f
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const StateEntry expected(Tensor<float>{1.0f, 2.0f});

  SECTION("hand-made 2.0 and 3.0 files load, from memory and from disk") {
    const char major = GENERATE(char{2}, char{3});
    const std::string bytes = npy_file(dict, data, major);
    REQUIRE(bytes.size() % 64 == 8);  // the 12-byte preamble is part of the padding
    CHECK(from_npy(bytes_of(bytes)) == expected);
    const TempDir dir;
    write_file(dir / "v.npy", bytes);
    CHECK(load_npy_entry(dir / "v.npy") == expected);
    CHECK(load_npy<float>(dir / "v.npy") == Tensor<float>{1.0f, 2.0f});
  }
  SECTION("the writer switches to 2.0 where 1.0's 16-bit length cannot hold the header") {
    // Shapes of rank <= 4 never need it; the rule is checked on the header
    // writer itself with a dict padded past 65535 bytes (spaces after '}'
    // are allowed, as numpy's own padding is).
    using modyn::io::detail::npy_wrap_header;
    const auto version_and_length = [](const std::string& header) {
      const auto byte = [&](std::size_t i) {
        return static_cast<std::size_t>(static_cast<unsigned char>(header[i]));
      };
      const std::size_t length =
          header[6] == 1 ? byte(8) | byte(9) << 8 : byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24;
      return std::pair<int, std::size_t>(header[6], length);
    };
    // A 1.0 header is 10 + n + 1 bytes padded with 1 to 64 spaces to a
    // multiple of 64, its length after the 10-byte preamble at most 65535:
    // the largest is 65536 bytes in all, holding a dict of n = 65524 bytes.
    for (std::size_t n = 65400; n < 65600; ++n) {
      CAPTURE(n);
      const std::string header = npy_wrap_header(dict + std::string(n - dict.size(), ' '));
      const auto [version, length] = version_and_length(header);
      CHECK(version == (n <= 65524 ? 1 : 2));
      CHECK(header.size() == (version == 1 ? 10 : 12) + length);
      CHECK(header.size() % 64 == 0);
      CHECK(header.back() == '\n');
    }
    const std::string v2 = npy_wrap_header(dict + std::string(70000, ' '));
    CHECK(version_and_length(v2).first == 2);
    CHECK(from_npy(bytes_of(v2 + data)) == expected);
  }
}

TEST_CASE("load_npy_entry and from_npy name the file and the problem", "[npy][entry]") {
  const std::string f4x2("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);
  const auto error_of = [](const std::string& bytes) {
    return message_of<modyn::io_error>([&] { (void)from_npy(bytes_of(bytes), "mem.npy"); });
  };
  const auto header = [](std::string_view descr, std::string_view shape) {
    return "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + std::string(shape) +
           ", }";
  };

  SECTION("dtypes modyn has no type for") {
    REQUIRE_THAT(error_of(npy_file(header("<c8", "(1,)"), f4x2)),
                 Contains("modyn::io::load_npy: 'mem.npy'") && Contains("holds '<c8' (complex64)") &&
                     Contains("a dtype modyn does not read") && Contains("float16"));
    REQUIRE_THAT(error_of(npy_file(header("|O", "(1,)"), f4x2)),
                 Contains("holds '|O', a dtype modyn does not read"));
    REQUIRE_THAT(error_of(npy_file(header("<U2", "(1,)"), f4x2)), Contains("holds '<U2'"));
    REQUIRE_THAT(error_of(npy_file(header("|V2", "(2,)"), f4x2)), Contains("holds '|V2'"));
  }
  SECTION("big-endian data") {
    REQUIRE_THAT(error_of(npy_file(header(">f2", "(4,)"), f4x2)),
                 Contains("big-endian data '>f2' (big-endian float16)") && Contains("astype('<f2')"));
    // A single byte has no byte order.
    CHECK(from_npy(bytes_of(npy_file(header(">i1", "(2,)"), "\x01\xff"))).dtype() == DType::int8);
  }
  SECTION("truncated, trailing and malformed files") {
    REQUIRE_THAT(error_of(npy_file(header("<f4", "(3,)"), f4x2)),
                 Contains("'mem.npy'") && Contains("the data is truncated") && Contains("needs 12 bytes") &&
                     Contains("the file has 8 after the header"));
    REQUIRE_THAT(error_of(npy_file(header("<f2", "(2,)"), f4x2)),
                 Contains("4 trailing bytes after the data"));
    REQUIRE_THAT(error_of(std::string("\x93NUMPY\x01\x00\x10", 9)),
                 Contains("the file ends inside the header length (the file has 9 bytes)"));
    REQUIRE_THAT(error_of(std::string("\x93NUMPY\x03\x00\xff\xff\xff\xff", 12)),
                 Contains("header length (4294967295 bytes) runs past the end of the file"));
    REQUIRE_THAT(error_of(npy_file("{'descr': '<f4', 'shape': (2,), }", f4x2)),
                 Contains("no 'fortran_order' key"));
    REQUIRE_THAT(error_of(npy_file(header("|b1", "(2,)"), std::string("\x00\x07", 2))),
                 Contains("bool element 1 holds the byte 7"));
    REQUIRE_THAT(error_of(npy_file(header("<f4", "(1, 1, 1, 1, 2)"), f4x2)), Contains("has rank 5"));
  }
  SECTION("load_npy_entry names the path") {
    const TempDir dir;
    write_file(dir / "c.npy", npy_file(header("<c8", "(1,)"), f4x2));
    REQUIRE_THAT(
        message_of<modyn::io_error>([&] { (void)load_npy_entry(dir / "c.npy"); }),
        Contains("modyn::io::load_npy: '" + (dir / "c.npy").string() + "'") && Contains("complex64"));
    REQUIRE_THAT(message_of<modyn::io_error>([&] { (void)load_npy_entry(dir / "none.npy"); }),
                 Contains("none.npy") && Contains("does not exist"));
  }
}

TEST_CASE("save_npy names the path it cannot write", "[npy]") {
  const TempDir dir;
  const Tensor<float> x(Shape{2}, {1, 2});

  SECTION("a directory that does not exist") {
    const fs::path file = dir / "no_such_dir" / "x.npy";
    const std::string msg = message_of<modyn::io_error>([&] { save_npy(file, x); });
    REQUIRE_THAT(msg, Contains(file.string()) && Contains("directory") && Contains("does not exist"));
  }
  SECTION("a path that is a directory") {
    const std::string msg = message_of<modyn::io_error>([&] { save_npy(dir.path(), x); });
    REQUIRE_THAT(msg, Contains(dir.path().string()) && Contains("is a directory"));
  }
  SECTION("a full disk, which leaves the earlier file whole") {
    // save_npy writes atomically (a temporary file renamed into place), so it
    // cannot be pointed at /dev/full; a file-size limit makes the kernel
    // refuse the write past 4 KiB (EFBIG), as a full disk refuses it (ENOSPC).
    const fs::path file = dir / "x.npy";
    save_npy(file, x);
    const std::string before = read_file(file);
    const std::string msg = with_file_size_limit(4096, [&] {
      return message_of<modyn::io_error>([&] { save_npy(file, Tensor<float>::zeros({10000})); });
    });
    REQUIRE_THAT(msg, Contains("modyn::io::save_npy: '" + file.string() + "'") &&
                          Contains("writing failed after 4096 bytes"));
    CHECK(read_file(file) == before);
    CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
  }
}

namespace {

// Checks the files the C++ side wrote, byte for byte against np.save, then
// writes files for the C++ side to read. Exits non-zero with a message on the
// first mismatch.
constexpr std::string_view numpy_script = R"py(
import io, sys
import numpy as np

d = sys.argv[1]

def check(name, dtype, shape, values):
    path = f"{d}/{name}.npy"
    a = np.load(path)
    want = np.array(values, dtype=dtype).reshape(shape)
    if a.dtype != np.dtype(dtype) or a.shape != shape or not np.array_equal(a, want):
        sys.exit(f"{name}: np.load gives {a.dtype} {a.shape} {a!r}, expected {want.dtype} {want.shape} {want!r}")
    buffer = io.BytesIO()
    np.save(buffer, a)
    with open(path, "rb") as f:
        if buffer.getvalue() != f.read():
            sys.exit(f"{name}: the file differs from what np.save writes")

check("f32", "<f4", (2, 3), [1, 2, -0.5, 0.25, 3, 1.5])
check("f64", "<f8", (4,), [0.1, -2.5, 1e300, 5e-324])
check("i64", "<i8", (2, 2), [-(2**40), 2**62, -1, 0])
check("u8", "|u1", (5,), [0, 1, 127, 128, 255])
check("b1", "|b1", (3,), [True, False, True])
check("i32_0d", "<i4", (), -7)
check("i16_4d", "<i2", (2, 1, 3, 2), [i - 6 for i in range(12)])
check("f32_empty", "<f4", (2, 0), [])
check("record", "<i8", (3, 2), [0, 5, 2, 1, 9, 5])
check("f16", "<f2", (2, 2), [1, -2, 0.5, np.inf])
check("u32_entry", "<u4", (3,), [0, 7, 2**32 - 1])

np.save(f"{d}/np_f64.npy", np.array([[0.1, -2.5], [1e300, 5e-324], [np.inf, -0.0]]))
np.save(f"{d}/np_i64.npy", np.array([-(2**40), 2**62, -1, 0, 7], dtype=np.int64))
np.save(f"{d}/np_f32_0d.npy", np.float32(1.5))
np.save(f"{d}/np_i32_4d.npy", np.arange(24, dtype=np.int32).reshape(2, 3, 2, 2) - 5)
np.save(f"{d}/np_u16_strided.npy", np.arange(12, dtype=np.uint16).reshape(3, 4)[:, ::2])
np.save(f"{d}/np_bool.npy", np.array([True, False, True]))
np.save(f"{d}/np_u8_empty.npy", np.zeros((2, 0), np.uint8))
np.save(f"{d}/np_fortran.npy", np.asfortranarray(np.arange(6.0).reshape(2, 3)))
np.save(f"{d}/np_big_endian.npy", np.arange(3, dtype=">f4"))
np.save(f"{d}/np_f16.npy", np.array([[1, -2], [0.5, np.inf], [-0.0, 65504]], np.float16))
np.save(f"{d}/np_c8.npy", np.zeros(2, np.complex64))
with open(f"{d}/np_v2.npy", "wb") as f:
    np.lib.format.write_array(f, np.arange(4, dtype=np.int64), version=(2, 0))
)py";

}  // namespace

TEST_CASE("files round trip through numpy", "[npy][numpy]") {
  // scripts/setup-deps installs python3-numpy: without it this test fails
  // rather than passing untested.
  require_system_numpy();
  const TempDir dir;
  save_npy(dir / "f32.npy", Tensor<float>{{1.0f, 2.0f, -0.5f}, {0.25f, 3.0f, 1.5f}});
  save_npy(dir / "f64.npy", Tensor<double>{0.1, -2.5, 1e300, 5e-324});
  save_npy(dir / "i64.npy", Tensor<std::int64_t>{{-(std::int64_t{1} << 40), std::int64_t{1} << 62}, {-1, 0}});
  save_npy(dir / "u8.npy", Tensor<std::uint8_t>{0, 1, 127, 128, 255});
  save_npy(dir / "b1.npy", bools({true, false, true}));
  save_npy(dir / "i32_0d.npy", Tensor<std::int32_t>(Shape{}, {-7}));
  std::vector<std::int16_t> ramp(12);
  for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<std::int16_t>(static_cast<int>(i) - 6);
  save_npy(dir / "i16_4d.npy", Tensor<std::int16_t>(Shape{2, 1, 3, 2}, ramp));
  save_npy(dir / "f32_empty.npy", Tensor<float>::empty({2, 0}));
  SpikeRecord record;
  record.steps = {0, 2, 9};
  record.indices = {5, 1, 5};
  save_npy(dir / "record.npy", record);
  save_npy(dir / "f16.npy", StateEntry(DType::float16, Shape{2, 2},
                                       bytes_of(std::string("\x00\x3c\x00\xc0\x00\x38\x00\x7c", 8))));
  save_npy(dir / "u32_entry.npy", StateEntry(Tensor<std::uint32_t>{0, 7, 0xffffffffu}));

  run_system_python(numpy_script, dir.path());

  // Files numpy wrote, read back by load_npy.
  const Tensor<double> f64 = load_npy<double>(dir / "np_f64.npy");  // an infinity, a subnormal, -0.0
  REQUIRE(f64.shape() == Shape{3, 2});
  CHECK(f64.to_vector() ==
        std::vector<double>{0.1, -2.5, 1e300, 5e-324, std::numeric_limits<double>::infinity(), -0.0});
  CHECK(std::signbit(f64.at(2, 1)));

  CHECK(load_npy<std::int64_t>(dir / "np_i64.npy") ==
        Tensor<std::int64_t>{-(std::int64_t{1} << 40), std::int64_t{1} << 62, -1, 0, 7});

  const Tensor<float> scalar = load_npy<float>(dir / "np_f32_0d.npy");
  CHECK(scalar.shape() == Shape{});
  CHECK(scalar.item() == 1.5f);

  std::vector<std::int32_t> values(24);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::int32_t>(i) - 5;
  CHECK(load_npy<std::int32_t>(dir / "np_i32_4d.npy") == Tensor<std::int32_t>(Shape{2, 3, 2, 2}, values));

  // np.save writes a strided slice in C order.
  CHECK(load_npy<std::uint16_t>(dir / "np_u16_strided.npy") ==
        Tensor<std::uint16_t>{{0, 2}, {4, 6}, {8, 10}});
  CHECK(load_npy<bool>(dir / "np_bool.npy") == bools({true, false, true}));
  CHECK(load_npy<std::uint8_t>(dir / "np_u8_empty.npy").shape() == Shape{2, 0});
  CHECK(load_npy<std::int64_t>(dir / "np_v2.npy") == Tensor<std::int64_t>{0, 1, 2, 3});

  // float16 has no C++ type: it loads as an entry holding numpy's bits.
  const StateEntry half = load_npy_entry(dir / "np_f16.npy");
  CHECK(half.dtype() == DType::float16);
  CHECK(half.shape() == Shape{3, 2});
  CHECK(text_of(half.bytes()) == std::string("\x00\x3c\x00\xc0\x00\x38\x00\x7c\x00\x80\xff\x7b", 12));
  CHECK(load_npy_entry(dir / "np_i64.npy") == StateEntry(load_npy<std::int64_t>(dir / "np_i64.npy")));
  REQUIRE_THAT(message_of<modyn::io_error>([&] { (void)load_npy_entry(dir / "np_c8.npy"); }),
               Contains("np_c8.npy") && Contains("'<c8' (complex64), a dtype modyn does not read"));

  REQUIRE_THAT(message_of<modyn::io_error>([&] { load_npy<double>(dir / "np_fortran.npy"); }),
               Contains("np_fortran.npy") && Contains("fortran_order is True"));
  REQUIRE_THAT(message_of<modyn::io_error>([&] { load_npy<float>(dir / "np_big_endian.npy"); }),
               Contains("np_big_endian.npy") && Contains("big-endian"));
}
