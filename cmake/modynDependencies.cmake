# The dependencies of modyn's headers, found the same way by the build tree
# and by an installed modynConfig.cmake (through find_dependency).
include(CMakeFindDependencyMacro)
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")
find_dependency(Eigen3 3.4 NO_MODULE)
# xsimd 8.1.0's exported target links `xtl` but its config never finds it.
find_dependency(xtl)
find_dependency(xsimd 8.1)
find_dependency(Random123)
