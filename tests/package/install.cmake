# Installs the build tree into a fresh prefix: cmake -DPREFIX=... -DBUILD_DIR=... -P install.cmake
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" COMMAND_ERROR_IS_FATAL ANY)
foreach(expected include/modyn/modyn.hpp share/cmake/modyn/modynConfig.cmake
        share/cmake/modyn/modynConfigVersion.cmake share/cmake/modyn/modynTargets.cmake share/pkgconfig/modyn.pc)
  if(NOT EXISTS "${PREFIX}/${expected}")
    message(FATAL_ERROR "install: ${expected} is missing from ${PREFIX}")
  endif()
endforeach()
