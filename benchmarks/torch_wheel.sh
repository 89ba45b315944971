# Sourced by benchmarks/run_models and benchmarks/run_train: Debian's
# libtorch 1.13 on OpenBLAS, and the libtorch inside PyTorch's wheel from
# PyPI (a current libtorch on MKL and oneDNN).
#
#   debian_libtorch_install <script name>
#
# installs libtorch-dev and libopenblas0-openmp (without which libtorch runs
# the reference BLAS, 30x slower) when missing and run as root; otherwise
# says what is missing (the script then has no Debian libtorch column).
#
#   torch_wheel_build <root> <jobs> <target>...
#
# makes the virtual environment <root>/build/venv-torch when missing
# (python3 -m venv; pip install torch), configures <root>/build/bench-torchwheel
# with -DMODYN_TORCH_WHEEL=<its site-packages/torch> and builds the targets.
# Sets torch_wheel_bin (the folder of the binaries) and torch_wheel_version,
# and on an AMD CPU torch_wheel_mkl_preload: the library to LD_PRELOAD for a
# second run in which the wheel's MKL takes its AVX-512 kernels
# (benchmarks/mkl_intel_cpu.cpp; TORCH_WHEEL_MKL_INTEL=0 skips that run);
# returns 1, saying why, when the wheel cannot be used. WITH_TORCH_WHEEL=0
# skips it; TORCH_WHEEL_SPEC picks the wheel (default "torch": the newest on
# PyPI; e.g. "torch==2.9.1"), TORCH_WHEEL_SPEC=... with a new version replaces
# the installed one.
#
# PyPI serves no CPU-only wheel for Linux x86-64 (download.pytorch.org's
# /whl/cpu does, but PyPI is what these machines reach): its torch depends on
# CUDA's wheels (cuDNN, cuBLAS, NCCL, ...: gigabytes). It is installed with
# --no-deps, and only the two CUDA libraries libtorch_cpu.so itself loads
# (libcudart, libcupti: 55 MB, the versions the wheel pins), which its RPATH
# finds in the venv. The benchmarks link libtorch_cpu.so and libc10.so, never
# libtorch.so (which needs libtorch_cuda.so); see benchmarks/CMakeLists.txt.
debian_libtorch_install() {
  local who=$1 p missing=()
  for p in libtorch-dev libopenblas0-openmp; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  if [[ $(id -u) == 0 ]]; then
    echo "$who: installing ${missing[*]}" >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
      echo "!! $who: ${missing[*]} could not be installed: no Debian libtorch column" >&2
  else
    echo "!! $who: ${missing[*]} missing (apt-get install ${missing[*]} as root): no Debian libtorch column" >&2
  fi
}

torch_wheel_build() {
  local root=$1 jobs=$2
  shift 2
  local venv="$root/build/venv-torch" build="$root/build/bench-torchwheel" spec="${TORCH_WHEEL_SPEC:-torch}"
  torch_wheel_bin="$build/benchmarks"
  torch_wheel_version=
  torch_wheel_mkl_preload=
  if [[ "${WITH_TORCH_WHEEL:-1}" == 0 ]]; then
    echo "torch wheel: skipped (WITH_TORCH_WHEEL=0)" >&2
    return 1
  fi
  if [[ ! -x "$venv/bin/python" ]]; then
    echo "torch wheel: making $venv" >&2
    python3 -m venv "$venv" || { echo "!! torch wheel: python3 -m venv failed" >&2; return 1; }
  fi
  local site
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  local want=${spec#torch}
  want=${want#==}
  local have
  have=$("$venv/bin/python" -m pip show torch 2>/dev/null | sed -n 's/^Version: //p')
  if [[ -z $have || ! -e "$site/torch/lib/libtorch_cpu.so" || (-n $want && ${have%%+*} != "$want") ]]; then
    echo "torch wheel: pip install --no-deps $spec (about 540 MB)" >&2
    "$venv/bin/python" -m pip install -q --no-deps "$spec" >&2 ||
      { echo "!! torch wheel: pip install --no-deps $spec failed" >&2; return 1; }
  fi
  # The CUDA runtime pieces the wheel pins: cuda-toolkit[...]==X (torch >= 2.10)
  # or nvidia-cuda-runtime-cu12==X / nvidia-cuda-cupti-cu12==X (earlier).
  local meta deps
  meta=$(ls -d "$site"/torch-*.dist-info | head -n1)/METADATA
  deps=$(sed -n 's/^Requires-Dist: \([^;]*\);.*platform_system == "Linux".*/\1/p' "$meta" |
    sed -n -e 's/^cuda-toolkit\[[^]]*\]\(.*\)/cuda-toolkit[cudart,cupti]\1/p' \
      -e '/^nvidia-cuda-\(runtime\|cupti\)/p' | tr -d ' ')
  if [[ -n $deps ]] && ! "$venv/bin/python" -m pip install -q $deps >&2; then
    echo "!! torch wheel: pip install $deps failed (libtorch_cpu.so loads libcudart and libcupti)" >&2
    return 1
  fi
  torch_wheel_version=$("$venv/bin/python" -m pip show torch | sed -n 's/^Version: //p')
  if ! cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMODYN_BUILD_BENCHMARKS=ON \
    -DMODYN_BUILD_TESTS=OFF -DMODYN_BUILD_EXAMPLES=OFF -DMODYN_WERROR=ON -DMODYN_TORCH_WHEEL="$site/torch" \
    >/dev/null; then
    echo "!! torch wheel: configuring $build failed" >&2
    return 1
  fi
  if ! cmake --build "$build" --target help | grep -q "^$1:"; then
    echo "!! torch wheel: CMake made no $1 (see the warning above)" >&2
    return 1
  fi
  cmake --build "$build" -j "$jobs" --target "$@" modyn_mkl_intel_cpu ||
    { echo "!! torch wheel: the build failed" >&2; return 1; }
  if [[ "${TORCH_WHEEL_MKL_INTEL:-1}" != 0 ]] && grep -q -m1 AuthenticAMD /proc/cpuinfo; then
    torch_wheel_mkl_preload="$torch_wheel_bin/libmodyn_mkl_intel_cpu.so"
  fi
  # Its libraries load (libtorch_cpu's dependencies resolve), and one thread.
  if ! "$torch_wheel_bin/bench_torch_config_wheel" >"$build/torch_config.txt" 2>&1; then
    echo "!! torch wheel: bench_torch_config_wheel failed:" >&2
    tail -n 5 "$build/torch_config.txt" >&2
    return 1
  fi
}

# Prints the lines of bench_torch_config's output that say how it runs: the
# version, BLAS, MKL and oneDNN versions, the CPU capability, thread counts.
torch_config_summary() {  # torch_config_summary <label> <file>
  [[ -f $2 ]] || return 0
  echo "$1:"
  grep -E '^libtorch |Math Kernel|MKL-DNN|CPU capability|_threads\(\) :|torch_config:' "$2" | sed 's/^[[:space:]-]*/    /' | awk '!seen[$0]++'
  grep -o 'BLAS_INFO=[^,]*' "$2" | sed 's/^/    /'
}
