// save_safetensors / load_safetensors: the bytes of the format by hand,
// round trips of every dtype, models on the CPU and on a device backend,
// dtype conversion on load, one crafted file per error the reader reports,
// and atomic writes that a failing write cannot break.
#include "modyn/io/safetensors.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "modyn/backend/pseudo_device.hpp"
#include "modyn/core/tensor_print.hpp"  // so that Catch prints tensors on failure
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/dyn/neurons/lif.hpp"
#include "modyn/module/rebind.hpp"
#include "modyn/nn/dense.hpp"
#include "support/files.hpp"
#include "support/helpers.hpp"
#include "support/temp_dir.hpp"

using Catch::Matchers::Contains;
using modyn::DType;
using modyn::Shape;
using modyn::StateDict;
using modyn::StateEntry;
using modyn::Tensor;
namespace io = modyn::io;
namespace fs = std::filesystem;
using modyn_test::bytes_of;
using modyn_test::message_of;
using modyn_test::read_file;
using modyn_test::TempDir;
using modyn_test::with_file_size_limit;

namespace {

// A file: the 8-byte length, the header text as given, then the data.
std::vector<std::byte> file_of(std::string_view header, std::vector<std::byte> data = {}) {
  std::vector<std::byte> out;
  for (int i = 0; i < 8; ++i) out.push_back(std::byte((header.size() >> (8 * i)) & 0xff));
  const auto h = bytes_of(header);
  out.insert(out.end(), h.begin(), h.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::string load_error(const std::vector<std::byte>& file, io::SafetensorsLimits limits = {}) {
  return message_of<modyn::io_error>([&] { (void)io::from_safetensors(file, "bad.safetensors", limits); });
}

// An entry of `dtype` whose bytes count 0, 1, 2, ... (bool: alternating 0, 1).
StateEntry counting_entry(DType dtype, Shape shape) {
  std::vector<std::byte> bytes(shape.size() * modyn::dtype_size(dtype));
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = std::byte(dtype == DType::boolean ? i % 2 : (i * 7 + 3) % 251);
  }
  return StateEntry(dtype, shape, bytes);
}

}  // namespace

TEST_CASE("save_safetensors writes the format byte for byte", "[safetensors]") {
  StateDict dict;
  dict.insert_or_assign("a", Tensor<float>{1.0f, 2.0f});
  const std::vector<std::byte> file = io::to_safetensors(dict);
  // {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} is 54 bytes,
  // padded with spaces to 56, a multiple of 8.
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  )";
  REQUIRE(header.size() == 56);
  std::vector<std::byte> expected = file_of(header);
  const float values[] = {1.0f, 2.0f};
  const auto* v = reinterpret_cast<const std::byte*>(values);
  expected.insert(expected.end(), v, v + 8);
  CHECK(file == expected);

  // Metadata goes first, as an object of strings.
  const auto with_metadata = io::to_safetensors(dict, {{"note", "x"}});
  const std::string text(reinterpret_cast<const char*>(with_metadata.data()) + 8, 24);
  CHECK(text == R"({"__metadata__":{"note":)");
}

TEST_CASE("every dtype round trips, in order, each tensor aligned for its type", "[safetensors]") {
  StateDict dict;
  const DType order[] = {DType::uint8,    DType::float64, DType::boolean, DType::float16, DType::int32,
                         DType::bfloat16, DType::int64,   DType::float32, DType::int8,    DType::uint16,
                         DType::int16,    DType::uint32,  DType::uint64};
  for (const DType d : order)
    dict.insert_or_assign(std::string(modyn::dtype_name(d)), counting_entry(d, Shape{3, 2}));
  dict.insert_or_assign("scalar", counting_entry(DType::float32, Shape{}));
  dict.insert_or_assign("empty", counting_entry(DType::float64, Shape{0, 4}));

  const std::vector<std::byte> file = io::to_safetensors(dict, {{"k", "v"}});
  const io::SafetensorsFile back = io::from_safetensors(file);
  CHECK(back.tensors == dict);
  CHECK(back.tensors.keys() == dict.keys());
  CHECK(back.metadata == io::Metadata{{"k", "v"}});

  // The data starts at a multiple of 8 and each tensor at a multiple of its
  // element size (the writer places wider elements first).
  std::uint64_t header = 0;
  for (int i = 7; i >= 0; --i)
    header = header << 8 | static_cast<std::uint8_t>(file[static_cast<std::size_t>(i)]);
  CHECK(header % 8 == 0);
  const auto json =
      nlohmann::json::parse(std::string(reinterpret_cast<const char*>(file.data()) + 8, header));
  for (const auto& [key, info] : json.items()) {
    if (key == "__metadata__") continue;
    const auto dtype = modyn::dtype_from_name(info["dtype"].get<std::string>());
    REQUIRE(dtype);
    CHECK(info["data_offsets"][0].get<std::size_t>() % modyn::dtype_size(*dtype) == 0);
  }
}

TEST_CASE("a model saves, and loads into another model of its type", "[safetensors]") {
  TempDir dir;
  const fs::path path = dir / "dense.safetensors";
  modyn::nn::Dense source(3, 2, {.seed = 7});
  io::save_states(source, path);

  modyn::nn::Dense target(3, 2, {.seed = 8});
  REQUIRE(target.state_dict() != source.state_dict());
  const modyn::LoadResult result = io::load_states(target, path);
  CHECK(result.ok());
  CHECK(target.state_dict() == source.state_dict());

  const io::SafetensorsFile file = io::read_safetensors(path);
  CHECK(file.metadata.at("modyn.version") == MODYN_VERSION_STRING);
  CHECK_THAT(file.metadata.at("modyn.model"), Contains("nn::Dense<"));
  CHECK(file.tensors.keys() == std::vector<std::string>{"weight", "bias"});

  // States with their own dtypes (a LIF's bool spikes) come back too.
  modyn::dyn::LIF<> pop(4);
  pop.V.value() = Tensor<float>{-70.0f, -60.0f, -55.0f, -50.5f};
  io::save_states(pop, dir / "lif.safetensors");
  modyn::dyn::LIF<> other(4);
  io::load_states(other, dir / "lif.safetensors");
  CHECK(other.state_dict() == pop.state_dict());
}

TEST_CASE("a model on a device backend saves and loads through the host", "[safetensors]") {
  TempDir dir;
  const modyn::nn::Dense host(4, 3, {.seed = 1});
  auto device = modyn::to<modyn::pseudo_device>(host);
  io::save_states(device, dir / "device.safetensors");
  CHECK(io::load_safetensors(dir / "device.safetensors") == host.state_dict());

  auto loaded = modyn::to<modyn::pseudo_device>(modyn::nn::Dense(4, 3, {.seed = 2}));
  io::load_states(loaded, dir / "device.safetensors");
  CHECK(loaded.state_dict() == host.state_dict());
}

TEST_CASE("load_states converts dtypes only where no value changes, unless asked", "[safetensors][convert]") {
  TempDir dir;
  modyn::nn::Dense model(2, 1);
  // float16 weights 0.5, -2 and a bias 1 (0x3800, 0xC000, 0x3C00).
  const auto half = [](std::initializer_list<std::uint16_t> values, Shape shape) {
    std::vector<std::uint16_t> v(values);
    const auto* p = reinterpret_cast<const std::byte*>(v.data());
    return StateEntry(DType::float16, shape, std::span<const std::byte>(p, v.size() * 2));
  };
  StateDict f16;
  f16.insert_or_assign("weight", half({0x3800, 0xC000}, Shape{2, 1}));
  f16.insert_or_assign("bias", half({0x3C00}, Shape{1}));
  io::save_safetensors(dir / "f16.safetensors", f16);
  io::load_states(model, dir / "f16.safetensors");
  CHECK(model.weight.value() == Tensor<float>{{0.5f}, {-2.0f}});
  CHECK(model.bias.value() == Tensor<float>{1.0f});

  // float64 into float32 rounds: refused by default, done when asked.
  StateDict f64;
  f64.insert_or_assign("weight", Tensor<double>{{0.1}, {1e300}});
  f64.insert_or_assign("bias", Tensor<double>{2.0});
  io::save_safetensors(dir / "f64.safetensors", f64);
  const std::string refused =
      message_of<modyn::type_error>([&] { io::load_states(model, dir / "f64.safetensors"); });
  CHECK_THAT(refused, Contains("f64.safetensors") && Contains("'weight' holds float64, wanted float32") &&
                          Contains("Conversion::any"));
  CHECK(model.bias.value() == Tensor<float>{1.0f});  // nothing changed
  io::load_states(model, dir / "f64.safetensors", {.convert = io::Conversion::any});
  CHECK(model.weight.value().to_vector()[0] == 0.1f);
  CHECK(std::isinf(model.weight.value().to_vector()[1]));
  CHECK(model.bias.value() == Tensor<float>{2.0f});

  // Conversion::none refuses even float16.
  CHECK_THAT(message_of<modyn::type_error>(
                 [&] { io::load_states(model, dir / "f16.safetensors", {.convert = io::Conversion::none}); }),
             Contains("conversion not allowed"));
}

TEST_CASE("float16 and bfloat16 encode and decode as IEEE and PyTorch do", "[convert]") {
  using modyn::io::detail::bfloat16_to_float;
  using modyn::io::detail::float_to_bfloat16;
  using modyn::io::detail::float_to_half;
  using modyn::io::detail::half_to_float;
  // Values from the binary16 tables (Wikipedia's "Half-precision" examples).
  CHECK(float_to_half(1.0f) == 0x3C00);
  CHECK(float_to_half(-2.0f) == 0xC000);
  CHECK(float_to_half(65504.0f) == 0x7BFF);
  CHECK(float_to_half(65519.0f) == 0x7BFF);  // below the halfway point to 65536
  CHECK(float_to_half(65520.0f) == 0x7C00);  // rounds to infinity
  CHECK(float_to_half(0.1f) == 0x2E66);
  CHECK(float_to_half(0x1p-24f) == 0x0001);           // the smallest subnormal
  CHECK(float_to_half(0x1p-25f) == 0x0000);           // a tie: to even (zero)
  CHECK(float_to_half(0x1.8p-24f) == 0x0002);         // a tie: to even (two)
  CHECK(float_to_half(6.103515625e-05f) == 0x0400);   // the smallest normal
  CHECK(float_to_half(1.0f + 0x1p-11f) == 0x3C00);    // a tie: to even
  CHECK(float_to_half(1.0f + 0x1.8p-10f) == 0x3C02);  // a tie: to even (up)
  CHECK(float_to_half(-0.0f) == 0x8000);
  CHECK((float_to_half(std::numeric_limits<float>::quiet_NaN()) & 0x7C00) == 0x7C00);
  CHECK((float_to_half(std::numeric_limits<float>::quiet_NaN()) & 0x03FF) != 0);
  CHECK(half_to_float(0x3C00) == 1.0f);
  CHECK(half_to_float(0x7BFF) == 65504.0f);
  CHECK(half_to_float(0x0001) == 0x1p-24f);
  CHECK(half_to_float(0x8400) == -0x1p-14f);
  CHECK(std::isinf(half_to_float(0x7C00)));
  CHECK(std::isnan(half_to_float(0x7E00)));
  // Every half survives the round trip.
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF)) continue;  // NaNs
    if (float_to_half(half_to_float(static_cast<std::uint16_t>(h))) != h) FAIL("half " << h);
  }
  CHECK(float_to_bfloat16(1.0f) == 0x3F80);
  CHECK(float_to_bfloat16(std::bit_cast<float>(0x3F808000u)) == 0x3F80);  // a tie: to even
  CHECK(float_to_bfloat16(std::bit_cast<float>(0x3F818000u)) == 0x3F82);  // a tie: to even (up)
  CHECK(float_to_bfloat16(std::bit_cast<float>(0x3F808001u)) == 0x3F81);
  CHECK(bfloat16_to_float(0xC040) == -3.0f);
  CHECK(std::isnan(bfloat16_to_float(float_to_bfloat16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST_CASE("convert says which conversions are lossless and refuses values that do not fit", "[convert]") {
  using io::is_lossless;
  CHECK(is_lossless(DType::float16, DType::float32));
  CHECK(is_lossless(DType::bfloat16, DType::float64));
  CHECK(is_lossless(DType::int16, DType::float32));
  CHECK(is_lossless(DType::uint8, DType::int16));
  CHECK(is_lossless(DType::boolean, DType::float16));
  CHECK(is_lossless(DType::int32, DType::float64));
  CHECK_FALSE(is_lossless(DType::int32, DType::float32));
  CHECK_FALSE(is_lossless(DType::float16, DType::bfloat16));
  CHECK_FALSE(is_lossless(DType::float64, DType::float32));
  CHECK_FALSE(is_lossless(DType::int8, DType::uint64));
  CHECK_FALSE(is_lossless(DType::uint32, DType::int32));
  CHECK_FALSE(is_lossless(DType::int32, DType::boolean));

  StateDict dict;
  dict.insert_or_assign("n", Tensor<std::int64_t>{1, -300, 5});
  const StateEntry& n = dict.at("n");
  CHECK(io::convert(n, DType::int16, io::Conversion::any) == StateEntry(Tensor<std::int16_t>{1, -300, 5}));
  CHECK(io::convert(n, DType::float32, io::Conversion::any) ==
        StateEntry(Tensor<float>{1.0f, -300.0f, 5.0f}));
  CHECK_THAT(message_of<modyn::type_error>([&] { (void)io::convert(n, DType::int8, io::Conversion::any); }),
             Contains("'n'") && Contains("element 1 (-300) does not fit in int8"));
  CHECK_THAT(message_of<modyn::type_error>([&] { (void)io::convert(n, DType::uint8, io::Conversion::any); }),
             Contains("element 1 (-300)"));
  const StateEntry x(Tensor<double>{2.0, 2.5});
  CHECK_THAT(message_of<modyn::type_error>([&] { (void)io::convert(x, DType::int32, io::Conversion::any); }),
             Contains("element 1 (2.5"));
  CHECK(io::convert(StateEntry(Tensor<double>{-128.0, 127.0}), DType::int8, io::Conversion::any) ==
        StateEntry(Tensor<std::int8_t>{-128, 127}));
  CHECK(io::convert(StateEntry(Tensor<bool>{true, false}), DType::float32, io::Conversion::lossless) ==
        StateEntry(Tensor<float>{1.0f, 0.0f}));
  CHECK_THAT(message_of<modyn::type_error>([&] {
               (void)io::convert(StateEntry(Tensor<std::uint64_t>{1}), DType::int64,
                                 io::Conversion::lossless);
             }),
             Contains("holds uint64, wanted int64: the conversion can change values"));
}

TEST_CASE("load_safetensors names the file, the tensor and the byte of each problem",
          "[safetensors][errors]") {
  const auto data8 = std::vector<std::byte>(8);
  const std::string good = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  REQUIRE_NOTHROW(io::from_safetensors(file_of(good, data8)));

  CHECK_THAT(load_error(bytes_of("abc")), Contains("bad.safetensors") && Contains("truncated: 3 bytes"));
  {
    std::vector<std::byte> huge = file_of(good, data8);
    huge[5] = std::byte{1};  // a header length of 2^40 + ...
    CHECK_THAT(load_error(huge), Contains("above the limit of 100000000"));
  }
  CHECK_THAT(load_error(file_of(good, data8), {.max_header_bytes = 16}), Contains("above the limit of 16"));
  {
    std::vector<std::byte> longer = file_of(good, data8);
    longer[0] = std::byte(good.size() + 9);
    CHECK_THAT(load_error(longer),
               Contains("the header length at byte 0 is 63 bytes, but only 62 bytes follow"));
  }
  CHECK_THAT(load_error(file_of("[1, 2]")), Contains("does not start with '{'"));
  CHECK_THAT(load_error(file_of(R"({"a": {"dtype": "F32",, }})")),
             Contains("invalid JSON in the header at byte 30"));
  CHECK_THAT(load_error(file_of(R"({"a":{"dtype":"F32","shape":[1e999],"data_offsets":[0,0]}})")),
             Contains("invalid JSON in the header") && Contains("number overflow"));  // found by the fuzzer
  CHECK_THAT(load_error(file_of(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{}})")),
             Contains("names 'a' twice"));
  CHECK_THAT(load_error(file_of(R"({"a":{"dtype":"F32","dtype":"F64","shape":[0],"data_offsets":[0,0]}})")),
             Contains("names 'dtype' twice"));
  CHECK_THAT(load_error(file_of(R"({"a":{"dtype":"F8","shape":[0],"data_offsets":[0,0]}})")),
             Contains("tensor 'a': unknown dtype 'F8'"));
  CHECK_THAT(load_error(file_of(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})")),
             Contains("tensor 'a': 'shape' holds -1, not a non-negative integer"));
  CHECK_THAT(load_error(file_of(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}})")),
             Contains("'shape' holds 1.5"));
  CHECK_THAT(
      load_error(file_of(R"({"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}})")),
      Contains("tensor 'a': the shape's byte count overflows 64 bits"));
  CHECK_THAT(load_error(file_of(R"({"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}})",
                                std::vector<std::byte>(4))),
             Contains("rank 9"));
  CHECK_THAT(load_error(file_of(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", data8)),
             Contains("data_offsets [8, 0] are reversed"));
  CHECK_THAT(load_error(file_of(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", data8)),
             Contains("data_offsets end at byte 79 of the file, which has 71 bytes"));
  CHECK_THAT(load_error(file_of(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data8)),
             Contains("hold 8 bytes, its F32 shape needs 12"));
  CHECK_THAT(load_error(file_of(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                data8)),
             Contains("tensor 'a': data_offsets [0, 8] overlap") ||
                 Contains("tensor 'b': data_offsets [4, 8] overlap"));
  CHECK_THAT(load_error(file_of(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", data8)),
             Contains("a hole in the data: bytes [0, 4)") && Contains("the next is 'a'"));
  CHECK_THAT(load_error(file_of(good, std::vector<std::byte>(11))),
             Contains("3 trailing bytes after the last tensor"));
  {
    std::vector<std::byte> flags = {std::byte{0}, std::byte{2}};
    const std::string header = R"({"f":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})";
    CHECK_THAT(load_error(file_of(header, flags)),
               Contains("tensor 'f': BOOL element 1") && Contains("is 2, not 0 or 1"));
  }
  CHECK_THAT(load_error(file_of(R"({"__metadata__":{"n":1}})")),
             Contains("the value of 'n' is not a string"));
  CHECK_THAT(load_error(file_of(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"x":1}})")),
             Contains("tensor 'a': unknown field 'x'"));
  CHECK_THAT(load_error(file_of(R"({"a":{"dtype":"F32","shape":[0]}})")),
             Contains("tensor 'a': no 'data_offsets'"));
  CHECK_THAT(load_error(file_of(R"({"a":3})")),
             Contains("tensor 'a': its entry in the header is not an object"));

  TempDir dir;
  CHECK_THAT(message_of<modyn::io_error>([&] { (void)io::load_safetensors(dir / "none.safetensors"); }),
             Contains("none.safetensors': no such file"));
  CHECK_THAT(message_of<modyn::io_error>([&] { (void)io::load_safetensors(dir.path()); }),
             Contains("it is a directory"));
}

TEST_CASE("a failed save leaves the earlier file whole and no temporary file behind",
          "[safetensors][atomic]") {
  TempDir dir;
  const fs::path path = dir / "model.safetensors";
  StateDict small;
  small.insert_or_assign("x", Tensor<float>{1.0f, 2.0f});
  io::save_safetensors(path, small);
  const std::string before = read_file(path);

  // A file-size limit makes the kernel refuse the write past 4 KiB (EFBIG),
  // as a full disk refuses it with ENOSPC.
  StateDict large;
  large.insert_or_assign("x", Tensor<float>::zeros({100000}));
  const std::string message = with_file_size_limit(
      4096, [&] { return message_of<modyn::io_error>([&] { io::save_safetensors(path, large); }); });
  CHECK_THAT(message, Contains("save_safetensors: '" + path.string() +
                               "': writing failed after 4096 bytes: File too large"));

  CHECK(read_file(path) == before);
  CHECK(io::load_safetensors(path) == small);
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);

  CHECK_THAT(
      message_of<modyn::io_error>([&] { io::save_safetensors(dir / "no" / "such.safetensors", small); }),
      Contains("the directory '" + (dir / "no").string() + "' does not exist"));
  StateDict reserved;
  reserved.insert_or_assign("__metadata__", Tensor<float>{1.0f});
  CHECK_THAT(message_of<modyn::io_error>([&] { io::save_safetensors(path, reserved); }),
             Contains("cannot be named '__metadata__'"));
  CHECK(read_file(path) == before);
}
