// nn layers on the host backends (the cases: tests/nn/backend_cases.hpp,
// shared with the CUDA tests), then what a move must not do.
#include <tuple>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/pseudo_device.hpp"
#include "modyn/backend/serial.hpp"

using backends_under_test = std::tuple<modyn::cpu, modyn::serial, modyn::pseudo_device>;

#include "nn/backend_cases.hpp"

namespace {

// The first weights of a Dense built after make_model() from seed 5, with the
// model moved to serial in between or not.
template <class MakeModel>
std::vector<float> weights_built_after(MakeModel make_model, bool move) {
  modyn::manual_seed(5);
  const auto model = make_model();
  if (move) {
    const auto moved = modyn::to<modyn::serial>(model);
    CHECK(moved.name() == model.name());
  }
  return nn::Dense<>(in, hidden).weight.raw().to_vector();
}

template <class MakeModel>
void require_no_stream_taken(MakeModel make_model, const std::string& what) {
  INFO(what);
  REQUIRE(weights_built_after(make_model, true) == weights_built_after(make_model, false));
}

}  // namespace

// to<B> builds the rebound layers without initialising them (the Params are
// copied over them): no stream is taken from modyn::InitGenerator, so the
// layers built after a move initialise as if it had not happened.
TEST_CASE("to<B> of nn layers takes no stream from the default generator", "[nn][backends][init]") {
  require_no_stream_taken([] { return nn::Dense<>(in, hidden); }, "Dense");
  require_no_stream_taken([] { return nn::Dense<in, hidden, float>(); }, "Dense with static sizes");
  require_no_stream_taken([] { return nn::RNNCell<modyn::dynamic, modyn::dynamic, float>(in, hidden); },
                          "RNNCell");
  require_no_stream_taken([] { return nn::GRUCell<modyn::dynamic, modyn::dynamic, float>(in, hidden); },
                          "GRUCell");
  require_no_stream_taken([] { return nn::LSTMCell<modyn::dynamic, modyn::dynamic, float>(in, hidden); },
                          "LSTMCell");
  require_no_stream_taken([] { return nn::RNNCell<in, hidden>(); }, "RNNCell with static sizes");
  require_no_stream_taken([] { return nn::GRUCell<in, hidden>(); }, "GRUCell with static sizes");
  require_no_stream_taken([] { return nn::LSTMCell<in, hidden>(); }, "LSTMCell with static sizes");
  require_no_stream_taken([] { return nn::LayerNorm<float>(hidden); }, "LayerNorm");
  require_no_stream_taken([] { return nn::Dropout<float>(0.3); }, "Dropout");
  // The Sequential default-constructs its entries before they are rebuilt:
  // an empty Dense<> draws nothing.
  require_no_stream_taken(
      [] {
        return modyn::Sequential{nn::Dense(in, hidden), modyn::relu, nn::Dense(hidden, 7)};
      },
      "Sequential of Dense layers");
}
