// libFuzzer target of the .npz reader: any bytes either load or throw
// io_error (anything else escapes and is reported as a crash), and what
// loads writes back to an archive that loads to the same arrays.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "modyn/io/npz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
  modyn::StateDict loaded;
  try {
    loaded = modyn::io::from_npz(file, "fuzz");
  } catch (const modyn::io_error&) {
    return 0;
  }
  if (!(modyn::io::from_npz(modyn::io::to_npz(loaded)) == loaded)) std::abort();
  return 0;
}
