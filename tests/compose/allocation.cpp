// "Once warm, a call allocates nothing": a second LoopOverTime call of the
// same shapes, counted with the replaced global operator new and, outside
// the sanitizer build, malloc (allocation_counter.cpp). The cells are also checked one by one, so that a
// failure points at the allocating module.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdlib>
#include <vector>

#include "compose/allocation_counter.hpp"
#include "modyn/modyn.hpp"
#include "nn/reference.hpp"

using modyn::LoopOptions;
using modyn::LoopOverTime;
using modyn::monitor;
using modyn::named;
using modyn::Rng;
using modyn::Sequential;
using modyn::Tensor;
namespace nn = modyn::nn;

TEST_CASE("the allocation counter counts operator new of every form", "[compose][allocation]") {
  const std::size_t n = alloc_counter::allocations_in([] {
    delete new int(1);
    delete[] new double[3];
    auto t = Tensor<float>::zeros({16});  // aligned operator new
    std::vector<int> v(100);
    (void)t;
    (void)v;
  });
  // The compiler may elide a new / delete pair, but not the tensor's or the vector's.
  CHECK(n >= 2);
  CHECK(alloc_counter::allocations_in([] {}) == 0);
}

TEST_CASE("the allocation counter counts malloc where no sanitizer replaces it", "[compose][allocation]") {
  if (!alloc_counter::counts_malloc) return;  // ASan and UBSan builds: operator new only
  void* volatile p = nullptr;
  const std::size_t n = alloc_counter::allocations_in([&] {
    p = std::malloc(24);
    std::free(p);
    p = std::calloc(3, 8);
    std::free(p);
  });
  CHECK(n == 2);
}

// Batch 1, the streaming case: Eigen 3.4 evaluates alpha * A * B with a
// malloc'd temporary whenever A has one row, which cpu::gemm used to hit on
// every GEMM of every step (operator new never saw it).
TEST_CASE("at batch 1, gemm, the cells and their loop allocate nothing once warm", "[compose][allocation]") {
  SECTION("cpu::gemm with one row, every transpose, beta 0 and 1") {
    using modyn::Transpose;
    const auto a = Rng(11).normal<float>({40, 40});
    const auto b = Rng(12).normal<float>({40, 40});
    auto c = Tensor<float>::zeros({40, 40});
    for (const auto ta : {Transpose::no, Transpose::yes}) {
      for (const auto tb : {Transpose::no, Transpose::yes}) {
        for (const float beta : {0.0f, 1.0f}) {
          const auto product = [&] {
            modyn::cpu::gemm(ta, tb, 1, 24, 40, 1.0f, a.data(), 40, b.data(), 40, beta, c.data(), 40);
          };
          product();
          CHECK(alloc_counter::allocations_in(product) == 0);
        }
      }
    }
  }
  SECTION("cells and a Dense head called per sample") {
    const auto one_step = [](auto model, std::size_t in) {
      model.reset_state(1);
      const auto x = Rng(13).normal<float>({1, in});
      model(x);
      return alloc_counter::allocations_in([&] { model(x); });
    };
    CHECK(one_step(Sequential{nn::GRUCell(1, 8), nn::Dense(8, 1)}, 1) == 0);
    CHECK(one_step(Sequential{nn::LSTMCell(1, 32), nn::Dense(32, 1)}, 1) == 0);
    CHECK(one_step(Sequential{nn::GRUCell(1, 40), nn::Dense(40, 1)}, 1) == 0);
    CHECK(one_step(Sequential{nn::LSTMCell(8, 64), nn::Dense(64, 8)}, 8) == 0);
    CHECK(one_step(Sequential{nn::RNNCell(3, 20), nn::Dense(20, 2)}, 3) == 0);
  }
  SECTION("the same with static sizes (the fused step kernels)") {
    const auto one_step = [](auto model, std::size_t in) {
      model.reset_state(1);
      const auto x = Rng(13).normal<float>({1, in});
      model(x);
      return alloc_counter::allocations_in([&] { model(x); });
    };
    CHECK(one_step(Sequential{nn::GRUCell<1, 8>{}, nn::Dense<8, 1>{}}, 1) == 0);
    CHECK(one_step(Sequential{nn::LSTMCell<1, 32>{}, nn::Dense<32, 1>{}}, 1) == 0);
    CHECK(one_step(Sequential{nn::GRUCell<1, 40>{}, nn::Dense<40, 1>{}}, 1) == 0);
    CHECK(one_step(Sequential{nn::LSTMCell<8, 64>{}, nn::Dense<64, 8>{}}, 8) == 0);
    CHECK(one_step(Sequential{nn::RNNCell<3, 200>{}, nn::Dense<200, 2>{}}, 3) == 0);
  }
  SECTION("LoopOverTime over a batch-1 sequence") {
    Sequential seq{nn::GRUCell(1, 8), nn::Dense(8, 1)};
    seq.get<0>().set_name("g");
    LoopOverTime loop{seq};
    loop.reset_state(1);
    const auto x = Rng(14).normal<float>({64, 1, 1});
    loop(x);
    CHECK(alloc_counter::allocations_in([&] { loop(x); }) == 0);
  }
}

// Regression: the recurrent cells used to build the std::string
// "nn::RNNCell '" + name() + "'" (GRUCell, LSTMCell alike) on every step to
// pass it to detail::checked_rows, which needs it only for an error message.
// With the default names ("RNNCell0", longer than the small-string buffer)
// every step of every cell allocated: 60 allocations in this loop (2 cells x
// 30 steps), 1 per cell call below. The short-named variants (last test
// case) isolate that string from the rest of the loop.
TEST_CASE("LoopOverTime of the seed model allocates nothing once warm", "[compose][loop][allocation]") {
  Sequential seq{named<"l1">(nn::RNNCell(100, 20)), modyn::relu, nn::RNNCell(20, 2)};
  LoopOverTime loop{seq, monitor<"l1.h">};
  loop.reset_state(128);
  const auto x = Rng(1).normal<float>({30, 128, 100});
  loop(x);  // warm: the buffers get their shapes
  const std::size_t allocations = alloc_counter::allocations_in([&] { loop(x); });
  CHECK(allocations == 0);
}

TEST_CASE("recurrent cells allocate nothing per step once warm", "[compose][allocation]") {
  const auto x = Rng(2).normal<float>({8, 5});
  // See the regression note above.
  SECTION("RNNCell") {
    nn::RNNCell cell(5, 4);
    cell.reset_state(8);
    cell(x);
    CHECK(alloc_counter::allocations_in([&] { cell(x); }) == 0);
  }
  SECTION("GRUCell") {
    nn::GRUCell cell(5, 4);
    cell.reset_state(8);
    cell(x);
    CHECK(alloc_counter::allocations_in([&] { cell(x); }) == 0);
  }
  SECTION("LSTMCell") {
    nn::LSTMCell cell(5, 4);
    cell.reset_state(8);
    cell(x);
    CHECK(alloc_counter::allocations_in([&] { cell(x); }) == 0);
  }
  SECTION("with a short name (fits the small-string buffer)") {
    nn::RNNCell cell(5, 4);
    cell.set_name("r");
    cell.reset_state(8);
    cell(x);
    CHECK(alloc_counter::allocations_in([&] { cell(x); }) == 0);
  }
}

TEST_CASE("LoopOverTime of stateless models allocates nothing once warm", "[compose][loop][allocation]") {
  const auto x = Rng(3).normal<float>({30, 64, 100});
  Sequential st{nn::Dense(100, 32, {.seed = 1}), modyn::relu, nn::Dense(32, 4, {.seed = 2}), modyn::softmax};
  SECTION("hoisted") {
    LoopOverTime loop{st};
    loop(x);
    CHECK(alloc_counter::allocations_in([&] { loop(x); }) == 0);
  }
  SECTION("step by step") {
    LoopOverTime loop{st, LoopOptions{.hoist_stateless_head = false}};
    loop(x);
    CHECK(alloc_counter::allocations_in([&] { loop(x); }) == 0);
  }
  SECTION("batch-major") {
    LoopOverTime loop{st, LoopOptions{.time_major = false}};
    const auto xb = Rng(4).normal<float>({64, 30, 100});
    loop(xb);
    CHECK(alloc_counter::allocations_in([&] { loop(xb); }) == 0);
  }
}

TEST_CASE("LoopOverTime with a Dense head and a short-named cell allocates nothing once warm",
          "[compose][loop][allocation]") {
  // The same loop as the seed's, with names short enough not to allocate
  // (see the note above): shows the rest of the loop is allocation-free.
  Sequential seq{named<"l1">(nn::RNNCell(100, 20)), modyn::relu, nn::RNNCell(20, 2)};
  seq.get<0>().set_name("a");
  seq.get<2>().set_name("b");
  LoopOverTime loop{seq, monitor<"l1.h">};
  loop.reset_state(128);
  const auto x = Rng(5).normal<float>({30, 128, 100});
  loop(x);
  CHECK(alloc_counter::allocations_in([&] { loop(x); }) == 0);

  // Hoisted in chunks (hoisted_chunks in compose/loop_over_time.hpp) of
  // all 30 steps (budget 0); by default, of 5 steps (x's rows: 51200 bytes
  // a step) and then, from the projected rows (4096 bytes a step), all 30;
  // of 1 step and then 4 (16384 bytes), the last chunk [26, 30)
  // recomputing steps 26 and 27. The first run learns the chunk; the warm
  // one uses it.
  const std::size_t budget = GENERATE(std::size_t{0}, LoopOptions{}.hoist_chunk_bytes, std::size_t{16384});
  CAPTURE(budget);
  Sequential hs{nn::Dense(100, 32), modyn::relu, nn::RNNCell(32, 8)};
  hs.get<2>().set_name("c");
  LoopOverTime hoisted{hs, LoopOptions{.hoist_chunk_bytes = budget}};
  hoisted.reset_state(128);
  hoisted(x);
  CHECK(alloc_counter::allocations_in([&] { hoisted(x); }) == 0);
}

// A training step: forward through LoopOverTime in training, the loss,
// BPTT (with and without recomputation), Adam. The first step sizes the
// tapes, gradients and optimizer state; the next allocates nothing.
TEST_CASE("a warm training step (forward, loss, BPTT, Adam) allocates nothing",
          "[compose][loop][allocation][train]") {
  for (const std::size_t every : {std::size_t(1), std::size_t(4)}) {
    INFO("checkpoint_every = " << every);
    Sequential seq{nn::Dense(10, 16), modyn::fn::tanh, nn::RNNCell(16, 12), modyn::relu, nn::RNNCell(12, 3)};
    seq.get<0>().set_name("a");
    seq.get<2>().set_name("b");
    seq.get<4>().set_name("c");
    LoopOverTime loop{seq, LoopOptions{.training = true, .backprop = true, .checkpoint_every = every}};
    modyn::train::Adam opt(seq, {.lr = 1e-3});
    const auto x = Rng(6).normal<float>({12, 8, 10});
    const auto target = Rng(7).normal<float>({12, 8, 3});
    Tensor<float> grad;
    const auto step = [&] {
      loop.reset_state(8);
      seq.zero_grad();
      const auto& y = loop(x);
      (void)modyn::train::mse_loss(y, target, grad);
      loop.backward(grad);
      opt.step();
    };
    step();
    CHECK(alloc_counter::allocations_in(step) == 0);
  }
}
