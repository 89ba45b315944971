// libFuzzer target of the safetensors reader: any bytes either load or throw
// io_error (anything else escapes and is reported as a crash), and what
// loads writes back to a file that loads to the same tensors.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "modyn/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
  modyn::io::SafetensorsFile loaded;
  try {
    loaded = modyn::io::from_safetensors(file, "fuzz", {.max_header_bytes = 1 << 20});
  } catch (const modyn::io_error&) {
    return 0;
  }
  const auto again = modyn::io::from_safetensors(modyn::io::to_safetensors(loaded.tensors, loaded.metadata));
  if (!(again.tensors == loaded.tensors) || again.metadata != loaded.metadata) std::abort();
  return 0;
}
