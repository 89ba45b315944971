// save_npy / load_npy: tensors to and from NumPy's .npy files, so that a
// recording opens with np.load(path) and an array saved by numpy loads into
// a Tensor.
//
// The format (numpy.lib.format, "NEP 1"): the magic string "\x93NUMPY", a
// version (1.0: a 16-bit header length; 2.0 and 3.0: 32-bit), the little-
// endian header length, then a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// padded with spaces and a final '\n' to a multiple of 64 bytes, then the
// elements in row-major (C) order.
//
// save_npy writes the bytes numpy 1.24 writes for the same array, so files
// compare equal to np.save's. load_npy trusts nothing in the file: every
// length is checked against the file size before it is used, and each
// problem throws modyn::io_error naming the file and what is wrong.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "modyn/backend/backend.hpp"
#include "modyn/backend/cpu.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/dyn/spike_record.hpp"

namespace modyn::io {

namespace detail {

inline constexpr std::string_view npy_magic{"\x93NUMPY", 6};

// numpy aligns the data to 64 bytes so that it can be memory-mapped.
inline constexpr std::size_t npy_alignment = 64;

// numpy leaves room in the header for the first extent to grow to this many
// digits (so that a file can be appended to in place); we do the same so that
// our files are byte-identical to np.save's.
inline constexpr std::size_t npy_growth_digits = 21;

// numpy refuses shapes of more axes than this (NPY_MAXDIMS is 32 in numpy 1,
// 64 in numpy 2); the parser stops there so that a corrupt header cannot make
// it allocate in proportion to the file.
inline constexpr std::size_t npy_max_parsed_axes = 64;

// A numpy scalar type: its kind ('f' float, 'i' signed, 'u' unsigned,
// 'b' bool) and size in bytes.
struct npy_dtype {
  char kind;
  std::size_t size;
};

template <class T>
inline constexpr bool npy_element = std::is_same_v<T, bool> || std::is_same_v<T, float> ||
                                    std::is_same_v<T, double> || (std::is_integral_v<T> && sizeof(T) <= 8);

template <class T>
constexpr npy_dtype npy_dtype_of() {
  static_assert(npy_element<T>,
                "modyn::io: .npy files hold bool, integers of 1 to 8 bytes, float or double; "
                "the element type is none of these");
  static_assert(sizeof(bool) == 1 || !std::is_same_v<T, bool>, "modyn::io: numpy's bool is one byte");
  if constexpr (std::is_same_v<T, bool>) {
    return {'b', 1};
  } else if constexpr (std::is_floating_point_v<T>) {
    return {'f', sizeof(T)};
  } else if constexpr (std::is_signed_v<T>) {
    return {'i', sizeof(T)};
  } else {
    return {'u', sizeof(T)};
  }
}

// The descr numpy writes: '<' (little-endian) before multi-byte types, '|'
// (no byte order) before single bytes: '<f4', '|u1'.
inline std::string npy_descr(npy_dtype d) {
  return std::string(1, d.size == 1 ? '|' : '<') + d.kind + std::to_string(d.size);
}

// numpy's name for a descr's type ("float32"), or "" when we know none.
inline std::string npy_type_name(std::string_view descr) {
  if (descr.size() < 3) return "";
  const std::string_view body = descr.substr(1);
  const std::string order = descr[0] == '>' ? "big-endian " : "";
  static constexpr std::string_view names[][2] = {
      {"b1", "bool"},    {"i1", "int8"},    {"i2", "int16"},     {"i4", "int32"},     {"i8", "int64"},
      {"u1", "uint8"},   {"u2", "uint16"},  {"u4", "uint32"},    {"u8", "uint64"},    {"f2", "float16"},
      {"f4", "float32"}, {"f8", "float64"}, {"f16", "float128"}, {"c8", "complex64"}, {"c16", "complex128"},
  };
  for (const auto& [code, name] : names)
    if (body == code) return order + std::string(name);
  return "";
}

// '<f8' (float64), or just '|O' for a type without a known name.
inline std::string npy_describe(std::string_view descr) {
  const std::string name = npy_type_name(descr);
  return "'" + std::string(descr) + "'" + (name.empty() ? "" : " (" + name + ")");
}

// Host byte order to little-endian and back: the same swap.
inline void npy_swap_bytes(char* bytes, std::size_t count, std::size_t element_size) {
  for (std::size_t i = 0; i < count; ++i)
    std::reverse(bytes + i * element_size, bytes + (i + 1) * element_size);
}

template <class T>
constexpr bool npy_needs_swap() {
  static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big,
                "modyn::io: mixed-endian hosts are not supported");
  return std::endian::native == std::endian::big && sizeof(T) > 1;
}

// ---------------------------------------------------------------- writing

// The preamble and header numpy 1.24 writes for a C-order array: the dict,
// the growth spaces, then 1 to 64 spaces and '\n' up to a multiple of 64
// (numpy pads a full 64 rather than 0 when already aligned).
//
// At rank <= 4 the dict is under 200 bytes, so the 16-bit length of version
// 1.0 always suffices: the 2.0 fallback numpy has for huge structured dtypes
// can never be needed here.
inline std::string npy_header(npy_dtype dtype, const Shape& shape) {
  std::string dict =
      "{'descr': '" + npy_descr(dtype) + "', 'fortran_order': False, 'shape': " + shape.to_string() + ", }";
  if (shape.rank() > 0) dict.append(npy_growth_digits - std::to_string(shape[0]).size(), ' ');
  const std::size_t preamble = npy_magic.size() + 2 + 2;    // magic, version 1.0, 16-bit length
  const std::size_t unpadded = preamble + dict.size() + 1;  // + the final '\n'
  dict.append(npy_alignment - unpadded % npy_alignment, ' ');
  dict += '\n';

  const std::size_t length = dict.size();
  std::string out(npy_magic);
  out += {'\x01', '\x00', static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
  return out + dict;
}

inline std::string npy_save_context(const std::filesystem::path& path) {
  return "modyn::io::save_npy: '" + path.string() + "'";
}

// Why a file cannot be created, as far as we can tell without errno.
inline std::string npy_open_failure(const std::filesystem::path& path) {
  std::error_code ec;
  const std::filesystem::path parent = path.parent_path();
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
    return "cannot open for writing: the directory '" + parent.string() + "' does not exist";
  }
  if (std::filesystem::is_directory(path, ec)) return "cannot open for writing: it is a directory";
  return "cannot open for writing (permissions?)";
}

// Writes header and data; a failure (a missing directory, a full disk) throws
// io_error naming the path. The stream is closed before the final check so
// that an error while flushing is seen too.
inline void npy_write_file(const std::filesystem::path& path, std::string_view header, const char* data,
                           std::size_t bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw io_error(npy_save_context(path) + ": " + npy_open_failure(path));
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  if (bytes > 0) out.write(data, static_cast<std::streamsize>(bytes));
  out.close();
  if (!out) throw io_error(npy_save_context(path) + ": writing failed (disk full?)");
}

// Saves `shape.size()` host elements.
template <class T>
void npy_save_elements(const std::filesystem::path& path, const Shape& shape, const T* data) {
  const std::string header = npy_header(npy_dtype_of<T>(), shape);
  const std::size_t bytes = shape.size() * sizeof(T);
  if constexpr (npy_needs_swap<T>()) {
    std::vector<char> little(bytes);
    if (bytes > 0) std::memcpy(little.data(), data, bytes);
    npy_swap_bytes(little.data(), shape.size(), sizeof(T));
    npy_write_file(path, header, little.data(), bytes);
  } else {
    npy_write_file(path, header, reinterpret_cast<const char*>(data), bytes);
  }
}

// ---------------------------------------------------------------- reading

// What load_npy learns from a header.
struct npy_header_fields {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::size_t> shape;
};

// The header text as shown in messages: printable, and not too long.
inline std::string npy_quote_header(std::string_view text) {
  constexpr std::size_t shown = 160;
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.remove_suffix(1);
  std::string out = "\"";
  for (const char c : text.substr(0, shown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      constexpr char hex[] = "0123456789abcdef";
      out += {'\\', 'x', hex[byte >> 4], hex[byte & 0xf]};
    }
  }
  return out + (text.size() > shown ? "...\"" : "\"");
}

// Reads the Python dict literal of a header: the subset numpy writes for a
// plain dtype (quoted strings, True/False, a tuple of non-negative integers,
// with Python 2's 'L' suffix that numpy itself still accepts).
class npy_header_parser {
 public:
  npy_header_parser(std::string_view text, std::string context) : text_(text), context_(std::move(context)) {}

  npy_header_fields parse() {
    npy_header_fields fields;
    bool has_descr = false, has_fortran_order = false, has_shape = false;
    expect('{', "the header does not start with '{'");
    while (!consume('}')) {
      const std::string key = string_literal("a quoted key");
      expect(':', "expected ':' after the key '" + key + "'");
      if (key == "descr") {
        once(has_descr, key);
        fields.descr = descr_value();
      } else if (key == "fortran_order") {
        once(has_fortran_order, key);
        fields.fortran_order = bool_literal(key);
      } else if (key == "shape") {
        once(has_shape, key);
        fields.shape = shape_tuple();
      } else {
        fail("unexpected key '" + key + "'");
      }
      if (!consume(',')) {
        expect('}', "expected ',' or '}' after the value of '" + key + "'");
        break;
      }
    }
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the closing '}'");
    if (!has_descr) fail("no 'descr' key");
    if (!has_fortran_order) fail("no 'fortran_order' key");
    if (!has_shape) fail("no 'shape' key");
    return fields;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw io_error(context_ + ": malformed header, " + what + ": " + npy_quote_header(text_));
  }

  void once(bool& seen, const std::string& key) const {
    if (seen) fail("the key '" + key + "' appears twice");
    seen = true;
  }

  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool consume(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect(char c, const std::string& what) {
    if (!consume(c)) fail(what);
  }

  bool at_digit() const { return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; }

  std::string string_literal(const std::string& what) {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) fail("expected " + what);
    const char quote = text_[pos_++];
    const std::size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) fail("a string is not closed");
    const std::string value(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return value;
  }

  std::string descr_value() {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '[') {
      throw io_error(context_ +
                     ": the array has a structured dtype (a list of fields), which load_npy does not "
                     "read; save one plain numeric array per field");
    }
    return string_literal("a quoted 'descr' such as '<f4'");
  }

  bool bool_literal(const std::string& key) {
    skip_space();
    const std::string_view rest = text_.substr(pos_);
    if (rest.starts_with("True")) {
      pos_ += 4;
      return true;
    }
    if (rest.starts_with("False")) {
      pos_ += 5;
      return false;
    }
    fail("the value of '" + key + "' is not True or False");
  }

  std::size_t integer() {
    skip_space();
    if (!at_digit()) fail("expected a non-negative integer in the shape");
    std::size_t value = 0;
    constexpr std::size_t max = std::numeric_limits<std::size_t>::max();
    while (at_digit()) {
      const auto digit = static_cast<std::size_t>(text_[pos_++] - '0');
      if (value > (max - digit) / 10) fail("an extent of the shape does not fit in 64 bits");
      value = value * 10 + digit;
    }
    if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // a Python 2 long
    return value;
  }

  std::vector<std::size_t> shape_tuple() {
    expect('(', "the value of 'shape' is not a tuple such as (3, 4)");
    std::vector<std::size_t> extents;
    bool comma_after_last = false;
    while (!consume(')')) {
      if (!extents.empty() && !comma_after_last) fail("expected ',' or ')' in the shape");
      if (extents.size() == npy_max_parsed_axes) {
        fail("the shape has more than " + std::to_string(npy_max_parsed_axes) + " axes");
      }
      extents.push_back(integer());
      comma_after_last = consume(',');
    }
    // In Python (3) is a number, not a tuple: numpy writes (3,).
    if (extents.size() == 1 && !comma_after_last) fail("the shape (n) is a number, not a 1-tuple (n,)");
    return extents;
  }

  std::string_view text_;
  std::string context_;
  std::size_t pos_ = 0;
};

// "(3, 4)" for a shape read from a file, whatever its rank.
inline std::string npy_shape_string(const std::vector<std::size_t>& extents) {
  std::string s = "(";
  for (std::size_t i = 0; i < extents.size(); ++i) s += (i ? ", " : "") + std::to_string(extents[i]);
  return s + (extents.size() == 1 ? ",)" : ")");
}

// An open .npy file and how much of it is left; every read is checked
// against the size found at opening.
class npy_input {
 public:
  explicit npy_input(const std::filesystem::path& path) : path_(path) {
    std::error_code ec;
    // exists() reports no error for a missing file, only for one it cannot
    // look at (a directory without search permission on the way).
    if (!std::filesystem::exists(path, ec)) {
      fail(ec ? "cannot open: " + ec.message() : std::string("cannot open: the file does not exist"));
    }
    if (std::filesystem::is_directory(path, ec)) fail("cannot open: it is a directory");
    in_.open(path, std::ios::binary);
    if (!in_) fail("cannot open for reading (permissions?)");
    size_ = std::filesystem::file_size(path, ec);
    if (ec) fail("cannot read the file size: " + ec.message());
  }

  std::string context() const { return "modyn::io::load_npy: '" + path_.string() + "'"; }

  [[noreturn]] void fail(const std::string& what) const { throw io_error(context() + ": " + what); }

  std::uintmax_t size() const noexcept { return size_; }
  std::uintmax_t remaining() const noexcept { return size_ - position_; }

  // Reads n bytes of `part` (for the message if the file ends first).
  void read(char* dst, std::size_t n, std::string_view part) {
    if (n > remaining()) {
      fail("the file ends inside the " + std::string(part) + " (the file has " + std::to_string(size_) +
           " bytes)");
    }
    if (n == 0) return;
    in_.read(dst, static_cast<std::streamsize>(n));
    if (!in_ || static_cast<std::size_t>(in_.gcount()) != n)
      fail("reading the " + std::string(part) + " failed");
    position_ += n;
  }

 private:
  std::filesystem::path path_;
  std::ifstream in_;
  std::uintmax_t size_ = 0;
  std::uintmax_t position_ = 0;
};

// Magic, version and header length; returns the header text.
inline std::string npy_read_header_text(npy_input& in) {
  if (in.size() < npy_magic.size()) {
    in.fail("not a .npy file (it has " + std::to_string(in.size()) + " bytes, fewer than the magic string)");
  }
  std::string magic(npy_magic.size(), '\0');
  in.read(magic.data(), magic.size(), "magic string");
  if (magic != npy_magic) in.fail("not a .npy file (it does not start with the magic string \\x93NUMPY)");

  unsigned char version[2] = {};
  in.read(reinterpret_cast<char*>(version), 2, "format version");
  const bool supported = version[1] == 0 && version[0] >= 1 && version[0] <= 3;
  if (!supported) {
    in.fail("unsupported .npy format version " + std::to_string(version[0]) + "." +
            std::to_string(version[1]) + " (load_npy reads 1.0, 2.0 and 3.0)");
  }

  // Version 1.0 stores the header length in 2 bytes, 2.0 and 3.0 in 4.
  const std::size_t length_bytes = version[0] == 1 ? 2 : 4;
  unsigned char length_le[4] = {};
  in.read(reinterpret_cast<char*>(length_le), length_bytes, "header length");
  std::size_t length = 0;
  for (std::size_t i = length_bytes; i-- > 0;) length = length << 8 | length_le[i];
  if (length > in.remaining()) {
    in.fail("the header length (" + std::to_string(length) + " bytes) runs past the end of the file (" +
            std::to_string(in.remaining()) + " bytes follow the preamble)");
  }
  std::string text(length, '\0');
  in.read(text.data(), length, "header");
  return text;
}

// Checks that the file's descr is the one of the requested type.
inline void npy_check_dtype(const npy_input& in, const std::string& descr, npy_dtype want) {
  const std::string expected = npy_descr(want);
  const char order = descr.empty() ? '\0' : descr[0];
  const bool same_type = descr.size() == expected.size() && descr.substr(1) == expected.substr(1);
  // One byte has no byte order: numpy writes '|', and '<' or '>' mean the same.
  const bool single_byte_order = want.size == 1 && (order == '|' || order == '<' || order == '>');
  if (same_type && (order == '<' || single_byte_order)) return;
  if (same_type && order == '>') {
    in.fail("it holds big-endian data " + npy_describe(descr) +
            ", which load_npy does not read; convert it in numpy with a.astype('" + expected + "')");
  }
  in.fail("it holds " + npy_describe(descr) + ", expected " + npy_describe(expected));
}

// Reads and checks everything before the data, and that the data has exactly
// the length the shape requires; returns the shape.
inline Shape npy_read_layout(npy_input& in, npy_dtype want) {
  const std::string text = npy_read_header_text(in);
  const npy_header_fields header = npy_header_parser(text, in.context()).parse();
  const std::string shape = npy_shape_string(header.shape);

  npy_check_dtype(in, header.descr, want);
  // Column-major and row-major agree when there is at most one axis.
  if (header.fortran_order && header.shape.size() > 1) {
    in.fail("fortran_order is True (column-major data of shape " + shape +
            "), which load_npy does not support; save np.ascontiguousarray(a) instead");
  }
  if (header.shape.size() > Shape::max_rank) {
    in.fail("the shape " + shape + " has rank " + std::to_string(header.shape.size()) +
            "; modyn tensors have rank at most " + std::to_string(Shape::max_rank));
  }

  // The byte count, computed without overflow, is compared with the file
  // before anything is allocated.
  // An empty array has no elements however large its other extents are.
  constexpr std::uintmax_t max = std::numeric_limits<std::size_t>::max();
  const bool empty = std::find(header.shape.begin(), header.shape.end(), 0) != header.shape.end();
  std::uintmax_t count = empty ? 0 : 1;
  for (const std::size_t extent : header.shape) {
    if (!empty && count > max / extent)
      in.fail("the shape " + shape + " has more elements than fit in memory");
    count *= extent;
  }
  if (count > max / want.size) in.fail("the shape " + shape + " has more bytes than fit in memory");
  const std::uintmax_t bytes = count * want.size;

  const std::string needs = "the shape " + shape + " of '" + header.descr + "' needs " +
                            std::to_string(bytes) + " bytes of data, the file has " +
                            std::to_string(in.remaining()) + " after the header";
  if (in.remaining() < bytes) in.fail("the data is truncated: " + needs);
  if (in.remaining() > bytes) {
    in.fail(std::to_string(in.remaining() - bytes) + " trailing bytes after the data: " + needs);
  }
  return Shape(std::span<const std::size_t>(header.shape));
}

// Reads the data into n host elements.
template <class T>
void npy_read_elements(npy_input& in, T* data, std::size_t n) {
  char* const bytes = reinterpret_cast<char*>(data);
  in.read(bytes, n * sizeof(T), "data");
  if constexpr (npy_needs_swap<T>()) npy_swap_bytes(bytes, n, sizeof(T));
  // A bool holding a byte other than 0 or 1 is undefined behaviour: the
  // bytes are checked before any element is read as bool.
  if constexpr (std::is_same_v<T, bool>) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto byte = static_cast<unsigned char>(bytes[i]);
      if (byte > 1) {
        in.fail("bool element " + std::to_string(i) + " holds the byte " + std::to_string(byte) +
                ", not 0 or 1");
      }
    }
  }
}

}  // namespace detail

// ---------------------------------------------------------------- saving

// Saves the elements of x, row-major, as a .npy file numpy reads with
// np.load(path). Elements are bool, integers of 1 to 8 bytes, float or
// double. A tensor on a device backend is copied to the host first.
template <class T, class B>
void save_npy(const std::filesystem::path& path, TensorView<T, B> x) {
  using V = std::remove_const_t<T>;
  if constexpr (B::host_accessible) {
    detail::npy_save_elements<V>(path, x.shape(), x.data());
  } else {
    const auto host = std::make_unique<V[]>(x.size());
    B::copy_to_host(x.data(), host.get(), x.size());
    detail::npy_save_elements<V>(path, x.shape(), host.get());
  }
}

template <class T, class B>
void save_npy(const std::filesystem::path& path, const Tensor<T, B>& x) {
  save_npy(path, x.view());
}

// A 1-D array of the values.
template <class T, std::size_t Extent>
void save_npy(const std::filesystem::path& path, std::span<T, Extent> values) {
  detail::npy_save_elements<std::remove_const_t<T>>(path, Shape{values.size()}, values.data());
}

template <class T, class Allocator>
void save_npy(const std::filesystem::path& path, const std::vector<T, Allocator>& values) {
  static_assert(!std::is_same_v<T, bool>,
                "modyn::io::save_npy: std::vector<bool> packs its bits; copy it to a Tensor<bool> first");
  save_npy(path, std::span<const T>(values));
}

// Saves the events of a record as an int64 array of shape (K, 2), one row
// (step, index) per event, in the record's order:
//   events = np.load(path); steps, indices = events[:, 0], events[:, 1]
// The record's shape, num_steps, t0 and dt are not stored.
inline void save_npy(const std::filesystem::path& path, const SpikeRecord& record) {
  if (record.steps.size() != record.indices.size()) {
    throw io_error(detail::npy_save_context(path) + ": the SpikeRecord has " +
                   std::to_string(record.steps.size()) + " steps but " +
                   std::to_string(record.indices.size()) + " indices");
  }
  const std::size_t k = record.steps.size();
  std::vector<std::int64_t> rows(2 * k);
  for (std::size_t i = 0; i < k; ++i) {
    rows[2 * i] = record.steps[i];
    rows[2 * i + 1] = record.indices[i];
  }
  detail::npy_save_elements(path, Shape{k, 2}, rows.data());
}

// ---------------------------------------------------------------- loading

// Loads a .npy file holding a C-order array of T of rank 0 to 4. Throws
// io_error, naming the file and the problem, when the file cannot be read,
// is not a .npy file, holds another dtype, another byte order, a column-major
// array, or data of another length than its shape requires.
template <class T, class B = default_backend>
Tensor<T, B> load_npy(const std::filesystem::path& path) {
  detail::npy_input in(path);
  const Shape shape = detail::npy_read_layout(in, detail::npy_dtype_of<T>());
  if constexpr (B::host_accessible) {
    Tensor<T, B> x = Tensor<T, B>::empty(shape);
    detail::npy_read_elements(in, x.data(), x.size());
    return x;
  } else {
    Tensor<T, cpu> host = Tensor<T, cpu>::empty(shape);
    detail::npy_read_elements(in, host.data(), host.size());
    return Tensor<T, B>(shape, std::span<const T>(host.data(), host.size()));
  }
}

// Loads the events save_npy(path, record) wrote: an int64 array of shape
// (K, 2). The file does not hold the record's shape, num_steps, t0 and dt:
// they keep their defaults, for the caller to set.
inline SpikeRecord load_npy_record(const std::filesystem::path& path) {
  const Tensor<std::int64_t, cpu> rows = load_npy<std::int64_t, cpu>(path);
  if (rows.rank() != 2 || rows.shape(1) != 2) {
    throw io_error("modyn::io::load_npy_record: '" + path.string() + "': the shape " +
                   rows.shape().to_string() + " is not (K, 2), one (step, index) row per event");
  }
  SpikeRecord record;
  const std::size_t k = rows.shape(0);
  record.steps.resize(k);
  record.indices.resize(k);
  for (std::size_t i = 0; i < k; ++i) {
    record.steps[i] = rows.data()[2 * i];
    record.indices[i] = rows.data()[2 * i + 1];
  }
  return record;
}

}  // namespace modyn::io
