// Preloaded into the libtorch benchmarks of PyPI's torch wheel on AMD CPUs
// (benchmarks/run_models, run_train: the "wheel, MKL AVX-512" column). The
// wheel links Intel MKL statically into libtorch_cpu.so; MKL takes its
// AVX-512 kernels only where mkl_serv_intel_cpu_true() says the CPU is
// Intel's, and its AVX2 kernels on AMD ones even with AVX-512 (Zen 4, Zen 5).
// libtorch_cpu.so exports that function and calls it through the PLT, so
// LD_PRELOAD of this definition makes MKL dispatch on the CPU's features
// alone, as users of MKL on AMD machines do.
extern "C" int mkl_serv_intel_cpu_true() { return 1; }
