// The io feature: modyn::io (nlohmann_json), a safetensors file in memory and back.
#include <cstdio>
#include <modyn/io/safetensors.hpp>

int main() {
  modyn::StateDict saved;
  saved.insert_or_assign("w", modyn::Tensor<float>{{1, 2}, {3, 4}});
  const auto bytes = modyn::io::to_safetensors(saved);
  const modyn::StateDict loaded = modyn::io::from_safetensors(bytes).tensors;
  const bool ok = loaded.get<float>("w") == modyn::Tensor<float>{{1, 2}, {3, 4}};
  std::printf("consumer: %s\n", ok ? "ok" : "wrong values");
  return ok ? 0 : 1;
}
