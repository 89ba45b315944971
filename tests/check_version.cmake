# Checks that the project's version is recorded where README.md's "Versions
# and compatibility" says it is:
#
#   cmake -DVERSION=<project version> -DCHANGELOG=<CHANGELOG.md> -P check_version.cmake
#       CHANGELOG.md has a section for VERSION ("## [VERSION]", optionally
#       followed by " - <date>" or " - Unreleased", or an "## [Unreleased]"
#       heading that names VERSION) holding at least one entry ("- ..."), so
#       that a version bump without a changelog entry fails.
#
#   cmake -DVERSION=<project version> -DVERSION_FILE=<modynConfigVersion.cmake> -P check_version.cmake
#       the package version file is VERSION's and, before 1.0, accepts
#       requests for the same major.minor only (SameMinorVersion); from 1.0
#       on, requests for the same major (SameMajorVersion).
if(NOT VERSION MATCHES "^([0-9]+)\\.([0-9]+)\\.([0-9]+)$")
  message(FATAL_ERROR "check_version.cmake: VERSION='${VERSION}' is not MAJOR.MINOR.PATCH")
endif()
set(major "${CMAKE_MATCH_1}")
set(minor "${CMAKE_MATCH_2}")

if(DEFINED CHANGELOG)
  if(NOT EXISTS "${CHANGELOG}")
    message(FATAL_ERROR "${CHANGELOG} does not exist")
  endif()
  # One string, not a list of lines: entries hold semicolons and brackets.
  file(READ "${CHANGELOG}" text)
  set(text "\n${text}\n## ")  # every heading follows a newline; the last section ends
  string(REPLACE "." "\\." version_re "${VERSION}")
  string(REGEX MATCH "\n## \\[${version_re}\\][^\n]*\n" heading "${text}")
  if(heading STREQUAL "")
    string(REGEX MATCH "\n## \\[Unreleased\\][^\n]*[^0-9.\n]${version_re}([^0-9.\n][^\n]*)?\n" heading "${text}")
  endif()
  if(heading STREQUAL "")
    message(FATAL_ERROR "${CHANGELOG} has no section for version ${VERSION}, the version of "
                        "project(modyn VERSION ...) in CMakeLists.txt: add \"## [${VERSION}] - Unreleased\" "
                        "(or rename the [Unreleased] section) with what the version changes")
  endif()
  string(FIND "${text}" "${heading}" start)
  string(LENGTH "${heading}" length)
  math(EXPR start "${start} + ${length}")
  string(SUBSTRING "${text}" ${start} -1 section)
  set(section "\n${section}")  # so that an entry on the section's first line follows a newline too
  string(FIND "${section}" "\n## " end)
  string(SUBSTRING "${section}" 0 ${end} section)
  if(NOT section MATCHES "\n[-*] ")
    string(STRIP "${heading}" heading)
    message(FATAL_ERROR "${CHANGELOG}: the section \"${heading}\" lists no entries")
  endif()
  string(STRIP "${heading}" heading)
  message(STATUS "CHANGELOG.md: \"${heading}\"")
endif()

if(DEFINED VERSION_FILE)
  if(NOT EXISTS "${VERSION_FILE}")
    message(FATAL_ERROR "${VERSION_FILE} does not exist")
  endif()
  # What find_package(modyn <request> CONFIG) would conclude from the file.
  function(modyn_check_request request expected)
    string(REPLACE "." ";" parts "${request}")
    list(LENGTH parts count)
    list(APPEND parts 0 0 0)
    list(GET parts 0 PACKAGE_FIND_VERSION_MAJOR)
    list(GET parts 1 PACKAGE_FIND_VERSION_MINOR)
    list(GET parts 2 PACKAGE_FIND_VERSION_PATCH)
    set(PACKAGE_FIND_VERSION "${request}")
    set(PACKAGE_FIND_VERSION_COUNT ${count})
    set(PACKAGE_FIND_NAME modyn)
    unset(PACKAGE_VERSION_COMPATIBLE)
    include("${VERSION_FILE}")
    if(NOT PACKAGE_VERSION STREQUAL VERSION)
      message(FATAL_ERROR "${VERSION_FILE} says version ${PACKAGE_VERSION}, the project is ${VERSION}")
    endif()
    if(PACKAGE_VERSION_COMPATIBLE)
      set(got TRUE)
    else()
      set(got FALSE)
    endif()
    if(NOT got STREQUAL expected)
      message(SEND_ERROR "find_package(modyn ${request}) against version ${VERSION}: "
                         "compatible is ${got}, the policy says ${expected}")
    endif()
  endfunction()

  modyn_check_request("${VERSION}" TRUE)
  modyn_check_request("${major}.${minor}" TRUE)
  math(EXPR next_major "${major} + 1")
  math(EXPR next_minor "${minor} + 1")
  modyn_check_request("${next_major}.0" FALSE)
  if(major EQUAL 0)
    modyn_check_request("0.${next_minor}" FALSE)  # a newer minor may break the API
    if(minor GREATER 0)
      math(EXPR previous_minor "${minor} - 1")
      modyn_check_request("0.${previous_minor}" FALSE)  # and so may this one, for 0.<minor - 1>'s users
    endif()
  else()
    modyn_check_request("${major}.0" TRUE)
    modyn_check_request("${major}.${next_minor}" FALSE)  # newer than what is installed
    math(EXPR previous_major "${major} - 1")
    modyn_check_request("${previous_major}.0" FALSE)
  endif()
  message(STATUS "${VERSION_FILE}: compatibility as the policy says")
endif()
