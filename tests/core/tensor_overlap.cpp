// Compound assignment and view assignment whose right-hand side shares
// memory with the left-hand side, against numpy's results (numpy reads a
// copy of an overlapping right-hand side): x += x[0] adds the old row 0 to
// every row. Run on modyn::cpu and on modyn::serial, which goes one element
// at a time in order, so that a pass reading elements it already wrote
// shows on it whatever the vector width.
#include <catch2/catch.hpp>
#include <cstddef>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_ops.hpp"
#include "modyn/core/tensor_print.hpp"  // so that Catch prints tensors on failure

using Catch::Matchers::Contains;
using modyn::Shape;
using modyn::Tensor;
using modyn::TensorView;

namespace {

template <class B>
Tensor<float, B> matrix(std::initializer_list<std::initializer_list<float>> rows) {
  const Tensor<float> host(rows);
  return Tensor<float, B>(host.shape(), std::span<const float>(host.data(), host.size()));
}

template <class B>
std::vector<float> values(const Tensor<float, B>& x) {
  return x.to_vector();
}

// 0, 1, ..., n - 1.
template <class B>
Tensor<float, B> iota(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = float(i);
  return Tensor<float, B>(Shape{n}, std::span<const float>(v));
}

}  // namespace

TEMPLATE_TEST_CASE("compound assignment with a row of the same tensor reads the old row, as numpy",
                   "[ops][overlap]", modyn::cpu, modyn::serial) {
  using B = TestType;
  // numpy: x = np.array([[1., 2.], [3., 4.]]); x += x[0] -> [[2, 4], [4, 6]]
  auto x = matrix<B>({{1, 2}, {3, 4}});
  x += x[0];
  CHECK(values(x) == std::vector<float>{2, 4, 4, 6});

  x = matrix<B>({{1, 2}, {3, 4}});
  x -= x[0];  // [[0, 0], [2, 2]]
  CHECK(values(x) == std::vector<float>{0, 0, 2, 2});

  x = matrix<B>({{1, 2}, {3, 4}});
  x *= x[0];  // [[1, 4], [3, 8]]
  CHECK(values(x) == std::vector<float>{1, 4, 3, 8});

  x = matrix<B>({{2, 4}, {6, 8}});
  x /= x[0];  // [[1, 1], [3, 2]]
  CHECK(values(x) == std::vector<float>{1, 1, 3, 2});

  // A view on the left: x[1:] += x[0] of a (3, 2) tensor.
  auto y = matrix<B>({{1, 2}, {3, 4}, {5, 6}});
  TensorView<float, B>(y.data() + 2, Shape{2, 2}) += y[1];  // rows 1, 2 += old row 1
  CHECK(values(y) == std::vector<float>{1, 2, 6, 8, 8, 10});
}

TEMPLATE_TEST_CASE("compound assignment of shifted views of one buffer reads the old elements",
                   "[ops][overlap]", modyn::cpu, modyn::serial) {
  using B = TestType;
  // numpy: x = np.arange(40.); x[1:] += x[:-1] -> x[i] = i + (i - 1) for i >= 1
  // (a pass reading what it wrote would give prefix sums). 40 elements: full
  // vectors and a tail on the CPU.
  const std::size_t n = 40;
  auto x = iota<B>(n);
  TensorView<float, B>(x.data() + 1, Shape{n - 1}) += TensorView<float, B>(x.data(), Shape{n - 1});
  std::vector<float> want(n);
  for (std::size_t i = 0; i < n; ++i) want[i] = i == 0 ? 0.0f : float(2 * i - 1);
  CHECK(values(x) == want);

  // x[:-1] *= x[1:] (the other direction): x[i] = i (i + 1), x[n - 1] unchanged.
  x = iota<B>(n);
  TensorView<float, B>(x.data(), Shape{n - 1}) *= TensorView<float, B>(x.data() + 1, Shape{n - 1});
  for (std::size_t i = 0; i < n; ++i) want[i] = i + 1 == n ? float(i) : float(i * (i + 1));
  CHECK(values(x) == want);
}

TEMPLATE_TEST_CASE("compound assignment with itself (exact overlap) stays elementwise", "[ops][overlap]",
                   modyn::cpu, modyn::serial) {
  using B = TestType;
  auto x = matrix<B>({{1, 2}, {3, 4}});
  x += x;
  CHECK(values(x) == std::vector<float>{2, 4, 6, 8});
  x *= x.view();
  CHECK(values(x) == std::vector<float>{4, 16, 36, 64});
  x[1] -= x[1];
  CHECK(values(x) == std::vector<float>{4, 16, 0, 0});
}

TEMPLATE_TEST_CASE("assigning to a temporary view copies elements, as numpy's x[0] = y", "[ops][assign]",
                   modyn::cpu, modyn::serial) {
  using B = TestType;
  auto x = matrix<B>({{1, 2}, {3, 4}, {5, 6}});
  const auto row = matrix<B>({{7, 8}});

  SECTION("another tensor of the view's shape") {
    x[0] = row[0];
    CHECK(values(x) == std::vector<float>{7, 8, 3, 4, 5, 6});
  }
  SECTION("a row repeated over the view's rows") {
    x.view() = row[0];
    CHECK(values(x) == std::vector<float>{7, 8, 7, 8, 7, 8});
  }
  SECTION("a scalar fills the view") {
    x[1] = 0.0f;
    CHECK(values(x) == std::vector<float>{1, 2, 0, 0, 5, 6});
  }
  SECTION("another row of the same tensor") {
    x[2] = x[0];
    CHECK(values(x) == std::vector<float>{1, 2, 3, 4, 1, 2});
  }
  SECTION("itself") {
    x[1] = x[1];
    CHECK(values(x) == std::vector<float>{1, 2, 3, 4, 5, 6});
  }
  SECTION("shifted views of one buffer: x[1:] = x[:-1]") {
    auto flat = iota<B>(40);
    TensorView<float, B>(flat.data() + 1, Shape{39}) = TensorView<float, B>(flat.data(), Shape{39});
    std::vector<float> want(40);
    for (std::size_t i = 0; i < 40; ++i) want[i] = i == 0 ? 0.0f : float(i - 1);
    CHECK(values(flat) == want);
  }
  SECTION("a row that overlaps two rows of the view, repeated over all of them") {
    // numpy: a = np.arange(6.).reshape(3, 2); a[...] = a.reshape(-1)[1:3]
    // -> every row [1, 2].
    auto a = iota<B>(6).reshape({3, 2});
    a.view() = TensorView<float, B>(a.data() + 1, Shape{2});
    CHECK(values(a) == std::vector<float>{1, 2, 1, 2, 1, 2});
  }
  SECTION("a shape that is not a trailing part throws shape_error naming both") {
    CHECK_THROWS_AS(x[0] = x, modyn::shape_error);
    const auto wrong = matrix<B>({{1, 2, 3}});
    CHECK_THROWS_WITH(x.view() = wrong, Contains("(1, 3)") && Contains("(3, 2)"));
  }
}

TEST_CASE("assigning to a named view rebinds it, as std::span", "[ops][assign]") {
  auto x = Tensor<float>{{1, 2}, {3, 4}};
  auto v = x[0];
  v = x[1];
  CHECK(v.data() == x[1].data());
  CHECK(x == Tensor<float>{{1, 2}, {3, 4}});  // no element written
}
