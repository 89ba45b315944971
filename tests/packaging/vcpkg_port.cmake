# Runs ports/modyn/portfile.cmake with plain CMake, as vcpkg would for one
# feature, and builds a consumer against the staged package:
#
#   cmake -DPORT_DIR=ports/modyn -DFEATURE=core|<feature of vcpkg.json> -DWORK_DIR=<scratch>
#         -DVERSION=<project version> -DCONSUMER_DIR=tests/packaging/consumer
#         -DCXX=<c++ compiler> [-DCUDA_COMPILER=<nvcc>] [-DHAVE_OPENBLAS=ON] [-DGENERATOR=Ninja]
#         -P vcpkg_port.cmake
#
# The vcpkg helpers the portfile calls are defined here, each doing with
# plain CMake what vcpkg documents it to do (configure in a build tree,
# install into ${CURRENT_PACKAGES_DIR}, check the config is at share/<port>,
# write share/<port>/copyright); the portfile itself is included unchanged,
# so the options it passes are the ones tested. Then vcpkg's post-build
# checks that matter for a header-only port, the installed component set
# against the feature, and find_package(modyn CONFIG REQUIRED COMPONENTS ...)
# from a consumer. Skips when the feature cannot be built
# on this machine (cuda without nvcc, blas without OpenBLAS): it prints
# "skipped", which ctest's SKIP_REGULAR_EXPRESSION reads.
cmake_minimum_required(VERSION 3.25)
foreach(var PORT_DIR FEATURE WORK_DIR VERSION CONSUMER_DIR CXX)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "vcpkg_port.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT DEFINED GENERATOR)
  set(GENERATOR Ninja)
endif()

function(fail)
  string(JOIN "" text ${ARGN})
  message(FATAL_ERROR "vcpkg port, feature ${FEATURE}: ${text}")
endfunction()
function(skip)
  string(JOIN "" text ${ARGN})
  # (ctest's SKIP_REGULAR_EXPRESSION: CMake 3.25 has no cmake_language(EXIT).)
  message("vcpkg port, feature ${FEATURE}: skipped: ${text}")
endfunction()

# ---- vcpkg.json: name, version, features ------------------------------------
file(READ "${PORT_DIR}/vcpkg.json" manifest)
string(JSON port_name GET "${manifest}" name)
string(JSON port_version GET "${manifest}" version)
if(NOT port_name STREQUAL "modyn")
  fail("vcpkg.json names the port '${port_name}', not modyn")
endif()
if(NOT port_version STREQUAL VERSION)
  fail("vcpkg.json's version ${port_version} is not the project's ${VERSION}")
endif()
set(declared_features "")
string(JSON features_type ERROR_VARIABLE no_features TYPE "${manifest}" features)
if(NOT no_features)
  string(JSON n LENGTH "${manifest}" features)
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    string(JSON f MEMBER "${manifest}" features ${i})
    list(APPEND declared_features ${f})
  endforeach()
endif()
if(NOT FEATURE STREQUAL "core" AND NOT FEATURE IN_LIST declared_features)
  fail("not a feature of vcpkg.json (${declared_features})")
endif()

# What each feature installs: a component of modynConfig.cmake and its
# targets file, or (blas) the MODYN_BLAS recorded in modynDependencies.cmake.
set(component_io io)
set(targets_io modynIoTargets.cmake)
set(component_openmp OpenMP)
set(targets_openmp modynOpenMPTargets.cmake)
set(component_cuda CUDA)
set(targets_cuda modynCudaTargets.cmake)
foreach(f IN LISTS declared_features)
  if(NOT f STREQUAL "blas" AND NOT DEFINED component_${f})
    fail("vcpkg.json declares the feature '${f}', which this test does not know: add what it installs here")
  endif()
endforeach()

if(FEATURE STREQUAL "cuda" AND NOT CUDA_COMPILER)
  skip("no CUDA compiler in this build (MODYN_CUDA off or no nvcc)")
  return()
endif()
if(FEATURE STREQUAL "blas")
  if(NOT HAVE_OPENBLAS)
    skip("no OpenBLAS (Debian: libopenblas-openmp-dev)")
    return()
  endif()
endif()

# ---- the variables vcpkg gives a portfile -----------------------------------
set(PORT modyn)
set(TARGET_TRIPLET x64-linux)
set(VCPKG_TARGET_IS_LINUX ON)
set(CURRENT_PACKAGES_DIR "${WORK_DIR}/packages/${PORT}_${TARGET_TRIPLET}")
set(CURRENT_BUILDTREES_DIR "${WORK_DIR}/buildtrees/${PORT}")
set(CURRENT_INSTALLED_DIR "${WORK_DIR}/installed/${TARGET_TRIPLET}")
set(FEATURES core)
if(NOT FEATURE STREQUAL "core")
  list(APPEND FEATURES ${FEATURE})
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}")

# ---- the vcpkg helpers, with plain CMake ------------------------------------
# vcpkg_check_features: -D<option>=ON/OFF for each FEATURES pair, the inverse
# for INVERTED_FEATURES; a feature not in vcpkg.json is an error.
function(vcpkg_check_features)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "OUT_FEATURE_OPTIONS" "FEATURES;INVERTED_FEATURES")
  set(options "")
  foreach(kind FEATURES INVERTED_FEATURES)
    set(pairs ${arg_${kind}})
    list(LENGTH pairs n)
    math(EXPR odd "${n} % 2")
    if(odd)
      fail("vcpkg_check_features: ${kind} is not a list of feature/option pairs")
    endif()
    while(pairs)
      list(POP_FRONT pairs feature option)
      if(NOT feature IN_LIST declared_features)
        fail("vcpkg_check_features names '${feature}', not a feature of vcpkg.json")
      endif()
      set(enabled FALSE)
      if(feature IN_LIST FEATURES)
        set(enabled TRUE)
      endif()
      if(kind STREQUAL "INVERTED_FEATURES")
        if(enabled)
          set(enabled FALSE)
        else()
          set(enabled TRUE)
        endif()
      endif()
      if(enabled)
        list(APPEND options "-D${option}=ON")
      else()
        list(APPEND options "-D${option}=OFF")
      endif()
    endwhile()
  endforeach()
  set(${arg_OUT_FEATURE_OPTIONS} "${options}" PARENT_SCOPE)
endfunction()

# vcpkg_cmake_configure: the release configuration only (VCPKG_BUILD_TYPE),
# Ninja, the prefix CURRENT_PACKAGES_DIR. vcpkg reports the options the
# project did not use; here that is an error (the port and the project have
# drifted apart).
function(vcpkg_cmake_configure)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "SOURCE_PATH" "OPTIONS;OPTIONS_RELEASE;OPTIONS_DEBUG;MAYBE_UNUSED_VARIABLES")
  if(NOT VCPKG_BUILD_TYPE STREQUAL "release")
    fail("a header-only port sets VCPKG_BUILD_TYPE release")
  endif()
  set(extra "")
  if(CUDA_COMPILER)
    list(APPEND extra "-DCMAKE_CUDA_COMPILER=${CUDA_COMPILER}")
  endif()
  set(build "${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-rel")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${arg_SOURCE_PATH}" -B "${build}" -G "${GENERATOR}"
            -DCMAKE_BUILD_TYPE=Release "-DCMAKE_INSTALL_PREFIX=${CURRENT_PACKAGES_DIR}"
            "-DCMAKE_CXX_COMPILER=${CXX}" -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_BINDIR=bin ${extra}
            ${arg_OPTIONS} ${arg_OPTIONS_RELEASE}
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    fail("configure failed:\n${out}\n${err}")
  endif()
  # "Manually-specified variables were not used by the project:" then one name a line.
  string(FIND "${err}" "Manually-specified variables were not used" at)
  if(NOT at EQUAL -1)
    string(SUBSTRING "${err}" ${at} -1 unused)
    set(culprits "")
    foreach(option IN LISTS arg_OPTIONS arg_OPTIONS_RELEASE)
      string(REGEX REPLACE "^-D([^:=]+).*" "\\1" name "${option}")
      if(NOT name IN_LIST arg_MAYBE_UNUSED_VARIABLES AND unused MATCHES "\n    ${name}\n")
        list(APPEND culprits ${name})
      endif()
    endforeach()
    if(culprits)
      fail("the project does not use what the portfile passes: ${culprits}\n${err}")
    endif()
  endif()
  set(modyn_port_build "${build}" PARENT_SCOPE)
  set(modyn_port_configure_output "${out}" PARENT_SCOPE)
endfunction()

# vcpkg_cmake_install: builds the install target.
function(vcpkg_cmake_install)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${modyn_port_build}" --target install
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    fail("install failed:\n${out}\n${err}")
  endif()
endfunction()

# vcpkg_cmake_config_fixup: vcpkg moves CONFIG_PATH to share/<PACKAGE_NAME>
# and rewrites the relative paths of the moved files. This stand-in does not
# rewrite: it requires the project to install there directly.
function(vcpkg_cmake_config_fixup)
  cmake_parse_arguments(PARSE_ARGV 0 arg "DO_NOT_DELETE_PARENT_CONFIG_PATH;NO_PREFIX_CORRECTION" "PACKAGE_NAME;CONFIG_PATH;TOOLS_PATH" "")
  if(NOT arg_PACKAGE_NAME)
    set(arg_PACKAGE_NAME ${PORT})
  endif()
  if(NOT arg_CONFIG_PATH)
    set(arg_CONFIG_PATH share/${arg_PACKAGE_NAME})
  endif()
  if(NOT EXISTS "${CURRENT_PACKAGES_DIR}/${arg_CONFIG_PATH}/${arg_PACKAGE_NAME}Config.cmake")
    file(GLOB_RECURSE found RELATIVE "${CURRENT_PACKAGES_DIR}" "${CURRENT_PACKAGES_DIR}/*Config.cmake")
    fail("vcpkg_cmake_config_fixup: no ${arg_PACKAGE_NAME}Config.cmake in CONFIG_PATH ${arg_CONFIG_PATH} (installed: ${found})")
  endif()
  if(NOT arg_CONFIG_PATH STREQUAL "share/${arg_PACKAGE_NAME}")
    fail("vcpkg_cmake_config_fixup: this test does not emulate the move from ${arg_CONFIG_PATH} to share/${arg_PACKAGE_NAME}")
  endif()
endfunction()

# vcpkg_fixup_pkgconfig: vcpkg makes .pc files relocatable; here they must be already.
function(vcpkg_fixup_pkgconfig)
  file(GLOB pcs "${CURRENT_PACKAGES_DIR}/share/pkgconfig/*.pc" "${CURRENT_PACKAGES_DIR}/lib/pkgconfig/*.pc")
  foreach(pc IN LISTS pcs)
    file(STRINGS "${pc}" prefix REGEX "^prefix=")
    if(NOT prefix MATCHES [[^prefix=\${pcfiledir}]])
      fail("${pc}: the prefix is not relative to \${pcfiledir}: ${prefix}")
    endif()
  endforeach()
endfunction()

# vcpkg_install_copyright: the files, concatenated, as share/<port>/copyright.
function(vcpkg_install_copyright)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "COMMENT" "FILE_LIST")
  set(text "")
  foreach(f IN LISTS arg_FILE_LIST)
    if(NOT EXISTS "${f}")
      fail("vcpkg_install_copyright: ${f} does not exist")
    endif()
    file(READ "${f}" content)
    string(APPEND text "${content}")
  endforeach()
  file(WRITE "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright" "${text}")
endfunction()

include("${PORT_DIR}/portfile.cmake")

# ---- vcpkg's post-build checks, for a header-only port ----------------------
set(share "${CURRENT_PACKAGES_DIR}/share/modyn")
foreach(expected include/modyn/modyn.hpp share/modyn/modynConfig.cmake share/modyn/modynConfigVersion.cmake
        share/modyn/copyright share/modyn/usage)
  if(NOT EXISTS "${CURRENT_PACKAGES_DIR}/${expected}")
    fail("${expected} is not installed")
  endif()
endforeach()
foreach(forbidden debug lib bin share/cmake)
  if(EXISTS "${CURRENT_PACKAGES_DIR}/${forbidden}")
    fail("${forbidden}/ is installed (a header-only port installs include/ and share/)")
  endif()
endforeach()
file(GLOB_RECURSE installed "${CURRENT_PACKAGES_DIR}/share/*")
get_filename_component(source_dir "${PORT_DIR}/../.." ABSOLUTE)
foreach(f IN LISTS installed)
  file(READ "${f}" content)
  foreach(path "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}" "${source_dir}/")
    string(FIND "${content}" "${path}" at)
    if(NOT at EQUAL -1)
      fail("${f} holds the absolute path ${path}")
    endif()
  endforeach()
endforeach()

# The components installed are those of the features asked for, no more.
file(GLOB targets RELATIVE "${share}" "${share}/modyn*Targets.cmake")
set(expected_targets modynTargets.cmake)
set(components "")
foreach(f IN LISTS FEATURES)
  if(DEFINED targets_${f})
    list(APPEND expected_targets ${targets_${f}})
    list(APPEND components ${component_${f}})
  endif()
endforeach()
list(SORT targets)
list(SORT expected_targets)
if(NOT targets STREQUAL expected_targets)
  fail("the installed targets files are ${targets}, not ${expected_targets}")
endif()
file(STRINGS "${share}/modynDependencies.cmake" blas REGEX "^set\\(MODYN_BLAS ")
if(("blas" IN_LIST FEATURES) AND NOT blas MATCHES "OpenBLAS")
  fail("the blas feature installed ${blas}")
elseif(NOT ("blas" IN_LIST FEATURES) AND NOT blas MATCHES "\"OFF\"")
  fail("without the blas feature, modyn was installed with ${blas}")
endif()

# ---- a consumer: find_package(modyn CONFIG REQUIRED COMPONENTS ...) ---------
set(consumer "${WORK_DIR}/consumer")
set(extra "")
if(FEATURE STREQUAL "cuda")
  list(APPEND extra "-DCMAKE_CUDA_COMPILER=${CUDA_COMPILER}" -DCMAKE_CUDA_ARCHITECTURES=90)
endif()
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${CONSUMER_DIR}" -B "${consumer}" -G "${GENERATOR}"
          "-DCMAKE_CXX_COMPILER=${CXX}" -DCMAKE_CXX_FLAGS=-O0 "-DCMAKE_PREFIX_PATH=${CURRENT_PACKAGES_DIR}"
          -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON "-DMODYN_FEATURE=${FEATURE}" "-DMODYN_COMPONENTS=${components}"
          ${extra}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  fail("the consumer's configure failed:\n${out}\n${err}")
endif()
if(FEATURE STREQUAL "cuda")
  # nvcc over modyn's headers is slow, and there is no GPU to run on: the
  # component is found and its target defined (the consumer checks it), not compiled.
  message("vcpkg port, feature ${FEATURE}: ok (consumer configured, not compiled)")
  return()
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${consumer}" OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  fail("the consumer's build failed:\n${out}\n${err}")
endif()
execute_process(COMMAND "${consumer}/consumer" OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "consumer: ok")
  fail("the consumer failed (${rc}):\n${out}\n${err}")
endif()
string(STRIP "${out}" out)
message("vcpkg port, feature ${FEATURE}: ok (${out})")
