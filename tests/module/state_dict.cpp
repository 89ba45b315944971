// state_dict / load_state_dict round trips and errors, and StateDict itself.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "models.hpp"

using Catch::Matchers::Contains;
using modyn::Shape;
using modyn::StateDict;
using modyn::Tensor;
using mt::message_of;
using mt::paths_of;

namespace {

template <class M>
auto all_tensors(M& model) {
  auto out = mt::tensors_of(model.named_parameters());
  for (auto& t : mt::tensors_of(model.named_states())) out.push_back(std::move(t));
  return out;
}

}  // namespace

// ---- StateDict

TEST_CASE("StateDict keeps insertion order, insert_or_assign replaces in place", "[state_dict]") {
  StateDict<Tensor<float>> d;
  CHECK(d.empty());
  CHECK(d.size() == 0);
  CHECK(d.keys().empty());

  d.insert_or_assign("b", Tensor<float>{1.0f});
  d.insert_or_assign("a", Tensor<float>{2.0f});
  d.insert_or_assign("c.x", Tensor<float>{3.0f});
  CHECK_FALSE(d.empty());
  CHECK(d.size() == 3);
  CHECK(d.keys() == std::vector<std::string>{"b", "a", "c.x"});  // not sorted

  d.insert_or_assign("a", Tensor<float>{9.0f, 9.0f});
  CHECK(d.size() == 3);
  CHECK(d.keys() == std::vector<std::string>{"b", "a", "c.x"});  // "a" keeps its place
  CHECK(d.at("a") == Tensor<float>{9.0f, 9.0f});

  std::vector<std::string> iterated;
  for (const auto& [key, value] : d) iterated.push_back(key + "=" + std::to_string(value.size()));
  CHECK(iterated == std::vector<std::string>{"b=1", "a=2", "c.x=1"});

  // Mutable iteration and at().
  for (auto& entry : d) entry.second *= 2.0f;
  d.at("b") += 1.0f;
  CHECK(d.at("b") == Tensor<float>{3.0f});
  CHECK(d.at("c.x") == Tensor<float>{6.0f});
}

TEST_CASE("StateDict::at and erase throw key_error naming a missing key", "[state_dict]") {
  StateDict<Tensor<float>> d;
  d.insert_or_assign("l1.weight", Tensor<float>{1.0f});
  const auto& cd = d;
  CHECK(message_of<modyn::key_error>([&] { (void)cd.at("l1.bias"); }) == "modyn::StateDict: no key 'l1.bias'");
  CHECK_THROWS_WITH(d.at("zz"), Contains("'zz'"));
  CHECK_THROWS_AS(d.at("zz"), modyn::error);
  CHECK_THROWS_WITH(d.erase("nope"), Contains("'nope'"));
  CHECK_THROWS_AS(d.erase("nope"), modyn::key_error);
  CHECK(d.size() == 1);
}

TEST_CASE("StateDict::find, contains and erase", "[state_dict]") {
  StateDict<Tensor<float>> d;
  d.insert_or_assign("x", Tensor<float>{1.0f});
  d.insert_or_assign("y", Tensor<float>{2.0f});
  d.insert_or_assign("z", Tensor<float>{3.0f});

  REQUIRE(d.find("y") != nullptr);
  CHECK(*d.find("y") == Tensor<float>{2.0f});
  CHECK(d.find("y") == &d.at("y"));
  CHECK(d.find("w") == nullptr);
  CHECK(d.contains("z"));
  CHECK_FALSE(d.contains("w"));

  d.erase("y");
  CHECK(d.keys() == std::vector<std::string>{"x", "z"});
  CHECK_FALSE(d.contains("y"));
  CHECK(d.find("y") == nullptr);
  // The positions of the later keys follow.
  CHECK(d.at("z") == Tensor<float>{3.0f});
  CHECK(*d.find("z") == Tensor<float>{3.0f});
  d.insert_or_assign("y", Tensor<float>{4.0f});
  CHECK(d.keys() == std::vector<std::string>{"x", "z", "y"});
  d.insert_or_assign("z", Tensor<float>{5.0f});
  CHECK(d.keys() == std::vector<std::string>{"x", "z", "y"});
  CHECK(d.at("z") == Tensor<float>{5.0f});
  d.erase("x");
  d.erase("y");
  d.erase("z");
  CHECK(d.empty());
}

// ---- state_dict

TEST_CASE("state_dict holds copies of the raw Params, then the States, in traversal order", "[state_dict]") {
  mt::Net<> net;
  mt::randomize(net, 1);
  const auto dict = net.state_dict();
  CHECK(dict.keys() == std::vector<std::string>{"block.lin.weight", "block.lin.bias", "block.gain", "scale",
                                                "head.weight", "head.bias", "block.h"});
  CHECK(dict.at("block.lin.weight") == net.block.lin.weight.raw());
  CHECK(dict.at("block.gain") == net.block.gain.raw());  // raw, not softplus'd
  CHECK_FALSE(dict.at("block.gain") == net.block.gain.value());
  CHECK(dict.at("block.h") == net.block.h.value());

  // Copies.
  CHECK(dict.at("scale").data() != net.scale.raw().data());
  const auto scale = net.scale.raw();
  auto copy = net.state_dict();
  copy.at("scale") += 1.0f;
  CHECK(net.scale.raw() == scale);

  mt::Pop<> pop;
  pop.reset_state(3);
  const auto pop_dict = pop.state_dict();
  std::vector<std::string> expected = paths_of(pop.named_parameters());
  for (const auto& p : paths_of(pop.named_states())) expected.push_back(p);
  CHECK(pop_dict.keys() == expected);
  CHECK(pop_dict.size() == 11 + 9);
  CHECK(pop_dict.keys()[10] == "misc.2.tau");
  CHECK(pop_dict.keys()[11] == "cells.0.v");
  CHECK(pop_dict.at("cells.0.v") == Tensor<float>::full({3, 3}, -65.0f));
  CHECK(pop_dict.at("trace") == Tensor<float>::ones({3, 2}));
}

TEST_CASE("loading a state dict into a fresh model reproduces the model exactly", "[state_dict]") {
  const Tensor<float> x = mt::input(4, 3);

  mt::Net<> a;
  a.reset_state(4);
  mt::randomize(a, 42);
  a.steps = 5;
  mt::Net<> b;
  const Tensor<float> b_before = b(x);  // fills b's caches
  REQUIRE_FALSE(b_before == a(x));

  const auto result = b.load_state_dict(a.state_dict());
  CHECK(result.ok());
  CHECK(result.missing_keys.empty());
  CHECK(result.unexpected_keys.empty());
  CHECK(b(x) == a(x));
  CHECK(all_tensors(b) == all_tensors(a));
  CHECK(b.block.h.value().shape() == Shape{4, 2});
  CHECK(b.steps == 0);  // plain fields are not in state dicts
  CHECK(b.state_dict().keys() == a.state_dict().keys());

  // The values are copies.
  a.scale = Tensor<float>{100.0f};
  CHECK_FALSE(b.scale.raw() == a.scale.raw());

  // Containers.
  mt::Pop<> p;
  p.reset_state(2);
  mt::randomize(p, 7);
  mt::Pop<> q;
  REQUIRE_FALSE(q(x) == p(x));
  CHECK(q.load_state_dict(p.state_dict()).ok());
  CHECK(q(x) == p(x));
  CHECK(all_tensors(q) == all_tensors(p));
  CHECK(q.state_dict().keys() == p.state_dict().keys());
}

TEST_CASE("States load their per-sample shape with any batch size", "[state_dict]") {
  mt::Net<> a;
  a.reset_state(5);
  mt::randomize(a, 9);
  mt::Net<> b;
  b.reset_state(3);
  CHECK(b.load_state_dict(a.state_dict()).ok());
  CHECK(b.block.h.value().shape() == Shape{5, 2});
  CHECK(b.block.h.value() == a.block.h.value());

  a.reset_state(0);
  CHECK(b.load_state_dict(a.state_dict()).ok());
  CHECK(b.block.h.value() == Tensor<float>::full({2}, 0.25f));

  auto dict = a.state_dict();
  dict.at("block.h") = Tensor<float>{{1.0f, 2.0f}};
  CHECK(b.load_state_dict(dict).ok());
  CHECK(b.block.h.value() == Tensor<float>{{1.0f, 2.0f}});
  // reset_state afterwards uses the per-sample shape again.
  b.reset_state(2);
  CHECK(b.block.h.value() == Tensor<float>::full({2, 2}, 0.25f));
}

TEST_CASE("strict loading throws key_error listing every missing and unexpected key", "[state_dict]") {
  mt::Net<> a;
  mt::randomize(a, 11);
  auto dict = a.state_dict();
  dict.erase("block.lin.bias");
  dict.erase("block.h");
  dict.insert_or_assign("extra.w", Tensor<float>{1.0f});
  dict.insert_or_assign("head.gamma", Tensor<float>{1.0f});

  mt::Net<> b;
  mt::randomize(b, 12);
  const auto before = all_tensors(b);
  CHECK(message_of<modyn::key_error>([&] { b.load_state_dict(dict); }) ==
        "modyn::load_state_dict: missing keys: 'block.lin.bias', 'block.h'; unexpected keys: 'extra.w', "
        "'head.gamma'");
  CHECK_THROWS_AS(b.load_state_dict(dict, true), modyn::key_error);
  CHECK(all_tensors(b) == before);  // nothing loaded

  // Only missing, only unexpected.
  auto missing = a.state_dict();
  missing.erase("scale");
  CHECK(message_of<modyn::key_error>([&] { b.load_state_dict(missing); }) ==
        "modyn::load_state_dict: missing keys: 'scale'; unexpected keys: none");
  auto unexpected = a.state_dict();
  unexpected.insert_or_assign("block.lin.weight.t", Tensor<float>{1.0f});
  CHECK(message_of<modyn::key_error>([&] { b.load_state_dict(unexpected); }) ==
        "modyn::load_state_dict: missing keys: none; unexpected keys: 'block.lin.weight.t'");
  CHECK(all_tensors(b) == before);

  // An empty dict: every key is missing.
  CHECK_THROWS_WITH(b.load_state_dict(StateDict<Tensor<float>>{}),
                    "modyn::load_state_dict: missing keys: 'block.lin.weight', 'block.lin.bias', 'block.gain', "
                    "'scale', 'head.weight', 'head.bias', 'block.h'; unexpected keys: none");
}

TEST_CASE("non-strict loading reports the mismatched keys and loads the rest", "[state_dict]") {
  mt::Net<> a;
  a.reset_state(2);
  mt::randomize(a, 21);
  auto dict = a.state_dict();
  dict.erase("block.lin.bias");
  dict.erase("block.h");
  dict.insert_or_assign("extra.w", Tensor<float>{1.0f});
  dict.insert_or_assign("head.gamma", Tensor<float>{1.0f});

  mt::Net<> b;
  mt::randomize(b, 22);
  const auto bias = b.block.lin.bias.raw();
  const auto h = b.block.h.value();
  const auto result = b.load_state_dict(dict, false);
  CHECK_FALSE(result.ok());
  CHECK(result.missing_keys == std::vector<std::string>{"block.lin.bias", "block.h"});
  CHECK(result.unexpected_keys == std::vector<std::string>{"extra.w", "head.gamma"});
  CHECK(b.block.lin.weight.raw() == a.block.lin.weight.raw());
  CHECK(b.block.gain.raw() == a.block.gain.raw());
  CHECK(b.block.gain.value() == a.block.gain.value());
  CHECK(b.scale.raw() == a.scale.raw());
  CHECK(b.head.weight.raw() == a.head.weight.raw());
  CHECK(b.head.bias.raw() == a.head.bias.raw());
  CHECK(b.block.lin.bias.raw() == bias);  // missing: unchanged
  CHECK(b.block.h.value() == h);

  // A non-strict load of a complete dict is ok().
  CHECK(b.load_state_dict(a.state_dict(), false).ok());
}

TEST_CASE("a shape mismatch throws shape_error naming the path and both shapes, even non-strict",
          "[state_dict]") {
  mt::Net<> a;
  mt::randomize(a, 31);
  mt::Net<> b;
  mt::randomize(b, 32);
  b.reset_state(4);
  const auto before = all_tensors(b);

  auto dict = a.state_dict();
  dict.at("block.lin.weight") = Tensor<float>::ones({2, 3});
  const std::string message = message_of<modyn::shape_error>([&] { b.load_state_dict(dict); });
  CHECK_THAT(message, Contains("block.lin.weight") && Contains("(3, 2)") && Contains("(2, 3)"));
  CHECK(message ==
        "modyn::load_state_dict: 'block.lin.weight': the model has shape (3, 2), the state dict has (2, 3)");
  CHECK_THROWS_AS(b.load_state_dict(dict, false), modyn::shape_error);
  CHECK(all_tensors(b) == before);

  // A later key: the keys before it are not loaded either.
  auto late = a.state_dict();
  late.at("head.weight") = Tensor<float>::ones({1, 2});
  CHECK(message_of<modyn::shape_error>([&] { b.load_state_dict(late, false); }) ==
        "modyn::load_state_dict: 'head.weight': the model has shape (2, 1), the state dict has (1, 2)");
  CHECK(all_tensors(b) == before);

  // A State with the wrong per-sample shape.
  auto state = a.state_dict();
  state.at("block.h") = Tensor<float>::zeros({4, 3});
  CHECK(message_of<modyn::shape_error>([&] { b.load_state_dict(state, false); }) ==
        "modyn::load_state_dict: 'block.h': the model has shape (4, 2), the state dict has (4, 3)");
  CHECK(all_tensors(b) == before);

  // Even with missing and unexpected keys in a non-strict load.
  late.erase("scale");
  late.insert_or_assign("extra", Tensor<float>{1.0f});
  CHECK_THROWS_AS(b.load_state_dict(late, false), modyn::shape_error);
  CHECK(all_tensors(b) == before);
}
