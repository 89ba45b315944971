#!/usr/bin/env python3
"""Runs the Conan 2 recipe's export_sources and package over this checkout,
without Conan (which these machines cannot install), and checks that the
package holds exactly the headers `cmake --install` installs, and the license.

    conan_recipe.py --recipe packaging/conan/conanfile.py --installed <prefix of a cmake --install>
                    --license LICENSE --version <project version> --vcpkg-manifest ports/modyn/vcpkg.json

The recipe is imported with a stand-in `conan` package in which copy() does
what Conan 2 documents (conan/tools/files/copy_pattern.py): walk src, match
each file's path relative to src with fnmatch (case-insensitive by default;
'*' crosses '/'), drop `excludes`, copy keeping the relative path unless
keep_path=False. Also checked: the version, package_type, package_id clearing,
and that the recipe's options are the vcpkg port's features.
"""
import argparse
import filecmp
import fnmatch
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import types


def conan_copy(conanfile, pattern, src, dst, keep_path=True, excludes=None, ignore_case=True, **_):
    assert not pattern.startswith(".."), "Conan 2 refuses patterns that start with '..'"
    src = os.path.normpath(src)
    dst = os.path.normpath(dst)
    if src == dst:
        return []
    excludes = [excludes] if isinstance(excludes, str) else list(excludes or [])
    if ignore_case:
        pattern = pattern.lower()
        excludes = [e.lower() for e in excludes]
    names = []
    for root, subfolders, files in os.walk(src, followlinks=True):
        if os.path.normpath(root) == dst:  # the destination is never a source
            subfolders[:] = []
            continue
        relative = os.path.relpath(root, src)
        compared = relative.lower() if ignore_case else relative
        if relative != "." and any(fnmatch.fnmatchcase(compared, e) for e in excludes):
            subfolders[:] = []
            continue
        names.extend(os.path.normpath(os.path.join(relative, f)) for f in files)
    key = (lambda n: n.lower()) if ignore_case else (lambda n: n)
    chosen = [n for n in names if fnmatch.fnmatchcase(key(n), pattern)
              and not any(fnmatch.fnmatchcase(key(n), e) for e in excludes)]
    copied = []
    for name in chosen:
        target = os.path.join(dst, name if keep_path else os.path.basename(name))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(src, name), target)
        copied.append(target)
    return copied


class Folders:
    def __init__(self):
        self.source = ""
        self.build = ""
        self.generators = ""


class Info:
    def __init__(self):
        self.cleared = False

    def clear(self):
        self.cleared = True


class ConanFile:
    def __init__(self):
        self.folders = Folders()
        self.info = Info()
        self.output = types.SimpleNamespace(info=print, warning=print)


def stand_in_conan():
    """The modules a recipe imports, with what this test needs of them."""
    def module(name, **attributes):
        m = types.ModuleType(name)
        m.__dict__.update(attributes)
        sys.modules[name] = m
        return m

    def basic_layout(conanfile, src_folder="."):
        conanfile.folders.source = src_folder

    def cmake_layout(conanfile, src_folder="."):
        conanfile.folders.source = src_folder

    def unused(*_, **__):
        raise AssertionError("not used by export_sources / package")

    module("conan", ConanFile=ConanFile)
    module("conan.errors", ConanInvalidConfiguration=Exception, ConanException=Exception)
    module("conan.tools")
    module("conan.tools.files", copy=conan_copy, get=unused, rmdir=unused, save=unused, load=unused)
    module("conan.tools.layout", basic_layout=basic_layout)
    module("conan.tools.build", check_min_cppstd=lambda *_: None, can_run=lambda *_: False)
    module("conan.tools.cmake", CMake=unused, CMakeToolchain=unused, CMakeDeps=unused, cmake_layout=cmake_layout)
    module("conan.tools.scm", Version=str)


def files_under(root):
    return sorted(os.path.relpath(os.path.join(r, f), root) for r, _, fs in os.walk(root) for f in fs)


def main():
    parser = argparse.ArgumentParser()
    for arg in ("--recipe", "--installed", "--license", "--version", "--vcpkg-manifest"):
        parser.add_argument(arg, required=True)
    args = parser.parse_args()

    stand_in_conan()
    spec = importlib.util.spec_from_file_location("modyn_conanfile", args.recipe)
    recipe_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe_module)
    classes = [c for c in vars(recipe_module).values()
               if isinstance(c, type) and issubclass(c, ConanFile) and c is not ConanFile]
    assert len(classes) == 1, f"one ConanFile class expected, found {classes}"
    recipe = classes[0]()

    errors = []
    if recipe.version != args.version:
        errors.append(f"the recipe's version {recipe.version} is not the project's {args.version}")
    if getattr(recipe, "package_type", None) != "header-library":
        errors.append("package_type is not header-library")
    recipe.package_id()
    if not recipe.info.cleared:
        errors.append("package_id does not clear the package id (one package for every configuration)")
    with open(args.vcpkg_manifest) as f:
        features = set(json.load(f).get("features", {}))
    if set(recipe.options) != features:
        errors.append(f"the recipe's options {sorted(recipe.options)} are not the vcpkg port's features {sorted(features)}")

    with tempfile.TemporaryDirectory() as scratch:
        # conan export: export_sources into the recipe's export_sources folder.
        recipe.recipe_folder = os.path.dirname(os.path.abspath(args.recipe))
        recipe.export_sources_folder = os.path.join(scratch, "export_source")
        os.makedirs(recipe.export_sources_folder)
        recipe.export_sources()
        # conan create: layout, then package from the source folder (no_copy_source).
        recipe.layout()
        recipe.source_folder = os.path.normpath(os.path.join(recipe.export_sources_folder, recipe.folders.source))
        recipe.build_folder = os.path.join(scratch, "build")
        recipe.package_folder = os.path.join(scratch, "package")
        os.makedirs(recipe.package_folder)
        recipe.package()

        packaged = files_under(recipe.package_folder)
        installed_include = os.path.join(args.installed, "include")
        expected = ["licenses/LICENSE"] + ["include/" + f for f in files_under(installed_include)]
        missing = sorted(set(expected) - set(packaged))
        extra = sorted(set(packaged) - set(expected))
        if missing:
            errors.append(f"{len(missing)} installed file(s) not packaged: {missing[:10]}")
        if extra:
            errors.append(f"{len(extra)} packaged file(s) not installed: {extra[:10]}")
        for f in sorted(set(expected) & set(packaged)):
            reference = args.license if f == "licenses/LICENSE" else os.path.join(args.installed, f)
            if not filecmp.cmp(os.path.join(recipe.package_folder, f), reference, shallow=False):
                errors.append(f"{f} differs from {reference}")
        count = len(packaged)

    if errors:
        print("conan recipe: " + "\nconan recipe: ".join(errors))
        return 1
    print(f"conan recipe: ok ({count} files: the installed headers and the license)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
