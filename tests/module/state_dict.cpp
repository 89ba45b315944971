// state_dict / load_state_dict round trips and errors, and StateDict itself.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "models.hpp"

using Catch::Matchers::Contains;
using modyn::DType;
using modyn::Shape;
using modyn::StateDict;
using modyn::StateEntry;
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

// ---- StateEntry

TEST_CASE("StateEntry holds the dtype, shape and host bytes of a tensor", "[state_dict][dtype]") {
  const Tensor<float> f{{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}};
  const StateEntry e(f);
  CHECK(e.dtype() == DType::float32);
  CHECK(e.shape() == Shape{2, 3});
  CHECK(e.rank() == 2);
  CHECK(e.size() == 6);
  REQUIRE(e.bytes().size() == 6 * sizeof(float));
  CHECK(std::memcmp(e.bytes().data(), f.data(), e.bytes().size()) == 0);
  CHECK(e.bytes().data() != reinterpret_cast<const std::byte*>(f.data()));  // a copy
  CHECK(e.key().empty());
  CHECK(e.holds<float>());
  CHECK_FALSE(e.holds<double>());
  CHECK(e.as<float>() == f);

  const Tensor<std::int32_t> i{7, -1, 2147483647, -2147483647 - 1};
  const StateEntry ei(i);
  CHECK(ei.dtype() == DType::int32);
  CHECK(ei.shape() == Shape{4});
  CHECK(ei.bytes().size() == 16);
  CHECK(ei.as<std::int32_t>() == i);
  std::int32_t second = 0;
  std::memcpy(&second, ei.bytes().data() + 4, 4);
  CHECK(second == -1);

  const Tensor<double> d = Tensor<double>::full({}, 0.1);  // rank 0
  const StateEntry ed(d);
  CHECK(ed.dtype() == DType::float64);
  CHECK(ed.shape() == Shape{});
  CHECK(ed.bytes().size() == 8);
  CHECK(ed.as<double>().item() == 0.1);

  CHECK(StateEntry(Tensor<std::uint8_t>{1, 2}).dtype() == DType::uint8);
  CHECK(StateEntry(Tensor<std::int64_t>{1}).dtype() == DType::int64);
  CHECK(StateEntry(Tensor<std::uint16_t>{1}).dtype() == DType::uint16);

  // An empty tensor, and the default entry.
  const StateEntry empty(Tensor<float>{});
  CHECK(empty.shape() == Shape{0});
  CHECK(empty.bytes().empty());
  CHECK(empty.as<float>().size() == 0);
  CHECK(StateEntry() == empty);

  // Equality is bit-exact: dtype, shape and bytes.
  CHECK(StateEntry(f) == e);
  CHECK_FALSE(StateEntry(f.reshape({3, 2})) == e);
  CHECK_FALSE(StateEntry(Tensor<std::int32_t>{1, 2, 3}) == StateEntry(Tensor<std::uint32_t>{1, 2, 3}));
  CHECK_FALSE(StateEntry(Tensor<float>{0.0f}) == StateEntry(Tensor<float>{-0.0f}));

  std::ostringstream os;
  os << ei;
  CHECK(os.str() == "int32 (4,)");
}

TEST_CASE("StateEntry from raw bytes, as a file reader makes it", "[state_dict][dtype]") {
  const std::int16_t values[] = {1, -2, 3, -4, 5, -6};
  const auto bytes = std::as_bytes(std::span<const std::int16_t>(values));
  const StateEntry e(DType::int16, Shape{3, 2}, bytes);
  CHECK(e.dtype() == DType::int16);
  CHECK(e.as<std::int16_t>() == Tensor<std::int16_t>{{1, -2}, {3, -4}, {5, -6}});

  // A dtype without a C++ element type is held as bytes.
  const std::byte half[] = {std::byte{0x00}, std::byte{0x3c}};  // 1.0 in float16
  const StateEntry h(DType::float16, Shape{1}, half);
  CHECK(h.dtype() == DType::float16);
  CHECK(h.bytes().size() == 2);
  CHECK_THROWS_AS(h.as<float>(), modyn::type_error);

  CHECK(message_of<modyn::shape_error>([&] {
          StateEntry(DType::float32, Shape{2, 2}, bytes);
        }) == "modyn::StateEntry: 12 bytes given for a float32 tensor of shape (2, 2) (16 bytes)");
}

TEST_CASE("StateEntry::as with the wrong element type throws type_error naming key and both dtypes",
          "[state_dict][dtype]") {
  const StateEntry free_entry(Tensor<std::int32_t>{1, 2});
  CHECK(message_of<modyn::type_error>([&] { (void)free_entry.as<float>(); }) ==
        "modyn::StateEntry::as: the entry holds int32 (2,), not the requested float32");

  StateDict d;
  d.insert_or_assign("pop.counter", Tensor<std::int32_t>{1, 2});
  d.insert_or_assign("l1.weight", Tensor<float>::ones({1, 1}));
  CHECK(message_of<modyn::type_error>([&] { (void)d.at("pop.counter").as<float>(); }) ==
        "modyn::StateEntry::as: 'pop.counter' holds int32 (2,), not the requested float32");
  CHECK(message_of<modyn::type_error>([&] { (void)d.get<double>("l1.weight"); }) ==
        "modyn::StateEntry::as: 'l1.weight' holds float32 (1, 1), not the requested float64");
  CHECK_THROWS_AS(d.get<std::uint32_t>("pop.counter"), modyn::error);  // no silent int32 -> uint32
  CHECK_THROWS_AS(d.get<std::int64_t>("pop.counter"), modyn::type_error);
  CHECK(d.get<std::int32_t>("pop.counter") == Tensor<std::int32_t>{1, 2});
  CHECK_THROWS_AS(d.get<float>("nope"), modyn::key_error);

  // A copy taken from a dict keeps the key.
  const StateEntry copy = d.at("pop.counter");
  CHECK(copy.key() == "pop.counter");
  CHECK_THROWS_WITH(copy.as<float>(), Contains("'pop.counter'"));
}

TEST_CASE("dtype names map 1:1 onto safetensors' dtypes", "[state_dict][dtype]") {
  using modyn::dtype_name;
  const std::vector<std::string> safetensors = {"F32", "F64", "F16", "BF16", "I8",  "I16", "I32",
                                                "I64", "U8",  "U16", "U32",  "U64", "BOOL"};
  std::vector<std::string> names;
  for (const DType d : modyn::all_dtypes) {
    names.emplace_back(dtype_name(d));
    CHECK(modyn::dtype_from_name(dtype_name(d)) == d);
  }
  CHECK(names == safetensors);
  CHECK_FALSE(modyn::dtype_from_name("f32").has_value());
  CHECK_FALSE(modyn::dtype_from_name("").has_value());

  static_assert(modyn::dtype_v<float> == DType::float32);
  static_assert(modyn::dtype_v<double> == DType::float64);
  static_assert(modyn::dtype_v<bool> == DType::boolean);
  static_assert(modyn::dtype_v<std::int8_t> == DType::int8);
  static_assert(modyn::dtype_v<std::uint8_t> == DType::uint8);
  static_assert(modyn::dtype_v<std::int16_t> == DType::int16);
  static_assert(modyn::dtype_v<std::uint16_t> == DType::uint16);
  static_assert(modyn::dtype_v<std::int32_t> == DType::int32);
  static_assert(modyn::dtype_v<std::uint32_t> == DType::uint32);
  static_assert(modyn::dtype_v<std::int64_t> == DType::int64);
  static_assert(modyn::dtype_v<std::uint64_t> == DType::uint64);
  static_assert(modyn::dtype_v<const float> == DType::float32);
  static_assert(!modyn::HasDType<char>);
  static_assert(!modyn::HasDType<long double>);
  static_assert(!modyn::HasDType<Tensor<float>>);

  CHECK(modyn::dtype_size(DType::float32) == 4);
  CHECK(modyn::dtype_size(DType::bfloat16) == 2);
  CHECK(modyn::dtype_size(DType::uint64) == 8);
  CHECK(modyn::dtype_size(DType::boolean) == 1);
  CHECK(modyn::to_string(DType::int32) == "int32");
  CHECK(modyn::to_string(DType::boolean) == "bool");
}

// ---- StateDict

TEST_CASE("StateDict keeps insertion order, insert_or_assign replaces in place", "[state_dict]") {
  StateDict d;
  CHECK(d.empty());
  CHECK(d.size() == 0);
  CHECK(d.keys().empty());

  d.insert_or_assign("b", Tensor<float>{1.0f});
  d.insert_or_assign("a", Tensor<float>{2.0f});
  d.insert_or_assign("c.x", StateEntry(Tensor<float>{3.0f}));
  CHECK_FALSE(d.empty());
  CHECK(d.size() == 3);
  CHECK(d.keys() == std::vector<std::string>{"b", "a", "c.x"});  // not sorted
  CHECK(d.at("c.x").key() == "c.x");

  d.insert_or_assign("a", Tensor<std::int32_t>{9, 9});  // another dtype under the same key
  CHECK(d.size() == 3);
  CHECK(d.keys() == std::vector<std::string>{"b", "a", "c.x"});  // "a" keeps its place
  CHECK(d.at("a").dtype() == DType::int32);
  CHECK(d.get<std::int32_t>("a") == Tensor<std::int32_t>{9, 9});
  CHECK(d.at("a").key() == "a");

  std::vector<std::string> iterated;
  for (const auto& [key, entry] : d) iterated.push_back(key + "=" + std::to_string(entry.size()));
  CHECK(iterated == std::vector<std::string>{"b=1", "a=2", "c.x=1"});

  // Mutable iteration and at(): assigning replaces the data, not the key.
  for (auto& entry : d) {
    if (entry.second.holds<float>()) entry.second = entry.second.as<float>() * 2.0f;
  }
  d.at("b") = d.at("b").as<float>() + 1.0f;
  CHECK(d.get<float>("b") == Tensor<float>{3.0f});
  CHECK(d.get<float>("c.x") == Tensor<float>{6.0f});
  d.at("c.x") = d.at("a");
  CHECK(d.at("c.x").key() == "c.x");
  CHECK(d.at("c.x").dtype() == DType::int32);
}

TEST_CASE("StateDict::at and erase throw key_error naming a missing key", "[state_dict]") {
  StateDict d;
  d.insert_or_assign("l1.weight", Tensor<float>{1.0f});
  const auto& cd = d;
  CHECK(message_of<modyn::key_error>([&] { (void)cd.at("l1.bias"); }) ==
        "modyn::StateDict: no key 'l1.bias'");
  CHECK_THROWS_WITH(d.at("zz"), Contains("'zz'"));
  CHECK_THROWS_AS(d.at("zz"), modyn::error);
  CHECK_THROWS_WITH(d.erase("nope"), Contains("'nope'"));
  CHECK_THROWS_AS(d.erase("nope"), modyn::key_error);
  CHECK(d.size() == 1);
}

TEST_CASE("StateDict::find, contains and erase", "[state_dict]") {
  StateDict d;
  d.insert_or_assign("x", Tensor<float>{1.0f});
  d.insert_or_assign("y", Tensor<float>{2.0f});
  d.insert_or_assign("z", Tensor<float>{3.0f});

  REQUIRE(d.find("y") != nullptr);
  CHECK(d.find("y")->as<float>() == Tensor<float>{2.0f});
  CHECK(d.find("y") == &d.at("y"));
  CHECK(d.find("w") == nullptr);
  CHECK(d.contains("z"));
  CHECK_FALSE(d.contains("w"));

  d.erase("y");
  CHECK(d.keys() == std::vector<std::string>{"x", "z"});
  CHECK_FALSE(d.contains("y"));
  CHECK(d.find("y") == nullptr);
  // The positions (and keys) of the later entries follow.
  CHECK(d.get<float>("z") == Tensor<float>{3.0f});
  CHECK(d.find("z")->as<float>() == Tensor<float>{3.0f});
  CHECK(d.at("z").key() == "z");
  d.insert_or_assign("y", Tensor<float>{4.0f});
  CHECK(d.keys() == std::vector<std::string>{"x", "z", "y"});
  d.insert_or_assign("z", Tensor<float>{5.0f});
  CHECK(d.keys() == std::vector<std::string>{"x", "z", "y"});
  CHECK(d.get<float>("z") == Tensor<float>{5.0f});
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
  CHECK(dict.get<float>("block.lin.weight") == net.block.lin.weight.raw());
  CHECK(dict.get<float>("block.gain") == net.block.gain.raw());  // raw, not softplus'd
  CHECK_FALSE(dict.get<float>("block.gain") == net.block.gain.value());
  CHECK(dict.get<float>("block.h") == net.block.h.value());
  for (const auto& [key, entry] : dict) CHECK(entry.dtype() == DType::float32);

  // Copies.
  CHECK(static_cast<const void*>(dict.at("scale").bytes().data()) != net.scale.raw().data());
  const auto scale = net.scale.raw();
  auto copy = net.state_dict();
  copy.at("scale") = copy.get<float>("scale") + 1.0f;
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
  CHECK(pop_dict.get<float>("cells.0.v") == Tensor<float>::full({3, 3}, -65.0f));
  CHECK(pop_dict.get<float>("trace") == Tensor<float>::ones({3, 2}));
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
  CHECK_THROWS_WITH(
      b.load_state_dict(StateDict{}),
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

// ---- mixed element types

namespace {

// Distinct values in every field of a MixedNet.
void fill_mixed(mt::MixedNet& net, std::uint64_t seed, std::size_t batch) {
  net.reset_state(batch);
  modyn::Rng rng(seed);
  rng.normal(net.in.weight.raw_mut());
  rng.normal(net.in.bias.raw_mut());
  rng.uniform(net.pop.V.value(), -1.0f, 1.0f);
  std::vector<double> tau(3);
  for (std::size_t i = 0; i < 3; ++i) tau[i] = 1.0 + 0.1 * double(i + seed) + 1e-17 * double(seed);
  net.pop.tau = Tensor<double>({3}, tau);
  std::int32_t* c = net.pop.counter->data();
  for (std::size_t i = 0; i < net.pop.counter->size(); ++i)
    c[i] = static_cast<std::int32_t>(seed * 1000 + i) - 7;
}

}  // namespace

TEST_CASE("a model of mixed element types round-trips through its state dict bit-exactly",
          "[state_dict][dtype]") {
  mt::MixedNet a;
  fill_mixed(a, 3, 2);
  const Tensor<float> x = mt::input(2, 2);
  for (int i = 0; i < 3; ++i) a(x);

  const StateDict dict = a.state_dict();
  CHECK(dict.keys() == std::vector<std::string>{"in.weight", "in.bias", "pop.tau", "pop.V", "pop.counter"});
  CHECK(dict.at("in.weight").dtype() == DType::float32);
  CHECK(dict.at("in.weight").shape() == Shape{2, 3});
  CHECK(dict.at("in.weight").bytes().size() == 24);
  CHECK(dict.at("pop.tau").dtype() == DType::float64);
  CHECK(dict.at("pop.tau").shape() == Shape{3});
  CHECK(dict.at("pop.tau").bytes().size() == 24);
  CHECK(dict.at("pop.V").dtype() == DType::float32);
  CHECK(dict.at("pop.V").shape() == Shape{2, 3});
  CHECK(dict.at("pop.counter").dtype() == DType::int32);
  CHECK(dict.at("pop.counter").shape() == Shape{2, 3});
  CHECK(dict.at("pop.counter").bytes().size() == 6 * 4);
  CHECK(std::memcmp(dict.at("pop.counter").bytes().data(), a.pop.counter->data(), 24) == 0);
  CHECK(std::memcmp(dict.at("pop.tau").bytes().data(), a.pop.tau.raw().data(), 24) == 0);
  CHECK(dict.get<double>("pop.tau") == a.pop.tau.raw());
  CHECK(dict.get<std::int32_t>("pop.counter") == a.pop.counter.value());

  mt::MixedNet b;
  b.reset_state(5);
  REQUIRE_FALSE(b.pop.tau.raw() == a.pop.tau.raw());
  const auto result = b.load_state_dict(dict);
  CHECK(result.ok());
  CHECK(b.state_dict() == a.state_dict());  // bit-exact: every entry's dtype, shape and bytes
  CHECK(b.pop.tau.raw() == a.pop.tau.raw());
  CHECK(b.pop.counter.value() == a.pop.counter.value());
  CHECK(b.pop.counter->shape() == Shape{2, 3});
  CHECK(b.pop.V.value() == a.pop.V.value());
  CHECK(b(x) == a(x));
  CHECK(b.pop.counter.value() == a.pop.counter.value());
}

TEST_CASE("loading an entry of another dtype throws type_error naming the path and both dtypes",
          "[state_dict][dtype]") {
  mt::MixedNet a;
  fill_mixed(a, 4, 2);
  mt::MixedNet b;
  fill_mixed(b, 5, 2);
  const StateDict before = b.state_dict();

  auto counter_as_float = a.state_dict();
  counter_as_float.at("pop.counter") = Tensor<float>::zeros({2, 3});
  CHECK(message_of<modyn::type_error>([&] { b.load_state_dict(counter_as_float); }) ==
        "modyn::load_state_dict: 'pop.counter': the model holds int32, the state dict has float32");
  CHECK_THROWS_AS(b.load_state_dict(counter_as_float, false), modyn::type_error);
  CHECK(b.state_dict() == before);  // all or nothing: the keys before it are not loaded

  auto tau_as_float = a.state_dict();
  tau_as_float.at("pop.tau") = Tensor<float>{1.0f, 2.0f, 3.0f};  // same shape, float32 instead of float64
  CHECK(message_of<modyn::type_error>([&] { b.load_state_dict(tau_as_float, false); }) ==
        "modyn::load_state_dict: 'pop.tau': the model holds float64, the state dict has float32");
  CHECK(b.state_dict() == before);

  // The dtype is checked before the shape; shapes are still checked for mixed models.
  auto wrong_shape = a.state_dict();
  wrong_shape.at("pop.counter") = Tensor<std::int32_t>::zeros({2, 4});
  CHECK(message_of<modyn::shape_error>([&] { b.load_state_dict(wrong_shape); }) ==
        "modyn::load_state_dict: 'pop.counter': the model has shape (2, 3), the state dict has (2, 4)");
  CHECK(b.state_dict() == before);

  // A single-type model: loading a float64 dict into a float32 model.
  mt::Net<double> d;
  mt::Net<> f;
  CHECK_THROWS_WITH(f.load_state_dict(d.state_dict()),
                    "modyn::load_state_dict: 'block.lin.weight': the model holds float32, the state dict has "
                    "float64");

  // Missing and unexpected keys are still reported, whatever the dtypes.
  auto partial = a.state_dict();
  partial.erase("pop.counter");
  partial.insert_or_assign("pop.spikes", Tensor<std::int64_t>{3, 9});
  const auto result = b.load_state_dict(partial, false);
  CHECK(result.missing_keys == std::vector<std::string>{"pop.counter"});
  CHECK(result.unexpected_keys == std::vector<std::string>{"pop.spikes"});
  CHECK(b.pop.tau.raw() == a.pop.tau.raw());
  CHECK(b.pop.counter.value() == before.get<std::int32_t>("pop.counter"));
}
