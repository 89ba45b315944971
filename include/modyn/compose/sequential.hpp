// modyn::Sequential{m0, m1, ...}: modules and stateless callables applied in
// order, held in a std::tuple; calling it is a compile-time fold (no type
// erasure, no virtual calls), as brainpy.Sequential and penzai's Sequential.
//
// - Entries: modules, modyn's elementwise functions (relu, tanh, ...,
//   softmax) and any callable taking a tensor. named<"l1">(m) names an
//   entry: its path is "l1.weight" and get<"l1">() returns it; unnamed
//   entries are "0", "1", ... (get<0>() always works).
// - Entries whose update accepts a Context get it (see LoopOverTime).
// - A Dense followed by an elementwise function runs as one GEMM and one
//   pass (bias and activation fused). Elementwise entries write into buffers
//   of the Sequential: once warm, a call allocates nothing.
// - Consecutive static feature sizes (nn::Dense<100, 10>) are checked at
//   compile time; otherwise a runtime shape_error names both entries.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "modyn/compose/named.hpp"
#include "modyn/compose/update_into.hpp"
#include "modyn/core/fixed_string.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/type_name.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/detail/value_types.hpp"
#include "modyn/module/differentiable.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/rebind.hpp"
#include "modyn/nn/activations.hpp"

namespace modyn {

namespace detail {

// Stateless callables that Sequential runs into its own buffers.
template <class E>
inline constexpr bool is_buffered_function_v = is_activation_v<E>;

// What Sequential keeps of a step of one entry for its backward: the
// entry's own tape, or, for an activation, its input and output.
template <class Tensor>
struct function_tape {
  Tensor input, output;
};
struct not_differentiable_entry {};
template <class E, class Tensor>
struct entry_tape {
  using type = not_differentiable_entry;
};
template <class E, class Tensor>
requires Differentiable<E>
struct entry_tape<E, Tensor> {
  using type = typename E::tape_type;
};
template <class E, class Tensor>
requires is_activation_v<E>
struct entry_tape<E, Tensor> {
  using type = function_tape<Tensor>;
};
template <class E, class Tensor>
using entry_tape_t = typename entry_tape<E, Tensor>::type;

template <class E>
constexpr std::size_t static_in_features() {
  if constexpr (requires { E::static_in_features; })
    return E::static_in_features;
  else
    return dynamic;
}
template <class E>
constexpr std::size_t static_out_features() {
  if constexpr (requires { E::static_out_features; })
    return E::static_out_features;
  else
    return dynamic;
}

// The static output size flowing out of entries [0, I], through
// size-preserving functions; dynamic when unknown.
template <std::size_t I, class... Es>
constexpr std::size_t static_size_after() {
  using E = unnamed_t<std::tuple_element_t<I, std::tuple<Es...>>>;
  if constexpr (is_buffered_function_v<E>) {
    if constexpr (I == 0)
      return dynamic;
    else
      return static_size_after<I - 1, Es...>();
  } else {
    return static_out_features<E>();
  }
}

template <std::size_t I, class Previous, class Next, std::size_t Out, std::size_t In>
constexpr bool check_adjacent_sizes() {
  static_assert(Out == dynamic || In == dynamic || Out == In,
                "modyn::Sequential: an entry's static output size differs from the static input size of the "
                "entry after it (the two entry types and sizes are the template arguments of this check)");
  return true;
}

template <std::size_t I, class... Es>
constexpr bool check_next_size() {
  if constexpr (I + 1 >= sizeof...(Es)) {
    return true;
  } else {
    using Next = unnamed_t<std::tuple_element_t<I + 1, std::tuple<Es...>>>;
    using Previous = unnamed_t<std::tuple_element_t<I, std::tuple<Es...>>>;
    return check_adjacent_sizes<I, Previous, Next, static_size_after<I, Es...>(),
                                static_in_features<Next>()>();
  }
}

template <class... Es, std::size_t... I>
constexpr bool check_static_sizes(std::index_sequence<I...>) {
  return (check_next_size<I, Es...>() && ...);
}

// The tensor type the modules of a Sequential use (Tensor<float> if none says).
template <class... Es>
struct sequential_tensor {
  using type = Tensor<float>;
};
// (Hidden from doxygen, whose parser misreads the requires-expression.)
/// \cond internal
template <class E, class... Es>
struct sequential_tensor<E, Es...> {
  using type = typename std::conditional_t < requires { typename unnamed_t<E>::tensor_type; }
  , unnamed_t<E>, sequential_tensor < Es... >> ::tensor_type;
};
template <class E, class... Es>
requires(!requires { typename unnamed_t<E>::tensor_type; }) struct sequential_tensor<E, Es...>
    : sequential_tensor<Es...> {
};
/// \endcond

template <class E, class Tensor>
constexpr bool valid_entry() {
  using U = unnamed_t<E>;
  constexpr bool ok = ModuleType<U> || is_buffered_function_v<U> || std::is_invocable_v<U&, const Tensor&> ||
                      std::is_invocable_v<U&, const Tensor&, const Context&>;
  static_assert(
      ok,
      "modyn::Sequential: every entry must be a module or a callable taking a tensor (the offending "
      "entry type is the template argument E of this check)");
  return ok;
}

// Whether the entry is stateless and context-free: the leading run of such
// entries can be applied to all time steps at once.
template <class E, class Tensor>
constexpr bool is_stateless_entry() {
  using U = unnamed_t<E>;
  if constexpr (is_buffered_function_v<U>) {
    return true;
  } else if constexpr (ModuleType<U>) {
    using states = typename module_values<U, value_filter::states>::type;
    return std::is_same_v<states, type_list<>> && !requires(U & u, const Tensor& x, const Context& c) {
      u(x, c);
    };
  } else {
    return !std::is_invocable_v<U&, const Tensor&, const Context&>;
  }
}

// Whether Sequential<Entries...> can be built from these arguments, one per
// entry.
template <class EntryTuple, class... Args>
constexpr bool constructs_entries() {
  if constexpr (std::tuple_size_v<EntryTuple> != sizeof...(Args)) {
    return false;
  } else {
    return []<std::size_t... I>(std::index_sequence<I...>) {
      return (std::is_constructible_v<std::tuple_element_t<I, EntryTuple>, Args&&> && ...);
    }
    (std::index_sequence_for<Args...>{});
  }
}

}  // namespace detail

namespace detail {
// Whether entry E can run with the elementwise entry Next fused into its
// output pass. (A concept at namespace scope: nvcc's front end mis-expands
// the Sequential's pack in a requires-expression inside its members.)
template <class E, class Next, class X>
concept fuses_with = is_elementwise_v<Next> && requires(E& e, const X& x) {
  e.forward_fused(x, Next{});
};
}  // namespace detail

/// Modules and stateless callables applied in order, as one module (see the
/// top of this file): Sequential{nn::Dense(784, 128), relu, nn::Dense(128, 10)}.
///
/// Entries: the entries' types, deduced from the constructor's arguments; a
/// Named<Name, M> entry (named<"l1">(m)) is M under a name.
template <class... Entries>
class Sequential : public Module<Sequential<Entries...>> {
  static_assert(sizeof...(Entries) > 0, "modyn::Sequential needs at least one entry");

 public:
  /// The tensor type its modules use.
  using tensor_type = typename detail::sequential_tensor<Entries...>::type;
  ///< (Tensor<float> if none says)
  static constexpr std::size_t size = sizeof...(Entries);  ///< the number of entries
  static constexpr std::size_t static_in_features =  ///< the first entry's static input size, or `dynamic`
      detail::static_in_features<unnamed_t<std::tuple_element_t<0, std::tuple<Entries...>>>>();
  static constexpr std::size_t static_out_features =
      detail::static_size_after<size - 1,
                                Entries...>();  ///< the static output size of the last entry, or `dynamic`

 private:
  static_assert((detail::valid_entry<Entries, tensor_type>() && ...));
  static_assert(detail::check_static_sizes<Entries...>(std::index_sequence_for<Entries...>{}));

 public:
  /// The number of leading entries that are stateless and ignore the context.
  static constexpr std::size_t stateless_prefix = [] {
    constexpr bool flags[] = {detail::is_stateless_entry<Entries, tensor_type>()...};
    std::size_t n = 0;
    while (n < sizeof...(Entries) && flags[n]) ++n;
    return n;
  }();

  /// Whether entries [Begin, size) on an X can run with the last one writing
  /// into an Out (run_range_into; compose/update_into.hpp): the last entry's
  /// update_into takes what the entries before it give (a Dense fused with a
  /// last elementwise entry never does: a function has no update_into).
  template <std::size_t Begin, class X, class Out>
  static constexpr bool writes_into() {
    if constexpr (Begin >= size) {
      return false;
    } else {
      using Last = unnamed_t<std::tuple_element_t<size - 1, std::tuple<Entries...>>>;
      using View = TensorView<const typename tensor_type::value_type, typename tensor_type::backend_type>;
      // (First a probe with the usual inputs, which instantiates nothing:
      // most last entries have no update_into, and finding the type the
      // entries before give would instantiate their run.)
      if constexpr (!UpdatesInto<Last, tensor_type, Out> && !UpdatesInto<Last, View, Out>) {
        return false;
      } else if constexpr (Begin + 1 == size) {
        return UpdatesInto<Last, X, Out>;
      } else {
        using Y = std::remove_cvref_t<decltype(std::declval<Sequential&>().template run<Begin, size - 1>(
            std::declval<const X&>(), nullptr))>;
        return UpdatesInto<Last, Y, Out>;
      }
    }
  }

 public:
  Sequential() = default;
  /// The entries, one argument each, in order.
  template <class... Args>
  requires(detail::constructs_entries<std::tuple<Entries...>, Args...>() &&
           !(sizeof...(Args) == 1 && (std::is_same_v<std::remove_cvref_t<Args>, Sequential> ||
                                      ...))) explicit Sequential(Args&&... entries)
      : entries_(std::forward<Args>(entries)...) {}

  /// `to<B>(sequential)` (module/rebind.hpp): each entry is built from the
  /// source's by `to<B>`'s rules, none default-constructed first (the default
  /// constructor of a Dropout, say, would draw a stream of the default
  /// generator).
  static constexpr bool rebind_constructor_copies_fields = true;
  /// The rebind constructor (see rebind_constructor_copies_fields).
  template <class... Others>
  requires(sizeof...(Others) == sizeof...(Entries))
      Sequential(rebind_tag, const Sequential<Others...>& source)
      : Module<Sequential>(source.name()),
        entries_(rebuilt_entries(source.entries_, std::index_sequence_for<Entries...>{})) {}

  /// The I-th entry (without its name).
  template <std::size_t I>
  auto& get() {
    return unwrap(std::get<I>(entries_));
  }
  /// The I-th entry (without its name).
  template <std::size_t I>
  const auto& get() const {
    return unwrap(std::get<I>(entries_));
  }

  /// The entry named Name.
  template <fixed_string Name>
  auto& get() {
    return get<index_of<Name>()>();
  }
  /// The entry named Name.
  template <fixed_string Name>
  const auto& get() const {
    return get<index_of<Name>()>();
  }

  /// x through every entry in order; returns the last one's output.
  template <TensorLike X>
  decltype(auto) update(const X& x) {
    return run<0, size>(x, nullptr);
  }
  /// x through every entry in order, the context given to those that take
  /// one (a LoopOverTime's step); returns the last one's output.
  template <TensorLike X>
  decltype(auto) update(const X& x, const Context& context) {
    return run<0, size>(x, &context);
  }

  /// Entries [Begin, End) on x: LoopOverTime runs the stateless prefix once
  /// over all steps, then the rest step by step.
  template <std::size_t Begin, std::size_t End, TensorLike X>
  decltype(auto) run_range(const X& x, const Context* context) {
    static_assert(Begin < End && End <= size, "modyn::Sequential::run_range: empty or out-of-range entries");
    return run<Begin, End>(x, context);
  }

  /// update(x, context) with the last entry writing its output into `out`
  /// (compose/update_into.hpp): a LoopOverTime's history row. There when
  /// the last entry has update_into.
  template <TensorLike X, class Out>
  requires(writes_into<0, X, Out>()) void update_into(const X& x, const Context& context, Out out) {
    run_into<0>(x, context, out);
  }

  /// Entries [Begin, End) on x, End the last, which writes its output into
  /// `out` (update_into): LoopOverTime's steps after a stateless head.
  template <std::size_t Begin, std::size_t End, TensorLike X, class Out>
  requires(End == size && Begin < End &&
           writes_into<Begin, X, Out>()) void run_range_into(const X& x, const Context& context, Out out) {
    run_into<Begin>(x, context, out);
  }

  // ---- training (module/differentiable.hpp): every entry differentiable

  /// One tape per entry.
  using tape_type = std::tuple<detail::entry_tape_t<unnamed_t<Entries>, tensor_type>...>;
  /// Whether every entry is (LoopOverTime trains only such a Sequential).
  static constexpr bool is_differentiable =
      (!std::is_same_v<detail::entry_tape_t<unnamed_t<Entries>, tensor_type>,
                       detail::not_differentiable_entry> &&
       ...);

  /// update(x, context), each entry recording its step into its tape (no
  /// fusion of a Dense with its activation: the activation keeps its input).
  template <TensorLike X>
  const tensor_type& forward_train(const X& x, tape_type& tape, const Context& context = {}) {
    return train_forward<0, size>(x, tape, context);
  }

  /// The entries' backward passes in reverse order; d loss / d x.
  template <TensorLike G>
  const tensor_type& backward(const tape_type& tape, const G& grad_out, const Context& context = {},
                              InputGrad input_grad = InputGrad::yes) {
    return train_backward<0, size - 1>(tape, grad_out, context, input_grad);
  }

  /// Entries [Begin, End) only (their parts of the tape): LoopOverTime runs
  /// the stateless head once over all steps in training too.
  template <std::size_t Begin, std::size_t End, TensorLike X>
  const tensor_type& forward_train_range(const X& x, tape_type& tape, const Context& context) {
    static_assert(Begin < End && End <= size,
                  "modyn::Sequential::forward_train_range: empty or out-of-range entries");
    return train_forward<Begin, End>(x, tape, context);
  }
  /// backward, for entries [Begin, End) only (their parts of the tape).
  template <std::size_t Begin, std::size_t End, TensorLike G>
  const tensor_type& backward_range(const tape_type& tape, const G& grad_out, const Context& context,
                                    InputGrad input_grad) {
    static_assert(Begin < End && End <= size,
                  "modyn::Sequential::backward_range: empty or out-of-range entries");
    return train_backward<Begin, End - 1>(tape, grad_out, context, input_grad);
  }

  /// Zeroes the carried state gradients of the entries that have States.
  void begin_backward() {
    std::apply([](auto&... e) { (begin_entry_backward(unwrap(e)), ...); }, entries_);
  }

  /// Reflection: each entry under its name ("l1") or index ("0").
  template <class Self>
  static constexpr auto modyn_fields() {
    return entry_fields(std::index_sequence_for<Entries...>{});
  }

 private:
  // (A helper per entry rather than a lambda inside the pack expansion:
  // nvcc's front end cannot expand a pack inside a nested lambda.)
  template <std::size_t... I>
  static constexpr auto entry_fields(std::index_sequence<I...>) {
    return std::make_tuple(entry_field<I>()...);
  }

  template <std::size_t I>
  static constexpr auto entry_field() {
    return detail::field_info{
        entry_name<I>(), [](auto& self) -> decltype(auto) { return unwrap(std::get<I>(self.entries_)); }};
  }

  template <std::size_t I>
  static constexpr std::string_view entry_name() {
    using E = std::tuple_element_t<I, std::tuple<Entries...>>;
    if constexpr (detail::unnamed<E>::is_named)
      return E::name;
    else
      return index_name<I>;
  }

  // What an entry is, for messages: "relu" for a function, else the type ("Dense").
  template <std::size_t I>
  static constexpr std::string_view entry_kind() {
    using E = unnamed_t<std::tuple_element_t<I, std::tuple<Entries...>>>;
    if constexpr (requires { std::string_view(E::name); } && !ModuleType<E>)
      return E::name;
    else
      return short_type_name<E>();
  }

  template <fixed_string Name>
  static constexpr std::size_t index_of() {
    constexpr std::size_t index = [] {
      constexpr bool matches[] = {entry_name_matches<Entries>(Name.view())...};
      std::size_t i = 0;
      while (i < size && !matches[i]) ++i;
      return i;
    }();
    static_assert(index < size, "modyn::Sequential::get<\"name\">: no entry has this name");
    return index;
  }

  template <class E>
  static constexpr bool entry_name_matches(std::string_view name) {
    if constexpr (detail::unnamed<E>::is_named)
      return E::name == name;
    else
      return false;
  }

  template <class E>
  static auto& unwrap(E& entry) {
    if constexpr (detail::unnamed<std::remove_const_t<E>>::is_named)
      return entry.value;
    else
      return entry;
  }

  template <std::size_t I>
  static constexpr bool fusable_with_next() {
    if constexpr (I + 1 >= size) {
      return false;
    } else {
      using E = unnamed_t<std::tuple_element_t<I, std::tuple<Entries...>>>;
      using Next = unnamed_t<std::tuple_element_t<I + 1, std::tuple<Entries...>>>;
      return detail::fuses_with<E, Next, tensor_type>;
    }
  }

  template <std::size_t I, std::size_t End, class X>
  decltype(auto) run(const X& x, const Context* context) {
    if constexpr (I + 1 < End && fusable_with_next<I>()) {
      using Next = unnamed_t<std::tuple_element_t<I + 1, std::tuple<Entries...>>>;
      if constexpr (I + 2 == End)
        return guarded<I>([&]() -> decltype(auto) { return get<I>().forward_fused(x, Next{}); }, x);
      else
        return run<I + 2, End>(
            guarded<I>([&]() -> decltype(auto) { return get<I>().forward_fused(x, Next{}); }, x), context);
    } else if constexpr (I + 1 == End) {
      return call<I>(x, context);
    } else {
      return run<I + 1, End>(call<I>(x, context), context);
    }
  }

  template <std::size_t Begin, class X, class Out>
  void run_into(const X& x, const Context& context, Out out) {
    constexpr std::size_t last = size - 1;
    if constexpr (Begin == last) {
      guarded<last>([&] { get<last>().update_into(x, context, out); }, x);
    } else {
      decltype(auto) y = run<Begin, last>(x, &context);
      guarded<last>([&] { get<last>().update_into(y, context, out); }, y);
    }
  }

  template <std::size_t I, class X>
  decltype(auto) call(const X& x, const Context* context) {
    using E = unnamed_t<std::tuple_element_t<I, std::tuple<Entries...>>>;
    if constexpr (detail::is_buffered_function_v<E>) {
      tensor_type& out = buffers_[I];
      out.ensure_shape(x.shape());
      E::apply_into(x, out);
      return static_cast<const tensor_type&>(out);
    } else {
      return guarded<I>(
          [&]() -> decltype(auto) {
            if (context) return detail::call_with_context(get<I>(), x, *context);
            return detail::call_with_context(get<I>(), x, Context{});
          },
          x);
    }
  }

  // Runs entry I; a shape_error is re-thrown naming the entry and the one
  // that fed it, a device_error naming the entry.
  template <std::size_t I, class F, class X>
  decltype(auto) guarded(F&& f, const X& x) {
    try {
      return f();
    } catch (const shape_error& e) {
      std::string where = "modyn::Sequential '" + this->name() + "': entry " + std::string(entry_name<I>()) +
                          " (" + std::string(entry_kind<I>()) + ")";
      if constexpr (I > 0) {
        where += ", fed by entry " + std::string(entry_name<I - 1>()) + " (" +
                 std::string(entry_kind<I - 1>()) + ")";
      }
      throw shape_error(where + " with shape " + x.shape().to_string() + ": " + e.what());
    } catch (const device_error& e) {  // a failed device call: say which entry made it
      throw device_error("modyn::Sequential '" + this->name() + "': entry " + std::string(entry_name<I>()) +
                         " (" + std::string(entry_kind<I>()) + "): " + e.what());
    }
  }

  template <std::size_t I>
  static constexpr void check_differentiable() {
    using E = unnamed_t<std::tuple_element_t<I, std::tuple<Entries...>>>;
    static_assert(!std::is_same_v<detail::entry_tape_t<E, tensor_type>, detail::not_differentiable_entry>,
                  "modyn::Sequential: training needs every entry to be differentiable (a module with "
                  "tape_type, forward_train and backward, or one of modyn's activations); this entry is not");
  }

  template <std::size_t I, std::size_t End, class X>
  const tensor_type& train_forward(const X& x, tape_type& tape, const Context& context) {
    check_differentiable<I>();
    using E = unnamed_t<std::tuple_element_t<I, std::tuple<Entries...>>>;
    auto& entry_tape = std::get<I>(tape);
    const tensor_type& y = [&]() -> const tensor_type& {
      if constexpr (is_activation_v<E>) {
        keep_copy(entry_tape.input, x);
        entry_tape.output.ensure_shape(x.shape());
        E::apply_into(entry_tape.input, entry_tape.output);
        return entry_tape.output;
      } else {
        return guarded<I>(
            [&]() -> const tensor_type& { return get<I>().forward_train(x, entry_tape, context); }, x);
      }
    }();
    if constexpr (I + 1 == End)
      return y;
    else
      return train_forward<I + 1, End>(y, tape, context);
  }

  // Entries I, I - 1, ..., Begin; Begin gets `input_grad`.
  template <std::size_t Begin, std::size_t I, class G>
  const tensor_type& train_backward(const tape_type& tape, const G& g, const Context& context,
                                    InputGrad input_grad) {
    using E = unnamed_t<std::tuple_element_t<I, std::tuple<Entries...>>>;
    const InputGrad wanted = I == Begin ? input_grad : InputGrad::yes;
    const auto& entry_tape = std::get<I>(tape);
    const tensor_type& gx = [&]() -> const tensor_type& {
      if constexpr (is_activation_v<E>) {
        tensor_type& out = buffers_[I];
        if (wanted == InputGrad::no) return no_input_grad(out);
        if (!(g.shape() == entry_tape.output.shape())) {
          throw shape_error("modyn::Sequential '" + this->name() + "': entry " +
                            std::string(entry_name<I>()) + " (" + std::string(entry_kind<I>()) +
                            "): backward expected a gradient of shape " +
                            entry_tape.output.shape().to_string() + ", got " + g.shape().to_string());
        }
        out.ensure_shape(entry_tape.input.shape());
        if constexpr (is_elementwise_v<E>)
          E::backward_into(entry_tape.input, entry_tape.output, g, out);
        else
          E::backward_into(entry_tape.output, g, out);
        return out;
      } else {
        try {
          return get<I>().backward(entry_tape, g, context, wanted);
        } catch (const shape_error& e) {  // name the entry, and where its gradient came from
          std::string where = "modyn::Sequential '" + this->name() + "': backward of entry " +
                              std::string(entry_name<I>()) + " (" + std::string(entry_kind<I>()) + ")";
          if constexpr (I + 1 < size) {
            where += ", d loss / d output from entry " + std::string(entry_name<I + 1>()) + " (" +
                     std::string(entry_kind<I + 1>()) + ")";
          }
          throw shape_error(where + " with shape " + g.shape().to_string() + ": " + e.what());
        }
      }
    }();
    if constexpr (I == Begin)
      return gx;
    else
      return train_backward<Begin, I - 1>(tape, gx, context, input_grad);
  }

  template <class E>
  static void begin_entry_backward(E& entry) {
    if constexpr (CarriesStateGrad<E>) entry.begin_backward();
  }

  template <class... Others, std::size_t... I>
  static std::tuple<Entries...> rebuilt_entries(const std::tuple<Others...>& source,
                                                std::index_sequence<I...>) {
    return std::tuple<Entries...>(rebuilt_entry<Entries>(std::get<I>(source))...);
  }

  template <class Entry, class Source>
  static Entry rebuilt_entry(const Source& source) {
    if constexpr (detail::unnamed<Entry>::is_named)
      return Entry{detail::make_rebound<unnamed_t<Entry>>(source.value)};
    else
      return detail::make_rebound<Entry>(source);
  }

  template <class...>
  friend class Sequential;  // the rebind constructor reads another backend's entries

  std::tuple<Entries...> entries_;
  std::array<tensor_type, size> buffers_;
};

/// Sequential{m0, m1, ...} deduces the entries' types (held by value).
template <class... Entries>
Sequential(Entries&&...) -> Sequential<std::decay_t<Entries>...>;

}  // namespace modyn
