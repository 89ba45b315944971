/// @file
/// PyTorch checkpoints in modyn models: parameters under PyTorch's names and
/// in PyTorch's layouts, to and from state dicts and safetensors files.
///
/// @code
///   # Python: a model trained with PyTorch
///   safetensors.torch.save_file(cell.state_dict(), "gru.safetensors")
///
///   nn::GRUCell<> cell(in, hidden);
///   io::load_pytorch(cell, "gru.safetensors");     // or io::from_pytorch(cell, dict)
///   io::save_pytorch(cell, "back.safetensors");    // torch's load_state_dict(strict=True) takes it
///   const StateDict torch_dict = io::to_pytorch(cell);
/// @endcode
///
/// The layout rule
/// ---------------
/// modyn stores weights (in, out), so that a layer computes x W; PyTorch
/// stores them (out, in) and computes x W^T. So every rank-2 Param whose
/// path ends in "weight", "weight_ih" or "weight_hh" (the last dot-separated
/// segment) is transposed on the way in and out; every other Param (biases,
/// rank-1 weights) is copied as it is. With that rule, and since the names
/// and gate orders are PyTorch's, these modules map one to one:
///
/// @code
///   modyn                        PyTorch                keys
///   nn::Dense                    nn.Linear              weight, bias
///   nn::RNNCell (tanh, relu)     nn.RNNCell             weight_ih, weight_hh, bias_ih, bias_hh
///   nn::GRUCell (r, z, n)        nn.GRUCell             the same
///   nn::LSTMCell (i, f, g, o)    nn.LSTMCell            the same
///   nn::LayerNorm                nn.LayerNorm           weight, bias (rank 1: not transposed)
/// @endcode
///
/// The rule also transposes any other rank-2 Param named weight (a
/// dyn::DenseConn's (pre, post) weight becomes a bias-free Linear's
/// (post, pre)). A Param with a transform (Param<V, softplus>) is read and
/// written as its raw value, the tensor the state dict holds. States (a
/// cell's h and c) are not parameters, and PyTorch's state dicts lack them:
/// from_pytorch leaves them as they are and to_pytorch omits them.
///
/// Paths and keys
/// --------------
/// A module's path is its fields' names joined by dots, as PyTorch joins its
/// attributes: a model with MODYN_FIELDS(enc, dec) has "enc.weight" where a
/// torch.nn.Module with self.enc, self.dec has "enc.weight". modyn's
/// Sequential names an unnamed entry by its position, counting function
/// entries as torch.nn.Sequential counts its activation modules:
/// Sequential{Dense, relu, Dense} has "0.weight", "0.bias", "2.weight",
/// "2.bias", the keys of torch.nn.Sequential(Linear, ReLU, Linear). Entries
/// named with named<"l1">(...) and other differences need renames:
/// options.renames maps a modyn path, or a prefix of paths ending before a
/// dot, to the PyTorch key or key prefix replacing it; the longest matching
/// prefix wins, "" matches every path, and an empty replacement drops the
/// prefix. {"l1", "0"} maps "l1.weight" to "0.weight"; {"", "model"} maps
/// "weight" to "model.weight".
///
/// Checks (from_pytorch): a key the model needs and the dict lacks is a
/// key_error naming every missing key; a key of the dict that no Param takes
/// is a key_error too unless options.strict is false (then it is listed in
/// the LoadResult's unexpected_keys); a shape other than the Param's is a
/// shape_error naming the key and the expected shape in PyTorch's layout and
/// in modyn's; an entry of another dtype is converted with io::convert under
/// options.convert (by default only where no value changes: a float16 or
/// bfloat16 checkpoint loads into a float32 model, a float64 one needs
/// Conversion::any), else a type_error. Nothing changes unless all succeeds.
///
/// Needs nlohmann_json (the optional component modyn::io,
/// find_package(modyn COMPONENTS io)) for the safetensors files.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "modyn/core/dtype.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/type_name.hpp"
#include "modyn/io/convert.hpp"
#include "modyn/io/safetensors.hpp"
#include "modyn/module/module_concepts.hpp"
#include "modyn/module/state_dict.hpp"

namespace modyn::io {

/// How load_pytorch and from_pytorch match and convert a PyTorch state dict.
struct PytorchOptions {
  /// Keys of the PyTorch dict that no Param takes are a key_error (as
  /// PyTorch's load_state_dict(strict=True)); false lists them in the result.
  /// Missing keys are an error either way.
  bool strict = true;
  /// Entries whose dtype differs from the Param's (see io/convert.hpp).
  Conversion convert = Conversion::lossless;
  /// modyn path (or path prefix) -> PyTorch key (or key prefix); see the top.
  std::map<std::string, std::string> renames{};
};

/// Whether the layout rule transposes a Param of this path and rank (see the top).
constexpr bool pytorch_transposes(std::string_view path, std::size_t rank) noexcept {
  if (rank != 2) return false;
  const std::size_t dot = path.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? path : path.substr(dot + 1);
  return last == "weight" || last == "weight_ih" || last == "weight_hh";
}

/// The PyTorch key of a modyn parameter path under options.renames.
inline std::string pytorch_key(std::string_view path, const PytorchOptions& options = {}) {
  const std::pair<const std::string, std::string>* best = nullptr;
  for (const auto& rename : options.renames) {
    const std::string& from = rename.first;
    const bool matches = from.empty() || path == from ||
                         (path.size() > from.size() && path.starts_with(from) && path[from.size()] == '.');
    if (matches && (!best || from.size() > best->first.size())) best = &rename;
  }
  if (!best) return std::string(path);
  const std::string& from = best->first;
  const std::string& to = best->second;
  // What follows the prefix, without its dot ("" when the path is the prefix).
  const std::string_view rest = from.empty() ? path : path.substr(std::min(path.size(), from.size() + 1));
  if (to.empty()) return std::string(rest);
  return rest.empty() ? to : to + "." + std::string(rest);
}

namespace detail {

// A rank-2 entry (rows, cols) as (cols, rows), of any dtype.
inline StateEntry transposed(const StateEntry& e) {
  const std::size_t rows = e.shape()[0], cols = e.shape()[1], size = dtype_size(e.dtype());
  std::vector<std::byte> out(e.bytes().size());
  const std::byte* in = e.bytes().data();
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j)
      std::memcpy(out.data() + (j * rows + i) * size, in + (i * cols + j) * size, size);
  }
  return StateEntry(e.dtype(), Shape{cols, rows}, out);
}

inline Shape transposed(const Shape& s) { return Shape{s[1], s[0]}; }

// One Param of the model: its path, its PyTorch key, dtype and shape.
struct PytorchParam {
  std::string path;
  std::string key;
  DType dtype;
  Shape shape;  // modyn's layout
  bool transpose;
};

inline std::string quoted_list(const std::vector<std::string>& keys) {
  std::string s;
  for (const auto& k : keys) s += (s.empty() ? "'" : ", '") + k + "'";
  return s.empty() ? std::string("none") : s;
}

// "'0.weight'", or "'0.weight' (the model's 'l1.weight')" where renamed.
inline std::string describe_key(const PytorchParam& p) {
  return "'" + p.key + "'" + (p.key == p.path ? std::string() : " (the model's '" + p.path + "')");
}

template <ModuleType M>
std::vector<PytorchParam> pytorch_params(const M& model, const PytorchOptions& options,
                                         std::string_view context) {
  std::vector<PytorchParam> params;
  std::unordered_map<std::string, std::string> path_of_key;
  model.for_each_parameter([&](std::string_view path, const auto& p) {
    using T = typename std::remove_cvref_t<decltype(p)>::value_type::value_type;
    std::string key = pytorch_key(path, options);
    if (const auto [it, fresh] = path_of_key.emplace(key, std::string(path)); !fresh) {
      throw config_error(std::string(context) + ": the renames map both '" + it->second + "' and '" +
                         std::string(path) + "' to the key '" + key + "'");
    }
    const Shape& shape = p.raw().shape();
    params.push_back(
        {std::string(path), std::move(key), dtype_v<T>, shape, pytorch_transposes(path, shape.rank())});
  });
  return params;
}

}  // namespace detail

/// Loads PyTorch-named and -laid-out parameters (a torch state_dict) into the
/// model's Params; see the top for the rule, the renames and the checks.
/// States are left as they are. Returns the dict's keys that no Param took
/// (unexpected_keys; empty when strict) and no missing keys (those throw).
template <ModuleType M>
LoadResult from_pytorch(M& model, const StateDict& torch_dict, const PytorchOptions& options = {}) {
  constexpr std::string_view context = "modyn::io::from_pytorch";
  const std::vector<detail::PytorchParam> params = detail::pytorch_params(model, options, context);

  LoadResult result;
  std::unordered_set<std::string_view> keys;
  std::vector<std::string> missing;
  for (const auto& p : params) {
    keys.insert(p.key);
    if (!torch_dict.contains(p.key)) missing.push_back(detail::describe_key(p));
  }
  for (const auto& [key, entry] : torch_dict) {
    if (!keys.contains(key)) result.unexpected_keys.push_back(key);
  }
  if (!missing.empty() || (options.strict && !result.unexpected_keys.empty())) {
    std::string message = std::string(context) + ": missing keys: ";
    if (missing.empty()) message += "none";
    for (std::size_t i = 0; i < missing.size(); ++i) message += (i ? ", " : "") + missing[i];
    message += "; unexpected keys: " + detail::quoted_list(result.unexpected_keys);
    if (!options.strict) message += " (ignored: strict is false)";
    throw key_error(message);
  }

  StateDict dict;
  for (const auto& p : params) {
    const StateEntry& entry = torch_dict.at(p.key);
    const Shape expected = p.transpose ? detail::transposed(p.shape) : p.shape;
    if (!(entry.shape() == expected)) {
      throw shape_error(std::string(context) + ": " + detail::describe_key(p) +
                        ": the PyTorch state dict has shape " + entry.shape().to_string() +
                        ", the model expects " + expected.to_string() +
                        (p.transpose ? " in PyTorch's layout (" + p.shape.to_string() + " in modyn's)" : ""));
    }
    StateEntry value;
    try {
      value = convert(entry, p.dtype, options.convert);
    } catch (const type_error& e) {
      // (convert names the PyTorch key; a renamed one gets the model's path too.)
      throw type_error(std::string(context) + ": " + (p.key == p.path ? "" : detail::describe_key(p) + ": ") +
                       e.what());
    }
    dict.insert_or_assign(p.path, p.transpose ? detail::transposed(value) : std::move(value));
  }
  // Every Param is in the dict with its dtype and shape, so this only
  // assigns; the States are not in it and are left alone.
  (void)model.load_state_dict(dict, false);
  return result;
}

/// The model's Params under PyTorch's keys and in its layouts, in traversal
/// order (which, for the modules of the table at the top, is PyTorch's).
template <ModuleType M>
StateDict to_pytorch(const M& model, const PytorchOptions& options = {}) {
  (void)detail::pytorch_params(model, options, "modyn::io::to_pytorch");  // checks the renames
  StateDict dict;
  model.for_each_parameter([&](std::string_view path, const auto& p) {
    StateEntry entry(p.raw());
    if (pytorch_transposes(path, entry.rank())) entry = detail::transposed(entry);
    dict.insert_or_assign(pytorch_key(path, options), std::move(entry));
  });
  return dict;
}

/// from_pytorch of a safetensors file (safetensors.torch.save_file(
/// module.state_dict(), path)); errors name the file.
template <ModuleType M>
LoadResult load_pytorch(M& model, const std::filesystem::path& path, const PytorchOptions& options = {}) {
  const StateDict dict = load_safetensors(path);
  const std::string where = "modyn::io::load_pytorch: '" + path.string() + "': ";
  try {
    return from_pytorch(model, dict, options);
  } catch (const key_error& e) {
    throw key_error(where + e.what());
  } catch (const shape_error& e) {
    throw shape_error(where + e.what());
  } catch (const type_error& e) {
    throw type_error(where + e.what());
  } catch (const config_error& e) {
    throw config_error(where + e.what());
  }
}

/// Writes to_pytorch(model) as a safetensors file that
/// module.load_state_dict(safetensors.torch.load_file(path)) takes. The
/// metadata records "format": "pt" (as safetensors.torch.save_model writes),
/// the model's C++ type ("modyn.model") and the modyn version.
template <ModuleType M>
void save_pytorch(const M& model, const std::filesystem::path& path, const PytorchOptions& options = {},
                  Metadata metadata = {}) {
  metadata.emplace("format", "pt");
  metadata.emplace("modyn.model", std::string(type_name<M>()));
  save_safetensors(path, to_pytorch(model, options), std::move(metadata));
}

}  // namespace modyn::io
