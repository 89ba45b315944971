// Printing modules as trees with parameter counts.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "models.hpp"

namespace {

template <class M>
std::string printed(const M& m) {
  std::ostringstream os;
  os << m;
  return os.str();
}

}  // namespace

TEST_CASE("a module without child modules prints on one line", "[print]") {
  CHECK(printed(mt::Scale()) == "Scale()");
  CHECK(printed(mt::Lin<>(1, 1)) ==
        "Lin(weight: Param (1, 1), bias: Param (1,), features=1)  # 2 parameters");
  CHECK(printed(mt::Lin<>(4, 5)) ==
        "Lin(weight: Param (4, 5), bias: Param (5,), features=5)  # 25 parameters");
  CHECK(printed(mt::Neuron<>()) ==
        "Neuron(v: State (3,), tau: Param[exponential] (1,), spike: State (3,))  # 1 parameter");
  CHECK(printed(mt::Fixed<3>()) == "Fixed(w: Param[affine] (3,), s: State (3,), tag=0)  # 3 parameters");
}

TEST_CASE("a nested model prints as an indented tree", "[print]") {
  mt::Net<> net;
  net.steps = 3;
  CHECK(printed(net) ==
        "Net(  # 14 parameters\n"
        "  (block): Block(  # 10 parameters\n"
        "    (lin): Lin(weight: Param (3, 2), bias: Param (2,), features=2)  # 8 parameters\n"
        "    gain: Param[softplus][L2] (2,)\n"
        "    h: State (2,)\n"
        "  )\n"
        "  scale: Param[L1] (1,)\n"
        "  (head): Lin(weight: Param (2, 1), bias: Param (1,), features=1)  # 3 parameters\n"
        "  steps=3\n"
        ")");

  // Shapes follow resets.
  net.reset_state(7);
  CHECK(printed(net.block) ==
        "Block(  # 10 parameters\n"
        "  (lin): Lin(weight: Param (3, 2), bias: Param (2,), features=2)  # 8 parameters\n"
        "  gain: Param[softplus][L2] (2,)\n"
        "  h: State (7, 2)\n"
        ")");
}

TEST_CASE("containers print their elements by index", "[print]") {
  mt::Pop<> pop;
  pop.reset_state(7);
  CHECK(printed(pop) ==
        "Pop(  # 26 parameters\n"
        "  (cells): [\n"
        "    (0): Neuron(v: State (7, 3), tau: Param[exponential] (1,), spike: State (7, 3))  # 1 parameter\n"
        "    (1): Neuron(v: State (7, 3), tau: Param[exponential] (1,), spike: State (7, 3))  # 1 parameter\n"
        "  ]\n"
        "  (blocks): [\n"
        "    (0): Block(  # 10 parameters\n"
        "      (lin): Lin(weight: Param (3, 2), bias: Param (2,), features=2)  # 8 parameters\n"
        "      gain: Param[softplus][L2] (2,)\n"
        "      h: State (7, 2)\n"
        "    )\n"
        "    (1): Block(  # 10 parameters\n"
        "      (lin): Lin(weight: Param (3, 2), bias: Param (2,), features=2)  # 8 parameters\n"
        "      gain: Param[softplus][L2] (2,)\n"
        "      h: State (7, 2)\n"
        "    )\n"
        "  ]\n"
        "  (misc): [\n"
        "    (0): Lin(weight: Param (2, 1), bias: Param (1,), features=1)  # 3 parameters\n"
        "    (1): Scale()\n"
        "    (2): Neuron(v: State (7, 3), tau: Param[exponential] (1,), spike: State (7, 3))  # 1 parameter\n"
        "  ]\n"
        "  trace: State (7, 2)\n"
        ")");

  CHECK(printed(mt::Holder<>()) ==
        "Holder(  # 7 parameters\n"
        "  (one): Fixed(w: Param[affine] (3,), s: State (3,), tag=0)  # 3 parameters\n"
        "  (two): [\n"
        "    (0): Fixed(w: Param[affine] (2,), s: State (2,), tag=0)  # 2 parameters\n"
        "    (1): Fixed(w: Param[affine] (2,), s: State (2,), tag=0)  # 2 parameters\n"
        "  ]\n"
        ")");
}

TEST_CASE("an empty container prints as empty brackets", "[print]") {
  mt::Pop<> pop;
  pop.cells.clear();
  const std::string s = printed(pop);
  CHECK(s.substr(0, s.find("(blocks)")) ==
        "Pop(  # 24 parameters\n"
        "  (cells): [\n"
        "  ]\n"
        "  ");
}

TEST_CASE("printing works in a stream with other output", "[print]") {
  std::ostringstream os;
  os << "model: " << mt::Scale() << " / " << mt::Lin<>(1, 1).set_name("x") << '\n';
  CHECK(os.str() ==
        "model: Scale() / Lin(weight: Param (1, 1), bias: Param (1,), features=1)  # 2 parameters\n");
}

namespace {

// A stateless function entry and plain non-integer fields.
struct Act : modyn::Module<Act> {
  mt::Lin<> lin{1, 3};
  modyn::Elementwise<modyn::relu_kernel> act;
  double rate = 0.5;
  std::string label = "strings are not printed";
  MODYN_FIELDS(lin, act, rate, label)
};

struct OnlyAct : modyn::Module<OnlyAct> {
  modyn::Elementwise<modyn::tanh_kernel> f;
  MODYN_FIELDS(f)
};

}  // namespace

TEST_CASE("stateless function fields print by name on their own line", "[print]") {
  CHECK(printed(Act()) ==
        "Act(  # 6 parameters\n"
        "  (lin): Lin(weight: Param (1, 3), bias: Param (3,), features=3)  # 6 parameters\n"
        "  (act): relu\n"
        "  rate=0.5\n"
        ")");
  CHECK(printed(OnlyAct()) ==
        "OnlyAct(\n"
        "  (f): tanh\n"
        ")");
}

TEST_CASE("a model of mixed element types prints each field's dtype", "[print][dtype]") {
  mt::MixedNet net;
  net.reset_state(2);
  CHECK(printed(net) ==
        "MixedNet(  # 12 parameters\n"
        "  (in): Lin(weight: Param (2, 3) float32, bias: Param (3,) float32, features=3)  # 9 parameters\n"
        "  (pop): Mixed(tau: Param (3,) float64, V: State (2, 3) float32, counter: State (2, 3) int32)  # 3 "
        "parameters\n"
        ")");
  CHECK(
      printed(net.pop) ==
      "Mixed(tau: Param (3,) float64, V: State (2, 3) float32, counter: State (2, 3) int32)  # 3 parameters");
  // A part of one element type prints as any such model: no dtypes.
  CHECK(printed(net.in) == "Lin(weight: Param (2, 3), bias: Param (3,), features=3)  # 9 parameters");
  // Nor does a model of one element type other than float.
  CHECK(printed(mt::Lin<double>(1, 1)) ==
        "Lin(weight: Param (1, 1), bias: Param (1,), features=1)  # 2 parameters");

  // An int32 State prints as a tensor too.
  std::ostringstream os;
  os << net.pop.counter.value();
  CHECK(os.str() == "[[0 0 0]\n [0 0 0]]");
}
