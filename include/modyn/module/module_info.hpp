/// @file
/// What named_modules() and children() list of each module: its name, short
/// type name and parameter count, and a handle to the module itself, so that
/// code can act on the modules it finds, as PyTorch's
///
/// @code
///   for name, m in model.named_modules():
///       if isinstance(m, nn.Linear): ...
/// @endcode
///
/// reads in modyn:
///
/// @code
///   for (auto& [path, info] : model.named_modules())
///     if (auto* dense = info.as<nn::Dense<>>()) dense->bias.set_value(...);
/// @endcode
///
/// The handle compares exact types (nn::Dense<float, cpu>, not any Dense) and
/// needs no RTTI. It refers to the module: it is valid while the module lives
/// and is not moved. A list made from a const model holds const handles.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>

#include "modyn/core/error.hpp"
#include "modyn/core/type_name.hpp"

namespace modyn {

namespace detail {
// One object per type: its address identifies the type.
template <class T>
inline constexpr char type_key = 0;
}  // namespace detail

/// A module found by named_modules() or children(): its name, short type
/// name, parameter count, and a handle to act on it (is<M>(), get<M>()).
/// @tparam Const whether the handle reads only (from a const model).
template <bool Const>
class basic_module_info {
  template <class M>
  using pointer = std::conditional_t<Const, const M*, M*>;
  using void_pointer = pointer<void>;

 public:
  std::string name;                ///< the module's name()
  std::string type;                ///< its short type name ("Dense")
  std::size_t num_parameters = 0;  ///< in the module and below it

  basic_module_info() = default;

  /// The info of `module`, holding a handle to it.
  template <class M>
  requires(Const || !std::is_const_v<M>) static basic_module_info of(M& module) {
    basic_module_info info;
    info.name = module.name();
    info.type = std::string(short_type_name<std::remove_const_t<M>>());
    info.num_parameters = module.num_parameters();
    info.module_ = &module;
    info.type_key_ = &detail::type_key<std::remove_const_t<M>>;
    return info;
  }

  /// A mutable handle is also a const one.
  template <bool C = Const>
  requires C basic_module_info(const basic_module_info<false>& other)
      : name(other.name),
        type(other.type),
        num_parameters(other.num_parameters),
        module_(other.module_),
        type_key_(other.type_key_) {}

  /// Whether the module is an M (exactly that type).
  template <class M>
  bool is() const noexcept {
    return type_key_ == &detail::type_key<std::remove_const_t<M>>;
  }

  /// The module as an M, or nullptr when it is not one (dynamic_cast's role).
  template <class M>
  pointer<std::remove_const_t<M>> as() const noexcept {
    return is<M>() ? static_cast<pointer<std::remove_const_t<M>>>(module_) : nullptr;
  }

  /// The module as an M; type_error naming both types when it is not one.
  template <class M>
  auto& get() const {
    if (auto* module = as<M>()) return *module;
    throw type_error("modyn::ModuleInfo::get: the module '" + name + "' is a " + type + ", not a " +
                     std::string(short_type_name<std::remove_const_t<M>>()));
  }

 private:
  template <bool>
  friend class basic_module_info;

  void_pointer module_ = nullptr;
  const void* type_key_ = nullptr;
};

using ModuleInfo = basic_module_info<false>;      ///< From a mutable model: acts on its modules.
using ConstModuleInfo = basic_module_info<true>;  ///< From a const model: reads them.

}  // namespace modyn
