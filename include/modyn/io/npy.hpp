/// @file
/// save_npy / load_npy: tensors to and from NumPy's .npy files, so that a
/// recording opens with np.load(path) and an array saved by numpy loads into
/// a Tensor.
///
/// @code
///   io::save_npy("v.npy", tensor);                     // a Tensor<T> on any backend
///   const auto v = io::load_npy<float>("v.npy");       // the file must hold float32
///   io::save_npy("w.npy", dict.at("l1.weight"));       // a StateEntry of any dtype
///   const StateEntry e = io::load_npy_entry("w.npy");  // whatever dtype the file holds
/// @endcode
///
/// The format (numpy.lib.format, "NEP 1"): the magic string "\x93NUMPY", a
/// version (1.0: a 16-bit header length; 2.0 and 3.0: 32-bit), the little-
/// endian header length, then a Python dict literal such as
/// @code
///   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
/// @endcode
/// padded with spaces and a final '\n' to a multiple of 64 bytes, then the
/// elements in row-major (C) order.
///
/// Every DType but bfloat16 has a numpy dtype ('<f2' is float16). Plain numpy
/// has no bfloat16 (only the ml_dtypes package adds one), so saving such an
/// entry is an io_error that points to safetensors, which stores it.
///
/// save_npy writes the bytes numpy 1.24 writes for the same array, so files
/// compare equal to np.save's, and writes them atomically (io/atomic_file.hpp):
/// a failed save leaves the previous file in place. load_npy trusts nothing
/// in the file: every length is checked against the file size before it is
/// used, and each problem throws modyn::io_error naming the file and what is
/// wrong. to_npy and from_npy do the same in memory; the .npz archives of
/// io/npz.hpp hold their members in this form and parse them with this code.
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
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/backend/backend.hpp"
#include "modyn/backend/cpu.hpp"
#include "modyn/core/dtype.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/dyn/spike_record.hpp"
#include "modyn/io/atomic_file.hpp"
#include "modyn/module/state_dict.hpp"

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

// The numpy type of a DType; bfloat16 has none.
constexpr std::optional<npy_dtype> npy_dtype_of(DType d) noexcept {
  switch (d) {
    case DType::boolean:
      return npy_dtype{'b', 1};
    case DType::float16:
    case DType::float32:
    case DType::float64:
      return npy_dtype{'f', dtype_size(d)};
    case DType::int8:
    case DType::int16:
    case DType::int32:
    case DType::int64:
      return npy_dtype{'i', dtype_size(d)};
    case DType::uint8:
    case DType::uint16:
    case DType::uint32:
    case DType::uint64:
      return npy_dtype{'u', dtype_size(d)};
    case DType::bfloat16:
      return std::nullopt;
  }
  return std::nullopt;
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

// How a file's descr compares with a type.
enum class npy_match { same, big_endian, other };

inline npy_match npy_compare_descr(std::string_view descr, npy_dtype want) {
  const std::string expected = npy_descr(want);
  const char order = descr.empty() ? '\0' : descr[0];
  const bool same_type = descr.size() == expected.size() && descr.substr(1) == expected.substr(1);
  // One byte has no byte order: numpy writes '|', and '<' or '>' mean the same.
  const bool single_byte_order = want.size == 1 && (order == '|' || order == '<' || order == '>');
  if (same_type && (order == '<' || single_byte_order)) return npy_match::same;
  if (same_type && order == '>') return npy_match::big_endian;
  return npy_match::other;
}

// Host byte order to little-endian and back: the same swap.
inline void npy_swap_bytes(char* bytes, std::size_t count, std::size_t element_size) {
  for (std::size_t i = 0; i < count; ++i)
    std::reverse(bytes + i * element_size, bytes + (i + 1) * element_size);
}

inline constexpr bool npy_big_endian_host = [] {
  static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big,
                "modyn::io: mixed-endian hosts are not supported");
  return std::endian::native == std::endian::big;
}();

template <class T>
constexpr bool npy_needs_swap() {
  return npy_big_endian_host && sizeof(T) > 1;
}

// ---------------------------------------------------------------- writing

// The header dict numpy 1.24 writes for a C-order array, with the spaces it
// leaves for the first extent to grow.
inline std::string npy_header_dict(npy_dtype dtype, const Shape& shape) {
  std::string dict =
      "{'descr': '" + npy_descr(dtype) + "', 'fortran_order': False, 'shape': " + shape.to_string() + ", }";
  if (shape.rank() > 0) dict.append(npy_growth_digits - std::to_string(shape[0]).size(), ' ');
  return dict;
}

// The preamble and padded header around a dict, as numpy's
// _wrap_header_guess_version builds them: 1 to 64 spaces and '\n' up to a
// multiple of 64 (numpy pads a full 64 rather than 0 when already aligned),
// in version 1.0 when the padded length fits its 16 bits, else in 2.0 with a
// 32-bit length. (numpy writes 3.0, a UTF-8 header, only for structured
// dtypes whose field names are not latin-1; modyn writes no structured
// dtypes.) At rank <= 4 a plain dtype's dict is under 200 bytes, so save_npy
// always writes 1.0; 2.0 is kept for the rule's sake and tested directly.
inline std::string npy_wrap_header(std::string_view dict) {
  const bool fits_v1 = [&] {
    const std::size_t unpadded = npy_magic.size() + 2 + 2 + dict.size() + 1;
    return dict.size() + 1 + (npy_alignment - unpadded % npy_alignment) <= 0xffff;
  }();
  const std::size_t length_bytes = fits_v1 ? 2 : 4;
  const std::size_t unpadded = npy_magic.size() + 2 + length_bytes + dict.size() + 1;
  const std::size_t length = dict.size() + (npy_alignment - unpadded % npy_alignment) + 1;

  std::string out(npy_magic);
  out += {fits_v1 ? '\x01' : '\x02', '\x00'};
  for (std::size_t i = 0; i < length_bytes; ++i) out += static_cast<char>((length >> (8 * i)) & 0xff);
  out += dict;
  out.append(length - dict.size() - 1, ' ');
  out += '\n';
  return out;
}

inline std::string npy_header(npy_dtype dtype, const Shape& shape) {
  return npy_wrap_header(npy_header_dict(dtype, shape));
}

inline std::string npy_save_context(const std::filesystem::path& path) {
  return "modyn::io::save_npy: '" + path.string() + "'";
}

// Writes header and data atomically; a failure (a missing directory, a full
// disk) throws io_error naming the path and the reason.
inline void npy_write_file(const std::filesystem::path& path, std::string_view header,
                           std::span<const std::byte> data) {
  write_file_atomically(
      path,
      [&](FileWriter& out) {
        out.write(header);
        out.write(data);
      },
      "modyn::io::save_npy");
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
    npy_write_file(path, header, std::as_bytes(std::span<const char>(little)));
  } else {
    npy_write_file(path, header, std::as_bytes(std::span<const T>(data, shape.size())));
  }
}

// An entry as a .npy file: its header, then its data, which are the entry's
// own bytes on a little-endian host and a swapped copy on a big-endian one.
class npy_encoded {
 public:
  npy_encoded(std::string header, const StateEntry& entry)
      : header_(std::move(header)), entry_(entry.bytes()) {
    if constexpr (npy_big_endian_host) {
      swapped_.assign(entry_.begin(), entry_.end());
      npy_swap_bytes(reinterpret_cast<char*>(swapped_.data()), entry.size(), dtype_size(entry.dtype()));
    }
  }

  std::string_view header() const noexcept { return header_; }
  std::span<const std::byte> data() const noexcept {
    if constexpr (npy_big_endian_host) return swapped_;
    return entry_;
  }
  std::uint64_t size() const noexcept { return header_.size() + entry_.size(); }

 private:
  std::string header_;
  std::span<const std::byte> entry_;
  std::vector<std::byte> swapped_;
};

// The .npy form of an entry (which must outlive it); bfloat16 is an io_error
// after `context`.
inline npy_encoded npy_encode(const StateEntry& entry, const std::string& context) {
  const std::optional<npy_dtype> type = npy_dtype_of(entry.dtype());
  if (!type) {
    throw io_error(
        context +
        ": bfloat16 has no numpy dtype (plain numpy has none; only the ml_dtypes package adds one), "
        "so it has no .npy form: save it with io::save_safetensors, or convert it to float32 "
        "first (io::convert)");
  }
  return npy_encoded(npy_header(*type, entry.shape()), entry);
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

// Opens `path` for reading into `in` and returns the file's size; throws
// io_error(context + ": " + why) if it is missing, a directory, unreadable,
// or of no size it can read. (npy_input and the .npz reader's file source.)
inline std::uintmax_t open_for_reading(std::ifstream& in, const std::filesystem::path& path,
                                       const std::string& context) {
  const auto fail = [&](const std::string& what) { throw io_error(context + ": " + what); };
  std::error_code ec;
  // exists() reports no error for a missing file, only for one it cannot
  // look at (a directory without search permission on the way).
  if (!std::filesystem::exists(path, ec)) {
    fail(ec ? "cannot open: " + ec.message() : std::string("cannot open: the file does not exist"));
  }
  if (std::filesystem::is_directory(path, ec)) fail("cannot open: it is a directory");
  in.open(path, std::ios::binary);
  if (!in) fail("cannot open for reading (permissions?)");
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) fail("cannot read the file size: " + ec.message());
  return size;
}

// The two sources the reader reads from, with one interface: npy_input, an
// open file, and npy_bytes_input, bytes in memory (a file's, or a member of
// an .npz archive). Both check every read against the size they know, and
// name what they read ("file" or "member") in messages.
//
// An open .npy file and how much of it is left.
class npy_input {
 public:
  explicit npy_input(const std::filesystem::path& path) : path_(path) {
    size_ = open_for_reading(in_, path, context());
  }

  std::string context() const { return "modyn::io::load_npy: '" + path_.string() + "'"; }
  static constexpr std::string_view noun() noexcept { return "file"; }

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

  // The next n bytes, read into a buffer of the input's own.
  std::span<const std::byte> view(std::size_t n, std::string_view part) {
    buffer_.resize(n);
    read(reinterpret_cast<char*>(buffer_.data()), n, part);
    return buffer_;
  }

 private:
  std::filesystem::path path_;
  std::ifstream in_;
  std::uintmax_t size_ = 0;
  std::uintmax_t position_ = 0;
  std::vector<std::byte> buffer_;
};

// A .npy file in memory. `context` starts each message; `noun` is what the
// bytes are ("file", or "member" of an archive).
class npy_bytes_input {
 public:
  npy_bytes_input(std::span<const std::byte> bytes, std::string context, std::string_view noun)
      : bytes_(bytes), context_(std::move(context)), noun_(noun) {}

  const std::string& context() const noexcept { return context_; }
  std::string_view noun() const noexcept { return noun_; }

  [[noreturn]] void fail(const std::string& what) const { throw io_error(context_ + ": " + what); }

  std::uintmax_t size() const noexcept { return bytes_.size(); }
  std::uintmax_t remaining() const noexcept { return bytes_.size() - position_; }

  std::span<const std::byte> view(std::size_t n, std::string_view part) {
    if (n > remaining()) {
      fail("the " + std::string(noun_) + " ends inside the " + std::string(part) + " (the " +
           std::string(noun_) + " has " + std::to_string(bytes_.size()) + " bytes)");
    }
    const std::span<const std::byte> out = bytes_.subspan(position_, n);
    position_ += n;
    return out;
  }

  void read(char* dst, std::size_t n, std::string_view part) {
    const std::span<const std::byte> bytes = view(n, part);
    if (n > 0) std::memcpy(dst, bytes.data(), n);
  }

 private:
  std::span<const std::byte> bytes_;
  std::string context_;
  std::string_view noun_;
  std::size_t position_ = 0;
};

// Magic, version and header length; returns the header text.
template <class Input>
std::string npy_read_header_text(Input& in) {
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

  // Version 1.0 stores the header length in 2 bytes, 2.0 and 3.0 in 4. (3.0
  // differs from 2.0 only in allowing UTF-8 in the header, which the parser
  // takes as bytes: the keys and values it accepts are ASCII.)
  const std::size_t length_bytes = version[0] == 1 ? 2 : 4;
  unsigned char length_le[4] = {};
  in.read(reinterpret_cast<char*>(length_le), length_bytes, "header length");
  std::size_t length = 0;
  for (std::size_t i = length_bytes; i-- > 0;) length = length << 8 | length_le[i];
  if (length > in.remaining()) {
    in.fail("the header length (" + std::to_string(length) + " bytes) runs past the end of the " +
            std::string(in.noun()) + " (" + std::to_string(in.remaining()) + " bytes follow the preamble)");
  }
  std::string text(length, '\0');
  in.read(text.data(), length, "header");
  return text;
}

template <class Input>
npy_header_fields npy_read_header(Input& in) {
  const std::string text = npy_read_header_text(in);
  return npy_header_parser(text, in.context()).parse();
}

template <class Input>
[[noreturn]] void npy_refuse_big_endian(const Input& in, const std::string& descr, npy_dtype little) {
  in.fail("it holds big-endian data " + npy_describe(descr) +
          ", which load_npy does not read; convert it in numpy with a.astype('" + npy_descr(little) + "')");
}

// Checks that the file's descr is the one of the requested type.
template <class Input>
void npy_check_dtype(const Input& in, const std::string& descr, npy_dtype want) {
  const npy_match match = npy_compare_descr(descr, want);
  if (match == npy_match::same) return;
  if (match == npy_match::big_endian) npy_refuse_big_endian(in, descr, want);
  in.fail("it holds " + npy_describe(descr) + ", expected " + npy_describe(npy_descr(want)));
}

// The DType of a file's descr, whichever it is.
template <class Input>
DType npy_entry_dtype(const Input& in, const std::string& descr) {
  for (const DType d : all_dtypes) {
    const std::optional<npy_dtype> type = npy_dtype_of(d);
    if (!type) continue;
    const npy_match match = npy_compare_descr(descr, *type);
    if (match == npy_match::same) return d;
    if (match == npy_match::big_endian) npy_refuse_big_endian(in, descr, *type);
  }
  in.fail("it holds " + npy_describe(descr) +
          ", a dtype modyn does not read (it reads bool, int8 to int64, uint8 to uint64, float16, "
          "float32 and float64, little-endian)");
}

// Checks the layout the header gives, and that the data that follow have
// exactly the length the shape requires; returns the shape.
template <class Input>
Shape npy_check_layout(Input& in, const npy_header_fields& header, std::size_t element_size) {
  const std::string shape = npy_shape_string(header.shape);
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
  if (count > max / element_size) in.fail("the shape " + shape + " has more bytes than fit in memory");
  const std::uintmax_t bytes = count * element_size;

  const std::string needs = "the shape " + shape + " of '" + header.descr + "' needs " +
                            std::to_string(bytes) + " bytes of data, the " + std::string(in.noun()) +
                            " has " + std::to_string(in.remaining()) + " after the header";
  if (in.remaining() < bytes) in.fail("the data is truncated: " + needs);
  if (in.remaining() > bytes) {
    in.fail(std::to_string(in.remaining() - bytes) + " trailing bytes after the data: " + needs);
  }
  return Shape(std::span<const std::size_t>(header.shape));
}

// Reads and checks everything before the data of a file that must hold
// `want`; returns the shape.
template <class Input>
Shape npy_read_layout(Input& in, npy_dtype want) {
  const npy_header_fields header = npy_read_header(in);
  npy_check_dtype(in, header.descr, want);
  return npy_check_layout(in, header, want.size);
}

// A bool holding a byte other than 0 or 1 is undefined behaviour: the bytes
// are checked before any element is read as bool.
template <class Input>
void npy_check_bools(const Input& in, std::span<const std::byte> bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    if (byte > 1) {
      in.fail("bool element " + std::to_string(i) + " holds the byte " + std::to_string(byte) +
              ", not 0 or 1");
    }
  }
}

// Reads the data into n host elements.
template <class T, class Input>
void npy_read_elements(Input& in, T* data, std::size_t n) {
  char* const bytes = reinterpret_cast<char*>(data);
  in.read(bytes, n * sizeof(T), "data");
  if constexpr (npy_needs_swap<T>()) npy_swap_bytes(bytes, n, sizeof(T));
  if constexpr (std::is_same_v<T, bool>) npy_check_bools(in, std::as_bytes(std::span<const char>(bytes, n)));
}

// Reads a whole file of any dtype modyn has.
template <class Input>
StateEntry npy_read_entry(Input& in) {
  const npy_header_fields header = npy_read_header(in);
  const DType dtype = npy_entry_dtype(in, header.descr);
  const Shape shape = npy_check_layout(in, header, dtype_size(dtype));
  const std::span<const std::byte> data = in.view(shape.size() * dtype_size(dtype), "data");
  if (dtype == DType::boolean) npy_check_bools(in, data);
  if constexpr (npy_big_endian_host) {
    std::vector<std::byte> host(data.begin(), data.end());
    npy_swap_bytes(reinterpret_cast<char*>(host.data()), shape.size(), dtype_size(dtype));
    return StateEntry(dtype, shape, host);
  } else {
    return StateEntry(dtype, shape, data);
  }
}

// A .npy file in memory, parsed by the same code as files: `context` starts
// each message ("modyn::io::load_npz: 'run.npz': member 'v.npy' at byte 64"),
// `noun` is what the bytes are called in it.
inline StateEntry npy_decode(std::span<const std::byte> bytes, std::string context, std::string_view noun) {
  npy_bytes_input in(bytes, std::move(context), noun);
  return npy_read_entry(in);
}

}  // namespace detail

// ---------------------------------------------------------------- saving

/// Saves the elements of x, row-major, as a .npy file numpy reads with
/// np.load(path). Elements are bool, integers of 1 to 8 bytes, float or
/// double. A tensor on a device backend is copied to the host first.
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

/// Writes a tensor on any backend (a host copy) as a .npy array of its shape.
template <class T, class B>
void save_npy(const std::filesystem::path& path, const Tensor<T, B>& x) {
  save_npy(path, x.view());
}

/// A 1-D array of the values.
template <class T, std::size_t Extent>
void save_npy(const std::filesystem::path& path, std::span<T, Extent> values) {
  detail::npy_save_elements<std::remove_const_t<T>>(path, Shape{values.size()}, values.data());
}

/// A 1-D array of the values (not std::vector<bool>, whose bits are packed).
template <class T, class Allocator>
void save_npy(const std::filesystem::path& path, const std::vector<T, Allocator>& values) {
  static_assert(!std::is_same_v<T, bool>,
                "modyn::io::save_npy: std::vector<bool> packs its bits; copy it to a Tensor<bool> first");
  save_npy(path, std::span<const T>(values));
}

/// Saves the events of a record as an int64 array of shape (K, 2), one row
/// (step, index) per event, in the record's order:
/// @code
///   events = np.load(path); steps, indices = events[:, 0], events[:, 1]
/// @endcode
/// The record's shape, num_steps, t0 and dt are not stored.
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

/// The bytes of the .npy file that holds the entry, as np.save writes them.
/// Throws io_error for a bfloat16 entry, which numpy cannot hold.
inline std::vector<std::byte> to_npy(const StateEntry& entry) {
  const detail::npy_encoded npy = detail::npy_encode(entry, "modyn::io::to_npy");
  std::vector<std::byte> out(npy.size());
  std::memcpy(out.data(), npy.header().data(), npy.header().size());
  if (!npy.data().empty())
    std::memcpy(out.data() + npy.header().size(), npy.data().data(), npy.data().size());
  return out;
}

/// Saves an entry of any dtype but bfloat16 (an io_error: numpy has none) as
/// a .npy file, atomically.
inline void save_npy(const std::filesystem::path& path, const StateEntry& entry) {
  const detail::npy_encoded npy = detail::npy_encode(entry, detail::npy_save_context(path));
  detail::npy_write_file(path, npy.header(), npy.data());
}

// ---------------------------------------------------------------- loading

/// Loads a .npy file holding a C-order array of T of rank 0 to 4. Throws
/// io_error, naming the file and the problem, when the file cannot be read,
/// is not a .npy file, holds another dtype, another byte order, a column-major
/// array, or data of another length than its shape requires.
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

/// Loads a .npy file of any dtype modyn has (bool, int8 to int64, uint8 to
/// uint64, float16, float32, float64) as an entry; the same checks as
/// load_npy, and an io_error naming the dtype for any other.
inline StateEntry load_npy_entry(const std::filesystem::path& path) {
  detail::npy_input in(path);
  return detail::npy_read_entry(in);
}

/// The entry of a .npy file held in memory; `name` names it in messages.
inline StateEntry from_npy(std::span<const std::byte> file, std::string_view name = "<memory>") {
  return detail::npy_decode(file, "modyn::io::load_npy: '" + std::string(name) + "'", "file");
}

/// Loads the events save_npy(path, record) wrote: an int64 array of shape
/// (K, 2). The file does not hold the record's shape, num_steps, t0 and dt:
/// they keep their defaults, for the caller to set.
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
