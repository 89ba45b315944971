# Conan 2 recipe of modyn, header-only: conan create packaging/conan --build=missing
# (-o modyn/*:io=True and so on for the optional components).
#
# The package holds the headers and the license, as `cmake --install` lays
# them out; package_info describes the CMake targets that modynConfig.cmake
# defines (modyn::modyn, modyn::native and the components io, openmp, cuda),
# for CMakeDeps. tests/packaging/conan_recipe.py runs export_sources and
# package over this checkout and compares them with an install.
import os

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"


class ModynConan(ConanFile):
    name = "modyn"
    version = "0.1.0"
    license = "Apache-2.0"
    description = "Header-only C++20 library of composable neural and dynamical modules"
    topics = ("neural-networks", "spiking-neural-networks", "dynamical-systems", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    # The components of modynConfig.cmake, and MODYN_BLAS=OpenBLAS: the
    # features of the vcpkg port (ports/modyn/vcpkg.json).
    options = {"io": [True, False], "openmp": [True, False], "cuda": [True, False], "blas": [True, False]}
    default_options = {"io": True, "openmp": False, "cuda": False, "blas": False}
    no_copy_source = True

    def export_sources(self):
        root = os.path.join(self.recipe_folder, "..", "..")
        copy(self, "include/*", root, self.export_sources_folder)
        copy(self, "LICENSE", root, self.export_sources_folder)

    def layout(self):
        basic_layout(self, src_folder=".")

    # The versions Debian 12 ships, which modyn is built and tested with.
    def requirements(self):
        self.requires("eigen/3.4.0")
        self.requires("xsimd/8.1.0")
        self.requires("xtl/0.7.2")  # xsimd 8.1.0's CMake target links xtl
        self.requires("random123/1.14.0")
        if self.options.io:
            self.requires("nlohmann_json/3.11.2")
        if self.options.blas:
            self.requires("openblas/0.3.21")

    def package_id(self):
        # The headers do not depend on settings or options: one package.
        self.info.clear()

    def validate(self):
        check_min_cppstd(self, 20)

    def build(self):
        pass

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        copy(self, "*", os.path.join(self.source_folder, "include"), os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "modyn")
        # The targets are the components'; the whole package gets another name.
        self.cpp_info.set_property("cmake_target_name", "modyn::modyn_all")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []

        core = self.cpp_info.components["core"]
        core.set_property("cmake_target_name", "modyn::modyn")
        core.bindirs = []
        core.libdirs = []
        core.requires = ["eigen::eigen", "xsimd::xsimd", "xtl::xtl", "random123::random123"]
        if self.options.blas:
            core.requires.append("openblas::openblas")
            core.defines = ["MODYN_USE_CBLAS=1"]

        # modyn::native: -march=native, opt-in (as in modynConfig.cmake).
        native = self.cpp_info.components["native"]
        native.set_property("cmake_target_name", "modyn::native")
        native.bindirs = []
        native.libdirs = []
        native.cxxflags = ["-march=native"]

        if self.options.io:
            io = self.cpp_info.components["io"]
            io.set_property("cmake_target_name", "modyn::io")
            io.bindirs = []
            io.libdirs = []
            io.requires = ["core", "nlohmann_json::nlohmann_json"]
        if self.options.openmp:
            openmp = self.cpp_info.components["openmp"]
            openmp.set_property("cmake_target_name", "modyn::openmp")
            openmp.bindirs = []
            openmp.libdirs = []
            openmp.requires = ["core"]
            openmp.defines = ["MODYN_WITH_OPENMP=1"]
            openmp.cxxflags = ["-fopenmp"]
            openmp.exelinkflags = ["-fopenmp"]
            openmp.sharedlinkflags = ["-fopenmp"]
        if self.options.cuda:
            # The CUDA toolkit is not a Conan package: the consumer enables
            # CUDA; modyn::cuda adds the definition and the libraries.
            cuda = self.cpp_info.components["cuda"]
            cuda.set_property("cmake_target_name", "modyn::cuda")
            cuda.bindirs = []
            cuda.libdirs = []
            cuda.requires = ["core"]
            cuda.defines = ["MODYN_WITH_CUDA=1"]
            cuda.system_libs = ["cudart", "cublas"]
