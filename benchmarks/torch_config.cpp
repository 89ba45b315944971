// Prints how a libtorch runs here, for benchmarks/run_models and run_train:
// its version, build configuration (BLAS, MKL, oneDNN, CPU capability) and
// its threads after torch::set_num_threads(1), as the libtorch benchmarks set
// them (at::get_parallel_info: ATen's, OpenMP's omp_get_max_threads() and
// MKL's mkl_get_max_threads()). Exits 1 unless every thread count is 1.
#include <torch/torch.h>

#include <cstdio>
#include <regex>
#include <string>

int main() {
  torch::set_num_threads(1);
  const std::string parallel = at::get_parallel_info();
  std::printf("libtorch %s\n%s\n%s", TORCH_VERSION, at::show_config().c_str(), parallel.c_str());
  // Lines such as "at::get_num_threads() : 1", "omp_get_max_threads() : 1",
  // "mkl_get_max_threads() : 1"; hardware_concurrency is the machine's.
  const std::regex count(R"((\S*(num_threads|max_threads)\(\)) : (\d+))");
  bool one = true;
  for (std::sregex_iterator it(parallel.begin(), parallel.end(), count), end; it != end; ++it)
    one = one && (*it)[3] == "1";
  std::printf("torch_config: %s\n", one ? "one thread everywhere" : "!! some thread count is not 1");
  return one ? 0 : 1;
}
