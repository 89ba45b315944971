/// @file
/// modyn::Module<Derived>: the CRTP base of every module.
///
/// @code
///   struct Scale : modyn::Module<Scale> {
///     float factor = 2;
///     auto update(const auto& x) const { return x * factor; }
///   };
/// @endcode
///
/// A module with MODYN_FIELDS(...) gets, from one traversal of its fields
/// (detail/traversal.hpp), everything brainstate's and PyTorch's modules give:
/// named parameters, states and modules, state dicts, reset_state, reg_loss,
/// parameter counts and printing. Everything is static: no virtual calls.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "modyn/core/dtype.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/type_name.hpp"
#include "modyn/module/detail/traversal.hpp"
#include "modyn/module/detail/value_types.hpp"
#include "modyn/module/filters.hpp"
#include "modyn/module/module_concepts.hpp"
#include "modyn/module/module_info.hpp"
#include "modyn/module/reflection.hpp"
#include "modyn/module/state_dict.hpp"

namespace modyn {

namespace detail {

// The next number for a default name: one counter per short type name, so
// that two Sequential<...> types do not both make "Sequential0".
inline std::size_t next_instance_number(std::string_view type) {
  static std::mutex mutex;
  static std::map<std::string, std::size_t, std::less<>> counters;
  const std::lock_guard lock(mutex);
  auto it = counters.find(type);
  if (it == counters.end()) it = counters.emplace(std::string(type), 0).first;
  return it->second++;
}

template <class F>
struct param_visitor : visitor_base {
  F& f;
  explicit param_visitor(F& fn) : f(fn) {}
  template <class P>
  void param(std::string_view path, P& p, int) {
    f(path, p);
  }
};

template <class F>
struct state_visitor : visitor_base {
  F& f;
  explicit state_visitor(F& fn) : f(fn) {}
  template <class S>
  void state(std::string_view path, S& s, int) {
    f(path, s);
  }
};

template <class F>
struct module_visitor : visitor_base {
  F& f;
  bool include_self;
  module_visitor(F& fn, bool self) : f(fn), include_self(self) {}
  template <class M>
  bool enter(std::string_view path, M& m, int depth) {
    if (depth > 0 || include_self) f(path, m, depth);
    return true;
  }
};

struct state_resetter : visitor_base {
  std::size_t batch_size;
  explicit state_resetter(std::size_t b) : batch_size(b) {}
  template <class S>
  void state(std::string_view, S& s, int) {
    s.reset(batch_size);
  }
  template <class M>
  void leave(std::string_view, M& m, int) {
    if constexpr (requires { m.on_reset_state(batch_size); }) m.on_reset_state(batch_size);
  }
};

// What a collector lists of each Param: its raw value, or its gradient.
enum class collected { params, states, gradients };

// Collects (path, reference) pairs of raw Params, of States or of the
// gradients of the Params that `filter` accepts (filters.hpp). Ref is a
// reference_wrapper, or a std::variant of them when the model mixes tensor
// types.
template <collected What, class Ref, class Filter>
struct collector : visitor_base {
  std::vector<std::pair<std::string, Ref>>& out;
  const Filter& filter;
  collector(std::vector<std::pair<std::string, Ref>>& o, const Filter& fl) : out(o), filter(fl) {}
  template <class M>
  bool enter(std::string_view, M&, int depth) {
    return depth == 0 || deeper_accepted(filter, depth - 1);
  }
  template <class P>
  void param(std::string_view path, P& p, int depth) {
    if constexpr (What == collected::states) {
      return;
    } else if (!accepts(filter, path, std::as_const(p), depth)) {
      return;
    } else if constexpr (What == collected::params) {
      if constexpr (std::is_const_v<P>)
        add(path, p.raw());
      else
        add(path, p.raw_mut());
    } else if constexpr (What == collected::gradients) {
      add(path, p.grad());
    }
  }
  template <class S>
  void state(std::string_view path, S& s, int depth) {
    if constexpr (What == collected::states) {
      if (accepts(filter, path, std::as_const(s), depth)) add(path, s.value());
    }
  }
  template <class T>
  void add(std::string_view path, T& value) {
    if constexpr (is_variant_ref_v<Ref>) {
      out.emplace_back(std::string(path), Ref(std::in_place_type<std::reference_wrapper<T>>, value));
    } else {
      out.emplace_back(std::string(path), Ref(value));
    }
  }
};

}  // namespace detail

/// The CRTP base of every module: names, the lists of parameters, states
/// and sub-modules, state dicts, reset_state, reg_loss and printing, from
/// one traversal of the fields MODYN_FIELDS declares. No virtual calls.
/// @tparam Derived the module that derives from it: struct Net : Module<Net>.
template <class Derived>
class Module {
 public:
  /// A unique default name, as BrainPy's unique_name: the type name and a
  /// per-type counter ("Dense0", "Dense1", ...).
  Module()
      : name_(std::string(short_type_name<Derived>()) +
              std::to_string(detail::next_instance_number(short_type_name<Derived>()))) {}
  explicit Module(std::string name) : name_(std::move(name)) {}  ///< A module with this name.

  const std::string& name() const noexcept { return name_; }  ///< The module's name.
  /// Renames the module; returns it, for chaining.
  Derived& set_name(std::string name) {
    name_ = std::move(name);
    return derived();
  }

  // (Self defers naming Derived until the call: clang checks constraints of
  // a non-template-dependent form while Derived is still incomplete.)
  /// Calling a module is calling its update.
  template <class... Args, class Self = Derived>
  requires requires(Self& d, Args&&... args) { d.update(std::forward<Args>(args)...); }
  decltype(auto) operator()(Args&&... args) {
    return static_cast<Self&>(*this).update(std::forward<Args>(args)...);
  }
  /// The same, on a const module (const references).
  template <class... Args, class Self = Derived>
  requires requires(const Self& d, Args&&... args) { d.update(std::forward<Args>(args)...); }
  decltype(auto) operator()(Args&&... args) const {
    return static_cast<const Self&>(*this).update(std::forward<Args>(args)...);
  }

  // ---- visitors: f(path, field) for each field; static dispatch, no allocation

  /// f(path, param) for each Param, this module's and below, in traversal order.
  template <class F>
  void for_each_parameter(F&& f) {
    visit_params(derived(), f);
  }
  /// The same, on a const module (const references).
  template <class F>
  void for_each_parameter(F&& f) const {
    visit_params(derived(), f);
  }

  /// f(path, state) for each State, this module's and below, in traversal order.
  template <class F>
  void for_each_state(F&& f) {
    visit_states(derived(), f);
  }
  /// The same, on a const module (const references).
  template <class F>
  void for_each_state(F&& f) const {
    visit_states(derived(), f);
  }

  /// f(path, module, depth) for this module (path "") and every module below.
  template <class F>
  void for_each_module(F&& f, bool include_self = true) {
    visit_modules(derived(), f, include_self);
  }
  /// The same, on a const module (const references).
  template <class F>
  void for_each_module(F&& f, bool include_self = true) const {
    visit_modules(derived(), f, include_self);
  }

  // ---- lists (these allocate; for set-up code, not hot loops)
  //
  // named_parameters() is a std::vector of (path, reference) pairs. When the
  // model's Params (States) hold one tensor type the reference is a
  // std::reference_wrapper<Tensor<T, B>> (of const Tensor for a const
  // model); when they hold several (float V beside an int32 counter) it is a
  // std::variant of the reference_wrappers of the distinct types, in
  // traversal order:
  //
  //   for (const auto& [path, ref] : mixed.named_states())
  //     std::visit([](auto t) { std::cout << t.get().shape() << "\n"; }, ref);

  /// (path, reference) of every Param, this module's and below, in traversal order:
  /// a std::reference_wrapper of the tensor, or a std::variant of them when
  /// the tensor types differ; `filter` selects (filters.hpp).
  template <class Filter = detail::no_filter>
  auto named_parameters(Filter filter = {}) {
    return collect<detail::collected::params>(derived(), filter);
  }
  /// The same, on a const module (const references).
  template <class Filter = detail::no_filter>
  auto named_parameters(Filter filter = {}) const {
    return collect<detail::collected::params>(derived(), filter);
  }
  /// The references of named_parameters(filter), without the paths.
  template <class Filter = detail::no_filter>
  auto parameters(Filter filter = {}) {
    return values_of(named_parameters(filter));
  }
  /// The same, on a const module (const references).
  template <class Filter = detail::no_filter>
  auto parameters(Filter filter = {}) const {
    return values_of(named_parameters(filter));
  }

  /// (path, reference) of every State, this module's and below, in traversal
  /// order, with the reference types of named_parameters; `filter` selects
  /// (filters.hpp).
  template <class Filter = detail::no_filter>
  auto named_states(Filter filter = {}) {
    return collect<detail::collected::states>(derived(), filter);
  }
  /// The same, on a const module (const references).
  template <class Filter = detail::no_filter>
  auto named_states(Filter filter = {}) const {
    return collect<detail::collected::states>(derived(), filter);
  }
  /// The references of named_states(filter), without the paths.
  template <class Filter = detail::no_filter>
  auto states(Filter filter = {}) {
    return values_of(named_states(filter));
  }
  /// The same, on a const module (const references).
  template <class Filter = detail::no_filter>
  auto states(Filter filter = {}) const {
    return values_of(named_states(filter));
  }

  /// The gradient buffer of every Param (Param::grad()), with the paths and
  /// in the order of named_parameters(), and the same reference types. The
  /// mutable form allocates the buffers that do not exist yet (zero-filled);
  /// the const form throws config_error naming a Param that has none.
  template <class Filter = detail::no_filter>
  auto named_gradients(Filter filter = {}) {
    return collect<detail::collected::gradients>(derived(), filter);
  }
  /// The same, on a const module (const references).
  template <class Filter = detail::no_filter>
  auto named_gradients(Filter filter = {}) const {
    return collect<detail::collected::gradients>(derived(), filter);
  }
  /// The references of named_gradients(filter), without the paths.
  template <class Filter = detail::no_filter>
  auto gradients(Filter filter = {}) {
    return values_of(named_gradients(filter));
  }
  /// The same, on a const module (const references).
  template <class Filter = detail::no_filter>
  auto gradients(Filter filter = {}) const {
    return values_of(named_gradients(filter));
  }

  /// Sets the gradient of every Param below to zero (Param::zero_grad()).
  void zero_grad() {
    for_each_parameter([](std::string_view, auto& p) { p.zero_grad(); });
  }

  /// (path, ModuleInfo) of this module ("") and every module below, in
  /// traversal order: name, type, parameter count and a handle to act on the
  /// module (module_info.hpp). Filters as for named_parameters, on the
  /// modules' paths and depths.
  template <class Filter = detail::no_filter>
  std::vector<std::pair<std::string, ModuleInfo>> named_modules(bool include_self = true,
                                                                Filter filter = {}) {
    return list_modules<ModuleInfo>(derived(), include_self, filter);
  }
  /// The same, on a const module (const references).
  template <class Filter = detail::no_filter>
  std::vector<std::pair<std::string, ConstModuleInfo>> named_modules(bool include_self = true,
                                                                     Filter filter = {}) const {
    return list_modules<ConstModuleInfo>(derived(), include_self, filter);
  }
  /// The ModuleInfo of named_modules(include_self), without the paths.
  std::vector<ModuleInfo> modules(bool include_self = true) { return values_of(named_modules(include_self)); }
  /// The same, on a const module (const references).
  std::vector<ConstModuleInfo> modules(bool include_self = true) const {
    return values_of(named_modules(include_self));
  }

  /// named_modules of the direct children only (depth 1).
  std::vector<std::pair<std::string, ModuleInfo>> named_children() {
    return named_modules(false, max_depth{1});
  }
  /// The same, on a const module (const references).
  std::vector<std::pair<std::string, ConstModuleInfo>> named_children() const {
    return named_modules(false, max_depth{1});
  }
  /// The ModuleInfo of named_children(), without the paths.
  std::vector<ModuleInfo> children() { return values_of(named_children()); }
  /// The same, on a const module (const references).
  std::vector<ConstModuleInfo> children() const { return values_of(named_children()); }

  /// Number of trainable scalars (raw Param sizes) in this module and below.
  std::size_t num_parameters() const {
    std::size_t n = 0;
    for_each_parameter([&n](std::string_view, const auto& p) { n += p.size(); });
    return n;
  }

  /// Sum of the regularization terms of every regularized Param below.
  double reg_loss() const {
    double loss = 0.0;
    for_each_parameter([&loss](std::string_view, const auto& p) { loss += p.reg_loss(); });
    return loss;
  }

  // ---- state dicts

  /// Host copies of the raw Params and the States, by path, in traversal
  /// order; each entry keeps its field's dtype (see state_dict.hpp).
  StateDict state_dict() const {
    StateDict dict;
    for_each_parameter(
        [&](std::string_view path, const auto& p) { dict.insert_or_assign(std::string(path), p.raw()); });
    for_each_state(
        [&](std::string_view path, const auto& s) { dict.insert_or_assign(std::string(path), s.value()); });
    return dict;
  }

  /// Loads Params and States from `dict`. An entry of another element type
  /// than its field throws type_error naming the path and both dtypes
  /// (nothing is converted); a shape mismatch throws shape_error naming the
  /// path and both shapes; both even when not strict. With strict, missing
  /// or unexpected keys throw key_error listing them all. Nothing is changed
  /// unless the whole load succeeds.
  LoadResult load_state_dict(const StateDict& dict, bool strict = true) {
    LoadResult result;
    std::unordered_set<std::string> matched;
    const auto check = [&](std::string_view path, const auto& field, const auto& shape_ok) {
      const StateEntry* entry = dict.find(path);
      if (!entry) {
        result.missing_keys.emplace_back(path);
        return;
      }
      matched.emplace(path);
      using T = typename std::remove_cvref_t<decltype(field)>::value_type::value_type;
      if (!entry->template holds<T>()) {
        throw type_error("modyn::load_state_dict: '" + std::string(path) + "': the model holds " +
                         std::string(to_string(dtype_v<T>)) + ", the state dict has " +
                         std::string(to_string(entry->dtype())));
      }
      if (!shape_ok(entry->shape())) {
        throw shape_error("modyn::load_state_dict: '" + std::string(path) + "': the model has shape " +
                          field.shape().to_string() + ", the state dict has " + entry->shape().to_string());
      }
    };
    for_each_parameter([&](std::string_view path, const auto& p) {
      check(path, p, [&p](const Shape& shape) { return shape == p.shape(); });
    });
    // A State takes its per-sample shape with any batch size.
    for_each_state([&](std::string_view path, const auto& s) {
      check(path, s, [&s](const Shape& shape) { return s.accepts(shape); });
    });
    for (const auto& [key, entry] : dict) {
      if (!matched.contains(key)) result.unexpected_keys.push_back(key);
    }
    if (strict && !result.ok()) throw key_error(describe_mismatch(result));
    for_each_parameter([&](std::string_view path, auto& p) {
      if (const StateEntry* entry = dict.find(path)) p = as_tensor_of(p, *entry);
    });
    for_each_state([&](std::string_view path, auto& s) {
      if (const StateEntry* entry = dict.find(path)) s.reset_to(as_tensor_of(s, *entry));
    });
    return result;
  }

  // ---- reset

  /// Re-initialises every State below: the State's default (full of its fill
  /// value, with a batch axis of batch_size unless it is 0), then the owning
  /// module's on_reset_state(batch_size) where it defines one.
  void reset_state(std::size_t batch_size = 0) {
    detail::state_resetter visitor(batch_size);
    detail::walk(derived(), visitor);
  }

 private:
  Derived& derived() noexcept { return static_cast<Derived&>(*this); }
  const Derived& derived() const noexcept { return static_cast<const Derived&>(*this); }

  template <class M, class F>
  static void visit_params(M& root, F& f) {
    detail::param_visitor<F> visitor(f);
    detail::walk(root, visitor);
  }

  template <class M, class F>
  static void visit_states(M& root, F& f) {
    detail::state_visitor<F> visitor(f);
    detail::walk(root, visitor);
  }

  template <class M, class F>
  static void visit_modules(M& root, F&& f, bool include_self) {
    detail::module_visitor<std::remove_reference_t<F>> visitor(f, include_self);
    detail::walk(root, visitor);
  }

  template <detail::collected What, class M, class Filter>
  static auto collect(M& root, const Filter& filter) {
    constexpr auto values =
        What == detail::collected::states ? detail::value_filter::states : detail::value_filter::params;
    using Ref = detail::model_tensor_ref_t<Derived, values, std::is_const_v<M>>;
    std::vector<std::pair<std::string, Ref>> out;
    detail::collector<What, Ref, Filter> visitor(out, filter);
    detail::walk(root, visitor);
    return out;
  }

  /// The entry as the tensor type of a Param or State (its dtype was checked).
  template <class Field>
  static auto as_tensor_of(const Field&, const StateEntry& entry) {
    using V = typename Field::value_type;
    return entry.template as<typename V::value_type, typename V::backend_type>();
  }

  template <class Pairs>
  static auto values_of(const Pairs& pairs) {
    std::vector<typename Pairs::value_type::second_type> out;
    out.reserve(pairs.size());
    for (const auto& p : pairs) out.push_back(p.second);
    return out;
  }

  template <class Info, class M, class Filter>
  static auto list_modules(M& root, bool include_self, const Filter& filter) {
    std::vector<std::pair<std::string, Info>> out;
    visit_modules(
        root,
        [&](std::string_view path, auto& m, int depth) {
          if (detail::accepts(filter, path, std::as_const(m), depth))
            out.emplace_back(std::string(path), Info::of(m));
        },
        include_self);
    return out;
  }

  static std::string describe_mismatch(const LoadResult& r) {
    const auto join = [](const std::vector<std::string>& keys) {
      std::string s;
      for (const auto& k : keys) s += (s.empty() ? "'" : ", '") + k + "'";
      return s.empty() ? std::string("none") : s;
    };
    return "modyn::load_state_dict: missing keys: " + join(r.missing_keys) +
           "; unexpected keys: " + join(r.unexpected_keys);
  }

  std::string name_;
};

/// x >> module is module(x); chains read left to right: x >> l1 >> l2.
template <class X, ModuleType M>
decltype(auto) operator>>(X&& x, M&& module) {
  return std::forward<M>(module)(std::forward<X>(x));
}

}  // namespace modyn
