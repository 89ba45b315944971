// clone(model), to<Backend>(model) and rebind_backend_t.
#include <array>
#include <catch2/catch.hpp>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "models.hpp"

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
