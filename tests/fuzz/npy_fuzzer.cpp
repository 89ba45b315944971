// libFuzzer target of the .npy reader: any bytes either load or throw
// io_error (anything else escapes and is reported as a crash), and what
// loads writes back to a file that loads to the same entry.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "modyn/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
  modyn::StateEntry loaded;
  try {
    loaded = modyn::io::from_npy(file, "fuzz");
  } catch (const modyn::io_error&) {
    return 0;
  }
  if (!(modyn::io::from_npy(modyn::io::to_npy(loaded)) == loaded)) std::abort();
  return 0;
}
