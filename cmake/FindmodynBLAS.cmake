# FindmodynBLAS: the CBLAS library chosen by MODYN_BLAS (OpenBLAS or BLIS, as
# Debian 12 packages them). Defines the imported target modyn::cblas.
if(MODYN_BLAS STREQUAL "OpenBLAS")
  find_library(modynBLAS_LIBRARY NAMES openblas)
elseif(MODYN_BLAS STREQUAL "BLIS")
  # Debian's BLIS: the CBLAS interface is in its libblas.so (blis-openmp or blis-pthread).
  find_library(modynBLAS_LIBRARY NAMES blis-cblas blas PATH_SUFFIXES blis-openmp blis-pthread
               PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE} NO_DEFAULT_PATH)
  if(NOT modynBLAS_LIBRARY)
    find_library(modynBLAS_LIBRARY NAMES blis)
  endif()
else()
  message(FATAL_ERROR "MODYN_BLAS must be OFF, OpenBLAS or BLIS (got '${MODYN_BLAS}')")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(modynBLAS REQUIRED_VARS modynBLAS_LIBRARY)
if(modynBLAS_FOUND AND NOT TARGET modyn::cblas)
  add_library(modyn::cblas UNKNOWN IMPORTED)
  set_target_properties(modyn::cblas PROPERTIES IMPORTED_LOCATION "${modynBLAS_LIBRARY}")
endif()
mark_as_advanced(modynBLAS_LIBRARY)
