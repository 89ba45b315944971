# vcpkg overlay port of modyn, header-only:
#   vcpkg install modyn[io,openmp] --overlay-ports=<this checkout>/ports
# SOURCE_PATH is this checkout; a registry port would use vcpkg_from_github.
# tests/packaging/vcpkg_port.cmake runs this file with plain CMake (each
# feature, into a staging prefix), so what it passes is tested.
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)

# The optional components are found, not required, by the project: each
# feature requires its package, and its absence disables the lookup, so that
# what is installed depends on the features alone.
vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    cuda MODYN_CUDA
    io CMAKE_REQUIRE_FIND_PACKAGE_nlohmann_json
    openmp CMAKE_REQUIRE_FIND_PACKAGE_OpenMP
  INVERTED_FEATURES
    io CMAKE_DISABLE_FIND_PACKAGE_nlohmann_json
    openmp CMAKE_DISABLE_FIND_PACKAGE_OpenMP
)
# MODYN_BLAS names a library, not ON/OFF.
if("blas" IN_LIST FEATURES)
  list(APPEND FEATURE_OPTIONS -DMODYN_BLAS=OpenBLAS)
else()
  list(APPEND FEATURE_OPTIONS -DMODYN_BLAS=OFF)
endif()

set(VCPKG_BUILD_TYPE release) # header-only port

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DMODYN_BUILD_TESTS=OFF
    -DMODYN_BUILD_EXAMPLES=OFF
    -DMODYN_BUILD_BENCHMARKS=OFF
    -DMODYN_INSTALL_CMAKEDIR=share/${PORT}
    ${FEATURE_OPTIONS}
)

vcpkg_cmake_install()

vcpkg_cmake_config_fixup(PACKAGE_NAME modyn CONFIG_PATH share/${PORT})
vcpkg_fixup_pkgconfig()

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug")

vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
