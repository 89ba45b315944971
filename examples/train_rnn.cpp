// Training a recurrent network with backpropagation through time: next-step
// prediction of sine waves of unknown frequency and phase.
//
//   example_train_rnn [steps=2000] [seed=1] [out=.] [print_every=100] [check_loss_drop=0]
//
// Each training step draws a batch of 32 waves x_t = sin(w t + phi), w
// uniform in [0.1, 0.5] rad per step, phi uniform in [0, 2 pi), over T = 40
// steps; the model sees x_t and predicts x_{t+1}, so it has to infer the
// frequency from the past: a task for the recurrent state. The model is
//
//   Sequential{nn::RNNCell(1, 32), nn::Dense(32, 1)}
//
// inside LoopOverTime with training = true: loop(x) records a tape per step,
// train::mse_loss gives d loss / d output, loop.backward(grad) runs BPTT into
// every Param's grad(), then gradient clipping (norm 1), Adam (lr 1e-2) and a
// schedule (a linear warm-up over 50 steps, then cosine annealing to 1e-4).
//
// Reached with the defaults (seed=1, g++ -O2, one core, about 1.5 s of
// training): the held-out MSE falls from 0.52 to 0.0016, 315x lower (copying
// x_t as the prediction of x_{t+1} would score about 0.05; what remains is
// mostly the first steps of each wave, before its frequency can be known).
//
// The loss curve goes to <out>/train_rnn_loss.csv (step, train loss,
// learning rate; examples/plot_loss.py draws it), the trained model to
// <out>/train_rnn.safetensors, which is then loaded into a freshly
// initialised model: its held-out loss must be the trained model's, bit for
// bit. check_loss_drop=F exits non-zero unless the held-out loss fell by a
// factor of at least F (what the test suite runs, with few steps).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <modyn/io/safetensors.hpp>
#include <modyn/modyn.hpp>
#include <numbers>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

constexpr std::size_t batch = 32, steps_per_sequence = 40, hidden = 32, held_out_batch = 256;

struct Arguments {
  std::size_t steps = 2000;
  std::uint64_t seed = 1;
  std::filesystem::path out = ".";
  std::size_t print_every = 100;
  double check_loss_drop = 0.0;  // 0: no check
};

Arguments parse(int argc, char** argv) {
  Arguments a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::size_t eq = arg.find('=');
    const std::string key(arg.substr(0, eq)), value(eq == std::string_view::npos ? "" : arg.substr(eq + 1));
    if (key == "steps")
      a.steps = std::stoul(value);
    else if (key == "seed")
      a.seed = std::stoull(value);
    else if (key == "out")
      a.out = value;
    else if (key == "print_every")
      a.print_every = std::stoul(value);
    else if (key == "check_loss_drop")
      a.check_loss_drop = std::stod(value);
    else
      throw std::invalid_argument("unknown argument '" + std::string(arg) +
                                  "' (steps=, seed=, out=, print_every=, check_loss_drop=)");
  }
  if (a.print_every == 0) a.print_every = 1;
  return a;
}

// A batch of waves from generator `rng`: inputs x (T, B, 1) and targets
// (the next step of each wave) y (T, B, 1).
void make_batch(const modyn::Rng& rng, std::size_t rows, modyn::Tensor<float>& x, modyn::Tensor<float>& y) {
  const std::size_t T = steps_per_sequence;
  const auto omega = modyn::Rng(rng).uniform<float>({rows}, 0.1f, 0.5f);
  const auto phase = rng.split(1).uniform<float>({rows}, 0.0f, float(2 * std::numbers::pi));
  x.ensure_shape({T, rows, 1});
  y.ensure_shape({T, rows, 1});
  for (std::size_t t = 0; t < T; ++t) {
    for (std::size_t b = 0; b < rows; ++b) {
      const double w = omega.data()[b], p = phase.data()[b];
      x.data()[t * rows + b] = float(std::sin(w * double(t) + p));
      y.data()[t * rows + b] = float(std::sin(w * double(t + 1) + p));
    }
  }
}

auto make_model() {
  using namespace modyn;
  return Sequential{nn::RNNCell(1, hidden), nn::Dense(hidden, 1)};
}
using Model = decltype(make_model());

// The model's MSE on a batch, with a run that records nothing for training.
double evaluate(Model& model, const modyn::Tensor<float>& x, const modyn::Tensor<float>& y) {
  modyn::LoopOverTime loop{model};
  loop.reset_state(x.shape(1));
  modyn::Tensor<float> unused;
  return modyn::train::mse_loss(loop(x), y, unused);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace modyn;
  try {
    const Arguments a = parse(argc, argv);
    const Rng data(a.seed);
    Model model = make_model();
    init::reset_parameters(model, a.seed);

    Tensor<float> x, y, test_x, test_y, grad;
    make_batch(data.split(0), held_out_batch, test_x, test_y);  // held out: stream 0, training: 1, 2, ...

    LoopOverTime loop{model, {.training = true, .backprop = true}};
    train::Adam opt(model, {.lr = 1e-2});
    train::ClipGradNorm clip(model, {.max_norm = 1.0});
    const std::int64_t warmup = 50;
    train::LRScheduler schedule(
        opt, train::SequentialLR{
                 train::LinearLR{.start_factor = 0.1, .total_iters = warmup},
                 train::CosineAnnealingLR{.T_max = std::max<std::int64_t>(std::int64_t(a.steps) - warmup, 1),
                                          .eta_min = 1e-4},
                 warmup});

    std::filesystem::create_directories(a.out);
    const auto curve_file = a.out / "train_rnn_loss.csv";
    std::ofstream curve(curve_file);
    curve << "step,loss,lr\n";

    const double initial = evaluate(model, test_x, test_y);
    std::printf("train_rnn: RNNCell(1, %zu) + Dense(%zu, 1), batch %zu, T %zu, %zu steps, seed %llu\n",
                hidden, hidden, batch, steps_per_sequence, a.steps, static_cast<unsigned long long>(a.seed));
    std::printf("held-out loss before training %.5f\n", initial);
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t step = 1; step <= a.steps; ++step) {
      make_batch(data.split(step), batch, x, y);
      loop.reset_state(batch);
      const Tensor<float>& prediction = loop(x);
      const double loss = train::mse_loss(prediction, y, grad);
      opt.zero_grad();
      loop.backward(grad);
      clip();
      const double lr = opt.lr();
      opt.step();
      schedule.step();
      curve << step << ',' << loss << ',' << lr << '\n';
      if (step % a.print_every == 0 || step == a.steps)
        std::printf("step %5zu  loss %.5f  lr %.2e\n", step, loss, lr);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    curve.close();
    const double final_loss = evaluate(model, test_x, test_y);
    std::printf("held-out loss after training %.5f (%.1fx lower), %.2f s\n", final_loss, initial / final_loss,
                seconds);
    std::printf("loss curve written to %s\n", curve_file.string().c_str());

    // Save, load into a model initialised differently, and compare.
    const auto model_file = a.out / "train_rnn.safetensors";
    io::save_states(model, model_file);
    Model reloaded = make_model();
    init::reset_parameters(reloaded, a.seed + 1);
    io::load_states(reloaded, model_file);
    const double reloaded_loss = evaluate(reloaded, test_x, test_y);
    std::printf("model written to %s; reloaded: held-out loss %.5f (%s)\n", model_file.string().c_str(),
                reloaded_loss, reloaded_loss == final_loss ? "the same" : "DIFFERENT");
    if (reloaded_loss != final_loss) return 1;

    if (a.check_loss_drop > 0.0) {
      const bool fell = final_loss * a.check_loss_drop <= initial;
      std::printf("check: the loss fell by %.1fx, %s the %.1fx asked for: %s\n", initial / final_loss,
                  fell ? "at least" : "less than", a.check_loss_drop, fell ? "passed" : "FAILED");
      if (!fell) return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_rnn: %s\n", e.what());
    return 1;
  }
}
