# FindmodynBLAS: the GEMM library chosen by MODYN_BLAS (libxsmm, oneDNN,
# OpenBLAS or BLIS, as Debian 12 packages them). Defines the imported target modyn::cblas
# (the name predates libxsmm: it is the GEMM library, whichever it is) and
# modynBLAS_DEFINITION, the macro that selects its path in cpu::gemm.
if(MODYN_BLAS STREQUAL "libxsmm")
  # Debian's libxsmm is static only and its pkg-config files do not link:
  # libxsmm plus libxsmmnoblas (its BLAS fallback left out: modyn falls back
  # to Eigen itself) does.
  find_path(modynBLAS_INCLUDE_DIR NAMES libxsmm.h)
  find_library(modynBLAS_LIBRARY NAMES xsmm)
  find_library(modynBLAS_NOBLAS_LIBRARY NAMES xsmmnoblas)
  set(modynBLAS_required modynBLAS_LIBRARY modynBLAS_NOBLAS_LIBRARY modynBLAS_INCLUDE_DIR)
  set(modynBLAS_DEFINITION MODYN_USE_LIBXSMM=1)
elseif(MODYN_BLAS STREQUAL "oneDNN")
  # Found directly: Debian's dnnl CMake config requires the OpenCL development
  # packages (its GPU runtime). Debian builds it on the OpenMP runtime, and
  # backend/detail/onednn.hpp calls omp_get_max_threads/omp_set_num_threads
  # to keep each product on the calling thread: libgomp, which libdnnl uses,
  # is linked too (its unversioned libgomp.so lives in GCC's private folder).
  find_path(modynBLAS_INCLUDE_DIR NAMES oneapi/dnnl/dnnl.h)
  find_library(modynBLAS_LIBRARY NAMES dnnl)
  find_library(modynBLAS_OPENMP_LIBRARY NAMES gomp libgomp.so.1)
  set(modynBLAS_required modynBLAS_LIBRARY modynBLAS_OPENMP_LIBRARY modynBLAS_INCLUDE_DIR)
  set(modynBLAS_DEFINITION MODYN_USE_DNNL=1)
elseif(MODYN_BLAS STREQUAL "OpenBLAS")
  find_library(modynBLAS_LIBRARY NAMES openblas)
  set(modynBLAS_required modynBLAS_LIBRARY)
  set(modynBLAS_DEFINITION MODYN_USE_CBLAS=1)
elseif(MODYN_BLAS STREQUAL "BLIS")
  # Debian's BLIS: the CBLAS interface is in its libblas.so (blis-openmp or blis-pthread).
  find_library(modynBLAS_LIBRARY NAMES blis-cblas blas PATH_SUFFIXES blis-openmp blis-pthread
               PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE} NO_DEFAULT_PATH)
  if(NOT modynBLAS_LIBRARY)
    find_library(modynBLAS_LIBRARY NAMES blis)
  endif()
  set(modynBLAS_required modynBLAS_LIBRARY)
  set(modynBLAS_DEFINITION MODYN_USE_CBLAS=1)
else()
  message(FATAL_ERROR "MODYN_BLAS must be AUTO, OFF, libxsmm, oneDNN, OpenBLAS or BLIS (got '${MODYN_BLAS}')")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(modynBLAS REQUIRED_VARS ${modynBLAS_required})
if(modynBLAS_FOUND AND NOT TARGET modyn::cblas)
  if(MODYN_BLAS STREQUAL "libxsmm")
    find_package(Threads REQUIRED)
    add_library(modyn::cblas INTERFACE IMPORTED)
    set_target_properties(modyn::cblas PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${modynBLAS_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${modynBLAS_LIBRARY};${modynBLAS_NOBLAS_LIBRARY};Threads::Threads;${CMAKE_DL_LIBS}")
  elseif(MODYN_BLAS STREQUAL "oneDNN")
    add_library(modyn::cblas INTERFACE IMPORTED)
    set_target_properties(modyn::cblas PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${modynBLAS_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${modynBLAS_LIBRARY};${modynBLAS_OPENMP_LIBRARY}")
  else()
    add_library(modyn::cblas UNKNOWN IMPORTED)
    set_target_properties(modyn::cblas PROPERTIES IMPORTED_LOCATION "${modynBLAS_LIBRARY}")
  endif()
  set_target_properties(modyn::cblas PROPERTIES INTERFACE_COMPILE_DEFINITIONS "${modynBLAS_DEFINITION}")
endif()
mark_as_advanced(modynBLAS_LIBRARY modynBLAS_NOBLAS_LIBRARY modynBLAS_OPENMP_LIBRARY modynBLAS_INCLUDE_DIR)
