// modyn::Module: calling and >>, names, the named_* / for_each_* traversals
// over nested modules and containers, num_parameters, reset_state.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "models.hpp"

using modyn::Shape;
using modyn::Tensor;
using mt::paths_of;

namespace {

// The counter at the end of a default name such as "Scale12".
std::size_t counter_of(const std::string& name, std::string_view prefix) {
  REQUIRE(name.size() > prefix.size());
  REQUIRE(name.substr(0, prefix.size()) == std::string(prefix));
  const std::string digits = name.substr(prefix.size());
  REQUIRE(digits.find_first_not_of("0123456789") == std::string::npos);
  return std::stoul(digits);
}

template <class Infos>
std::vector<std::string> names_of(const Infos& infos) {
  std::vector<std::string> out;
  for (const auto& i : infos) out.push_back(i.name);
  return out;
}

template <class Infos>
std::vector<std::string> types_of(const Infos& infos) {
  std::vector<std::string> out;
  for (const auto& i : infos) out.push_back(i.type);
  return out;
}

template <class Infos>
std::vector<std::size_t> counts_of(const Infos& infos) {
  std::vector<std::size_t> out;
  for (const auto& i : infos) out.push_back(i.num_parameters);
  return out;
}

template <class Pairs>
std::vector<typename Pairs::value_type::second_type> infos_of(const Pairs& pairs) {
  std::vector<typename Pairs::value_type::second_type> out;
  for (const auto& p : pairs) out.push_back(p.second);
  return out;
}

template <class Pairs>
std::vector<Shape> shapes_of(const Pairs& pairs) {
  std::vector<Shape> out;
  for (const auto& p : pairs) out.push_back(p.second.get().shape());
  return out;
}

// (path, depth, short type name) of every module a for_each_module visit sees.
struct module_event {
  std::string path;
  int depth;
  std::string type;
  bool operator==(const module_event&) const = default;
};

template <class M>
std::vector<module_event> module_events(const M& model, bool include_self) {
  std::vector<module_event> events;
  model.for_each_module(
      [&](std::string_view path, const auto& m, int depth) {
        events.push_back({std::string(path), depth,
                          std::string(modyn::short_type_name<std::remove_cvref_t<decltype(m)>>())});
      },
      include_self);
  return events;
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<module_event> {
  static std::string convert(const module_event& e) {
    return "{\"" + e.path + "\", " + std::to_string(e.depth) + ", " + e.type + "}";
  }
};
}  // namespace Catch

// ---- 1. a module without reflected fields (brainstate's Scale)

TEST_CASE("calling a module calls its update, x >> module is module(x)", "[module]") {
  const Tensor<float> x{1.0f, -2.0f, 3.5f};
  mt::Scale scale;  // factor 2
  CHECK(scale(x) == Tensor<float>{2.0f, -4.0f, 7.0f});
  CHECK((x >> scale) == Tensor<float>{2.0f, -4.0f, 7.0f});

  scale.factor = -1.0f;
  CHECK(scale(x) == Tensor<float>{-1.0f, 2.0f, -3.5f});
  CHECK((x >> scale) == Tensor<float>{-1.0f, 2.0f, -3.5f});

  // A const module and a temporary module.
  const mt::Scale& const_scale = scale;
  CHECK((x >> const_scale) == Tensor<float>{-1.0f, 2.0f, -3.5f});
  CHECK((x >> mt::Scale(0.5f)) == Tensor<float>{0.5f, -1.0f, 1.75f});

  // operator() exists for the arguments update takes, and only for those.
  static_assert(std::is_invocable_v<mt::Scale&, Tensor<float>>);
  static_assert(std::is_invocable_v<const mt::Lin<>&, const Tensor<float>&>);
  static_assert(!std::is_invocable_v<const mt::Lin<>&, int>);
  static_assert(!std::is_invocable_v<mt::Neuron<>&, Tensor<float>>);  // no update

  // Any argument update takes: a plain float.
  CHECK(mt::Scale(3.0f)(1.5f) == 4.5f);
  CHECK((1.5f >> mt::Scale(3.0f)) == 4.5f);
}

TEST_CASE("chains x >> a >> b apply a first, then b", "[module]") {
  const Tensor<float> x{1.0f, -2.0f, 3.5f};
  const mt::Scale triple(3.0f);
  const mt::Shift plus_one(1.0f);
  CHECK((x >> triple >> plus_one) == Tensor<float>{4.0f, -5.0f, 11.5f});
  CHECK((x >> plus_one >> triple) == Tensor<float>{6.0f, -3.0f, 13.5f});
  CHECK((x >> triple >> plus_one >> mt::Scale(2.0f)) == Tensor<float>{8.0f, -10.0f, 23.0f});

  // A reflected module in a chain: Lin(3, 2) has weight 0.5 everywhere, bias 0.
  const mt::Lin<> lin(3, 2);
  const Tensor<float> batch{{1.0f, 2.0f, 3.0f}, {-1.0f, 0.0f, 1.0f}};
  CHECK((batch >> lin >> triple) == Tensor<float>{{9.0f, 9.0f}, {0.0f, 0.0f}});
}

TEST_CASE("default names are the type name and a per-type counter", "[module][name]") {
  const mt::Scale a;
  const mt::Shift s1;
  const mt::Scale b;
  const mt::Shift s2;
  const mt::Scale c;

  CHECK(a.name() != b.name());
  const std::size_t na = counter_of(a.name(), "Scale");
  CHECK(counter_of(b.name(), "Scale") == na + 1);  // other types do not advance Scale's counter
  CHECK(counter_of(c.name(), "Scale") == na + 2);
  CHECK(counter_of(s2.name(), "Shift") == counter_of(s1.name(), "Shift") + 1);

  // Class templates: the name without template arguments.
  const mt::Lin<> l1;
  const mt::Lin<> l2(4, 5);
  CHECK(counter_of(l2.name(), "Lin") == counter_of(l1.name(), "Lin") + 1);
  const mt::Net<> net;
  counter_of(net.name(), "Net");
  counter_of(net.block.name(), "Block");
  counter_of(net.head.name(), "Lin");
}

TEST_CASE("a name given at construction or by set_name is the module's name", "[module][name]") {
  const mt::Scale named("gain", 4.0f);
  CHECK(named.name() == "gain");
  CHECK(named.factor == 4.0f);

  const mt::Net<> net("brain");
  CHECK(net.name() == "brain");

  mt::Scale s;
  mt::Scale& same = s.set_name("renamed");
  static_assert(std::is_same_v<decltype(s.set_name("x")), mt::Scale&>);
  CHECK(&same == &s);
  CHECK(s.name() == "renamed");
  CHECK(s.set_name("again").factor == 2.0f);
  CHECK(s.name() == "again");

  // Copies keep the name.
  const mt::Scale copy = s;
  CHECK(copy.name() == "again");
}

TEST_CASE("a module without reflected fields has no parameters, states or children", "[module]") {
  mt::Scale s;
  CHECK(s.named_parameters().empty());
  CHECK(s.parameters().empty());
  CHECK(s.named_states().empty());
  CHECK(s.states().empty());
  CHECK(s.num_parameters() == 0);
  CHECK(s.reg_loss() == 0.0);
  CHECK(s.named_children().empty());
  CHECK(s.children().empty());

  const auto modules = s.named_modules();
  REQUIRE(modules.size() == 1);
  CHECK(modules[0].first.empty());
  CHECK(modules[0].second.name == s.name());
  CHECK(modules[0].second.type == "Scale");
  CHECK(modules[0].second.num_parameters == 0);
  CHECK(s.named_modules(false).empty());

  const auto dict = s.state_dict();
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(dict)>, modyn::StateDict>);
  CHECK(dict.empty());

  int visits = 0;
  s.for_each_parameter([&](std::string_view, const auto&) { ++visits; });
  s.for_each_state([&](std::string_view, const auto&) { ++visits; });
  CHECK(visits == 0);

  s.reset_state(3);  // nothing to reset
  CHECK(s.factor == 2.0f);
  CHECK(s.load_state_dict(dict).ok());
}

// ---- 2. nested modules: Net > Block > Lin

TEST_CASE("named_parameters lists every Param by path in MODYN_FIELDS order", "[module][traversal]") {
  mt::Net<> net;
  const auto params = net.named_parameters();
  CHECK(paths_of(params) == std::vector<std::string>{"block.lin.weight", "block.lin.bias", "block.gain",
                                                     "scale", "head.weight", "head.bias"});
  CHECK(shapes_of(params) == std::vector<Shape>{{3, 2}, {2}, {2}, {1}, {2, 1}, {1}});

  // References to the raw tensors themselves.
  static_assert(
      std::is_same_v<decltype(params)::value_type::second_type, std::reference_wrapper<Tensor<float>>>);
  CHECK(&params[0].second.get() == &net.block.lin.weight.raw());
  CHECK(&params[2].second.get() == &net.block.gain.raw());
  CHECK(&params[5].second.get() == &net.head.bias.raw());

  const auto values = net.parameters();
  REQUIRE(values.size() == 6);
  CHECK(&values[1].get() == &net.block.lin.bias.raw());
  CHECK(&values[3].get() == &net.scale.raw());

  // A traversal stamps each Param with its path.
  CHECK(net.block.lin.weight.path() == "block.lin.weight");
  CHECK(net.head.bias.path() == "head.bias");

  // The const forms give const references.
  const auto& const_net = net;
  const auto const_params = const_net.named_parameters();
  static_assert(std::is_same_v<decltype(const_params)::value_type::second_type,
                               std::reference_wrapper<const Tensor<float>>>);
  CHECK(paths_of(const_params) == paths_of(params));
  CHECK(&const_params[4].second.get() == &net.head.weight.raw());
  CHECK(const_net.parameters().size() == 6);
}

TEST_CASE("named_states lists every State by path", "[module][traversal]") {
  mt::Net<> net;
  const auto states = net.named_states();
  CHECK(paths_of(states) == std::vector<std::string>{"block.h"});
  CHECK(&states[0].second.get() == &net.block.h.value());
  CHECK(net.states().size() == 1);
  CHECK(&net.states()[0].get() == &net.block.h.value());
  CHECK(net.block.h.path() == "block.h");
}

TEST_CASE("named_modules and named_children list modules with their info", "[module][traversal]") {
  const mt::Net<> net;
  const auto all = net.named_modules();
  CHECK(paths_of(all) == std::vector<std::string>{"", "block", "block.lin", "head"});
  const auto infos = infos_of(all);
  CHECK(names_of(infos) ==
        std::vector<std::string>{net.name(), net.block.name(), net.block.lin.name(), net.head.name()});
  CHECK(types_of(infos) == std::vector<std::string>{"Net", "Block", "Lin", "Lin"});
  // 3*2 + 2 + 2 + 1 + 2*1 + 1 = 14; Block: 6 + 2 + 2 = 10; Lin(3, 2): 8; Lin(2, 1): 3.
  CHECK(counts_of(infos) == std::vector<std::size_t>{14, 10, 8, 3});

  CHECK(paths_of(net.named_modules(true)) == paths_of(all));
  CHECK(paths_of(net.named_modules(false)) == std::vector<std::string>{"block", "block.lin", "head"});
  CHECK(names_of(net.modules()) == names_of(infos));
  CHECK(names_of(net.modules(false)) ==
        std::vector<std::string>{net.block.name(), net.block.lin.name(), net.head.name()});

  const auto children = net.named_children();
  CHECK(paths_of(children) == std::vector<std::string>{"block", "head"});
  CHECK(counts_of(infos_of(children)) == std::vector<std::size_t>{10, 3});
  CHECK(names_of(net.children()) == std::vector<std::string>{net.block.name(), net.head.name()});
  CHECK(types_of(net.children()) == std::vector<std::string>{"Block", "Lin"});

  // The children of a child.
  CHECK(paths_of(net.block.named_children()) == std::vector<std::string>{"lin"});
  CHECK(paths_of(net.block.lin.named_children()).empty());
}

TEST_CASE("max_depth and path predicates filter the lists", "[module][traversal]") {
  mt::Net<> net;
  CHECK(paths_of(net.named_parameters(modyn::max_depth{0})) == std::vector<std::string>{"scale"});
  CHECK(paths_of(net.named_parameters(modyn::max_depth{1})) ==
        std::vector<std::string>{"block.gain", "scale", "head.weight", "head.bias"});
  CHECK(paths_of(net.named_parameters(modyn::max_depth{2})) == paths_of(net.named_parameters()));
  CHECK(net.parameters(modyn::max_depth{0}).size() == 1);
  CHECK(&net.parameters(modyn::max_depth{0})[0].get() == &net.scale.raw());

  const auto has_bias = [](std::string_view path) { return path.find("bias") != std::string_view::npos; };
  CHECK(paths_of(net.named_parameters(has_bias)) == std::vector<std::string>{"block.lin.bias", "head.bias"});
  CHECK(net.parameters(has_bias).size() == 2);
  CHECK(paths_of(std::as_const(net).named_parameters(has_bias)) ==
        std::vector<std::string>{"block.lin.bias", "head.bias"});

  CHECK(net.named_states(modyn::max_depth{0}).empty());
  CHECK(paths_of(net.named_states(modyn::max_depth{1})) == std::vector<std::string>{"block.h"});
  CHECK(net.named_states([](std::string_view p) { return p.starts_with("head"); }).empty());
  CHECK(net.states(modyn::max_depth{1}).size() == 1);

  CHECK(paths_of(net.named_modules(true, modyn::max_depth{0})) == std::vector<std::string>{""});
  CHECK(paths_of(net.named_modules(true, modyn::max_depth{1})) ==
        std::vector<std::string>{"", "block", "head"});
  CHECK(paths_of(net.named_modules(false, modyn::max_depth{1})) == std::vector<std::string>{"block", "head"});
  CHECK(paths_of(net.named_modules(true, [](std::string_view p) { return p.starts_with("block"); })) ==
        std::vector<std::string>{"block", "block.lin"});
}

TEST_CASE("for_each_parameter, for_each_state and for_each_module visit in order", "[module][traversal]") {
  mt::Net<> net;
  std::vector<std::string> params;
  std::vector<const void*> addresses;
  net.for_each_parameter([&](std::string_view path, const auto& p) {
    params.emplace_back(path);
    addresses.push_back(&p);
  });
  CHECK(params == paths_of(net.named_parameters()));
  CHECK(addresses == std::vector<const void*>{&net.block.lin.weight, &net.block.lin.bias, &net.block.gain,
                                              &net.scale, &net.head.weight, &net.head.bias});

  std::vector<std::string> states;
  std::as_const(net).for_each_state([&](std::string_view path, const auto& s) {
    states.emplace_back(path);
    CHECK(&s == &net.block.h);
  });
  CHECK(states == std::vector<std::string>{"block.h"});

  CHECK(module_events(net, true) ==
        std::vector<module_event>{
            {"", 0, "Net"}, {"block", 1, "Block"}, {"block.lin", 2, "Lin"}, {"head", 1, "Lin"}});
  CHECK(module_events(net, false) ==
        std::vector<module_event>{{"block", 1, "Block"}, {"block.lin", 2, "Lin"}, {"head", 1, "Lin"}});

  // for_each_module on a non-const model gives mutable modules.
  net.for_each_module([](std::string_view path, auto& m, int) { m.set_name("m:" + std::string(path)); });
  CHECK(net.name() == "m:");
  CHECK(net.block.lin.name() == "m:block.lin");
  CHECK(net.head.name() == "m:head");
}

TEST_CASE("for_each_parameter and for_each_state can modify the model in place", "[module][traversal]") {
  mt::Net<> net;
  REQUIRE(net.block.gain.value().to_vector()[0] == Approx(std::log(2.0)));  // fills the cache
  net.for_each_parameter([](std::string_view, auto& p) { p.raw_mut() += 1.0f; });

  CHECK(net.block.lin.weight.raw() == Tensor<float>::full({3, 2}, 1.5f));
  CHECK(net.block.lin.bias.raw() == Tensor<float>{1.0f, 1.0f});
  CHECK(net.scale.raw() == Tensor<float>{-1.0f});
  CHECK(net.head.weight.raw() == Tensor<float>(Shape{2, 1}, {1.5f, 1.5f}));
  CHECK(net.head.bias.raw() == Tensor<float>{1.0f});
  // softplus(1) = log(1 + e), through the Param's recomputed cache.
  CHECK(net.block.gain.raw() == Tensor<float>{1.0f, 1.0f});
  for (const float v : net.block.gain.value().to_vector()) CHECK(v == Approx(std::log1p(std::exp(1.0))));

  net.for_each_state([](std::string_view, auto& s) { s = Tensor<float>{3.0f, 4.0f}; });
  CHECK(net.block.h.value() == Tensor<float>{3.0f, 4.0f});

  // Through the references named_parameters returns.
  for (auto& [path, t] : net.named_parameters(modyn::max_depth{0})) t.get() *= 4.0f;
  CHECK(net.scale.raw() == Tensor<float>{-4.0f});
}

// ---- 2. containers: std::vector, std::array, std::tuple

TEST_CASE("containers of modules are traversed with their indices in the path", "[module][traversal]") {
  mt::Pop<> pop;
  CHECK(paths_of(pop.named_parameters()) ==
        std::vector<std::string>{"cells.0.tau", "cells.1.tau", "blocks.0.lin.weight", "blocks.0.lin.bias",
                                 "blocks.0.gain", "blocks.1.lin.weight", "blocks.1.lin.bias", "blocks.1.gain",
                                 "misc.0.weight", "misc.0.bias", "misc.2.tau"});
  CHECK(paths_of(pop.named_states()) == std::vector<std::string>{"cells.0.v", "cells.0.spike", "cells.1.v",
                                                                 "cells.1.spike", "blocks.0.h", "blocks.1.h",
                                                                 "misc.2.v", "misc.2.spike", "trace"});
  CHECK(&pop.named_states()[2].second.get() == &pop.cells[1].v.value());
  CHECK(&pop.named_parameters()[10].second.get() == &std::get<2>(pop.misc).tau.raw());

  const auto modules = pop.named_modules();
  CHECK(paths_of(modules) == std::vector<std::string>{"", "cells.0", "cells.1", "blocks.0", "blocks.0.lin",
                                                      "blocks.1", "blocks.1.lin", "misc.0", "misc.1",
                                                      "misc.2"});
  CHECK(types_of(infos_of(modules)) == std::vector<std::string>{"Pop", "Neuron", "Neuron", "Block", "Lin",
                                                                "Block", "Lin", "Lin", "Scale", "Neuron"});
  CHECK(counts_of(infos_of(modules)) == std::vector<std::size_t>{26, 1, 1, 10, 8, 10, 8, 3, 0, 1});
  CHECK(names_of(infos_of(modules))[2] == pop.cells[1].name());
  CHECK(names_of(infos_of(modules))[8] == std::get<1>(pop.misc).name());
  CHECK(paths_of(pop.named_modules(false)) ==
        std::vector<std::string>{"cells.0", "cells.1", "blocks.0", "blocks.0.lin", "blocks.1", "blocks.1.lin",
                                 "misc.0", "misc.1", "misc.2"});
  CHECK(paths_of(pop.named_children()) ==
        std::vector<std::string>{"cells.0", "cells.1", "blocks.0", "blocks.1", "misc.0", "misc.1", "misc.2"});
  CHECK(pop.children().size() == 7);

  CHECK(module_events(pop, true) == std::vector<module_event>{{"", 0, "Pop"},
                                                              {"cells.0", 1, "Neuron"},
                                                              {"cells.1", 1, "Neuron"},
                                                              {"blocks.0", 1, "Block"},
                                                              {"blocks.0.lin", 2, "Lin"},
                                                              {"blocks.1", 1, "Block"},
                                                              {"blocks.1.lin", 2, "Lin"},
                                                              {"misc.0", 1, "Lin"},
                                                              {"misc.1", 1, "Scale"},
                                                              {"misc.2", 1, "Neuron"}});

  CHECK(pop.named_parameters(modyn::max_depth{0}).empty());
  CHECK(paths_of(pop.named_parameters(modyn::max_depth{1})) ==
        std::vector<std::string>{"cells.0.tau", "cells.1.tau", "blocks.0.gain", "blocks.1.gain",
                                 "misc.0.weight", "misc.0.bias", "misc.2.tau"});
  CHECK(paths_of(pop.named_states(modyn::max_depth{0})) == std::vector<std::string>{"trace"});
  CHECK(paths_of(pop.named_parameters([](std::string_view p) { return p.starts_with("misc."); })) ==
        std::vector<std::string>{"misc.0.weight", "misc.0.bias", "misc.2.tau"});
  CHECK(paths_of(pop.named_states([](std::string_view p) { return p.ends_with(".v"); })) ==
        std::vector<std::string>{"cells.0.v", "cells.1.v", "misc.2.v"});
}

TEST_CASE("a std::vector of modules is traversed at its current size", "[module][traversal]") {
  mt::Pop<> pop;
  pop.cells.emplace_back();
  CHECK(paths_of(pop.named_states(modyn::max_depth{1}))[4] == "cells.2.v");
  CHECK(pop.num_parameters() == 27);

  pop.cells.clear();
  CHECK(paths_of(pop.named_parameters(modyn::max_depth{1})) ==
        std::vector<std::string>{"blocks.0.gain", "blocks.1.gain", "misc.0.weight", "misc.0.bias",
                                 "misc.2.tau"});
  CHECK(pop.num_parameters() == 24);
  CHECK(paths_of(pop.named_children()) ==
        std::vector<std::string>{"blocks.0", "blocks.1", "misc.0", "misc.1", "misc.2"});
}

// ---- 3. num_parameters

TEST_CASE("num_parameters counts the raw scalars of every Param below", "[module]") {
  CHECK(mt::Lin<>(4, 5).num_parameters() == 25);
  CHECK(mt::Lin<>().num_parameters() == 2);
  CHECK(mt::Block<>().num_parameters() == 10);
  CHECK(mt::Net<>().num_parameters() == 14);
  CHECK(mt::Net<double>().num_parameters() == 14);
  CHECK(mt::Neuron<>().num_parameters() == 1);  // States are not parameters
  CHECK(mt::Pop<>().num_parameters() == 26);
  CHECK(mt::Holder<>().num_parameters() == 3 + 2 + 2);

  // Counts follow the Params' current sizes.
  mt::Net<> net;
  net.head = mt::Lin<>(2, 7);
  CHECK(net.num_parameters() == 10 + 1 + 2 * 7 + 7);
}

// ---- 6. reset_state

TEST_CASE("reset_state(0) gives every State its per-sample shape, full of its fill value",
          "[module][reset]") {
  mt::Pop<> pop;
  mt::randomize(pop, 3);
  pop.reset_state(0);
  for (const auto& cell : {pop.cells[0], pop.cells[1], std::get<2>(pop.misc)}) {
    CHECK(cell.v.value() == Tensor<float>::full({3}, -65.0f));
    CHECK(cell.spike.value() == Tensor<float>::zeros({3}));
    CHECK(cell.resets == 1);
    CHECK(cell.last_batch == 0);
  }
  CHECK(pop.blocks[0].h.value() == Tensor<float>::full({2}, 0.25f));
  CHECK(pop.blocks[1].h.value() == Tensor<float>::full({2}, 0.25f));
  CHECK(pop.trace.value() == Tensor<float>::ones({2}));

  // Params are left alone.
  mt::Pop<> reference;
  mt::randomize(reference, 3);
  CHECK(mt::tensors_of(pop.named_parameters()) == mt::tensors_of(reference.named_parameters()));

  // The default batch size is 0.
  mt::randomize(pop, 4);
  pop.reset_state();
  CHECK(pop.trace.value() == Tensor<float>::ones({2}));
  CHECK(pop.cells[1].last_batch == 0);
}

TEST_CASE("reset_state(b) adds a batch axis of b", "[module][reset]") {
  for (const std::size_t batch : {std::size_t(1), std::size_t(7)}) {
    CAPTURE(batch);
    mt::Pop<> pop;
    mt::randomize(pop, 5);
    pop.reset_state(batch);
    for (const auto* cell : {&pop.cells[0], &pop.cells[1], &std::get<2>(pop.misc)}) {
      CHECK(cell->v.value() == Tensor<float>::full({batch, 3}, -65.0f));
      CHECK(cell->spike.value() == Tensor<float>::zeros({batch, 3}));
      CHECK(cell->last_batch == batch);
    }
    CHECK(pop.blocks[0].h.value() == Tensor<float>::full({batch, 2}, 0.25f));
    CHECK(pop.blocks[1].h.value() == Tensor<float>::full({batch, 2}, 0.25f));
    CHECK(pop.trace.value() == Tensor<float>::ones({batch, 2}));

    std::vector<Shape> shapes;
    for (const auto& [path, s] : pop.named_states()) shapes.push_back(s.get().shape());
    CHECK(shapes == std::vector<Shape>{{batch, 3},
                                       {batch, 3},
                                       {batch, 3},
                                       {batch, 3},
                                       {batch, 2},
                                       {batch, 2},
                                       {batch, 3},
                                       {batch, 3},
                                       {batch, 2}});
  }

  mt::Net<> net;
  net.reset_state(7);
  CHECK(net.block.h.value() == Tensor<float>::full({7, 2}, 0.25f));
  net.reset_state(0);
  CHECK(net.block.h.value() == Tensor<float>::full({2}, 0.25f));
}

TEST_CASE("reset_state calls on_reset_state once per reset, after the default reset", "[module][reset]") {
  mt::Pop<> pop;
  CHECK(pop.resets == 0);
  CHECK(pop.cells[0].resets == 0);

  pop.reset_state(7);
  for (const auto* cell : {&pop.cells[0], &pop.cells[1], &std::get<2>(pop.misc)}) {
    CHECK(cell->resets == 1);
    CHECK(cell->last_batch == 7);
    // The hook saw the State already reset.
    CHECK(cell->v_shape_at_hook == Shape{7, 3});
    CHECK(cell->v_at_hook == std::vector<float>(21, -65.0f));
  }
  CHECK(pop.resets == 1);
  // A module's hook runs after its children's.
  CHECK(pop.child_resets_seen == 3);

  pop.reset_state(1);
  CHECK(pop.cells[1].resets == 2);
  CHECK(pop.cells[1].last_batch == 1);
  CHECK(pop.cells[1].v_shape_at_hook == Shape{1, 3});
  CHECK(pop.resets == 2);
  CHECK(pop.child_resets_seen == 6);

  pop.reset_state(0);
  CHECK(std::get<2>(pop.misc).resets == 3);
  CHECK(std::get<2>(pop.misc).last_batch == 0);
  CHECK(std::get<2>(pop.misc).v_shape_at_hook == Shape{3});
  CHECK(pop.resets == 3);
  CHECK(pop.child_resets_seen == 9);

  // Resetting a child resets only that child.
  pop.cells[0].reset_state(2);
  CHECK(pop.cells[0].resets == 4);
  CHECK(pop.cells[1].resets == 3);
  CHECK(pop.resets == 3);
}

namespace {
// A hook that gives a State non-default initial values.
struct Ramp : modyn::Module<Ramp> {
  modyn::State<Tensor<float>> x{Shape{2}, 9.0f};
  MODYN_FIELDS(x)
  void on_reset_state(std::size_t batch_size) {
    auto value = Tensor<float>::empty(x.batch_shape(batch_size));
    for (std::size_t i = 0; i < value.size(); ++i) value.data()[i] = float(i);
    x.reset_to(std::move(value));
  }
};
}  // namespace

TEST_CASE("what on_reset_state sets is kept", "[module][reset]") {
  Ramp ramp;
  ramp.reset_state(3);
  CHECK(ramp.x.value() == Tensor<float>{{0.0f, 1.0f}, {2.0f, 3.0f}, {4.0f, 5.0f}});
  ramp.reset_state(0);
  CHECK(ramp.x.value() == Tensor<float>{0.0f, 1.0f});
}

namespace {
template <class T>
struct Outer {
  struct Inner : modyn::Module<Inner> {};
};
}  // namespace

// Regression test (a bug found and fixed): short_type_name cuts the
// full name at its first '<', so a module type nested in a class template,
// "Outer<int>::Inner", is named "Outer0", "Outer1", ... and printed as
// "Outer()".
TEST_CASE("a module nested in a class template is named after itself", "[module][name][regression]") {
  const Outer<int>::Inner inner;
  CHECK(std::string(modyn::short_type_name<Outer<int>::Inner>()) == "Inner");
  CHECK(inner.name().substr(0, 5) == "Inner");
  CHECK(inner.named_modules()[0].second.type == "Inner");
}

// ---- gradients

TEST_CASE("named_gradients lists each Param's gradient by path, zero_grad clears them all",
          "[module][grad]") {
  mt::Net<> net;
  auto grads = net.named_gradients();  // the mutable form allocates the buffers, zero-filled
  CHECK(paths_of(grads) == paths_of(net.named_parameters()));
  static_assert(
      std::is_same_v<decltype(grads)::value_type::second_type, std::reference_wrapper<Tensor<float>>>);
  CHECK(&grads[0].second.get() == &net.block.lin.weight.grad());
  CHECK(&grads[3].second.get() == &net.scale.grad());
  CHECK(shapes_of(grads) == shapes_of(net.named_parameters()));
  for (auto& [path, g] : grads) {
    CHECK(g.get() == Tensor<float>::zeros(g.get().shape()));
    g.get() = Tensor<float>::full(g.get().shape(), 3.0f);
  }
  CHECK(net.head.bias.grad() == Tensor<float>{3.0f});
  CHECK(net.gradients().size() == 6);
  CHECK(paths_of(net.named_gradients(modyn::max_depth{0})) == std::vector<std::string>{"scale"});

  // The const form reads the buffers without allocating.
  const auto& const_net = net;
  const auto const_grads = const_net.named_gradients();
  static_assert(std::is_same_v<decltype(const_grads)::value_type::second_type,
                               std::reference_wrapper<const Tensor<float>>>);
  CHECK(&const_grads[5].second.get() == &net.head.bias.grad());

  const auto version = net.block.lin.weight.version();
  net.zero_grad();
  for (const auto& [path, g] : const_net.named_gradients())
    CHECK(g.get() == Tensor<float>::zeros(g.get().shape()));
  CHECK(&net.head.bias.grad() == &const_grads[5].second.get());  // the same buffers
  CHECK(net.block.lin.weight.version() == version);              // gradients are not values

  // A model of mixed element types: variants, as named_parameters gives.
  mt::MixedNet mixed;
  mixed.zero_grad();
  const auto mixed_grads = std::as_const(mixed).named_gradients();
  CHECK(paths_of(mixed_grads) == std::vector<std::string>{"in.weight", "in.bias", "pop.tau"});
  using Ref =
      std::variant<std::reference_wrapper<const Tensor<float>>, std::reference_wrapper<const Tensor<double>>>;
  static_assert(std::is_same_v<decltype(mixed_grads)::value_type::second_type, Ref>);
  CHECK(std::get<1>(mixed_grads[2].second).get() == Tensor<double>::zeros({3}));
  CHECK(&std::get<1>(mixed_grads[2].second).get() == &mixed.pop.tau.grad());
}

TEST_CASE("depth_range filters with a lower and an upper bound, as brainstate's allowed_hierarchy",
          "[module][traversal][filters]") {
  mt::Net<> net;
  CHECK(paths_of(net.named_parameters(modyn::depth_range{1, 1})) ==
        std::vector<std::string>{"block.gain", "head.weight", "head.bias"});
  CHECK(paths_of(net.named_parameters(modyn::depth_range{2})) ==
        std::vector<std::string>{"block.lin.weight", "block.lin.bias"});
  CHECK(paths_of(net.named_parameters(modyn::depth_range{0, 0})) == std::vector<std::string>{"scale"});
  CHECK(net.named_parameters(modyn::depth_range{3}).empty());
  CHECK(paths_of(net.named_states(modyn::depth_range{1, 1})) == std::vector<std::string>{"block.h"});
  CHECK(net.named_states(modyn::depth_range{2, 5}).empty());
  CHECK(paths_of(net.named_modules(true, modyn::depth_range{1, 2})) ==
        std::vector<std::string>{"block", "block.lin", "head"});
  CHECK(paths_of(net.named_modules(true, modyn::depth_range{2, 2})) == std::vector<std::string>{"block.lin"});
  CHECK(paths_of(net.named_gradients(modyn::depth_range{1, 1})) ==
        std::vector<std::string>{"block.gain", "head.weight", "head.bias"});
}

TEST_CASE("parameter filters select by transform, by regularizer and by predicates of the Param",
          "[module][traversal][filters]") {
  mt::Net<> net;
  using modyn::reg::L1;
  using modyn::reg::L2;
  using modyn::transform::exponential;
  using modyn::transform::softplus;
  CHECK(paths_of(net.named_parameters(modyn::with_transform<softplus>)) ==
        std::vector<std::string>{"block.gain"});
  CHECK(net.named_parameters(modyn::with_transform<exponential>).empty());
  CHECK(paths_of(net.named_parameters(modyn::with_transform<modyn::transform::identity>)) ==
        std::vector<std::string>{"block.lin.weight", "block.lin.bias", "scale", "head.weight", "head.bias"});
  CHECK(paths_of(net.named_parameters(modyn::transformed)) == std::vector<std::string>{"block.gain"});
  CHECK(paths_of(net.named_parameters(modyn::with_regularizer<L1>)) == std::vector<std::string>{"scale"});
  CHECK(paths_of(net.named_parameters(modyn::with_regularizer<L2>)) ==
        std::vector<std::string>{"block.gain"});
  CHECK(paths_of(net.named_parameters(modyn::regularized)) ==
        std::vector<std::string>{"block.gain", "scale"});
  // The references are the Params' raw values.
  CHECK(&net.parameters(modyn::regularized)[1].get() == &net.scale.raw());
  // States have no transform: a Param filter selects none of them.
  CHECK(net.named_states(modyn::transformed).empty());

  // Combined: every filter must accept.
  CHECK(paths_of(net.named_parameters(modyn::all_of{modyn::max_depth{0}, modyn::regularized})) ==
        std::vector<std::string>{"scale"});
  CHECK(paths_of(net.named_parameters(modyn::all_of{modyn::depth_range{1, 1}, modyn::regularized})) ==
        std::vector<std::string>{"block.gain"});

  // A predicate of (path, field) sees the Param itself.
  const auto large = [](std::string_view, const auto& p) { return p.size() >= 6; };
  CHECK(paths_of(net.named_parameters(large)) == std::vector<std::string>{"block.lin.weight"});
  const auto per_sample_two = [](std::string_view, const auto& s) { return s.sample_shape() == Shape{2}; };
  CHECK(paths_of(net.named_states(per_sample_two)) == std::vector<std::string>{"block.h"});
}

TEST_CASE("named_modules gives handles that act on the modules, as isinstance in PyTorch's loops",
          "[module][traversal][handles]") {
  mt::Net<> net;
  std::vector<std::string> lins;
  for (auto& [path, info] : net.named_modules()) {
    if (auto* lin = info.as<mt::Lin<>>()) {
      lins.push_back(path);
      lin->bias.set_value(Tensor<float>::full(lin->bias.shape(), 3.0f));  // acts on the module itself
    }
    CHECK(info.is<mt::Lin<>>() == (info.type == "Lin"));
  }
  CHECK(lins == std::vector<std::string>{"block.lin", "head"});
  CHECK(net.block.lin.bias.value().to_vector() == std::vector<float>{3.0f, 3.0f});
  CHECK(net.head.bias.value().to_vector() == std::vector<float>{3.0f});

  const auto all = net.named_modules();
  CHECK(&all[0].second.get<mt::Net<>>() == &net);
  CHECK(all[0].second.as<mt::Lin<>>() == nullptr);
  CHECK(all[0].second.as<mt::Lin<double>>() == nullptr);  // exact types: Lin<double> is another type
  CHECK(&net.children()[0].get<mt::Block<>>() == &net.block);
  REQUIRE_THROWS_AS(all[1].second.get<mt::Lin<>>(), modyn::type_error);
  REQUIRE_THROWS_WITH(all[1].second.get<mt::Lin<>>(), Catch::Contains("is a Block, not a Lin"));

  // From a const model, const handles; a mutable handle converts to a const one.
  const auto& cnet = net;
  const auto const_all = cnet.named_modules();
  static_assert(std::is_same_v<decltype(const_all[2].second.as<mt::Lin<>>()), const mt::Lin<>*>);
  CHECK(const_all[2].second.as<mt::Lin<>>() == &net.block.lin);
  const modyn::ConstModuleInfo converted = all[2].second;
  CHECK(converted.as<mt::Lin<>>() == &net.block.lin);
  CHECK(converted.name == net.block.lin.name());
}
