/// @file
/// The library's version, kept equal to project(modyn VERSION ...) in
/// CMakeLists.txt (a test compares them) and to the installed package's
/// version file. Before 1.0 a minor version may change the API (CHANGELOG.md).
#pragma once

/// The major version: before 1.0, 0.
#define MODYN_VERSION_MAJOR 0
/// The minor version: before 1.0, a new minor may change the API.
#define MODYN_VERSION_MINOR 1
/// The patch version: fixes only.
#define MODYN_VERSION_PATCH 0
/// The version as "major.minor.patch".
#define MODYN_VERSION_STRING "0.1.0"

namespace modyn {

/// A version number, major.minor.patch (semantic versioning).
struct Version {
  /// The three numbers: major (incompatible changes, after 1.0), minor
  /// (features; before 1.0, API changes too), patch (fixes).
  /// @{
  int major, minor, patch;
  /// @}
};

/// The library's version, the value of the MODYN_VERSION_ macros.
inline constexpr Version version{MODYN_VERSION_MAJOR, MODYN_VERSION_MINOR, MODYN_VERSION_PATCH};

}  // namespace modyn
