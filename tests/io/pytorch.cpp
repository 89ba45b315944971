// io::from_pytorch / to_pytorch / load_pytorch / save_pytorch: PyTorch's
// names and layouts against hand-made dicts, every error with its message,
// and files exchanged with the reference implementation of safetensors and
// with PyTorch itself through the scripts of tests/io/python/, run by the
// virtual environment of scripts/setup-deps (build/venv: numpy, torch and
// safetensors from PyPI). Without it the interop tests fail, saying so.
#include "modyn/io/pytorch.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "modyn/compose/named.hpp"
#include "modyn/compose/sequential.hpp"
#include "modyn/core/tensor_print.hpp"  // so that Catch prints tensors on failure
#include "modyn/io/convert.hpp"
#include "modyn/io/safetensors.hpp"
#include "modyn/nn/activations.hpp"
#include "modyn/nn/dense.hpp"
#include "modyn/nn/gru_cell.hpp"
#include "modyn/nn/lstm_cell.hpp"
#include "modyn/nn/rnn_cell.hpp"
#include "support/files.hpp"
#include "support/helpers.hpp"
#include "support/temp_dir.hpp"

using Catch::Matchers::Contains;
using modyn::DType;
using modyn::named;
using modyn::Sequential;
using modyn::Shape;
using modyn::StateDict;
using modyn::StateEntry;
using modyn::Tensor;
namespace io = modyn::io;
namespace nn = modyn::nn;
namespace fs = std::filesystem;
using modyn_test::message_of;
using modyn_test::quoted;
using modyn_test::TempDir;

namespace {

// ------------------------------------------------------------------ helpers

// A float32 entry of the given shape and values.
StateEntry f32(Shape shape, std::vector<float> values) {
  return StateEntry(Tensor<float>(shape, std::span<const float>(values)));
}

// values 0.5 * (i + 1) * sign, distinct and exact in every float type.
std::vector<float> ramp(std::size_t n, float scale = 0.5f) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>(i + 1) * (i % 2 ? -1.0f : 1.0f);
  return v;
}

// A PyTorch-laid-out dict of a cell: weight_ih (G hidden, in), weight_hh
// (G hidden, hidden), bias_ih and bias_hh (G hidden).
StateDict torch_cell_dict(std::size_t gates, std::size_t in, std::size_t hidden) {
  StateDict d;
  const std::size_t g = gates * hidden;
  d.insert_or_assign("weight_ih", f32({g, in}, ramp(g * in, 0.25f)));
  d.insert_or_assign("weight_hh", f32({g, hidden}, ramp(g * hidden, 0.125f)));
  d.insert_or_assign("bias_ih", f32({g}, ramp(g, 0.5f)));
  d.insert_or_assign("bias_hh", f32({g}, ramp(g, 0.75f)));
  return d;
}

// The venv's Python and the source tree, from tests/CMakeLists.txt.
#if defined(MODYN_TEST_VENV_PYTHON) && defined(MODYN_TEST_SOURCE_DIR)
constexpr std::string_view venv_python = MODYN_TEST_VENV_PYTHON;
constexpr std::string_view source_dir = MODYN_TEST_SOURCE_DIR;
#else
constexpr std::string_view venv_python, source_dir;
#endif

// Runs tests/io/python/<script> with `args` under the venv's Python, its
// output in dir/python.log; fails the test, with the log, if it fails, and
// points to scripts/setup-deps if the venv or a package is missing.
void run_python(const std::string& script, const std::string& args, const TempDir& dir) {
  if (venv_python.empty() || source_dir.empty()) {
    FAIL(
        "tests/CMakeLists.txt must define MODYN_TEST_VENV_PYTHON and MODYN_TEST_SOURCE_DIR for "
        "modyn_test_io");
  }
  const fs::path python = venv_python;
  const fs::path file = fs::path(source_dir) / "tests" / "io" / "python" / script;
  if (!fs::exists(python)) {
    FAIL("no Python virtual environment at " << python.string()
                                             << ": run scripts/setup-deps (it makes build/venv with numpy, "
                                                "torch and safetensors)");
  }
  REQUIRE(fs::exists(file));
  modyn_test::run_python(python, file, args, dir.path());
}

// ------------------------------------------- the values of the interop files

// name -> (dtype, shape): the table TENSORS of safetensors_interop.py.
struct TensorSpec {
  std::string name;
  DType dtype;
  Shape shape;
};
const std::vector<TensorSpec>& tensor_specs() {
  static const std::vector<TensorSpec> specs = {
      {"f32", DType::float32, {2, 3, 4}},    {"f64", DType::float64, {3, 4}},
      {"f16", DType::float16, {12}},         {"bf16", DType::bfloat16, {4, 3}},
      {"i8", DType::int8, {2, 2, 3}},        {"i16", DType::int16, {12}},
      {"i32", DType::int32, {3, 4}},         {"i64", DType::int64, {2, 6}},
      {"u8", DType::uint8, {3, 4}},          {"u16", DType::uint16, {12}},
      {"u32", DType::uint32, {1, 12}},       {"u64", DType::uint64, {6, 2}},
      {"bool", DType::boolean, {3, 4}},      {"f32_scalar", DType::float32, {}},
      {"f32_empty", DType::float32, {0, 3}}, {"i64_rank4", DType::int64, {1, 2, 3, 2}},
  };
  return specs;
}

template <class T>
StateEntry integer_entry(Shape shape) {
  Tensor<T> t = Tensor<T>::empty(shape);
  const std::size_t n = t.size();
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<T, bool>) {
      t.data()[i] = i % 3 == 0;
    } else {
      const auto v = static_cast<long long>((i * 37 + 11) % 100) - (std::is_signed_v<T> ? 50 : 0);
      t.data()[i] = static_cast<T>(v);
    }
  }
  if constexpr (!std::is_same_v<T, bool>) {
    if (n >= 2) {
      t.data()[0] = std::numeric_limits<T>::lowest();
      t.data()[n - 1] = std::numeric_limits<T>::max();
    }
  }
  return StateEntry(t);
}

// (lowest, largest finite, smallest subnormal) of a float dtype, as double.
struct FloatLimits {
  double lowest, largest, subnormal;
};
FloatLimits float_limits(DType d) {
  switch (d) {
    case DType::float16:
      return {-65504.0, 65504.0, std::ldexp(1.0, -24)};
    case DType::bfloat16: {
      const double largest = io::detail::bfloat16_to_float(0x7f7f);
      return {-largest, largest, std::ldexp(1.0, -133)};
    }
    case DType::float32:
      return {std::numeric_limits<float>::lowest(), std::numeric_limits<float>::max(),
              std::numeric_limits<float>::denorm_min()};
    default:
      return {std::numeric_limits<double>::lowest(), std::numeric_limits<double>::max(),
              std::numeric_limits<double>::denorm_min()};
  }
}

// The formula of safetensors_interop.py (see its top) as an entry.
StateEntry expected_entry(DType dtype, Shape shape) {
  switch (dtype) {
    case DType::int8:
      return integer_entry<std::int8_t>(shape);
    case DType::int16:
      return integer_entry<std::int16_t>(shape);
    case DType::int32:
      return integer_entry<std::int32_t>(shape);
    case DType::int64:
      return integer_entry<std::int64_t>(shape);
    case DType::uint8:
      return integer_entry<std::uint8_t>(shape);
    case DType::uint16:
      return integer_entry<std::uint16_t>(shape);
    case DType::uint32:
      return integer_entry<std::uint32_t>(shape);
    case DType::uint64:
      return integer_entry<std::uint64_t>(shape);
    case DType::boolean:
      return integer_entry<bool>(shape);
    default:
      break;
  }
  // Floats: computed in double, every value exact in the dtype, so that the
  // narrowing conversion only changes the type.
  Tensor<double> t = Tensor<double>::empty(shape);
  const std::size_t n = t.size();
  for (std::size_t i = 0; i < n; ++i) t.data()[i] = (static_cast<double>(i) - 5) * 0.375;
  const FloatLimits limits = float_limits(dtype);
  if (n >= 2) {
    t.data()[0] = limits.lowest;
    t.data()[n - 1] = limits.largest;
  }
  if (n >= 4) {
    t.data()[1] = std::numeric_limits<double>::infinity();
    t.data()[2] = limits.subnormal;
  }
  return io::convert(StateEntry(t), dtype, io::Conversion::any);
}

// ------------------------------------------------------ the models, both ways

// Rows [step * rows, (step + 1) * rows) of x (steps, rows, width) as a (rows, width) tensor.
Tensor<float> step_of(const Tensor<float>& x, std::size_t step) {
  const std::size_t rows = x.shape(1), width = x.shape(2);
  return Tensor<float>(Shape{rows, width},
                       std::span<const float>(x.data() + step * rows * width, rows * width));
}

// Each element of `got` within 1e-5 relative (1e-6 absolute near zero) of `want`.
void check_close(const std::string& what, const Tensor<float>& got, const Tensor<float>& want) {
  INFO(what);
  REQUIRE(got.shape() == want.shape());
  double worst = 0;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double a = got.data()[i], b = want.data()[i], error = std::abs(a - b);
    worst = std::max(worst, error);
    if (!(error <= 1e-5 * std::abs(b) + 1e-6)) ++bad;
  }
  INFO("largest difference " << worst);
  CHECK(bad == 0);
}

// Runs a cell from zeros over x (steps, batch, in): the hidden state after
// each step, stacked (steps, batch, hidden), and the LSTM's cell state.
template <class Cell>
std::map<std::string, Tensor<float>> run_cell(Cell& cell, const Tensor<float>& x) {
  const std::size_t steps = x.shape(0), batch = x.shape(1), hidden = cell.out_features();
  cell.reset_state(batch);
  std::map<std::string, Tensor<float>> out;
  out["h"] = Tensor<float>::empty({steps, batch, hidden});
  constexpr bool lstm = requires { cell.c; };
  if constexpr (lstm) out["c"] = Tensor<float>::empty({steps, batch, hidden});
  for (std::size_t t = 0; t < steps; ++t) {
    const Tensor<float>& h = cell(step_of(x, t));
    std::copy(h.data(), h.data() + h.size(), out["h"].data() + t * batch * hidden);
    if constexpr (lstm)
      std::copy(cell.c->data(), cell.c->data() + h.size(), out["c"].data() + t * batch * hidden);
  }
  return out;
}

// Loads DIR/NAME.safetensors (PyTorch's state_dict) into the model, runs it
// on the input of NAME_io.safetensors and compares with PyTorch's outputs.
template <class Model>
void check_against_torch(Model& model, const TempDir& dir, const std::string& name) {
  INFO("model " << name);
  const modyn::LoadResult result = io::load_pytorch(model, dir / (name + ".safetensors"));
  CHECK(result.ok());
  const StateDict expected = io::load_safetensors(dir / (name + "_io.safetensors"));
  const auto x = expected.get<float>("x");
  if constexpr (requires { model.h; }) {
    const auto outputs = run_cell(model, x);
    for (const auto& [key, value] : outputs) check_close(name + ": " + key, value, expected.get<float>(key));
    // Not a degenerate test: the hidden state moved away from zero.
    CHECK(outputs.at("h").to_vector() != std::vector<float>(outputs.at("h").size(), 0.0f));
  } else {
    check_close(name + ": y", Tensor<float>(model(x)), expected.get<float>("y"));
  }
}

// An input (steps, batch, width) of a formula.
Tensor<float> input(std::size_t steps, std::size_t batch, std::size_t width) {
  Tensor<float> x = Tensor<float>::empty({steps, batch, width});
  for (std::size_t i = 0; i < x.size(); ++i)
    x.data()[i] = std::sin(0.7f * static_cast<float>(i) + 0.3f) * 1.5f;
  return x;
}

// Saves the model with save_pytorch as DIR/NAME.safetensors, and its input
// and outputs as DIR/NAME_io.safetensors, for torch_models.py import.
template <class Model>
void export_model(Model& model, const TempDir& dir, const std::string& name, const Tensor<float>& x,
                  const io::PytorchOptions& options = {}) {
  io::save_pytorch(model, dir / (name + ".safetensors"), options);
  StateDict io_dict;
  io_dict.insert_or_assign("x", x);
  if constexpr (requires { model.h; }) {
    for (const auto& [key, value] : run_cell(model, x)) io_dict.insert_or_assign(key, value);
  } else {
    io_dict.insert_or_assign("y", Tensor<float>(model(x)));
  }
  io::save_safetensors(dir / (name + "_io.safetensors"), io_dict);
}

auto mlp() { return Sequential{nn::Dense(5, 8), modyn::relu, nn::Dense(8, 3)}; }
auto named_mlp() {
  return Sequential{named<"hidden">(nn::Dense(5, 8)), modyn::relu, named<"out">(nn::Dense(8, 3))};
}
io::PytorchOptions named_mlp_renames() { return {.renames = {{"hidden", "0"}, {"out", "2"}}}; }

}  // namespace

// ======================================================== the rule, by hand

TEST_CASE("pytorch_transposes and pytorch_key follow the documented rules", "[pytorch]") {
  CHECK(io::pytorch_transposes("weight", 2));
  CHECK(io::pytorch_transposes("l1.weight", 2));
  CHECK(io::pytorch_transposes("cell.weight_ih", 2));
  CHECK(io::pytorch_transposes("weight_hh", 2));
  CHECK_FALSE(io::pytorch_transposes("weight", 1));  // LayerNorm's
  CHECK_FALSE(io::pytorch_transposes("weight", 3));
  CHECK_FALSE(io::pytorch_transposes("bias", 2));
  CHECK_FALSE(io::pytorch_transposes("weights", 2));
  CHECK_FALSE(io::pytorch_transposes("weight.scale", 2));

  CHECK(io::pytorch_key("l1.weight") == "l1.weight");
  const io::PytorchOptions options{.renames = {{"l1", "0"}, {"a", "x"}, {"a.b", "y"}, {"l2.bias", "fc.b"}}};
  CHECK(io::pytorch_key("l1.weight", options) == "0.weight");
  CHECK(io::pytorch_key("l1", options) == "0");
  CHECK(io::pytorch_key("l10.weight", options) == "l10.weight");  // a prefix ends before a dot
  CHECK(io::pytorch_key("a.b.weight", options) == "y.weight");    // the longest prefix wins
  CHECK(io::pytorch_key("a.c.weight", options) == "x.c.weight");
  CHECK(io::pytorch_key("l2.bias", options) == "fc.b");
  CHECK(io::pytorch_key("l2.weight", options) == "l2.weight");
  CHECK(io::pytorch_key("weight", {.renames = {{"", "model"}}}) == "model.weight");
  CHECK(io::pytorch_key("enc.weight", {.renames = {{"enc", ""}}}) == "weight");
  CHECK(io::pytorch_key("enc.l1.weight", {.renames = {{"", "model"}, {"enc", ""}}}) == "l1.weight");
}

TEST_CASE("to_pytorch gives Dense as a Linear: weight transposed to (out, in)", "[pytorch]") {
  nn::Dense<> dense(3, 2);
  dense.weight = Tensor<float>{{1, 2}, {3, 4}, {5, 6}};  // (in, out)
  dense.bias = Tensor<float>{7, 8};
  const StateDict dict = io::to_pytorch(dense);
  CHECK(dict.keys() == std::vector<std::string>{"weight", "bias"});
  CHECK(dict.get<float>("weight") == Tensor<float>{{1, 3, 5}, {2, 4, 6}});
  CHECK(dict.get<float>("bias") == Tensor<float>{7, 8});
}

TEST_CASE("from_pytorch transposes a hand-made Linear dict into Dense", "[pytorch]") {
  StateDict torch_dict;
  torch_dict.insert_or_assign("weight", Tensor<float>{{1, 3, 5}, {2, 4, 6}});  // (out, in)
  torch_dict.insert_or_assign("bias", Tensor<float>{7, 8});
  nn::Dense<> dense(3, 2);
  const modyn::LoadResult result = io::from_pytorch(dense, torch_dict);
  CHECK(result.ok());
  CHECK(dense.weight.raw() == Tensor<float>{{1, 2}, {3, 4}, {5, 6}});
  CHECK(dense.bias.raw() == Tensor<float>{7, 8});
  CHECK(dense(Tensor<float>{{1, 0, 0}, {0, 1, 1}}) == Tensor<float>{{8, 10}, {15, 18}});
  CHECK(io::to_pytorch(dense) == torch_dict);
}

TEST_CASE("from_pytorch and to_pytorch map the cells' weight_ih and weight_hh, and leave h and c alone",
          "[pytorch]") {
  const std::size_t in = 3, hidden = 2;
  SECTION("RNNCell") {
    nn::RNNCell<> cell(in, hidden);
    const StateDict torch_dict = torch_cell_dict(1, in, hidden);
    io::from_pytorch(cell, torch_dict);
    CHECK(cell.weight_ih.raw().shape() == Shape{in, hidden});
    // modyn's (i, j) is PyTorch's (j, i).
    const auto w = torch_dict.get<float>("weight_ih");
    for (std::size_t i = 0; i < in; ++i) {
      for (std::size_t j = 0; j < hidden; ++j) CHECK(cell.weight_ih.raw().at(i, j) == w.at(j, i));
    }
    CHECK(io::to_pytorch(cell) == torch_dict);
  }
  SECTION("GRUCell") {
    nn::GRUCell<> cell(in, hidden);
    const StateDict torch_dict = torch_cell_dict(3, in, hidden);
    io::from_pytorch(cell, torch_dict);
    CHECK(cell.weight_hh.raw().shape() == Shape{hidden, 3 * hidden});
    CHECK(cell.weight_hh.raw().at(1, 4) == torch_dict.get<float>("weight_hh").at(4, 1));
    CHECK(cell.bias_ih.raw() == torch_dict.get<float>("bias_ih"));
    CHECK(io::to_pytorch(cell) == torch_dict);
  }
  SECTION("LSTMCell, whose states h and c PyTorch's dicts lack") {
    nn::LSTMCell<> cell(in, hidden);
    cell.reset_state(2);
    cell.h.reset_to(Tensor<float>{{1, 2}, {3, 4}});
    cell.c.reset_to(Tensor<float>{{5, 6}, {7, 8}});
    const StateDict torch_dict = torch_cell_dict(4, in, hidden);
    CHECK(io::from_pytorch(cell, torch_dict).ok());
    CHECK(cell.weight_ih.raw().at(2, 7) == torch_dict.get<float>("weight_ih").at(7, 2));
    CHECK(*cell.h == Tensor<float>{{1, 2}, {3, 4}});
    CHECK(*cell.c == Tensor<float>{{5, 6}, {7, 8}});
    const StateDict back = io::to_pytorch(cell);
    CHECK(back.keys() == std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"});
    CHECK(back == torch_dict);
  }
}

TEST_CASE("a Sequential has torch.nn.Sequential's keys, and renames map named entries", "[pytorch]") {
  auto seq = mlp();
  const StateDict dict = io::to_pytorch(seq);
  CHECK(dict.keys() == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  CHECK(dict.at("2.weight").shape() == Shape{3, 8});

  auto renamed = named_mlp();
  CHECK(renamed.state_dict().keys() ==
        std::vector<std::string>{"hidden.weight", "hidden.bias", "out.weight", "out.bias"});
  CHECK(io::from_pytorch(renamed, dict, named_mlp_renames()).ok());
  CHECK(renamed.get<"out">().weight.raw() == seq.get<2>().weight.raw());
  CHECK(io::to_pytorch(renamed, named_mlp_renames()) == dict);
  // Without the renames, every key is both missing and unexpected.
  REQUIRE_THAT(message_of<modyn::key_error>([&] { io::from_pytorch(renamed, dict); }),
               Contains("missing keys: 'hidden.weight', 'hidden.bias', 'out.weight', 'out.bias'") &&
                   Contains("unexpected keys: '0.weight', '0.bias', '2.weight', '2.bias'"));
}

TEST_CASE("from_pytorch converts dtypes under options.convert", "[pytorch]") {
  StateDict torch_dict;
  torch_dict.insert_or_assign("weight", Tensor<double>{{0.1, 0.5}});  // (out 1, in 2)
  torch_dict.insert_or_assign("bias", Tensor<double>{0.25});
  nn::Dense<> dense(2, 1);
  const Tensor<float> before = dense.weight.raw();

  // float64 -> float32 can round: refused unless asked for.
  REQUIRE_THAT(message_of<modyn::type_error>([&] { io::from_pytorch(dense, torch_dict); }),
               Contains("modyn::io::from_pytorch") && Contains("'weight'") && Contains("float64") &&
                   Contains("float32") && Contains("Conversion::any"));
  CHECK(dense.weight.raw() == before);
  io::from_pytorch(dense, torch_dict, {.convert = io::Conversion::any});
  CHECK(dense.weight.raw() == Tensor<float>{{0.1f}, {0.5f}});
  CHECK(dense.bias.raw() == Tensor<float>{0.25f});

  // float16 and bfloat16 -> float32 are exact: loaded by default.
  StateDict half;
  half.insert_or_assign("weight",
                        io::convert(f32({1, 2}, {1.5f, -2.25f}), DType::float16, io::Conversion::any));
  half.insert_or_assign("bias", io::convert(f32({1}, {3.0f}), DType::bfloat16, io::Conversion::any));
  io::from_pytorch(dense, half);
  CHECK(dense.weight.raw() == Tensor<float>{{1.5f}, {-2.25f}});
  CHECK(dense.bias.raw() == Tensor<float>{3.0f});
  // A renamed key names the model's path too.
  auto seq = named_mlp();
  StateDict doubles;
  for (const auto& [key, entry] : io::to_pytorch(mlp())) {
    doubles.insert_or_assign(key, io::convert(entry, DType::float64, io::Conversion::lossless));
  }
  REQUIRE_THAT(
      message_of<modyn::type_error>([&] { io::from_pytorch(seq, doubles, named_mlp_renames()); }),
      Contains("modyn::io::from_pytorch: '0.weight' (the model's 'hidden.weight'): ") && Contains("float64"));
  REQUIRE_THAT(message_of<modyn::type_error>(
                   [&] { io::from_pytorch(dense, half, {.convert = io::Conversion::none}); }),
               Contains("'weight'") && Contains("float16") && Contains("not allowed"));
}

// ====================================================================== errors

TEST_CASE("from_pytorch names every missing key, and unexpected keys unless strict is false", "[pytorch]") {
  nn::GRUCell<> cell(3, 2);
  const StateDict before = cell.state_dict();

  StateDict lacking = torch_cell_dict(3, 3, 2);
  lacking.erase("weight_hh");
  lacking.erase("bias_hh");
  const std::string missing = message_of<modyn::key_error>([&] { io::from_pytorch(cell, lacking); });
  CHECK_THAT(missing, Contains("modyn::io::from_pytorch: missing keys: 'weight_hh', 'bias_hh'") &&
                          Contains("unexpected keys: none"));
  // Missing keys are an error even when not strict.
  CHECK_THROWS_AS(io::from_pytorch(cell, lacking, {.strict = false}), modyn::key_error);

  StateDict extra = torch_cell_dict(3, 3, 2);
  extra.insert_or_assign("num_batches_tracked", Tensor<std::int64_t>(Shape{}, {3}));
  extra.insert_or_assign("h", Tensor<float>{{0, 0}});  // states are not parameters
  CHECK_THAT(message_of<modyn::key_error>([&] { io::from_pytorch(cell, extra); }),
             Contains("missing keys: none; unexpected keys: 'num_batches_tracked', 'h'"));
  CHECK(cell.state_dict() == before);  // nothing loaded

  const modyn::LoadResult result = io::from_pytorch(cell, extra, {.strict = false});
  CHECK(result.missing_keys.empty());
  CHECK(result.unexpected_keys == std::vector<std::string>{"num_batches_tracked", "h"});
  CHECK(io::to_pytorch(cell) == torch_cell_dict(3, 3, 2));

  // Renamed keys name the model's path too.
  auto seq = named_mlp();
  StateDict partial = io::to_pytorch(mlp());
  partial.erase("0.weight");
  CHECK_THAT(message_of<modyn::key_error>([&] { io::from_pytorch(seq, partial, named_mlp_renames()); }),
             Contains("missing keys: '0.weight' (the model's 'hidden.weight')"));
}

TEST_CASE("from_pytorch names the key and both layouts of a shape mismatch, and changes nothing",
          "[pytorch]") {
  nn::Dense<> dense(3, 2);
  const StateDict before = dense.state_dict();

  StateDict wrong_weight;
  wrong_weight.insert_or_assign("weight", f32({3, 2}, ramp(6)));  // modyn's layout, not PyTorch's
  wrong_weight.insert_or_assign("bias", f32({2}, ramp(2)));
  CHECK_THAT(message_of<modyn::shape_error>([&] { io::from_pytorch(dense, wrong_weight); }),
             Contains("modyn::io::from_pytorch: 'weight': the PyTorch state dict has shape (3, 2), the model "
                      "expects (2, 3) in PyTorch's layout ((3, 2) in modyn's)"));

  StateDict wrong_bias;
  wrong_bias.insert_or_assign("weight", f32({2, 3}, ramp(6)));
  wrong_bias.insert_or_assign("bias", f32({3}, ramp(3)));
  const std::string bias = message_of<modyn::shape_error>([&] { io::from_pytorch(dense, wrong_bias); });
  CHECK_THAT(bias, Contains("'bias': the PyTorch state dict has shape (3,), the model expects (2,)"));
  CHECK_THAT(bias, !Contains("layout"));
  CHECK(dense.state_dict() == before);  // the weight, checked first, was not loaded either

  auto seq = named_mlp();
  StateDict renamed = io::to_pytorch(mlp());
  renamed.insert_or_assign("2.weight", f32({3, 7}, ramp(21)));
  CHECK_THAT(
      message_of<modyn::shape_error>([&] { io::from_pytorch(seq, renamed, named_mlp_renames()); }),
      Contains("'2.weight' (the model's 'out.weight'): the PyTorch state dict has shape (3, 7), the model "
               "expects (3, 8) in PyTorch's layout ((8, 3) in modyn's)"));
}

TEST_CASE("renames that give two parameters one key are a config_error", "[pytorch]") {
  nn::Dense<> dense(3, 2);
  const io::PytorchOptions options{.renames = {{"weight", "w"}, {"bias", "w"}}};
  const std::string message = message_of<modyn::config_error>([&] { (void)io::to_pytorch(dense, options); });
  CHECK_THAT(message, Contains("'weight'") && Contains("'bias'") && Contains("'w'"));
  CHECK_THROWS_AS(io::from_pytorch(dense, StateDict{}, options), modyn::config_error);
}

TEST_CASE("save_pytorch and load_pytorch round trip through a file, whose errors name it", "[pytorch]") {
  const TempDir dir;
  const fs::path file = dir / "lstm.safetensors";
  nn::LSTMCell<> source(3, 2, {.seed = 1});
  io::save_pytorch(source, file);
  const io::SafetensorsFile saved = io::read_safetensors(file);
  CHECK(saved.metadata.at("format") == "pt");
  CHECK(saved.metadata.contains("modyn.version"));
  CHECK_THAT(saved.metadata.at("modyn.model"), Contains("LSTMCell"));
  CHECK(saved.tensors == io::to_pytorch(source));

  nn::LSTMCell<> target(3, 2, {.seed = 2});
  CHECK(io::load_pytorch(target, file).ok());
  CHECK(target.state_dict() == source.state_dict());

  nn::LSTMCell<> bigger(3, 4);
  CHECK_THAT(message_of<modyn::shape_error>([&] { io::load_pytorch(bigger, file); }),
             Contains("modyn::io::load_pytorch: '" + file.string() + "'") && Contains("'weight_ih'"));
  nn::Dense<> dense(3, 2);
  CHECK_THAT(message_of<modyn::key_error>([&] { io::load_pytorch(dense, file); }),
             Contains(file.string()) && Contains("missing keys: 'weight', 'bias'") &&
                 Contains("unexpected keys: 'weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'"));
  CHECK_THAT(message_of<modyn::io_error>([&] { io::load_pytorch(dense, dir / "none.safetensors"); }),
             Contains("none.safetensors") && Contains("no such file"));
}

// ============================================================ with Python

TEST_CASE("a checkpoint of every dtype modyn writes is read by safetensors, torch and a numpy reader",
          "[pytorch][python]") {
  const TempDir dir;
  StateDict every, common;
  for (const TensorSpec& spec : tensor_specs()) {
    const StateEntry entry = expected_entry(spec.dtype, spec.shape);
    every.insert_or_assign(spec.name, entry);
    // The dtypes both numpy and torch 1.13 have, for their load_file.
    const bool shared = spec.dtype != DType::bfloat16 && spec.dtype != DType::uint16 &&
                        spec.dtype != DType::uint32 && spec.dtype != DType::uint64;
    if (shared) common.insert_or_assign(spec.name, entry);
  }
  io::save_safetensors(dir / "every.safetensors", every);
  io::save_safetensors(dir / "common.safetensors", common);
  run_python("safetensors_interop.py", "read " + quoted(dir.path()), dir);
}

TEST_CASE("files safetensors writes from numpy and from torch load into modyn, every dtype",
          "[pytorch][python]") {
  const TempDir dir;
  run_python("safetensors_interop.py", "write " + quoted(dir.path()), dir);

  const io::SafetensorsFile from_numpy = io::read_safetensors(dir / "numpy.safetensors");
  const io::SafetensorsFile from_torch = io::read_safetensors(dir / "torch.safetensors");
  CHECK(from_numpy.metadata.at("writer") == "numpy");
  CHECK(from_torch.metadata.at("writer") == "torch");
  std::set<std::string> numpy_keys, torch_keys;
  for (const TensorSpec& spec : tensor_specs()) {
    INFO("tensor " << spec.name);
    const StateEntry expected = expected_entry(spec.dtype, spec.shape);
    // numpy has every dtype but bfloat16; torch 1.13 every one but uint16, uint32, uint64.
    if (spec.dtype != DType::bfloat16) {
      REQUIRE(from_numpy.tensors.contains(spec.name));
      CHECK(from_numpy.tensors.at(spec.name) == expected);
      numpy_keys.insert(spec.name);
    }
    const bool torch_has =
        spec.dtype != DType::uint16 && spec.dtype != DType::uint32 && spec.dtype != DType::uint64;
    if (torch_has) REQUIRE(from_torch.tensors.contains(spec.name));
    if (from_torch.tensors.contains(spec.name)) {
      const StateEntry& got = from_torch.tensors.at(spec.name);
      CHECK(got.dtype() == spec.dtype);
      CHECK(got.shape() == spec.shape);
      CHECK(got == expected);
      torch_keys.insert(spec.name);
    }
  }
  CHECK(from_numpy.tensors.size() == numpy_keys.size());
  CHECK(from_torch.tensors.size() == torch_keys.size());
  // The bfloat16 values as float32, by io::convert.
  const auto bf16 = io::convert(from_torch.tensors.at("bf16"), DType::float32, io::Conversion::lossless);
  CHECK(bf16.as<float>().at(1, 0) == -0.75f);
  CHECK(bf16.as<float>().at(0, 1) == std::numeric_limits<float>::infinity());
}

TEST_CASE("a Linear trained in PyTorch runs in modyn's Dense with PyTorch's outputs", "[pytorch][python]") {
  const TempDir dir;
  run_python("torch_models.py", "export " + quoted(dir.path()) + " linear", dir);
  nn::Dense<> dense(5, 3);
  check_against_torch(dense, dir, "linear");
}

TEST_CASE("an RNNCell trained in PyTorch runs in modyn with PyTorch's outputs, tanh and relu",
          "[pytorch][python]") {
  const TempDir dir;
  run_python("torch_models.py", "export " + quoted(dir.path()) + " rnn_tanh rnn_relu", dir);
  nn::RNNCell<> tanh_cell(4, 6, nn::Nonlinearity::tanh);
  check_against_torch(tanh_cell, dir, "rnn_tanh");
  nn::RNNCell<> relu_cell(4, 6, nn::Nonlinearity::relu);
  check_against_torch(relu_cell, dir, "rnn_relu");
}

TEST_CASE("a GRUCell trained in PyTorch runs in modyn with PyTorch's outputs", "[pytorch][python]") {
  const TempDir dir;
  run_python("torch_models.py", "export " + quoted(dir.path()) + " gru", dir);
  nn::GRUCell<> cell(4, 6);
  check_against_torch(cell, dir, "gru");
}

TEST_CASE("an LSTMCell trained in PyTorch runs in modyn with PyTorch's outputs, h and c",
          "[pytorch][python]") {
  const TempDir dir;
  run_python("torch_models.py", "export " + quoted(dir.path()) + " lstm", dir);
  nn::LSTMCell<> cell(4, 6);
  check_against_torch(cell, dir, "lstm");
}

TEST_CASE("a torch.nn.Sequential trained in PyTorch runs as modyn's Sequential, unnamed and named",
          "[pytorch][python]") {
  const TempDir dir;
  run_python("torch_models.py", "export " + quoted(dir.path()) + " mlp", dir);
  auto seq = mlp();
  check_against_torch(seq, dir, "mlp");

  auto renamed = named_mlp();
  io::load_pytorch(renamed, dir / "mlp.safetensors", named_mlp_renames());
  check_close("named mlp: y", Tensor<float>(renamed(input(5, 3, 5))), Tensor<float>(seq(input(5, 3, 5))));
}

TEST_CASE("modyn models saved with save_pytorch load into PyTorch strictly and give modyn's outputs",
          "[pytorch][python]") {
  const TempDir dir;
  const Tensor<float> x5 = input(5, 3, 5), x4 = input(5, 3, 4);
  nn::Dense<> dense(5, 3, {.seed = 11});
  export_model(dense, dir, "linear", x5);
  nn::RNNCell<> rnn_tanh(4, 6, nn::Nonlinearity::tanh, {.seed = 12});
  export_model(rnn_tanh, dir, "rnn_tanh", x4);
  nn::RNNCell<> rnn_relu(4, 6, nn::Nonlinearity::relu, {.seed = 13});
  export_model(rnn_relu, dir, "rnn_relu", x4);
  nn::GRUCell<> gru(4, 6, {.seed = 14});
  export_model(gru, dir, "gru", x4);
  nn::LSTMCell<> lstm(4, 6, {.seed = 15});
  export_model(lstm, dir, "lstm", x4);
  auto seq = mlp();
  modyn::init::reset_parameters(seq, 16);
  export_model(seq, dir, "mlp", x5);
  auto renamed = named_mlp();
  modyn::init::reset_parameters(renamed, 17);
  export_model(renamed, dir, "mlp_named", x5, named_mlp_renames());
  run_python("torch_models.py", "import " + quoted(dir.path()), dir);
}
