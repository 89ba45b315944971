// The version macros agree with each other and with CMake's project version.
#include "modyn/core/version.hpp"

#include <catch2/catch.hpp>
#include <string>

TEST_CASE("the version macros are those of the CMake project", "[version]") {
  const std::string joined = std::to_string(MODYN_VERSION_MAJOR) + "." + std::to_string(MODYN_VERSION_MINOR) +
                             "." + std::to_string(MODYN_VERSION_PATCH);
  CHECK(joined == MODYN_VERSION_STRING);
  CHECK(joined == MODYN_TEST_PROJECT_VERSION);
  CHECK(modyn::version.major == MODYN_VERSION_MAJOR);
  CHECK(modyn::version.minor == MODYN_VERSION_MINOR);
  CHECK(modyn::version.patch == MODYN_VERSION_PATCH);
}
