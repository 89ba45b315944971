// A downstream program of find_package(modyn COMPONENTS io): a model saved as
// safetensors and loaded into another.
#include <cstdio>
#include <modyn/io/safetensors.hpp>
#include <modyn/modyn.hpp>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const modyn::nn::Dense saved(3, 2, {.seed = 1});
  modyn::io::save_states(saved, argv[1]);
  modyn::nn::Dense loaded(3, 2, {.seed = 2});
  modyn::io::load_states(loaded, argv[1]);
  const bool ok = loaded.state_dict() == saved.state_dict();
  std::printf("consumer: %s\n", ok ? "ok" : "wrong values");
  return ok ? 0 : 1;
}
