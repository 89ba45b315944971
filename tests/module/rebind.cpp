// clone(model), to<Backend>(model) and rebind_backend_t.
#include <array>
#include <catch2/catch.hpp>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "models.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/compose/named.hpp"
#include "modyn/compose/sequential.hpp"
#include "modyn/nn/dense.hpp"
#include "modyn/nn/dropout.hpp"

using modyn::Shape;
using modyn::Tensor;
using mt::other_backend;
using mt::paths_of;

namespace {

template <class M>
std::vector<std::string> module_names(const M& model) {
  std::vector<std::string> out;
  for (const auto& [path, info] : model.named_modules()) out.push_back(info.name);
  return out;
}

// Params and States of two models on any backends are equal, path by path.
template <class A, class B>
void check_same_tensors(A& a, B& b) {
  const auto pa = a.named_parameters();
  const auto pb = b.named_parameters();
  REQUIRE(paths_of(pa) == paths_of(pb));
  for (std::size_t i = 0; i < pa.size(); ++i) {
    CAPTURE(pa[i].first);
    CHECK(pa[i].second.get() == pb[i].second.get());
    CHECK(pa[i].second.get().data() != static_cast<const void*>(pb[i].second.get().data()));
  }
  const auto sa = a.named_states();
  const auto sb = b.named_states();
  REQUIRE(paths_of(sa) == paths_of(sb));
  for (std::size_t i = 0; i < sa.size(); ++i) {
    CAPTURE(sa[i].first);
    CHECK(sa[i].second.get() == sb[i].second.get());
  }
}

// The elements of a tensor on any host-accessible backend.
template <class X>
std::vector<float> host_values(const X& x) {
  return modyn::to<modyn::cpu>(x).to_vector();
}

void require_close(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == Approx(want[i]).margin(1e-6));
  }
}

template <class X>
using backend_of_t = typename std::remove_cvref_t<X>::backend_type;

// A module with no default constructor: built from its size, or from
// another backend's module through the rebind constructor.
template <class B = modyn::cpu>
struct Sized : modyn::Module<Sized<B>> {
  using tensor = Tensor<float, B>;

  modyn::Param<tensor> w;
  std::size_t n;
  MODYN_FIELDS(w, n)

  int built_by_rebind = 0;  // not reflected: set by the rebind constructor only

  explicit Sized(std::size_t size) : w(tensor::zeros({size})), n(size) {}
  template <class Other>
  Sized(modyn::rebind_tag, const Sized<Other>& source) : Sized(source.n) {
    built_by_rebind = 1;
  }
};

// Holds modules without a default constructor: as a member and in a vector.
template <class B = modyn::cpu>
struct SizedHolder : modyn::Module<SizedHolder<B>> {
  Sized<B> one{2};
  std::vector<Sized<B>> many;
  MODYN_FIELDS(one, many)
};

// A module with an unreflected member that on_rebind carries across.
template <class B = modyn::cpu>
struct Hooked : modyn::Module<Hooked<B>> {
  using tensor = Tensor<float, B>;

  modyn::Param<tensor> w{tensor::full({2}, 1.0f)};
  MODYN_FIELDS(w)

  int counter = 0;                 // not reflected
  std::vector<float> w_at_hook{};  // what on_rebind saw of w

  template <class Other>
  void on_rebind(const Hooked<Other>& source) {
    counter = source.counter;
    w_at_hook = host_values(w.raw());
  }
};

template <class B = modyn::cpu>
struct HookedHolder : modyn::Module<HookedHolder<B>> {
  Hooked<B> child;
  std::vector<Hooked<B>> children = std::vector<Hooked<B>>(2);
  MODYN_FIELDS(child, children)
};

// Counts the on_rebind calls made on this object (to<B> makes one per module).
template <class B = modyn::cpu>
struct CountsHooks : modyn::Module<CountsHooks<B>> {
  using tensor_type = Tensor<float, B>;
  modyn::Param<Tensor<float, B>> w{Tensor<float, B>::full({2}, 1.0f)};
  MODYN_FIELDS(w)

  int hook_calls = 0;  // not reflected

  template <class Other>
  void on_rebind(const CountsHooks<Other>&) {
    ++hook_calls;
  }
  const Tensor<float, B>& update(const Tensor<float, B>& x) const { return x; }
};

// A plain (neither Param nor State) Tensor field.
template <class B = modyn::cpu>
struct Table : modyn::Module<Table<B>> {
  Tensor<float, B> table;
  int rows = 0;
  MODYN_FIELDS(table, rows)
};

}  // namespace

TEST_CASE("rebind_backend_t replaces every backend argument, recursively", "[rebind]") {
  using modyn::cpu;
  using modyn::rebind_backend_t;
  static_assert(
      std::is_same_v<rebind_backend_t<mt::Net<float, cpu>, other_backend>, mt::Net<float, other_backend>>);
  static_assert(
      std::is_same_v<rebind_backend_t<mt::Net<double, cpu>, other_backend>, mt::Net<double, other_backend>>);
  static_assert(
      std::is_same_v<rebind_backend_t<Tensor<float, cpu>, other_backend>, Tensor<float, other_backend>>);
  static_assert(std::is_same_v<rebind_backend_t<std::vector<mt::Lin<float, cpu>>, other_backend>,
                               std::vector<mt::Lin<float, other_backend>>>);
  static_assert(std::is_same_v<rebind_backend_t<std::array<mt::Lin<float, cpu>, 3>, other_backend>,
                               std::array<mt::Lin<float, other_backend>, 3>>);
  static_assert(std::is_same_v<rebind_backend_t<std::tuple<mt::Lin<float, cpu>, mt::Scale>, other_backend>,
                               std::tuple<mt::Lin<float, other_backend>, mt::Scale>>);
  static_assert(std::is_same_v<rebind_backend_t<mt::Scale, other_backend>, mt::Scale>);
  static_assert(std::is_same_v<rebind_backend_t<float, other_backend>, float>);
  // Declared by the module: a size template parameter.
  static_assert(
      std::is_same_v<rebind_backend_t<mt::Fixed<3, cpu>, other_backend>, mt::Fixed<3, other_backend>>);
  static_assert(std::is_same_v<rebind_backend_t<mt::Holder<cpu>, other_backend>, mt::Holder<other_backend>>);
  static_assert(std::is_same_v<rebind_backend_t<std::array<mt::Fixed<2, cpu>, 2>, other_backend>,
                               std::array<mt::Fixed<2, other_backend>, 2>>);
  // And back.
  static_assert(std::is_same_v<rebind_backend_t<mt::Pop<float, other_backend>, cpu>, mt::Pop<float, cpu>>);
  CHECK(true);
}

TEST_CASE("clone is a deep copy", "[rebind]") {
  mt::Net<> net("original");
  net.reset_state(2);
  mt::randomize(net, 5);
  net.steps = 4;

  auto copy = modyn::clone(net);
  static_assert(std::is_same_v<decltype(copy), mt::Net<>>);
  CHECK(copy.name() == "original");
  CHECK(module_names(copy) == module_names(net));
  CHECK(copy.steps == 4);
  check_same_tensors(net, copy);
  const Tensor<float> x = mt::input(2, 3);
  CHECK(copy(x) == net(x));

  const auto weight = net.block.lin.weight.raw();
  const auto h = net.block.h.value();
  copy.block.lin.weight.raw_mut() += 1.0f;
  copy.block.h = Tensor<float>::zeros({2, 2});
  copy.block.gain = Tensor<float>{3.0f, 3.0f};
  copy.steps = 0;
  copy.set_name("copy");
  CHECK(net.block.lin.weight.raw() == weight);
  CHECK(net.block.h.value() == h);
  CHECK_FALSE(net.block.gain.raw() == copy.block.gain.raw());
  CHECK_FALSE(net.block.gain.value() == copy.block.gain.value());
  CHECK(net.steps == 4);
  CHECK(net.name() == "original");

  // Containers.
  mt::Pop<> pop;
  mt::randomize(pop, 6);
  auto pop_copy = modyn::clone(pop);
  check_same_tensors(pop, pop_copy);
  pop_copy.cells[1].tau = Tensor<float>{9.0f};
  CHECK_FALSE(pop.cells[1].tau.raw() == Tensor<float>{9.0f});
}

TEST_CASE("to<cpu> of a cpu model is an equal copy", "[rebind]") {
  mt::Pop<> pop;
  pop.reset_state(3);
  mt::randomize(pop, 8);
  auto copy = modyn::to<modyn::cpu>(pop);
  static_assert(std::is_same_v<decltype(copy), mt::Pop<>>);
  check_same_tensors(pop, copy);
  CHECK(module_names(copy) == module_names(pop));
  const Tensor<float> x = mt::input(3, 3);
  CHECK(copy(x) == pop(x));
  copy.trace = Tensor<float>::zeros({3, 2});
  CHECK_FALSE(pop.trace.value() == copy.trace.value());
}

TEST_CASE("to<B> rebuilds the model on backend B with everything copied", "[rebind]") {
  mt::Net<float, modyn::cpu> net("net");
  net.reset_state(4);
  mt::randomize(net, 13);
  net.steps = 17;
  net.head.features = -3;
  net.block.gain = decltype(net.block.gain)(Tensor<float>{0.5f, -0.5f}, {}, {3.0});

  auto moved = modyn::to<other_backend>(net);
  static_assert(std::is_same_v<decltype(moved), mt::Net<float, other_backend>>);
  static_assert(std::is_same_v<decltype(moved.scale.raw()), const Tensor<float, other_backend>&>);

  check_same_tensors(net, moved);
  CHECK(moved.name() == "net");
  CHECK(module_names(moved) == module_names(net));
  CHECK(moved.steps == 17);
  CHECK(moved.head.features == -3);
  CHECK(moved.block.lin.features == 2);
  // Transforms, regularizers, per-sample shapes and fill values.
  CHECK(moved.block.gain.regularizer().weight == 3.0);
  CHECK(moved.scale.regularizer().weight == 0.25);
  CHECK(moved.reg_loss() == net.reg_loss());
  CHECK(moved.block.gain.value() == net.block.gain.value());
  CHECK(moved.block.h.sample_shape() == Shape{2});
  CHECK(moved.block.h.fill() == 0.25f);
  CHECK(moved.block.h.value().shape() == Shape{4, 2});
  CHECK(moved.block.lin.weight.path() == "block.lin.weight");

  // The same outputs.
  const Tensor<float> x = mt::input(4, 3);
  CHECK(moved(modyn::to<other_backend>(x)) == net(x));

  // Independent of the source.
  moved.scale = Tensor<float, other_backend>{7.0f};
  CHECK(net.scale.raw() != Tensor<float>{7.0f});

  moved.reset_state(0);
  CHECK(moved.block.h.value() == Tensor<float>::full({2}, 0.25f));

  // And back to cpu.
  mt::randomize(moved, 14);
  auto back = modyn::to<modyn::cpu>(moved);
  static_assert(std::is_same_v<decltype(back), mt::Net<float, modyn::cpu>>);
  check_same_tensors(moved, back);
  CHECK(back.steps == 17);
  CHECK(back.name() == "net");
}

TEST_CASE("to<B> rebinds vectors, arrays and tuples of modules", "[rebind]") {
  mt::Pop<> pop;
  pop.cells.resize(3);  // not the default size
  pop.reset_state(2);
  mt::randomize(pop, 15);
  pop.set_name("pop");

  auto moved = modyn::to<other_backend>(pop);
  static_assert(std::is_same_v<decltype(moved), mt::Pop<float, other_backend>>);
  static_assert(
      std::is_same_v<decltype(moved.misc),
                     std::tuple<mt::Lin<float, other_backend>, mt::Scale, mt::Neuron<float, other_backend>>>);
  CHECK(moved.cells.size() == 3);
  check_same_tensors(pop, moved);
  CHECK(module_names(moved) == module_names(pop));
  CHECK(std::get<0>(moved.misc).features == 1);
  CHECK(moved.cells[2].v.sample_shape() == Shape{3});
  CHECK(moved.cells[2].v.fill() == -65.0f);

  const Tensor<float> x = mt::input(2, 3);
  CHECK(moved(modyn::to<other_backend>(x)) == pop(x));

  // Fewer elements than the default.
  pop.cells.resize(1);
  CHECK(modyn::to<other_backend>(pop).cells.size() == 1);
}

TEST_CASE("to<B> uses rebind_backend declared by a module with size parameters", "[rebind]") {
  mt::Fixed<3> fixed;
  fixed.w = Tensor<float>{1.0f, 2.0f, 3.0f};
  fixed.s = Tensor<float>{-1.0f, -2.0f, -3.0f};
  fixed.tag = 42;
  fixed.set_name("fixed");

  auto moved = modyn::to<other_backend>(fixed);
  static_assert(std::is_same_v<decltype(moved), mt::Fixed<3, other_backend>>);
  check_same_tensors(fixed, moved);
  CHECK(moved.tag == 42);
  CHECK(moved.name() == "fixed");
  CHECK(moved.w.transform().scale == 2.0);
  CHECK(moved.w.transform().shift == 1.0);
  CHECK(moved.w.value() == Tensor<float>{3.0f, 5.0f, 7.0f});
  CHECK(moved.s.fill() == 0.5f);

  mt::Holder<> holder;
  mt::randomize(holder, 16);
  holder.two[1].tag = 7;
  auto moved_holder = modyn::to<other_backend>(holder);
  static_assert(std::is_same_v<decltype(moved_holder), mt::Holder<other_backend>>);
  static_assert(std::is_same_v<decltype(moved_holder.two), std::array<mt::Fixed<2, other_backend>, 2>>);
  check_same_tensors(holder, moved_holder);
  CHECK(moved_holder.two[1].tag == 7);
  CHECK(module_names(moved_holder) == module_names(holder));
}

// Regression test (a bug found and fixed): detail::copy_module_across (rebind.hpp)
// copies only the name and the MODYN_FIELDS of a child module, even when the
// child's type does not change under rebinding (a backend-independent module
// such as Scale). Scale's `factor` is then lost: the rebound child keeps its
// default-constructed value, and the rebound model computes something else.
// Yet to<B>(scale) alone copies it (the top level returns `model` when the
// type is unchanged).
TEST_CASE("to<B> copies child modules whose type does not change", "[rebind][regression]") {
  mt::Pop<> pop;
  std::get<1>(pop.misc).factor = 5.0f;
  CHECK(modyn::to<other_backend>(std::get<1>(pop.misc)).factor == 5.0f);
  auto moved = modyn::to<other_backend>(pop);
  CHECK(std::get<1>(moved.misc).factor == 5.0f);
  const Tensor<float> x = mt::input(2, 3);
  CHECK(moved(modyn::to<other_backend>(x)) == pop(x));
}

TEST_CASE("to<B> rebinds named Sequential entries and keeps their names", "[rebind][named]") {
  using modyn::serial;
  modyn::Sequential cpu_seq{modyn::named<"l1">(modyn::nn::Dense(4, 3)), modyn::fn::relu,
                            modyn::named<"l2">(modyn::nn::Dense(3, 2))};
  auto moved = modyn::to<serial>(cpu_seq);

  CHECK(std::is_same_v<backend_of_t<decltype(moved.get<"l1">().weight.value())>, serial>);
  CHECK(std::is_same_v<backend_of_t<decltype(moved.get<"l2">().bias.value())>, serial>);
  CHECK(std::is_same_v<decltype(moved)::tensor_type, Tensor<float, serial>>);
  CHECK(std::is_same_v<std::remove_cvref_t<decltype(moved.get<"l1">())>,
                       modyn::nn::Dense<modyn::dynamic, modyn::dynamic, float, serial>>);
  CHECK(paths_of(moved.named_parameters()) ==
        std::vector<std::string>{"l1.weight", "l1.bias", "l2.weight", "l2.bias"});
  CHECK(moved.get<"l1">().weight.raw() == cpu_seq.get<"l1">().weight.raw());
  CHECK(moved.get<"l2">().bias.raw() == cpu_seq.get<"l2">().bias.raw());

  Tensor<float> x({2, 4}, {0.5f, -1.0f, 2.0f, 0.25f, -0.5f, 1.5f, -2.0f, 1.0f});
  const std::vector<float> want = cpu_seq(x).to_vector();
  require_close(host_values(moved(modyn::to<serial>(x))), want);

  // A named entry the rebinding leaves unchanged (a function) keeps its type.
  modyn::Sequential mixed{modyn::named<"act">(modyn::fn::relu),
                          modyn::named<"dense">(modyn::nn::Dense(4, 2))};
  auto mixed_moved = modyn::to<serial>(mixed);
  CHECK(std::is_same_v<backend_of_t<decltype(mixed_moved.get<"dense">().weight.value())>, serial>);
  require_close(host_values(mixed_moved(modyn::to<serial>(x))), mixed(x).to_vector());
}

TEST_CASE("to<B> of a seeded nn::Dropout keeps its generator: the same masks as on cpu", "[rebind][hook]") {
  using modyn::serial;
  Tensor<float> x = Tensor<float>::full({4, 8}, 1.0f);
  const modyn::Context training{.training = true};
  modyn::nn::Dropout<float> cpu_drop(0.5, 42);
  auto moved = modyn::to<serial>(cpu_drop);
  CHECK(std::is_same_v<decltype(moved), modyn::nn::Dropout<float, serial>>);
  CHECK(moved.p == 0.5);
  const auto x_on_serial = modyn::to<serial>(x);
  std::size_t dropped = 0;
  for (int call = 0; call < 3; ++call) {
    CAPTURE(call);
    const std::vector<float> got = host_values(moved(x_on_serial, training));
    const std::vector<float> want = cpu_drop(x, training).to_vector();
    CHECK(got == want);
    for (const float v : got) dropped += v == 0.0f ? 1 : 0;
  }
  CHECK(dropped > 0);
  CHECK(dropped < 3 * x.size());
}

TEST_CASE("to<B> of a Sequential builds its entries from the source's: no default generator stream is drawn",
          "[rebind][hook]") {
  using modyn::serial;
  // The next layer drawn from the default generator, after `between` ran.
  const auto next_weights = [](const auto& between) {
    modyn::manual_seed(11);
    between();
    return modyn::nn::Dense(3, 2).weight.raw().to_vector();
  };
  modyn::Sequential seq{modyn::nn::Dense(3, 4, {.seed = 1}),
                        modyn::named<"drop">(modyn::nn::Dropout<float>(0.3, 5)),
                        modyn::nn::Dropout<float>(0.5, 6)};
  const auto undisturbed = next_weights([] {});
  decltype(modyn::to<serial>(seq)) moved;
  const auto after_move = next_weights([&] { moved = modyn::to<serial>(seq); });
  CHECK(after_move == undisturbed);

  // The Dropouts kept their generators: the same masks as on cpu (the
  // values up to the GEMMs' rounding: serial's triple loop, cpu's library).
  const modyn::Context training{.training = true};
  const Tensor<float> x = Tensor<float>::full({4, 3}, 1.0f);
  for (int call = 0; call < 2; ++call) {
    CAPTURE(call);
    require_close(host_values(moved(modyn::to<serial>(x), training)), seq(x, training).to_vector());
  }
  CHECK(moved.get<"drop">().p == 0.3);
  CHECK(moved.name() == seq.name());
}

TEST_CASE("to<B> of a Sequential with a lambda entry copies the lambda (closures cannot be assigned)",
          "[rebind]") {
  const auto twice = [](const auto& x) { return x * 2.0f; };
  modyn::Sequential seq{modyn::nn::Dense(3, 2, {.seed = 4}), twice};
  auto moved = modyn::to<modyn::serial>(seq);
  const Tensor<float> x({2, 3}, {1.0f, -2.0f, 0.5f, 3.0f, 0.0f, -1.0f});
  require_close(host_values(moved(modyn::to<modyn::serial>(x))), seq(x).to_vector());
}

TEST_CASE("to<B> of nested Sequentials builds each entry once", "[rebind][hook]") {
  modyn::Sequential seq{CountsHooks<>{},
                        modyn::Sequential{CountsHooks<>{}, modyn::Sequential{CountsHooks<>{}}}};
  const auto moved = modyn::to<modyn::serial>(seq);
  CHECK(moved.get<0>().hook_calls == 1);
  CHECK(moved.get<1>().get<0>().hook_calls == 1);
  CHECK(moved.get<1>().get<1>().get<0>().hook_calls == 1);
  CHECK(host_values(moved.get<1>().get<1>().get<0>().w.raw()) == std::vector<float>{1.0f, 1.0f});
}

TEST_CASE("to<B> calls on_rebind after the reflected fields are copied", "[rebind][hook]") {
  HookedHolder<> holder;
  holder.child.counter = 3;
  holder.child.w = Tensor<float>{2.0f, 5.0f};
  holder.children[1].counter = 7;
  auto moved = modyn::to<other_backend>(holder);
  CHECK(moved.child.counter == 3);
  CHECK(moved.child.w_at_hook == std::vector<float>{2.0f, 5.0f});
  CHECK(moved.children.size() == 2);
  CHECK(moved.children[0].counter == 0);
  CHECK(moved.children[1].counter == 7);
  CHECK(moved.children[1].w_at_hook == std::vector<float>{1.0f, 1.0f});

  Hooked<> alone;
  alone.counter = 11;
  CHECK(modyn::to<other_backend>(alone).counter == 11);
}

TEST_CASE("to<B> builds modules without a default constructor through their rebind constructor",
          "[rebind][hook]") {
  Sized<> sized(3);
  sized.w = Tensor<float>{1.0f, 2.0f, 3.0f};
  sized.set_name("sized");
  auto moved = modyn::to<other_backend>(sized);
  CHECK(std::is_same_v<decltype(moved), Sized<other_backend>>);
  CHECK(moved.built_by_rebind == 1);
  CHECK(moved.n == 3);
  CHECK(moved.name() == "sized");
  CHECK(moved.w.raw() == Tensor<float>{1.0f, 2.0f, 3.0f});

  // As a child and as vector elements.
  SizedHolder<> holder;
  holder.one.w = Tensor<float>{4.0f, 5.0f};
  holder.many.emplace_back(1);
  holder.many.emplace_back(4);
  holder.many[1].w = Tensor<float>{6.0f, 7.0f, 8.0f, 9.0f};
  auto moved_holder = modyn::to<other_backend>(holder);
  CHECK(std::is_same_v<decltype(moved_holder.many), std::vector<Sized<other_backend>>>);
  check_same_tensors(holder, moved_holder);
  CHECK(moved_holder.one.built_by_rebind == 1);
  REQUIRE(moved_holder.many.size() == 2);
  CHECK(moved_holder.many[0].n == 1);
  CHECK(moved_holder.many[1].n == 4);
  CHECK(moved_holder.many[1].built_by_rebind == 1);
}

TEST_CASE("to<B> moves plain Tensor fields to the new backend", "[rebind]") {
  Table<> table;
  table.table = Tensor<float>({2, 2}, {1.0f, 2.0f, 3.0f, 4.0f});
  table.rows = 2;
  auto moved = modyn::to<other_backend>(table);
  CHECK(std::is_same_v<decltype(moved.table), Tensor<float, other_backend>>);
  CHECK(moved.table == table.table);
  CHECK(moved.rows == 2);
}
