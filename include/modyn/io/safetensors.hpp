/// @file
/// State dicts to and from safetensors files, the checkpoint format that
/// PyTorch (safetensors.torch), JAX (safetensors.flax) and numpy read.
///
/// @code
///   io::save_safetensors("model.safetensors", model);   // or a StateDict
///   const StateDict dict = io::load_safetensors("model.safetensors");
///   model.load_state_dict(dict);
///
///   io::save_states(model, "run.safetensors");          // brainpy's one-call forms
///   io::load_states(model, "run.safetensors");          // float16 files load into float32 models
/// @endcode
///
/// The format: an 8-byte little-endian header length N, N bytes of a JSON
/// object { name: {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]},
/// ..., "__metadata__": {string: string} }, then the tensors' bytes,
/// little-endian and row-major, where [b, e) is relative to the end of the
/// header. Writers pad the header with spaces to a multiple of 8 bytes; we
/// also place the tensors by decreasing element size so that each starts
/// aligned for its type. Saved metadata records the modyn version
/// ("modyn.version") and, for a model, its C++ type ("modyn.model").
///
/// Reading trusts nothing in the file: the header length against the file
/// size and a limit, the JSON (duplicate keys included), every dtype, shape
/// (element counts that overflow) and data offset (out of range, overlapping,
/// holes, trailing bytes) is checked before any tensor is built, and each
/// problem throws io_error naming the file, the tensor and the byte offset.
/// Writing is atomic (io/atomic_file.hpp): a failed save leaves the previous
/// file in place. Entries on device backends are copied through the host.
///
/// Needs nlohmann_json (the optional component modyn::io,
/// find_package(modyn COMPONENTS io)).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "modyn/core/dtype.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/type_name.hpp"
#include "modyn/core/version.hpp"
#include "modyn/io/atomic_file.hpp"
#include "modyn/io/convert.hpp"
#include "modyn/module/module_concepts.hpp"
#include "modyn/module/state_dict.hpp"

namespace modyn::io {

/// The free-form string pairs of "__metadata__".
using Metadata = std::map<std::string, std::string>;

/// A file's tensors (in the order of its header) and metadata.
struct SafetensorsFile {
  StateDict tensors;  ///< The tensors, by key, in header order.
  Metadata metadata;  ///< The "__metadata__" pairs.
};

/// Bounds the reader enforces on a file before it allocates.
struct SafetensorsLimits {
  /// The reference implementation refuses headers above 100 MB; so do we, so
  /// that a corrupt length cannot make the reader allocate the file's size.
  std::uint64_t max_header_bytes = 100'000'000;
};

namespace detail {

inline constexpr std::string_view metadata_key = "__metadata__";

// Byte order: the format is little-endian; a big-endian host swaps elements.
inline void to_little_endian(std::span<std::byte> bytes, std::size_t element_size) {
  if constexpr (std::endian::native == std::endian::big) {
    for (std::size_t i = 0; i + element_size <= bytes.size(); i += element_size) {
      std::reverse(bytes.begin() + static_cast<std::ptrdiff_t>(i),
                   bytes.begin() + static_cast<std::ptrdiff_t>(i + element_size));
    }
  } else {
    (void)bytes, (void)element_size;
  }
}

// ------------------------------------------------------------------ writing

inline std::string safetensors_header(const StateDict& dict, const Metadata& metadata,
                                      std::vector<std::pair<std::size_t, std::uint64_t>>& layout) {
  // Place tensors by decreasing element size (stable): every offset is then a
  // multiple of its element size, the header being padded to 8.
  std::vector<std::size_t> order(dict.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto entry = [&dict](std::size_t i) -> const StateEntry& {
    return (dict.begin() + static_cast<std::ptrdiff_t>(i))->second;
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return dtype_size(entry(a).dtype()) > dtype_size(entry(b).dtype());
  });
  std::vector<std::uint64_t> begin(dict.size());
  std::uint64_t offset = 0;
  layout.clear();
  for (const std::size_t i : order) {
    begin[i] = offset;
    layout.emplace_back(i, offset);
    offset += entry(i).bytes().size();
  }

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[std::string(metadata_key)] = metadata;
  std::size_t i = 0;
  for (const auto& [key, e] : dict) {
    if (key == metadata_key) {
      throw io_error(
          "modyn::io::save_safetensors: a tensor cannot be named '__metadata__' (the format reserves it)");
    }
    auto& info = header[key];
    info["dtype"] = dtype_name(e.dtype());
    info["shape"] = std::vector<std::size_t>(e.shape().begin(), e.shape().end());
    info["data_offsets"] = {begin[i], begin[i] + e.bytes().size()};
    ++i;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

// ------------------------------------------------------------------ reading

// The file's bytes and where we are in them, for messages.
class SafetensorsReader {
 public:
  SafetensorsReader(std::span<const std::byte> file, std::string context, SafetensorsLimits limits)
      : file_(file), context_(std::move(context)), limits_(limits) {}

  SafetensorsFile read() {
    const std::string_view text = header_text();
    const nlohmann::ordered_json header = parse(text);
    if (!header.is_object()) fail("the header (byte 8) is not a JSON object");

    SafetensorsFile result;
    std::vector<Slot> slots;
    for (const auto& [key, value] : header.items()) {
      if (key == metadata_key) {
        result.metadata = metadata(value);
        continue;
      }
      slots.push_back(slot(key, value));
    }
    check_layout(slots);
    for (const Slot& s : slots) {
      std::vector<std::byte> bytes(data().begin() + static_cast<std::ptrdiff_t>(s.begin),
                                   data().begin() + static_cast<std::ptrdiff_t>(s.end));
      if (s.dtype == DType::boolean) check_bools(s, bytes);
      to_little_endian(bytes, dtype_size(s.dtype));
      result.tensors.insert_or_assign(s.key, StateEntry(s.dtype, s.shape, bytes));
    }
    return result;
  }

 private:
  struct Slot {
    std::string key;
    DType dtype;
    Shape shape;
    std::uint64_t begin, end;
  };

  [[noreturn]] void fail(const std::string& what) const { throw io_error(context_ + ": " + what); }

  std::span<const std::byte> data() const { return file_.subspan(8 + header_length_); }
  std::uint64_t data_start() const { return 8 + header_length_; }

  std::string_view header_text() {
    if (file_.size() < 8) {
      fail("truncated: " + std::to_string(file_.size()) +
           " bytes, fewer than the 8 of the header length (not a safetensors file?)");
    }
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<std::uint8_t>(file_[static_cast<std::size_t>(i)]);
    if (n > limits_.max_header_bytes) {
      fail("the header length at byte 0 is " + std::to_string(n) + " bytes, above the limit of " +
           std::to_string(limits_.max_header_bytes) + " (not a safetensors file?)");
    }
    if (n > file_.size() - 8) {
      fail("the header length at byte 0 is " + std::to_string(n) + " bytes, but only " +
           std::to_string(file_.size() - 8) + " bytes follow it (truncated file?)");
    }
    header_length_ = n;
    const auto* chars = reinterpret_cast<const char*>(file_.data() + 8);
    const std::string_view text(chars, static_cast<std::size_t>(n));
    if (text.empty() || text.front() != '{') fail("the header (byte 8) does not start with '{'");
    return text;
  }

  // Parses the JSON, rejecting a key that appears twice in one object (the
  // JSON library would keep the last silently).
  nlohmann::ordered_json parse(std::string_view text) const {
    std::vector<std::unordered_set<std::string>> open;
    std::string duplicate;
    const auto callback = [&](int, nlohmann::ordered_json::parse_event_t event,
                              nlohmann::ordered_json& parsed) {
      using event_t = nlohmann::ordered_json::parse_event_t;
      if (event == event_t::object_start) open.emplace_back();
      if (event == event_t::object_end && !open.empty()) open.pop_back();
      if (event == event_t::key && !open.empty() && !open.back().insert(parsed.get<std::string>()).second &&
          duplicate.empty()) {
        duplicate = parsed.get<std::string>();
      }
      return true;
    };
    nlohmann::ordered_json header;
    try {
      header = nlohmann::ordered_json::parse(text.begin(), text.end(), callback);
    } catch (const nlohmann::json::parse_error& e) {
      // e.byte counts from 1 within the header.
      fail("invalid JSON in the header at byte " + std::to_string(8 + (e.byte > 0 ? e.byte - 1 : 0)) + ": " +
           e.what());
    } catch (const nlohmann::json::exception& e) {  // a number out of range, ...
      fail(std::string("invalid JSON in the header: ") + e.what());
    }
    if (!duplicate.empty()) fail("the header names '" + duplicate + "' twice");
    return header;
  }

  Metadata metadata(const nlohmann::ordered_json& value) const {
    if (!value.is_object()) fail("'__metadata__' is not an object of strings");
    Metadata m;
    for (const auto& [k, v] : value.items()) {
      if (!v.is_string()) fail("'__metadata__': the value of '" + k + "' is not a string");
      m.emplace(k, v.get<std::string>());
    }
    return m;
  }

  Slot slot(const std::string& key, const nlohmann::ordered_json& info) const {
    const std::string where = "tensor '" + key + "'";
    if (!info.is_object()) fail(where + ": its entry in the header is not an object");
    for (const auto& [field, v] : info.items()) {
      if (field != "dtype" && field != "shape" && field != "data_offsets") {
        fail(where + ": unknown field '" + field + "' (expected dtype, shape, data_offsets)");
      }
      (void)v;
    }
    for (const char* field : {"dtype", "shape", "data_offsets"}) {
      if (!info.contains(field)) fail(where + ": no '" + field + "'");
    }
    const auto& dtype = info["dtype"];
    if (!dtype.is_string()) fail(where + ": 'dtype' is not a string");
    const auto parsed = dtype_from_name(dtype.get<std::string>());
    if (!parsed) {
      fail(where + ": unknown dtype '" + dtype.get<std::string>() +
           "' (modyn reads F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL)");
    }

    const auto& shape = info["shape"];
    if (!shape.is_array()) fail(where + ": 'shape' is not an array");
    if (shape.size() > Shape::max_rank) {
      fail(where + ": rank " + std::to_string(shape.size()) + "; modyn tensors have rank at most " +
           std::to_string(Shape::max_rank));
    }
    std::vector<std::size_t> extents;
    for (const auto& e : shape) {
      if (!e.is_number_unsigned())
        fail(where + ": 'shape' holds " + e.dump() + ", not a non-negative integer");
      extents.push_back(e.get<std::size_t>());
    }
    const std::uint64_t bytes = byte_count(where, extents, dtype_size(*parsed));

    const auto& offsets = info["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned()) {
      fail(where + ": 'data_offsets' is not a pair of non-negative integers");
    }
    const auto begin = offsets[0].get<std::uint64_t>(), end = offsets[1].get<std::uint64_t>();
    if (begin > end)
      fail(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
           "] are reversed");
    if (end > data().size()) {
      fail(where + ": data_offsets end at byte " + std::to_string(data_start() + end) +
           " of the file, which has " + std::to_string(file_.size()) + " bytes (truncated file?)");
    }
    if (end - begin != bytes) {
      fail(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] hold " +
           std::to_string(end - begin) + " bytes, its " + std::string(dtype_name(*parsed)) + " shape needs " +
           std::to_string(bytes));
    }
    return {key, *parsed, Shape(std::span<const std::size_t>(extents)), begin, end};
  }

  // Bytes of a shape of `size`-byte elements, checked for overflow.
  std::uint64_t byte_count(const std::string& where, const std::vector<std::size_t>& extents,
                           std::size_t size) const {
    if (std::find(extents.begin(), extents.end(), 0) != extents.end()) return 0;
    std::uint64_t count = size;
    for (const std::size_t e : extents) {
      if (count > std::numeric_limits<std::uint64_t>::max() / e) {
        fail(where + ": the shape's byte count overflows 64 bits");
      }
      count *= e;
    }
    return count;
  }

  // The tensors must tile the data exactly, as the reference reader demands.
  void check_layout(std::vector<Slot> slots) const {
    std::sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    std::uint64_t covered = 0;
    for (const Slot& s : slots) {
      if (s.begin < covered) {
        fail("tensor '" + s.key + "': data_offsets [" + std::to_string(s.begin) + ", " +
             std::to_string(s.end) + "] overlap the tensor before it (which ends at " +
             std::to_string(covered) + ")");
      }
      if (s.begin > covered) {
        fail("a hole in the data: bytes [" + std::to_string(covered) + ", " + std::to_string(s.begin) +
             ") of the data (file bytes from " + std::to_string(data_start() + covered) +
             ") belong to no tensor; the next is '" + s.key + "'");
      }
      covered = s.end;
    }
    if (covered != data().size()) {
      fail(std::to_string(data().size() - covered) + " trailing bytes after the last tensor (from byte " +
           std::to_string(data_start() + covered) + ")");
    }
  }

  // A bool byte other than 0 or 1 would be undefined behaviour once read.
  void check_bools(const Slot& s, std::span<const std::byte> bytes) const {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      if (static_cast<std::uint8_t>(bytes[i]) > 1) {
        fail("tensor '" + s.key + "': BOOL element " + std::to_string(i) + " (byte " +
             std::to_string(data_start() + s.begin + i) + ") is " +
             std::to_string(static_cast<unsigned>(bytes[i])) + ", not 0 or 1");
      }
    }
  }

  std::span<const std::byte> file_;
  std::string context_;
  SafetensorsLimits limits_;
  std::uint64_t header_length_ = 0;
};

inline std::vector<std::byte> read_whole_file(const std::filesystem::path& path, const std::string& context) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw io_error(context + ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw io_error(context + (std::filesystem::exists(path, ec) ? ": cannot open for reading (permissions?)"
                                                                : ": no such file"));
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw io_error(context + ": cannot read the file size: " + ec.message());
  std::vector<std::byte> bytes(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<std::uintmax_t>(in.gcount()) != size) throw io_error(context + ": reading failed");
  return bytes;
}

}  // namespace detail

// ---------------------------------------------------------------- public

/// The bytes of a safetensors file holding `dict` (in its order) and `metadata`.
inline std::vector<std::byte> to_safetensors(const StateDict& dict, const Metadata& metadata = {}) {
  std::vector<std::pair<std::size_t, std::uint64_t>> layout;
  const std::string header = detail::safetensors_header(dict, metadata, layout);
  std::uint64_t data = 0;
  for (const auto& [key, e] : dict) data += e.bytes().size();
  std::vector<std::byte> out(8 + header.size() + data);
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = std::byte((header.size() >> (8 * i)) & 0xff);
  std::memcpy(out.data() + 8, header.data(), header.size());
  std::byte* const start = out.data() + 8 + header.size();
  for (const auto& [index, offset] : layout) {
    const StateEntry& e = (dict.begin() + static_cast<std::ptrdiff_t>(index))->second;
    std::span<std::byte> target(start + offset, e.bytes().size());
    std::copy(e.bytes().begin(), e.bytes().end(), target.begin());
    detail::to_little_endian(target, dtype_size(e.dtype()));
  }
  return out;
}

/// The tensors and metadata of a safetensors file held in memory; `name`
/// names it in messages.
inline SafetensorsFile from_safetensors(std::span<const std::byte> file, std::string_view name = "<memory>",
                                        SafetensorsLimits limits = {}) {
  return detail::SafetensorsReader(file, "modyn::io::load_safetensors: '" + std::string(name) + "'", limits)
      .read();
}

/// Writes `dict` to `path` atomically. The metadata always records
/// "modyn.version".
inline void save_safetensors(const std::filesystem::path& path, const StateDict& dict,
                             Metadata metadata = {}) {
  metadata.emplace("modyn.version", MODYN_VERSION_STRING);
  const std::vector<std::byte> bytes = to_safetensors(dict, metadata);
  write_file_atomically(
      path, [&](FileWriter& out) { out.write(bytes); }, "modyn::io::save_safetensors");
}

/// Writes the model's state dict, with its C++ type as "modyn.model".
template <ModuleType M>
void save_safetensors(const std::filesystem::path& path, const M& model, Metadata metadata = {}) {
  metadata.emplace("modyn.model", std::string(type_name<M>()));
  save_safetensors(path, model.state_dict(), std::move(metadata));
}

/// The tensors and the metadata of a safetensors file (a hardened reader:
/// a malformed file is an io_error naming what is wrong).
inline SafetensorsFile read_safetensors(const std::filesystem::path& path, SafetensorsLimits limits = {}) {
  const std::string context = "modyn::io::load_safetensors: '" + path.string() + "'";
  const std::vector<std::byte> bytes = detail::read_whole_file(path, context);
  return detail::SafetensorsReader(bytes, context, limits).read();
}

/// The tensors of a safetensors file, in the order of its header.
inline StateDict load_safetensors(const std::filesystem::path& path, SafetensorsLimits limits = {}) {
  return read_safetensors(path, limits).tensors;
}

// ---------------------------------------------------------------- one call

/// How load_states matches and converts a file's entries.
struct LoadStatesOptions {
  bool strict = true;                         ///< missing or unexpected keys are a key_error
  Conversion convert = Conversion::lossless;  ///< dtypes that differ from the model's
};

/// Saves the model's parameters and states (brainpy's save_states).
template <ModuleType M>
void save_states(const M& model, const std::filesystem::path& path, Metadata metadata = {}) {
  save_safetensors(path, model, std::move(metadata));
}

/// Loads a file written by save_states (or by PyTorch, with matching names)
/// into the model: entries whose dtype differs from the model's are converted
/// under options.convert (by default only where no value changes), then
/// load_state_dict checks keys and shapes. Nothing changes unless all loads.
template <ModuleType M>
LoadResult load_states(M& model, const std::filesystem::path& path, LoadStatesOptions options = {}) {
  StateDict dict = load_safetensors(path);
  const StateDict own = model.state_dict();
  for (auto& [key, entry] : dict) {
    const StateEntry* mine = own.find(key);
    if (mine && mine->dtype() != entry.dtype()) {
      try {
        entry = convert(entry, mine->dtype(), options.convert);
      } catch (const type_error& e) {
        throw type_error("modyn::io::load_states: '" + path.string() + "': " + e.what());
      }
    }
  }
  return model.load_state_dict(dict, options.strict);
}

}  // namespace modyn::io
