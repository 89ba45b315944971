// The library's version, kept equal to project(modyn VERSION ...) in
// CMakeLists.txt (a test compares them) and to the installed package's
// version file. Before 1.0 a minor version may change the API (CHANGELOG.md).
#pragma once

#define MODYN_VERSION_MAJOR 0
#define MODYN_VERSION_MINOR 1
#define MODYN_VERSION_PATCH 0
#define MODYN_VERSION_STRING "0.1.0"

namespace modyn {

struct Version {
  int major, minor, patch;
};

inline constexpr Version version{MODYN_VERSION_MAJOR, MODYN_VERSION_MINOR, MODYN_VERSION_PATCH};

}  // namespace modyn
