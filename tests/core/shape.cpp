// Shape: construction, extents, size, strides, drop_front, printing, equality.
#include "modyn/core/shape.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cstddef>
#include <sstream>
#include <vector>

using modyn::Shape;

namespace {

std::vector<std::size_t> extents(const Shape& s) { return {s.begin(), s.end()}; }

}  // namespace

TEST_CASE("Shape of rank 0 to 4 holds its extents", "[shape]") {
  const Shape s0;
  CHECK(s0.rank() == 0);
  CHECK(extents(s0).empty());

  const Shape s1{5};
  CHECK(s1.rank() == 1);
  CHECK(s1[0] == 5);

  const Shape s2{2, 3};
  CHECK(s2.rank() == 2);
  CHECK(extents(s2) == std::vector<std::size_t>{2, 3});

  const Shape s3{2, 3, 4};
  CHECK(s3.rank() == 3);
  CHECK(extents(s3) == std::vector<std::size_t>{2, 3, 4});

  const Shape s4{7, 1, 3, 2};
  CHECK(s4.rank() == 4);
  CHECK(s4[0] == 7);
  CHECK(s4[1] == 1);
  CHECK(s4[2] == 3);
  CHECK(s4[3] == 2);

  const std::array<std::size_t, 3> from_file{4, 0, 6};
  const Shape s5(std::span<const std::size_t>(from_file.data(), from_file.size()));
  CHECK(extents(s5) == std::vector<std::size_t>{4, 0, 6});
}

TEST_CASE("Shape is usable in constant expressions", "[shape]") {
  static_assert(Shape{2, 3, 4}.size() == 24);
  static_assert(Shape{2, 3, 4}[1] == 3);
  static_assert(Shape{2, 3, 4}.stride(0) == 12);
  static_assert(Shape{2, 3} == Shape{2, 3});
  SUCCEED();
}

TEST_CASE("Shape of rank 5 throws shape_error", "[shape]") {
  CHECK_THROWS_AS((Shape{1, 2, 3, 4, 5}), modyn::shape_error);
  CHECK_THROWS_WITH((Shape{1, 2, 3, 4, 5}), Catch::Matchers::Contains("rank 5"));

  const std::array<std::size_t, 6> six{1, 1, 1, 1, 1, 1};
  CHECK_THROWS_AS(Shape(std::span<const std::size_t>(six.data(), six.size())), modyn::shape_error);
}

TEST_CASE("Shape::size is the product of the extents", "[shape]") {
  CHECK(Shape{}.size() == 1);  // a scalar has one element
  CHECK(Shape{5}.size() == 5);
  CHECK(Shape{2, 3}.size() == 6);
  CHECK(Shape{2, 3, 4}.size() == 24);
  CHECK(Shape{2, 3, 4, 5}.size() == 120);
  CHECK(Shape{0}.size() == 0);
  CHECK(Shape{3, 0, 2}.size() == 0);
}

TEST_CASE("Shape::operator[] out of range throws index_error", "[shape]") {
  const Shape s{2, 3};
  CHECK(s[1] == 3);
  CHECK_THROWS_AS(s[2], modyn::index_error);
  CHECK_THROWS_WITH(s[2], Catch::Matchers::Contains("axis 2") && Catch::Matchers::Contains("(2, 3)"));
  CHECK_THROWS_AS(Shape{}[0], modyn::index_error);
  CHECK_THROWS_AS((Shape{1, 2, 3, 4}[4]), modyn::index_error);
}

TEST_CASE("Shape::stride gives row-major strides in elements", "[shape]") {
  const Shape s{2, 3, 4, 5};
  CHECK(s.stride(0) == 60);
  CHECK(s.stride(1) == 20);
  CHECK(s.stride(2) == 5);
  CHECK(s.stride(3) == 1);

  CHECK(Shape{7}.stride(0) == 1);
  CHECK(Shape{3, 2}.stride(0) == 2);
  CHECK(Shape{3, 2}.stride(1) == 1);
}

TEST_CASE("Shape::drop_front removes the first axis", "[shape]") {
  CHECK(Shape{2, 3, 4, 5}.drop_front() == Shape{3, 4, 5});
  CHECK(Shape{2, 3, 4}.drop_front() == Shape{3, 4});
  CHECK(Shape{2, 3}.drop_front() == Shape{3});
  CHECK(Shape{5}.drop_front() == Shape{});
  CHECK(Shape{5}.drop_front().rank() == 0);
  CHECK_THROWS_AS(Shape{}.drop_front(), modyn::shape_error);
}

TEST_CASE("Shape prints as numpy prints shapes", "[shape]") {
  CHECK(Shape{2, 3}.to_string() == "(2, 3)");
  CHECK(Shape{5}.to_string() == "(5,)");
  CHECK(Shape{}.to_string() == "()");
  CHECK(Shape{0}.to_string() == "(0,)");
  CHECK(Shape{2, 3, 4, 5}.to_string() == "(2, 3, 4, 5)");
  CHECK(Shape{10, 200}.to_string() == "(10, 200)");

  std::ostringstream os;
  os << Shape{4, 1};
  CHECK(os.str() == "(4, 1)");
}

TEST_CASE("Shape equality compares rank and extents", "[shape]") {
  CHECK(Shape{2, 3} == Shape{2, 3});
  CHECK(Shape{} == Shape{});
  CHECK(Shape{2, 3} != Shape{3, 2});
  CHECK(Shape{2, 3} != Shape{2, 3, 1});
  CHECK(Shape{1, 2, 3} != Shape{2, 3});
  CHECK(Shape{0} != Shape{});
  CHECK(Shape{1} != Shape{});  // same size, different rank

  Shape copy = Shape{4, 5};
  CHECK(copy == Shape{4, 5});
  copy = Shape{6};
  CHECK(copy == Shape{6});
  CHECK(copy.rank() == 1);
}
