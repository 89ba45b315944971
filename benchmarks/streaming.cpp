// Batch-1 streaming (shared/BENCHMARKS.md, "Batch-1 streaming"; issue 16
// item 6): one sample at a time, 48,000 steps (one second of audio at
// 48 kHz), float, one thread, through
//
//   gru_1_8    GRU(1 -> 8)   + Dense(8 -> 1)
//   lstm_1_32  LSTM(1 -> 32) + Dense(32 -> 1)
//   gru_1_40   GRU(1 -> 40)  + Dense(40 -> 1)
//   lstm_8_64  LSTM(8 -> 64) + Dense(64 -> 8)
//
// three ways, same weights, same input (normal, seed 7):
//
//   <workload>/modyn_step  Sequential{nn::GRUCell(1, 8), nn::Dense(8, 1)},
//                          reset_state(1), then seq(x) per sample on a
//                          preallocated (1, in) tensor the sample is copied
//                          into, the (1, out) output read back: what a user's
//                          audio callback does.
//   <workload>/modyn_loop  LoopOverTime over the same Sequential and the whole
//                          (48000, 1, in) input, time major.
//   <workload>/static_step, static_loop
//                          the same with sizes known at compile time:
//                          Sequential{nn::GRUCell<1, 8>{}, nn::Dense<8, 1>{}}
//                          (a step is one fused kernel, nn/detail/static_step.hpp).
//   <workload>/hand        the cells written by hand with fixed-size Eigen
//                          matrices, as compile-time inference libraries
//                          (RTNeural's ModelT) do: PyTorch's GRU / LSTM
//                          equations (modyn's cells follow them, gates r, z, n
//                          and i, f, g, o), weights transposed to
//                          Eigen::Matrix<float, G hidden, in> column vectors,
//                          copied out of the modyn model.
//
// One benchmark iteration is the whole second (48,000 samples) from a zero
// state; benchmarks/run_streaming divides by 48,000 (ns per sample) and
// prints the real-time factor (seconds of audio per second of compute).
// main() checks that the three ways' 48,000 outputs agree within 1e-4
// before anything is timed.
//
// `bench_streaming --profile N [static|hand]`: no timing, N per-step calls of
// the GRU(1 -> 8) model only, modyn's, modyn's with static sizes or (hand)
// the fixed-size Eigen one's: what
// benchmarks/run_streaming hands to callgrind (bench_streaming_profile, the
// same source built for AVX2, which valgrind 3.19 decodes).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <modyn/modyn.hpp>  // includes Eigen with modyn's warning guards
#include <string>
#include <vector>

namespace {

constexpr std::size_t samples = 48000;  // one second at 48 kHz
constexpr double tolerance = 1e-4;

using Tensor = modyn::Tensor<float>;

template <class T>
void keep(const T& value) {
  benchmark::DoNotOptimize(value);  // the const overload only (see map.cpp)
}

// ---- the modyn models ----------------------------------------------------

template <template <std::size_t, std::size_t, class, class> class Cell>
auto make_model(std::size_t in, std::size_t hidden, std::size_t out) {
  using namespace modyn;
  return Sequential{Cell<dynamic, dynamic, float, cpu>(in, hidden), nn::Dense(hidden, out)};
}

template <template <std::size_t, std::size_t, class, class> class Cell, std::size_t In, std::size_t H,
          std::size_t Out>
auto make_static_model() {
  using namespace modyn;
  return Sequential{Cell<In, H, float, cpu>{}, nn::Dense<H, Out>{}};
}

// The input of every way: (48000, 1, in), time major.
Tensor make_input(std::size_t in) { return modyn::Rng(7).normal<float>({samples, 1, in}); }

// modyn per step: out (48000 * out_size) gets each step's output.
template <class Model>
void modyn_per_step(Model& seq, const Tensor& input, Tensor& x, float* out) {
  const std::size_t in = x.size();
  seq.reset_state(1);
  const float* src = input.data();
  for (std::size_t t = 0; t < samples; ++t) {
    std::memcpy(x.data(), src + t * in, in * sizeof(float));
    const Tensor& y = seq(x);
    std::memcpy(out + t * y.size(), y.data(), y.size() * sizeof(float));
  }
}

// ---- the hand-written fixed-size Eigen cells -----------------------------

template <int Rows, int Cols>
using Mat = Eigen::Matrix<float, Rows, Cols>;
template <int N>
using Vec = Eigen::Matrix<float, N, 1>;

// w^T of a modyn weight (rows_in, cols_out) stored row major: (cols_out, rows_in).
template <int Rows, int Cols>
Mat<Rows, Cols> transposed(const Tensor& w) {
  if (w.rank() != 2 || w.shape(0) != std::size_t(Cols) || w.shape(1) != std::size_t(Rows))
    throw std::runtime_error("bench_streaming: a weight of unexpected shape " + w.shape().to_string());
  Mat<Rows, Cols> m;
  for (int i = 0; i < Rows; ++i)
    for (int j = 0; j < Cols; ++j) m(i, j) = w.data()[std::size_t(j) * std::size_t(Rows) + std::size_t(i)];
  return m;
}

template <int N>
Vec<N> column(const Tensor& b) {
  if (b.size() != std::size_t(N)) throw std::runtime_error("bench_streaming: a bias of unexpected size");
  Vec<N> v;
  for (int i = 0; i < N; ++i) v(i) = b.data()[i];
  return v;
}

// Dense(H -> Out): y = W^T h + b.
template <int H, int Out>
struct HandDense {
  Mat<Out, H> w;
  Vec<Out> b;
  Vec<Out> y;

  explicit HandDense(const modyn::nn::Dense<>& d)
      : w(transposed<Out, H>(d.weight.value())), b(column<Out>(d.bias.value())) {}

  const Vec<Out>& forward(const Vec<H>& h) {
    y.noalias() = w * h;
    y += b;
    return y;
  }
};

// PyTorch's GRU: r = s(W_ir x + b_ir + W_hr h + b_hr), z likewise,
// n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h.
template <int In, int H, int Out>
struct HandGru {
  Mat<3 * H, In> w_ih;
  Mat<3 * H, H> w_hh;
  Vec<3 * H> b_ih, b_hh, gi, gh;
  Vec<H> h;
  HandDense<H, Out> dense;

  template <class Model>
  explicit HandGru(const Model& m)
      : w_ih(transposed<3 * H, In>(m.template get<0>().weight_ih.value())),
        w_hh(transposed<3 * H, H>(m.template get<0>().weight_hh.value())),
        b_ih(column<3 * H>(m.template get<0>().bias_ih.value())),
        b_hh(column<3 * H>(m.template get<0>().bias_hh.value())),
        dense(m.template get<1>()) {}

  void reset() { h.setZero(); }

  const Vec<Out>& step(const Vec<In>& x) {
    gi.noalias() = w_ih * x;
    gi += b_ih;
    gh.noalias() = w_hh * h;
    gh += b_hh;
    const auto r = (gi.template head<H>() + gh.template head<H>()).array().logistic().eval();
    const auto z = (gi.template segment<H>(H) + gh.template segment<H>(H)).array().logistic().eval();
    const auto n = (gi.template tail<H>().array() + r * gh.template tail<H>().array()).tanh().eval();
    h = ((1.0f - z) * n + z * h.array()).matrix();
    return dense.forward(h);
  }
};

// PyTorch's LSTM: [i | f | g | o] = W_ih x + W_hh h + b_ih + b_hh;
// c' = s(f) c + s(i) tanh(g), h' = s(o) tanh(c').
template <int In, int H, int Out>
struct HandLstm {
  Mat<4 * H, In> w_ih;
  Mat<4 * H, H> w_hh;
  Vec<4 * H> b, gates;
  Vec<H> h, c;
  HandDense<H, Out> dense;

  template <class Model>
  explicit HandLstm(const Model& m)
      : w_ih(transposed<4 * H, In>(m.template get<0>().weight_ih.value())),
        w_hh(transposed<4 * H, H>(m.template get<0>().weight_hh.value())),
        b(column<4 * H>(m.template get<0>().bias_ih.value()) +
          column<4 * H>(m.template get<0>().bias_hh.value())),
        dense(m.template get<1>()) {}

  void reset() {
    h.setZero();
    c.setZero();
  }

  const Vec<Out>& step(const Vec<In>& x) {
    gates.noalias() = w_ih * x;
    gates.noalias() += w_hh * h;
    gates += b;
    const auto i = gates.template segment<H>(0).array().logistic().eval();
    const auto f = gates.template segment<H>(H).array().logistic().eval();
    const auto g = gates.template segment<H>(2 * H).array().tanh().eval();
    const auto o = gates.template segment<H>(3 * H).array().logistic().eval();
    c = (f * c.array() + i * g).matrix();
    h = (o * c.array().tanh()).matrix();
    return dense.forward(h);
  }
};

template <class Hand, int In, int Out>
void hand_run(Hand& hand, const float* input, float* out) {
  hand.reset();
  for (std::size_t t = 0; t < samples; ++t) {
    const Vec<Out>& y = hand.step(Eigen::Map<const Vec<In>>(input + t * In));
    Eigen::Map<Vec<Out>>(out + t * Out) = y;
  }
}

// ---- the workloads ---------------------------------------------------------

// One workload: its modyn model, its hand-written twin, the input and
// buffers; `ok` after check().
template <template <int, int, int> class Hand, template <std::size_t, std::size_t, class, class> class Cell,
          int In, int H, int Out>
struct Workload {
  static constexpr std::size_t in = In, hidden = H, out_size = Out;
  decltype(make_model<Cell>(0, 0, 0)) model = make_model<Cell>(In, H, Out);
  decltype(modyn::LoopOverTime{make_model<Cell>(0, 0, 0)}) loop{make_model<Cell>(In, H, Out)};
  decltype(make_static_model<Cell, in, hidden, out_size>()) static_model =
      make_static_model<Cell, in, hidden, out_size>();
  decltype(modyn::LoopOverTime{make_static_model<Cell, in, hidden, out_size>()}) static_loop{
      make_static_model<Cell, in, hidden, out_size>()};
  Hand<In, H, Out> hand{model};
  Tensor input = make_input(In);
  Tensor x = Tensor::zeros({1, In});
  std::vector<float> out = std::vector<float>(samples * Out);

  Workload() {
    // The loop's model: the same weights as `model`.
    loop.model().load_state_dict(model.state_dict());
    static_model.load_state_dict(model.state_dict());
    static_loop.model().load_state_dict(model.state_dict());
  }

  void run_step() { modyn_per_step(model, input, x, out.data()); }
  const Tensor& run_loop() {
    loop.reset_state(1);
    loop.reset_time();
    return loop(input);
  }
  void run_static_step() { modyn_per_step(static_model, input, x, out.data()); }
  const Tensor& run_static_loop() {
    static_loop.reset_state(1);
    static_loop.reset_time();
    return static_loop(input);
  }
  void run_hand() { hand_run<Hand<In, H, Out>, In, Out>(hand, input.data(), out.data()); }

  bool check(const char* name) {
    run_hand();
    const std::vector<float> ref = out;
    std::fill(out.begin(), out.end(), 0.0f);
    run_step();
    const std::vector<float> step = out;
    run_static_step();
    const std::vector<float> static_step = out;
    const Tensor y = run_loop();
    const Tensor& static_y = run_static_loop();
    const std::size_t n = ref.size();
    if (y.size() != n || static_y.size() != n) {
      std::fprintf(stderr,
                   "bench_streaming: %s: the loops' outputs have shapes %s and %s, expected (%zu, 1, %d)\n",
                   name, y.shape().to_string().c_str(), static_y.shape().to_string().c_str(), samples, Out);
      return false;
    }
    double diff[4] = {}, scale = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double ways[4] = {step[i], y.data()[i], static_step[i], static_y.data()[i]};
      for (std::size_t k = 0; k < 4; ++k) {
        diff[k] = std::max(diff[k], std::fabs(ways[k] - double(ref[i])));
        if (std::isnan(ways[k])) diff[k] = INFINITY;
      }
      scale = std::max(scale, std::fabs(double(ref[i])));
      if (std::isnan(ref[i])) diff[0] = INFINITY;
    }
    std::fprintf(
        stderr,
        "bench_streaming: %-9s max |diff| over %zu outputs, against hand: modyn_step %.3g, modyn_loop "
        "%.3g, static_step %.3g, static_loop %.3g (tolerance %.0e; max |y| %.3g)\n",
        name, n, diff[0], diff[1], diff[2], diff[3], tolerance, scale);
    return *std::max_element(diff, diff + 4) <= tolerance && scale > 0.0;
  }
};

using modyn::nn::GRUCell;
using modyn::nn::LSTMCell;
using Gru_1_8 = Workload<HandGru, GRUCell, 1, 8, 1>;
using Lstm_1_32 = Workload<HandLstm, LSTMCell, 1, 32, 1>;
using Gru_1_40 = Workload<HandGru, GRUCell, 1, 40, 1>;
using Lstm_8_64 = Workload<HandLstm, LSTMCell, 8, 64, 8>;

void set_counters(benchmark::State& state) {
  state.counters["samples_per_second"] =
      benchmark::Counter(double(samples), benchmark::Counter::kIsIterationInvariantRate);
}

template <class W>
void bm_step(benchmark::State& state) {
  W w;
  for (auto _ : state) {
    w.run_step();
    keep(w.out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

template <class W>
void bm_loop(benchmark::State& state) {
  W w;
  for (auto _ : state) {
    const Tensor& y = w.run_loop();
    keep(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

template <class W>
void bm_static_step(benchmark::State& state) {
  W w;
  for (auto _ : state) {
    w.run_static_step();
    keep(w.out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

template <class W>
void bm_static_loop(benchmark::State& state) {
  W w;
  for (auto _ : state) {
    const Tensor& y = w.run_static_loop();
    keep(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

template <class W>
void bm_hand(benchmark::State& state) {
  W w;
  for (auto _ : state) {
    w.run_hand();
    keep(w.out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

template <class W>
bool check(const char* name) {
  W w;
  return w.check(name);
}

template <class W>
void reg(const std::string& name) {
  const auto add = [&](const std::string& impl, void (*fn)(benchmark::State&)) {
    benchmark::RegisterBenchmark((name + "/" + impl).c_str(), fn)
        ->Unit(benchmark::kMillisecond)
        ->MeasureProcessCPUTime();
  };
  add("modyn_step", bm_step<W>);
  add("modyn_loop", bm_loop<W>);
  add("static_step", bm_static_step<W>);
  add("static_loop", bm_static_loop<W>);
  add("hand", bm_hand<W>);
}

// What callgrind profiles (--toggle-collect='*profile_steps*'): `steps`
// per-step calls of the GRU(1 -> 8) model, modyn's (seq(x) on a (1, 1)
// tensor), modyn's with static sizes or the hand-written one's, after one
// warm call outside.
template <class Model>
float modyn_steps(Model& model, Tensor& x, const float* input, std::size_t steps) {
  float sum = 0.0f;
  for (std::size_t t = 0; t < steps; ++t) {
    x.data()[0] = input[t % samples];
    const Tensor& y = model(x);
    sum += y.data()[0];
  }
  return sum;
}

template <class W>
[[gnu::noinline]] float profile_steps(W& w, std::size_t steps, const std::string& who) {
  float sum = 0.0f;
  if (who == "hand") {
    for (std::size_t t = 0; t < steps; ++t)
      sum += w.hand.step(Vec<1>::Constant(w.input.data()[t % samples]))(0);
    return sum;
  }
  if (who == "static") return modyn_steps(w.static_model, w.x, w.input.data(), steps);
  return modyn_steps(w.model, w.x, w.input.data(), steps);
}

int profile(std::size_t steps, const std::string& who) {
  Gru_1_8 w;
  w.model.reset_state(1);
  w.static_model.reset_state(1);
  w.hand.reset();
  keep(w.model(w.x).data());  // warm: buffers allocated, kernels dispatched
  keep(w.static_model(w.x).data());
  const float sum = profile_steps(w, steps, who);
  std::printf("bench_streaming --profile %zu %s: sum of outputs %g\n", steps, who.c_str(), double(sum));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if ((argc == 3 || argc == 4) && std::strcmp(argv[1], "--profile") == 0)
    return profile(std::strtoull(argv[2], nullptr, 10), argc == 4 ? argv[3] : "modyn");
  benchmark::AddCustomContext("modyn_gemm", std::string(modyn::cpu::gemm_library));
  benchmark::AddCustomContext("samples", std::to_string(samples));
  bool ok = check<Gru_1_8>("gru_1_8");
  ok = check<Lstm_1_32>("lstm_1_32") && ok;
  ok = check<Gru_1_40>("gru_1_40") && ok;
  ok = check<Lstm_8_64>("lstm_8_64") && ok;
  if (!ok) {
    std::fprintf(stderr, "bench_streaming: modyn and the hand-written cells disagree; nothing timed\n");
    return 1;
  }
  reg<Gru_1_8>("gru_1_8");
  reg<Lstm_1_32>("lstm_1_32");
  reg<Gru_1_40>("gru_1_40");
  reg<Lstm_8_64>("lstm_8_64");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
