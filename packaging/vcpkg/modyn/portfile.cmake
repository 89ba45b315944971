# vcpkg overlay port: vcpkg install modyn --overlay-ports=packaging/vcpkg
# (SOURCE_PATH points at this checkout; a registry port would use vcpkg_from_github.)
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(VCPKG_BUILD_TYPE release)  # header-only
vcpkg_cmake_configure(SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS -DMODYN_BUILD_TESTS=OFF -DMODYN_BUILD_EXAMPLES=OFF -DMODYN_BUILD_BENCHMARKS=OFF)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(CONFIG_PATH share/cmake/modyn)
vcpkg_fixup_pkgconfig()
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
