// MODYN_FIELDS, the field kinds and module concepts, and the tensor type a
// model's lists hold.
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
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
  std::apply([&](const auto&... f) { (out.push_back(std::string(f.name)), ...); }, M::template modyn_fields<M>());
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
  static_assert(std::is_same_v<modyn::detail::field_type_t<std::tuple_element_t<0, decltype(fields)>, mt::Net<>>,
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
  static_assert(kind_of<Param<Tensor<double>, modyn::transform::exp, modyn::reg::L1>>() == field_kind::param);
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
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(net.state_dict())>, modyn::StateDict<Tensor<double>>>);
  static_assert(std::is_same_v<decltype(net.states())::value_type, std::reference_wrapper<Tensor<double>>>);
  CHECK(net.state_dict().size() == 7);
}
