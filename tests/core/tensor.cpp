// Tensor and TensorView: construction, element access, reshape, views, value
// semantics.
//
// Element access through operator() is bounds-checked in every build type in
// this file. The macro changes the body of TensorView::operator(), so the
// other files of this test executable use at() or data() instead, so that no
// other definition of operator() can be linked in place of this one.
#define MODYN_BOUNDS_CHECK 1

#include "modyn/core/tensor.hpp"

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/core/tensor_print.hpp"  // so that Catch prints tensors on failure
#include "support/helpers.hpp"

using Catch::Matchers::Contains;
using modyn::Shape;
using modyn::Tensor;
using modyn::TensorView;

namespace {

using modyn_test::message_of;

// 0, 1, 2, ... in the given shape.
Tensor<float> arange(Shape shape) {
  std::vector<float> values(shape.size());
  std::iota(values.begin(), values.end(), 0.0f);
  return Tensor<float>(shape, values);
}

bool aligned64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }

}  // namespace

TEST_CASE("zeros, ones and full fill a tensor of the given shape", "[tensor]") {
  const auto z = modyn::zeros<float>({2, 3});
  CHECK(z.shape() == Shape{2, 3});
  CHECK(z.to_vector() == std::vector<float>(6, 0.0f));

  const auto o = modyn::ones<double>({4, 1, 2});
  CHECK(o.shape() == Shape{4, 1, 2});
  CHECK(o.to_vector() == std::vector<double>(8, 1.0));

  // 37 elements: full vectors and a scalar tail.
  const auto f = modyn::full<float>({37}, 2.5f);
  CHECK(f.shape() == Shape{37});
  CHECK(f.to_vector() == std::vector<float>(37, 2.5f));

  const auto i = modyn::full<int>({3, 5}, -7);
  CHECK(i.to_vector() == std::vector<int>(15, -7));

  const auto s = Tensor<float>::full({}, 4.0f);
  CHECK(s.rank() == 0);
  CHECK(s.size() == 1);
  CHECK(s.item() == 4.0f);

  CHECK(Tensor<double>::zeros({2, 2}).to_vector() == std::vector<double>(4, 0.0));
  CHECK(Tensor<double>::ones({3}).to_vector() == std::vector<double>(3, 1.0));

  const auto e = modyn::zeros<float>({0, 4});
  CHECK(e.shape() == Shape{0, 4});
  CHECK(e.size() == 0);
}

TEST_CASE("a default tensor is empty, of shape (0,)", "[tensor]") {
  const Tensor<float> t;
  CHECK(t.shape() == Shape{0});
  CHECK(t.size() == 0);
  CHECK(t.to_vector().empty());
}

TEST_CASE("Tensor from a shape and row-major values", "[tensor]") {
  const Tensor<float> t({2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t.rank() == 2);
  CHECK(t.shape(0) == 2);
  CHECK(t.shape(1) == 3);
  CHECK(t.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(t(1, 0) == 4.0f);

  const std::vector<double> values{0.5, -1.5, 2.25, 8};
  const Tensor<double> d({2, 1, 2}, values);
  CHECK(d.to_vector() == values);
  CHECK(d(1, 0, 0) == 2.25);

  const Tensor<float> scalar(Shape{}, {3.5f});
  CHECK(scalar.rank() == 0);
  CHECK(scalar.item() == 3.5f);
}

TEST_CASE("Tensor from the wrong number of values throws shape_error", "[tensor]") {
  const std::string msg = message_of<modyn::shape_error>([] {
    Tensor<float>({2, 3}, {1, 2, 3, 4, 5, 6, 7});
  });
  CHECK_THAT(msg, Contains("7") && Contains("(2, 3)"));

  const std::vector<float> too_few(11);
  CHECK_THROWS_AS(Tensor<float>({3, 4}, too_few), modyn::shape_error);
  CHECK_THROWS_WITH(Tensor<float>({3, 4}, too_few), Contains("11") && Contains("(3, 4)"));
}

TEST_CASE("Tensor from nested lists of depth 1 to 4", "[tensor]") {
  const Tensor<float> d1{1, 2, 3};
  CHECK(d1.shape() == Shape{3});
  CHECK(d1.to_vector() == std::vector<float>{1, 2, 3});

  const Tensor<float> one{5};
  CHECK(one.shape() == Shape{1});
  CHECK(one.item() == 5.0f);

  const Tensor<float> d2{{1, 2, 3}, {4, 5, 6}};
  CHECK(d2.shape() == Shape{2, 3});
  CHECK(d2.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(d2(0, 2) == 3.0f);
  CHECK(d2(1, 0) == 4.0f);

  const Tensor<float> row{{1, 2, 3}};
  CHECK(row.shape() == Shape{1, 3});

  const Tensor<int> d3{{{1, 2}, {3, 4}, {5, 6}}, {{7, 8}, {9, 10}, {11, 12}}};
  CHECK(d3.shape() == Shape{2, 3, 2});
  CHECK(d3.to_vector() == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  CHECK(d3(1, 2, 0) == 11);
  CHECK(d3(0, 1, 1) == 4);

  const Tensor<double> d4{{{{1, 2, 3}}, {{4, 5, 6}}}, {{{7, 8, 9}}, {{10, 11, 12}}}};
  CHECK(d4.shape() == Shape{2, 2, 1, 3});
  CHECK(d4.to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  CHECK(d4(1, 0, 0, 2) == 9.0);
  CHECK(d4(0, 1, 0, 0) == 4.0);
}

TEST_CASE("a ragged nested list throws shape_error", "[tensor]") {
  CHECK_THROWS_AS((Tensor<float>{{1, 2, 3}, {4, 5}}), modyn::shape_error);
  CHECK_THROWS_AS((Tensor<float>{{1}, {2, 3}}), modyn::shape_error);
  // Ragged deep inside.
  CHECK_THROWS_AS((Tensor<float>{{{1, 2}, {3, 4}}, {{5, 6}, {7}}}), modyn::shape_error);
  CHECK_THROWS_AS((Tensor<float>{{{1, 2}}, {{3, 4}, {5, 6}}}), modyn::shape_error);
  CHECK_THROWS_AS((Tensor<float>{{{{1, 2}}}, {{{3, 4}, {5, 6}}}}), modyn::shape_error);
}

TEST_CASE("nested lists of one number each keep their depth, as numpy's [[2.], [1.]]", "[tensor]") {
  // numpy: np.array([[2.], [1.]]).shape == (2, 1); np.array([[1.]]).shape == (1, 1)
  const Tensor<float> column{{2.f}, {1.f}};
  CHECK(column.shape() == Shape{2, 1});
  CHECK(column.to_vector() == std::vector<float>{2, 1});
  CHECK(column(1, 0) == 1.0f);

  const Tensor<float> single{{1.f}};
  CHECK(single.shape() == Shape{1, 1});
  CHECK(single.item() == 1.0f);

  const Tensor<float> deep{{{3.f}}, {{4.f}}};
  CHECK(deep.shape() == Shape{2, 1, 1});
  CHECK(deep.to_vector() == std::vector<float>{3, 4});

  const Tensor<double> deepest{{{{5.0}}}};
  CHECK(deepest.shape() == Shape{1, 1, 1, 1});
  CHECK(deepest.item() == 5.0);

  // Copy-list-initialisation reads the same.
  const Tensor<float> assigned = {{2}, {1}};
  CHECK(assigned.shape() == Shape{2, 1});
}

TEST_CASE("flat lists, Tensor<float>({2, 3}) and mixed number types", "[tensor]") {
  const Tensor<float> flat{1.f, 2.f};
  CHECK(flat.shape() == Shape{2});
  CHECK(flat.to_vector() == std::vector<float>{1, 2});

  // Values, as torch.tensor([2, 3]): a shape goes to zeros / empty / full.
  const Tensor<float> values({2, 3});
  CHECK(values.shape() == Shape{2});
  CHECK(values.to_vector() == std::vector<float>{2, 3});
  CHECK(modyn::zeros<float>({2, 3}).shape() == Shape{2, 3});

  // Mixed literals (float and int) in one list, flat and nested.
  const Tensor<float> mixed{0.5f, -1, 0};
  CHECK(mixed.to_vector() == std::vector<float>{0.5f, -1, 0});
  const Tensor<double> mixed2{{1, 2.5}, {3, 4}};
  CHECK(mixed2.shape() == Shape{2, 2});
  CHECK(mixed2.to_vector() == std::vector<double>{1, 2.5, 3, 4});

  // A braced tensor is a copy, empty braces the empty tensor; an empty
  // inner list an empty axis, as numpy's [[], []] (2, 0).
  const Tensor<float> copy{flat};
  CHECK(copy == flat);
  const Tensor<float> none{};
  CHECK(none.shape() == Shape{0});
  const Tensor<float> empty_rows{{}, {}};
  CHECK(empty_rows.shape() == Shape{2, 0});

  // std::initializer_list objects that a helper passes on.
  const auto from_rows = [](std::initializer_list<std::initializer_list<float>> rows) {
    return Tensor<float>(rows);
  };
  CHECK(from_rows({{2}, {1}}).shape() == Shape{2, 1});
  CHECK(from_rows({{1, 2, 3}}).to_vector() == std::vector<float>{1, 2, 3});
  CHECK_THROWS_AS(from_rows({{1, 2}, {3}}), modyn::shape_error);
  const auto from_flat = [](std::initializer_list<float> v) { return Tensor<float>(v); };
  CHECK(from_flat({4, 5}).shape() == Shape{2});
}

TEST_CASE("class template argument deduction from nested lists", "[tensor]") {
  const Tensor flat{1.f, 2.f};
  STATIC_REQUIRE(std::is_same_v<std::remove_const_t<decltype(flat)>, Tensor<float>>);
  CHECK(flat.shape() == Shape{2});
  const Tensor column{{2.f}, {1.f}};
  STATIC_REQUIRE(std::is_same_v<std::remove_const_t<decltype(column)>, Tensor<float>>);
  CHECK(column.shape() == Shape{2, 1});
  const Tensor matrix{{1.0, 2.0}, {3.0, 4.0}};
  STATIC_REQUIRE(std::is_same_v<std::remove_const_t<decltype(matrix)>, Tensor<double>>);
  CHECK(matrix.shape() == Shape{2, 2});
  const Tensor cube{{{1, 2}}};
  STATIC_REQUIRE(std::is_same_v<std::remove_const_t<decltype(cube)>, Tensor<int>>);
  CHECK(cube.shape() == Shape{1, 1, 2});
}

TEST_CASE("numbers and lists mixed at one depth, or more than 4 levels, throw shape_error", "[tensor]") {
  CHECK_THAT(message_of<modyn::shape_error>([] {
               Tensor<float>{{1, 2}, 3};
             }),
             Contains("ragged") && Contains("depth 1"));
  CHECK_THAT(message_of<modyn::shape_error>([] { Tensor<float>{1, {2, 3}}; }), Contains("ragged"));
  CHECK_THAT(message_of<modyn::shape_error>([] { Tensor<float>{{{{{1}}}}}; }), Contains("4"));
}

TEST_CASE("tensor buffers are 64-byte aligned", "[tensor]") {
  for (const std::size_t n : {1, 3, 16, 17, 37, 1000}) {
    INFO("n = " << n);
    const auto t = modyn::zeros<float>({n});
    CHECK(aligned64(t.data()));
    const Tensor<float> copy = t;
    CHECK(aligned64(copy.data()));
    CHECK(aligned64(modyn::ones<double>({n, 3}).data()));
    CHECK(aligned64(t.reshape({1, n}).data()));
  }
  const Tensor<float> nested{{1, 2, 3}, {4, 5, 6}};
  CHECK(aligned64(nested.data()));
  CHECK(aligned64(arange({3, 5}).data()));
  CHECK(aligned64(Tensor<float>(arange({3, 5})[1]).data()));
}

TEST_CASE("element access with x(i, j) and at()", "[tensor]") {
  auto x = arange({3, 4});
  CHECK(x(0, 0) == 0.0f);
  CHECK(x(1, 2) == 6.0f);
  CHECK(x(2, 3) == 11.0f);
  CHECK(x.at(2, 1) == 9.0f);
  CHECK(&x(1, 3) == x.data() + 7);
  CHECK(&x.at(2, 0) == x.data() + 8);

  x(1, 2) = -1.0f;
  x.at(0, 3) = 42.0f;
  CHECK(x.to_vector() == std::vector<float>{0, 1, 2, 42, 4, 5, -1, 7, 8, 9, 10, 11});

  // Any integer type indexes.
  CHECK(x(std::size_t{2}, 1L) == 9.0f);

  const Tensor<float>& cx = x;
  static_assert(std::is_same_v<decltype(cx(0, 0)), const float&>);
  static_assert(std::is_same_v<decltype(cx.at(0, 0)), const float&>);
  static_assert(std::is_same_v<decltype(x(0, 0)), float&>);
  CHECK(cx(0, 3) == 42.0f);

  auto r4 = arange({2, 3, 4, 5});
  CHECK(r4(1, 2, 3, 4) == float(1 * 60 + 2 * 20 + 3 * 5 + 4));
  CHECK(r4.at(0, 1, 0, 2) == 22.0f);

  auto s = modyn::zeros<float>({});
  s() = 3.0f;
  CHECK(s.item() == 3.0f);
  CHECK(s.at() == 3.0f);
}

TEST_CASE("at() out of range throws index_error naming the index and the shape", "[tensor]") {
  const auto x = arange({4, 5});
  CHECK_THROWS_AS(x.at(4, 0), modyn::index_error);
  CHECK_THROWS_AS(x.at(0, 5), modyn::index_error);
  CHECK_THROWS_AS(x.at(-1, 0), modyn::index_error);  // a negative index wraps to a huge one
  const std::string msg = message_of<modyn::index_error>([&] { (void)x.at(1, 7); });
  CHECK_THAT(msg, Contains("7") && Contains("(4, 5)"));

  // Through a view too.
  CHECK_THROWS_WITH(x[1].at(9), Contains("9") && Contains("(5,)"));
}

TEST_CASE("a wrong number of indices throws index_error", "[tensor]") {
  auto x = arange({4, 5});
  CHECK_THROWS_AS(x.at(1), modyn::index_error);
  CHECK_THROWS_AS(x.at(1, 2, 3), modyn::index_error);
  CHECK_THROWS_AS(x.at(), modyn::index_error);
  CHECK_THROWS_AS(x(1), modyn::index_error);
  CHECK_THROWS_AS(x(1, 2, 0), modyn::index_error);
  CHECK_THROWS_WITH(x.at(1, 2, 3), Contains("3") && Contains("(4, 5)"));
  CHECK_THROWS_AS(modyn::zeros<float>({}).at(0), modyn::index_error);
}

TEST_CASE("x(i, j) is bounds-checked when MODYN_BOUNDS_CHECK is 1", "[tensor]") {
  static_assert(MODYN_BOUNDS_CHECK == 1);
  auto x = arange({4, 5});
  CHECK_THROWS_AS(x(4, 0), modyn::index_error);
  CHECK_THROWS_AS(x(0, 5), modyn::index_error);
  CHECK_THROWS_WITH(x(2, 6), Contains("6") && Contains("(4, 5)"));
  const Tensor<float>& cx = x;
  CHECK_THROWS_AS(cx(5, 5), modyn::index_error);
  CHECK_THROWS_AS(x[3](5), modyn::index_error);
  CHECK_NOTHROW(x(3, 4));
}

TEST_CASE("reshape of an lvalue copies, of an rvalue keeps the buffer", "[tensor]") {
  auto x = arange({2, 3});
  const float* original = x.data();

  auto y = x.reshape({3, 2});
  CHECK(y.shape() == Shape{3, 2});
  CHECK(y.data() != x.data());
  CHECK(y.to_vector() == x.to_vector());
  CHECK(y(2, 1) == 5.0f);
  y(0, 0) = 100.0f;
  CHECK(x(0, 0) == 0.0f);
  CHECK(x.shape() == Shape{2, 3});

  auto flat = std::move(x).reshape({6});
  CHECK(flat.shape() == Shape{6});
  CHECK(flat.data() == original);
  CHECK(flat.to_vector() == std::vector<float>{0, 1, 2, 3, 4, 5});

  auto r4 = std::move(flat).reshape({1, 2, 3, 1});
  CHECK(r4.shape() == Shape{1, 2, 3, 1});
  CHECK(r4.data() == original);

  // The view of the same elements with another shape.
  const auto v = r4.view().reshape({3, 2});
  CHECK(v.data() == original);
  CHECK(v.shape() == Shape{3, 2});
}

TEST_CASE("reshape to another size throws shape_error naming both shapes", "[tensor]") {
  auto x = arange({2, 3});
  CHECK_THROWS_WITH(x.reshape({4, 2}), Contains("(2, 3)") && Contains("(4, 2)"));
  CHECK_THROWS_AS(x.view().reshape({7}), modyn::shape_error);

  // A failed rvalue reshape leaves the tensor as it was.
  const float* data = x.data();
  CHECK_THROWS_AS(std::move(x).reshape({5}), modyn::shape_error);
  CHECK(x.shape() == Shape{2, 3});
  CHECK(x.data() == data);
  CHECK(x.to_vector() == std::vector<float>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("x[t] of a (T, B, N) tensor is a (B, N) view of step t", "[tensor][view]") {
  auto x = arange({3, 2, 4});

  const TensorView<float> step = x[1];
  CHECK(step.shape() == Shape{2, 4});
  CHECK(step.data() == x.data() + 8);
  CHECK(step(0, 0) == 8.0f);
  CHECK(step(1, 3) == 15.0f);
  CHECK(x[2].data() == x.data() + 16);
  CHECK(x[0].data() == x.data());

  const auto row = x[2][1];
  CHECK(row.shape() == Shape{4});
  CHECK(row.data() == x.data() + 2 * 8 + 1 * 4);
  CHECK(row(3) == 23.0f);

  const auto element = x[1][0][2];
  CHECK(element.rank() == 0);
  CHECK(element.data() == x.data() + 10);
  CHECK(element() == 10.0f);

  // Writes through views are writes into x.
  step(0, 2) = -1.0f;
  CHECK(x(1, 0, 2) == -1.0f);
  x[2][1](3) = 100.0f;
  CHECK(x(2, 1, 3) == 100.0f);
  x(0, 1, 1) = 7.5f;
  CHECK(x[0](1, 1) == 7.5f);
  CHECK(x[0][1](1) == 7.5f);
}

TEST_CASE("views of a const tensor are views of const elements", "[tensor][view]") {
  const auto x = arange({3, 2, 4});
  static_assert(std::is_same_v<decltype(x[0]), TensorView<const float>>);
  static_assert(std::is_same_v<decltype(x[0][1]), TensorView<const float>>);
  static_assert(std::is_same_v<decltype(x[0](0, 0)), const float&>);
  static_assert(std::is_same_v<decltype(x.view()), TensorView<const float>>);
  CHECK(x[1][1](2) == 14.0f);

  // A mutable view converts to a const one, never the other way.
  auto y = arange({2, 2});
  const TensorView<const float> cv = y[1];
  CHECK(cv.data() == y.data() + 2);
  static_assert(std::is_convertible_v<TensorView<float>, TensorView<const float>>);
  static_assert(!std::is_convertible_v<TensorView<const float>, TensorView<float>>);
}

TEST_CASE("indexing past the end of an axis throws index_error", "[tensor][view]") {
  auto x = arange({3, 2, 4});
  CHECK_THROWS_AS(x[3], modyn::index_error);
  CHECK_THROWS_WITH(x[3], Contains("3") && Contains("(3, 2, 4)"));
  CHECK_THROWS_AS(x[0][2], modyn::index_error);
  CHECK_THROWS_AS(x[0][1][4], modyn::index_error);
  const auto& cx = x;
  CHECK_THROWS_AS(cx[5], modyn::index_error);
  CHECK_NOTHROW(x[2][1][3]);
  // A rank-0 view has no axis to index.
  CHECK_THROWS_AS(x[0][0][0][0], modyn::shape_error);
}

TEST_CASE("Tensor(view) copies the viewed elements", "[tensor][view]") {
  auto x = arange({3, 2, 4});
  Tensor<float> step(x[1]);
  CHECK(step.shape() == Shape{2, 4});
  CHECK(step.data() != x[1].data());
  CHECK(step.to_vector() == std::vector<float>{8, 9, 10, 11, 12, 13, 14, 15});
  step(0, 0) = -5.0f;
  CHECK(x(1, 0, 0) == 8.0f);
  x(1, 1, 1) = 99.0f;
  CHECK(step(1, 1) == 13.0f);

  const auto& cx = x;
  const Tensor<float> row(cx[2][0]);
  CHECK(row.to_vector() == std::vector<float>{16, 17, 18, 19});

  static_assert(!std::is_convertible_v<TensorView<float>, Tensor<float>>, "copying a view is explicit");
}

TEST_CASE("copies are deep, moves transfer the buffer", "[tensor]") {
  auto x = arange({2, 3});

  Tensor<float> copy = x;
  CHECK(copy.data() != x.data());
  CHECK(copy == x);
  copy(0, 1) = 50.0f;
  CHECK(x(0, 1) == 1.0f);

  Tensor<float> assigned = modyn::zeros<float>({7});
  assigned = x;
  CHECK(assigned.shape() == Shape{2, 3});
  CHECK(assigned.data() != x.data());
  assigned(1, 2) = -3.0f;
  CHECK(x(1, 2) == 5.0f);

  Tensor<float>& alias = assigned;
  assigned = alias;  // self-assignment keeps the elements
  CHECK(assigned.to_vector() == std::vector<float>{0, 1, 2, 3, 4, -3});

  const float* buffer = x.data();
  Tensor<float> moved = std::move(x);
  CHECK(moved.data() == buffer);
  CHECK(moved.shape() == Shape{2, 3});
  // The moved-from tensor is empty, not a shape without elements.
  CHECK(x.size() == 0);
  CHECK(x.shape() == Shape{0});

  Tensor<float> target = modyn::ones<float>({4});
  target = std::move(moved);
  CHECK(target.data() == buffer);
  CHECK(target.shape() == Shape{2, 3});
  CHECK(moved.size() == 0);

  // A moved-from tensor can be used again.
  x = target;
  CHECK(x == target);
}

TEST_CASE("item() reads the single element", "[tensor]") {
  CHECK(Tensor<float>{2.5f}.item() == 2.5f);
  CHECK(Tensor<int>({1, 1, 1}, {-4}).item() == -4);
  CHECK(Tensor<double>(Shape{}, {0.125}).item() == 0.125);
  CHECK(arange({1, 1, 1, 1}).item() == 0.0f);
  CHECK_THROWS_AS(arange({2}).item(), modyn::shape_error);
  CHECK_THROWS_WITH(arange({2, 3}).item(), Contains("(2, 3)"));
  CHECK_THROWS_AS(Tensor<float>().item(), modyn::shape_error);
}

TEST_CASE("to_vector() copies the elements in row-major order", "[tensor]") {
  auto x = Tensor<float>{{1, 2}, {3, 4}, {5, 6}};
  auto v = x.to_vector();
  CHECK(v == std::vector<float>{1, 2, 3, 4, 5, 6});
  v[0] = 10.0f;
  CHECK(x(0, 0) == 1.0f);
  CHECK(modyn::zeros<int>({0}).to_vector().empty());
}

TEST_CASE("operator== compares shapes and elements exactly", "[tensor]") {
  const Tensor<float> a{{1, 2, 3}, {4, 5, 6}};
  CHECK(a == Tensor<float>{{1, 2, 3}, {4, 5, 6}});
  CHECK_FALSE(a == Tensor<float>{{1, 2, 3}, {4, 5, 7}});
  CHECK_FALSE(a == Tensor<float>{{1, 2}, {3, 4}, {5, 6}});  // same elements, another shape
  CHECK_FALSE(a == Tensor<float>{1, 2, 3, 4, 5, 6});
  CHECK(a != Tensor<float>{{0, 2, 3}, {4, 5, 6}});

  // Tensors and views compare alike.
  CHECK(a[1] == Tensor<float>{4, 5, 6});
  CHECK(Tensor<float>{1, 2, 3} == a[0]);
  CHECK_FALSE(a[0] == a[1]);
  CHECK(Tensor<float>() == Tensor<float>());
  CHECK_FALSE(Tensor<float>() == modyn::zeros<float>({0, 2}));

  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK_FALSE(Tensor<float>{nan} == Tensor<float>{nan});
}
