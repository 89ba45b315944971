# Checks that every Catch2 test case of one test executable became a ctest
# test of its own. catch_discover_tests splits the executable's list of test
# names as a CMake list, in which an unbalanced "[" or "]" in a name joins it
# with every later name into one ctest entry that runs nothing; this test
# fails instead, naming the test case.
#
#   cmake -DEXECUTABLE=<test exe> -DPREFIX=<ctest name prefix> -DBUILD_DIR=<dir>
#         -DCTEST=<ctest> -P check_discovery.cmake
execute_process(COMMAND "${EXECUTABLE}" --list-test-names-only OUTPUT_VARIABLE names RESULT_VARIABLE listed)
if(listed LESS 0)
  message(FATAL_ERROR "${EXECUTABLE} --list-test-names-only failed: ${listed}")
endif()
# Count and scan lines without making the names a CMake list.
set(expected 0)
while(NOT names STREQUAL "")
  string(FIND "${names}" "\n" end)
  if(end EQUAL -1)
    set(name "${names}")
    set(names "")
  else()
    string(SUBSTRING "${names}" 0 ${end} name)
    math(EXPR next "${end} + 1")
    string(SUBSTRING "${names}" ${next} -1 names)
  endif()
  if(name STREQUAL "")
    continue()
  endif()
  math(EXPR expected "${expected} + 1")
  string(REGEX REPLACE "[^[]" "" opening "${name}")  # counted as string lengths: a CMake list
  string(REGEX REPLACE "[^]]" "" closing "${name}")  # would itself nest on the brackets
  string(LENGTH "${opening}" opening)
  string(LENGTH "${closing}" closing)
  if(NOT opening EQUAL closing OR name MATCHES ";")
    message(SEND_ERROR "test case \"${name}\": an unbalanced [ or ], or a semicolon, in its name: "
                       "catch_discover_tests would merge it with the test cases after it, or split it in two")
  endif()
endwhile()

execute_process(COMMAND "${CTEST}" --test-dir "${BUILD_DIR}" -N -R "^${PREFIX}" OUTPUT_VARIABLE listing
                RESULT_VARIABLE listed)
if(NOT listed EQUAL 0 OR NOT listing MATCHES "Total Tests: ([0-9]+)")
  message(FATAL_ERROR "ctest -N -R ^${PREFIX} failed: ${listing}")
endif()
if(NOT CMAKE_MATCH_1 EQUAL expected)
  message(FATAL_ERROR "${EXECUTABLE} has ${expected} test cases, but ctest has ${CMAKE_MATCH_1} tests "
                      "named ${PREFIX}...: some test cases were merged or lost at discovery")
endif()
message(STATUS "${expected} test cases, ${CMAKE_MATCH_1} ctest tests")
