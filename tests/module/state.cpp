// modyn::State: per-sample shape and fill, reset, batch_shape, accepts,
// identity-keeping assignment and shape errors naming the path.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "models.hpp"

using modyn::Shape;
using modyn::State;
using modyn::Tensor;
using mt::message_of;

TEST_CASE("a State from a per-sample shape is full of its fill value", "[state]") {
  const State<Tensor<float>> s(Shape{2, 3}, -65.0f);
  CHECK(s.value() == Tensor<float>::full({2, 3}, -65.0f));
  CHECK(s.sample_shape() == Shape{2, 3});
  CHECK(s.fill() == -65.0f);
  CHECK(s.shape() == Shape{2, 3});
  CHECK(s.size() == 6);
  CHECK(&*s == &s.value());
  CHECK(s->shape() == Shape{2, 3});

  const State<Tensor<float>> zero(Shape{4});
  CHECK(zero.fill() == 0.0f);
  CHECK(zero.value() == Tensor<float>::zeros({4}));

  const State<Tensor<int>> ints(Shape{2}, 7);
  CHECK(ints.value() == Tensor<int>{7, 7});
}

TEST_CASE("a State from an initial value takes its shape as the per-sample shape", "[state]") {
  State<Tensor<float>> s(Tensor<float>{1.0f, 2.0f, 3.0f}, 0.5f);
  CHECK(s.value() == Tensor<float>{1.0f, 2.0f, 3.0f});
  CHECK(s.sample_shape() == Shape{3});
  CHECK(s.fill() == 0.5f);
  s.reset(2);
  CHECK(s.value() == Tensor<float>::full({2, 3}, 0.5f));
  s.reset(0);
  CHECK(s.value() == Tensor<float>::full({3}, 0.5f));
}

TEST_CASE("reset(b) gives full((b, sample...), fill), or full(sample, fill) for b = 0", "[state]") {
  State<Tensor<float>> s(Shape{3}, 2.0f);
  s.reset(0);
  CHECK(s.value() == Tensor<float>::full({3}, 2.0f));
  s.reset(1);
  CHECK(s.value() == Tensor<float>::full({1, 3}, 2.0f));
  s.reset(7);
  CHECK(s.value() == Tensor<float>::full({7, 3}, 2.0f));
  CHECK(s.sample_shape() == Shape{3});  // unchanged by resets

  State<Tensor<float>> scalar(Shape{}, 1.5f);
  CHECK(scalar.value().rank() == 0);
  scalar.reset(4);
  CHECK(scalar.value() == Tensor<float>{1.5f, 1.5f, 1.5f, 1.5f});
  scalar.reset(0);
  CHECK(scalar.value() == Tensor<float>::full({}, 1.5f));
}

TEST_CASE("batch_shape puts the batch axis in front", "[state]") {
  const State<Tensor<float>> s(Shape{3});
  CHECK(s.batch_shape(0) == Shape{3});
  CHECK(s.batch_shape(1) == Shape{1, 3});
  CHECK(s.batch_shape(7) == Shape{7, 3});

  const State<Tensor<float>> scalar(Shape{});
  CHECK(scalar.batch_shape(0) == Shape{});
  CHECK(scalar.batch_shape(5) == Shape{5});

  const State<Tensor<float>> rank3(Shape{2, 3, 4});
  CHECK(rank3.batch_shape(0) == Shape{2, 3, 4});
  CHECK(rank3.batch_shape(5) == Shape{5, 2, 3, 4});
}

// Regression test (a bug found and fixed): State::batch_shape (state.hpp, the
// `extents[rank++] = e` loop) writes Shape::max_rank + 1 = 5 extents into an
// array of 4 when the per-sample shape has rank 4 and batch_size > 0: a stack
// buffer overflow (AddressSanitizer: stack-buffer-overflow) before Shape's
// constructor throws. It should throw shape_error without the overflow.
TEST_CASE("batch_shape of a rank-4 per-sample shape throws shape_error", "[state][regression]") {
  State<Tensor<float>> s(Shape{1, 2, 3, 4}, 1.0f);
  CHECK(s.batch_shape(0) == Shape{1, 2, 3, 4});
  CHECK_THROWS_AS(s.batch_shape(2), modyn::shape_error);
  CHECK_THROWS_AS(s.reset(2), modyn::shape_error);
  CHECK(s.value() == Tensor<float>::ones({1, 2, 3, 4}));
}

TEST_CASE("accepts: the per-sample shape with or without a batch axis of any size", "[state]") {
  const State<Tensor<float>> s(Shape{3});
  CHECK(s.accepts(Shape{3}));
  CHECK(s.accepts(Shape{1, 3}));
  CHECK(s.accepts(Shape{5, 3}));
  CHECK(s.accepts(Shape{3, 3}));
  CHECK(s.accepts(Shape{0, 3}));
  CHECK_FALSE(s.accepts(Shape{4}));
  CHECK_FALSE(s.accepts(Shape{}));
  CHECK_FALSE(s.accepts(Shape{5, 4}));
  CHECK_FALSE(s.accepts(Shape{3, 1}));
  CHECK_FALSE(s.accepts(Shape{2, 5, 3}));

  const State<Tensor<float>> matrix(Shape{2, 3});
  CHECK(matrix.accepts(Shape{2, 3}));
  CHECK(matrix.accepts(Shape{9, 2, 3}));
  CHECK_FALSE(matrix.accepts(Shape{3}));
  CHECK_FALSE(matrix.accepts(Shape{3, 2}));
  CHECK_FALSE(matrix.accepts(Shape{2, 3, 1}));

  const State<Tensor<float>> scalar(Shape{});
  CHECK(scalar.accepts(Shape{}));
  CHECK(scalar.accepts(Shape{6}));
  CHECK_FALSE(scalar.accepts(Shape{6, 1}));

  // Whatever the current value's shape is.
  State<Tensor<float>> batched(Shape{3});
  batched.reset(4);
  CHECK(batched.accepts(Shape{3}));
  CHECK(batched.accepts(Shape{2, 3}));
  CHECK_FALSE(batched.accepts(Shape{4, 4}));
}

TEST_CASE("assigning a same-shape value to a State replaces the data in the same buffer", "[state]") {
  State<Tensor<float>> s(Shape{3}, 1.0f);
  const float* buffer = s.value().data();
  s = Tensor<float>{4.0f, 5.0f, 6.0f};
  CHECK(s.value() == Tensor<float>{4.0f, 5.0f, 6.0f});
  CHECK(s.value().data() == buffer);

  s.reset(2);
  const float* batched = s.value().data();
  s = Tensor<float>{{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}};
  CHECK(s.value().data() == batched);
  CHECK(s.value() == Tensor<float>{{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});

  // Writing through value() and operator*.
  s.value().at(0, 0) = -1.0f;
  (*s).at(1, 2) = -6.0f;
  CHECK(s.value() == Tensor<float>{{-1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, -6.0f}});
}

TEST_CASE("assigning another shape to a State throws shape_error naming the path and both shapes",
          "[state]") {
  State<Tensor<float>> lone(Shape{3});
  CHECK(message_of<modyn::shape_error>([&] { lone = Tensor<float>{1.0f}; }) ==
        "modyn: State '<unnamed>': the shape of the original data is (3,), while we got (1,)");

  mt::Pop<> pop;
  pop.reset_state(7);
  CHECK(message_of<modyn::shape_error>([&] { pop.cells[1].v = Tensor<float>::zeros({3}); }) ==
        "modyn: State 'cells.1.v': the shape of the original data is (7, 3), while we got (3,)");
  CHECK(message_of<modyn::shape_error>([&] {
          pop.trace = Tensor<float>::zeros({7, 3});
        }) == "modyn: State 'trace': the shape of the original data is (7, 2), while we got (7, 3)");
  CHECK(message_of<modyn::shape_error>([&] { std::get<2>(pop.misc).spike = Tensor<float>::zeros({}); }) ==
        "modyn: State 'misc.2.spike': the shape of the original data is (7, 3), while we got ()");
  // Nothing changed.
  CHECK(pop.cells[1].v.value() == Tensor<float>::full({7, 3}, -65.0f));
  CHECK(pop.trace.value() == Tensor<float>::ones({7, 2}));
}

TEST_CASE("reset_to replaces the value whatever its shape", "[state]") {
  State<Tensor<float>> s(Shape{3}, 1.0f);
  s.reset_to(Tensor<float>{{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  CHECK(s.value() == Tensor<float>{{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  CHECK(s.sample_shape() == Shape{3});  // the per-sample shape stays
  CHECK(s.fill() == 1.0f);
  s.reset_to(Tensor<float>{9.0f});
  CHECK(s.value() == Tensor<float>{9.0f});
  s.reset(2);
  CHECK(s.value() == Tensor<float>::ones({2, 3}));
}

TEST_CASE("copies of a State are independent", "[state]") {
  State<Tensor<float>> s(Shape{2}, 3.0f);
  auto t = s;
  t = Tensor<float>{1.0f, 2.0f};
  CHECK(s.value() == Tensor<float>{3.0f, 3.0f});
  CHECK(t.value() == Tensor<float>{1.0f, 2.0f});
  CHECK(t.sample_shape() == Shape{2});
  CHECK(t.fill() == 3.0f);
}
