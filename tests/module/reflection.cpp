// MODYN_FIELDS, the field kinds and module concepts, and the tensor type a
// model's lists hold.
#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "models.hpp"

using modyn::field_kind;
using modyn::kind_of;
using modyn::Param;
using modyn::State;
using modyn::Tensor;

namespace {

// Many fields of every kind, one of them private.
struct Wide : modyn::Module<Wide> {
  int f0 = 0, f1 = 1, f2 = 2, f3 = 3, f4 = 4, f5 = 5, f6 = 6, f7 = 7, f8 = 8, f9 = 9;
  int f10 = 10, f11 = 11, f12 = 12, f13 = 13, f14 = 14, f15 = 15, f16 = 16, f17 = 17, f18 = 18, f19 = 19;
  Param<Tensor<float>> p{Tensor<float>{1.0f}};
  State<Tensor<float>> s{modyn::Shape{2}};
  mt::Scale child;
  std::vector<mt::Scale> list;
  std::string label = "not reflected as a parameter";
  double unlisted = 0.0;  // not in MODYN_FIELDS

  const Param<Tensor<float>>& secret_param() const { return secret; }

  MODYN_FIELDS(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19, p, s,
               child, list, label, secret)

 private:
  Param<Tensor<float>> secret{Tensor<float>{2.0f, 3.0f}};
};

template <class M>
std::vector<std::string> field_names() {
  std::vector<std::string> out;
  std::apply([&](const auto&... f) { (out.push_back(std::string(f.name)), ...); },
             M::template modyn_fields<M>());
  return out;
}

}  // namespace

TEST_CASE("MODYN_FIELDS lists names and accessors in declaration order", "[reflection]") {
  CHECK(field_names<mt::Lin<>>() == std::vector<std::string>{"weight", "bias", "features"});
  CHECK(field_names<mt::Net<>>() == std::vector<std::string>{"block", "scale", "head", "steps"});
  CHECK(field_names<mt::Pop<>>() == std::vector<std::string>{"cells", "blocks", "misc", "trace"});

  constexpr auto fields = mt::Net<>::modyn_fields<mt::Net<>>();
  static_assert(std::tuple_size_v<decltype(fields)> == 4);
  static_assert(std::get<2>(fields).name == "head");
  using Info3 = std::tuple_element_t<3, decltype(fields)>;
  static_assert(std::is_same_v<modyn::detail::field_type_t<Info3, mt::Net<>>, int>);
  static_assert(
      std::is_same_v<modyn::detail::field_type_t<std::tuple_element_t<0, decltype(fields)>, mt::Net<>>,
                     mt::Block<>>);

  // Each accessor returns the field itself, const for a const module.
  mt::Net<> net;
  CHECK(&std::get<0>(fields).get(net) == &net.block);
  CHECK(&std::get<1>(fields).get(net) == &net.scale);
  CHECK(&std::get<2>(fields).get(net) == &net.head);
  std::get<3>(fields).get(net) = 12;
  CHECK(net.steps == 12);
  const mt::Net<>& const_net = net;
  static_assert(std::is_same_v<decltype(std::get<3>(fields).get(const_net)), const int&>);
  static_assert(std::is_same_v<decltype(std::get<3>(fields).get(net)), int&>);
  CHECK(std::get<3>(fields).get(const_net) == 12);
}

TEST_CASE("MODYN_FIELDS takes many fields, private ones included", "[reflection]") {
  constexpr auto fields = Wide::modyn_fields<Wide>();
  static_assert(std::tuple_size_v<decltype(fields)> == 26);
  const auto names = field_names<Wide>();
  CHECK(names.front() == "f0");
  CHECK(names[19] == "f19");
  CHECK(names.back() == "secret");

  Wide w;
  CHECK(std::get<17>(fields).get(w) == 17);
  CHECK(mt::paths_of(w.named_parameters()) == std::vector<std::string>{"p", "secret"});
  CHECK(&w.parameters()[1].get() == &w.secret_param().raw());
  CHECK(mt::paths_of(w.named_states()) == std::vector<std::string>{"s"});
  CHECK(mt::paths_of(w.named_children()) == std::vector<std::string>{"child"});
  CHECK(w.num_parameters() == 3);

  w.list.resize(2);
  CHECK(mt::paths_of(w.named_children()) == std::vector<std::string>{"child", "list.0", "list.1"});
}

TEST_CASE("field kinds come from the field types", "[reflection]") {
  static_assert(kind_of<Param<Tensor<float>>>() == field_kind::param);
  static_assert(kind_of<Param<Tensor<double>, modyn::transform::exponential, modyn::reg::L1>>() ==
                field_kind::param);
  static_assert(kind_of<const Param<Tensor<float>>&>() == field_kind::param);
  static_assert(kind_of<State<Tensor<float>>>() == field_kind::state);
  static_assert(kind_of<mt::Scale>() == field_kind::module);
  static_assert(kind_of<mt::Net<>>() == field_kind::module);
  static_assert(kind_of<std::vector<mt::Lin<>>>() == field_kind::module_container);
  static_assert(kind_of<std::array<mt::Lin<>, 2>>() == field_kind::module_container);
  static_assert(kind_of<std::tuple<mt::Lin<>, mt::Scale>>() == field_kind::module_container);
  static_assert(kind_of<std::tuple<>>() == field_kind::plain);
  static_assert(kind_of<std::tuple<mt::Lin<>, int>>() == field_kind::plain);
  static_assert(kind_of<std::vector<int>>() == field_kind::plain);
  static_assert(kind_of<Tensor<float>>() == field_kind::plain);
  static_assert(kind_of<int>() == field_kind::plain);
  static_assert(kind_of<std::string>() == field_kind::plain);
  CHECK(true);
}

TEST_CASE("ModuleType and ReflectedModule", "[reflection]") {
  static_assert(modyn::ModuleType<mt::Scale>);
  static_assert(modyn::ModuleType<const mt::Scale&>);
  static_assert(modyn::ModuleType<mt::Net<>>);
  static_assert(modyn::ModuleType<mt::Fixed<2>>);
  static_assert(!modyn::ModuleType<Tensor<float>>);
  static_assert(!modyn::ModuleType<int>);
  static_assert(!modyn::ModuleType<std::vector<mt::Scale>>);

  static_assert(!modyn::ReflectedModule<mt::Scale>);  // no MODYN_FIELDS
  static_assert(modyn::ReflectedModule<mt::Net<>>);
  static_assert(modyn::ReflectedModule<mt::Lin<double>&>);
  static_assert(modyn::ReflectedModule<Wide>);
  static_assert(!modyn::ReflectedModule<int>);
  CHECK(true);
}

TEST_CASE("the lists of a model hold its one tensor type", "[reflection]") {
  using modyn::detail::model_value_t;
  using modyn::detail::value_filter;
  static_assert(std::is_same_v<model_value_t<mt::Net<>, value_filter::both>, Tensor<float>>);
  static_assert(std::is_same_v<model_value_t<mt::Net<double>, value_filter::params>, Tensor<double>>);
  static_assert(std::is_same_v<model_value_t<mt::Pop<float, mt::other_backend>, value_filter::states>,
                               Tensor<float, mt::other_backend>>);
  // No Params or States: Tensor<float>.
  static_assert(std::is_same_v<model_value_t<mt::Scale, value_filter::both>, Tensor<float>>);
  static_assert(std::is_same_v<model_value_t<mt::Lin<double>, value_filter::states>, Tensor<float>>);

  mt::Net<double> net;
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(net.state_dict())>, modyn::StateDict>);
  static_assert(std::is_same_v<decltype(net.states())::value_type, std::reference_wrapper<Tensor<double>>>);
  CHECK(net.state_dict().size() == 7);
  for (const auto& [key, entry] : net.state_dict()) CHECK(entry.dtype() == modyn::DType::float64);
}

TEST_CASE("a model of mixed element types lists variants over its distinct tensor types",
          "[reflection][dtype]") {
  using modyn::detail::model_value_t;
  using modyn::detail::model_value_types_t;
  using modyn::detail::type_list;
  using modyn::detail::value_filter;
  using I32 = Tensor<std::int32_t>;
  // Distinct, in traversal order.
  static_assert(std::is_same_v<model_value_types_t<mt::MixedNet, value_filter::params>,
                               type_list<Tensor<float>, Tensor<double>>>);
  static_assert(
      std::is_same_v<model_value_types_t<mt::MixedNet, value_filter::states>, type_list<Tensor<float>, I32>>);
  static_assert(std::is_same_v<model_value_types_t<mt::MixedNet, value_filter::both>,
                               type_list<Tensor<float>, Tensor<double>, I32>>);
  static_assert(std::is_same_v<model_value_types_t<mt::Pop<>, value_filter::both>, type_list<Tensor<float>>>);
  static_assert(std::is_same_v<model_value_types_t<mt::Scale, value_filter::both>, type_list<>>);
  // The type the model computes in: the first floating-point State type.
  static_assert(std::is_same_v<model_value_t<mt::MixedNet, value_filter::both>, Tensor<float>>);
  static_assert(std::is_same_v<model_value_t<mt::Mixed, value_filter::both>, Tensor<float>>);
  static_assert(std::is_same_v<model_value_t<mt::Mixed, value_filter::params>, Tensor<double>>);
  static_assert(std::is_same_v<model_value_t<mt::Mixed, value_filter::states>, Tensor<float>>);

  mt::MixedNet net;
  net.reset_state(2);
  auto params = net.named_parameters();
  using ParamRef =
      std::variant<std::reference_wrapper<Tensor<float>>, std::reference_wrapper<Tensor<double>>>;
  static_assert(std::is_same_v<decltype(params)::value_type, std::pair<std::string, ParamRef>>);
  CHECK(mt::paths_of(params) == std::vector<std::string>{"in.weight", "in.bias", "pop.tau"});
  CHECK(&std::get<std::reference_wrapper<Tensor<float>>>(params[0].second).get() == &net.in.weight.raw());
  CHECK(&std::get<std::reference_wrapper<Tensor<double>>>(params[2].second).get() == &net.pop.tau.raw());
  CHECK(params[1].second.index() == 0);
  CHECK(params[2].second.index() == 1);

  // std::visit reaches each tensor with its own type, and writes through.
  std::vector<std::string> described;
  for (const auto& entry : params) {  // (clang 14 cannot capture a structured binding)
    std::visit(
        [&](auto t) {
          using T = typename std::remove_cvref_t<decltype(t.get())>::value_type;
          described.push_back(entry.first + " " + std::string(modyn::to_string(modyn::dtype_v<T>)) + " " +
                              t.get().shape().to_string());
        },
        entry.second);
  }
  CHECK(described ==
        std::vector<std::string>{"in.weight float32 (2, 3)", "in.bias float32 (3,)", "pop.tau float64 (3,)"});
  std::visit([](auto t) { t.get() *= 2; }, params[2].second);
  CHECK(net.pop.tau.value() == Tensor<double>::full({3}, 8.0));

  auto states = net.named_states();
  using StateRef = std::variant<std::reference_wrapper<Tensor<float>>, std::reference_wrapper<I32>>;
  static_assert(std::is_same_v<decltype(states)::value_type::second_type, StateRef>);
  CHECK(mt::paths_of(states) == std::vector<std::string>{"pop.V", "pop.counter"});
  CHECK(&std::get<std::reference_wrapper<I32>>(states[1].second).get() == &net.pop.counter.value());
  CHECK(std::get<1>(states[1].second).get().shape() == modyn::Shape{2, 3});
  static_assert(std::is_same_v<decltype(net.states())::value_type, StateRef>);
  CHECK(net.states().size() == 2);
  CHECK(net.parameters().size() == 3);

  // Filters, and const models: variants of const references.
  const auto& const_net = net;
  const auto const_states = const_net.named_states([](std::string_view p) { return p.ends_with("counter"); });
  static_assert(
      std::is_same_v<
          decltype(const_states)::value_type::second_type,
          std::variant<std::reference_wrapper<const Tensor<float>>, std::reference_wrapper<const I32>>>);
  REQUIRE(const_states.size() == 1);
  CHECK(&std::get<1>(const_states[0].second).get() == &net.pop.counter.value());
  CHECK(mt::paths_of(net.named_parameters(modyn::max_depth{1})) ==
        std::vector<std::string>{"in.weight", "in.bias", "pop.tau"});
  CHECK(net.num_parameters() == 6 + 3 + 3);

  // A part of a mixed model with one type keeps the plain reference_wrapper.
  static_assert(std::is_same_v<decltype(net.in.named_parameters())::value_type::second_type,
                               std::reference_wrapper<Tensor<float>>>);
  static_assert(std::is_same_v<decltype(net.pop.named_parameters())::value_type::second_type,
                               std::reference_wrapper<Tensor<double>>>);

  // for_each_* visit every field with its own type.
  std::vector<std::string> visited;
  net.for_each_state([&](std::string_view path, const auto& s) {
    using T = typename std::remove_cvref_t<decltype(s)>::value_type::value_type;
    visited.push_back(std::string(path) + ":" + std::string(modyn::to_string(modyn::dtype_v<T>)));
  });
  CHECK(visited == std::vector<std::string>{"pop.V:float32", "pop.counter:int32"});
}
