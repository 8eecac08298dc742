// Private bindings of the machine-limit measurements (nativedl/machine.h) for `python -m bench`.
#include "bindings.h"
#include "nativedl/machine.h"

namespace nd::py_bind {

void bind_machine(py::module_& m) {
  using namespace py::literals;
  m.def("_measure_fma_peak", [](double seconds, int threads) {
    py::gil_scoped_release release;
    return measure_fma_peak(seconds, threads);
  }, "seconds"_a = 0.5, "threads"_a = 1, "Float32 FMA peak of the active kernel set in GFLOP/s.");
  m.def("_measure_stream_bandwidth", [](int64_t array_bytes, int threads, int repeats) {
    StreamBandwidth bw;
    {
      py::gil_scoped_release release;
      bw = measure_stream_bandwidth(array_bytes, threads, repeats);
    }
    py::dict out;
    out["copy"] = bw.copy_gbs;
    out["triad"] = bw.triad_gbs;
    return out;
  }, "array_bytes"_a = int64_t(128) << 20, "threads"_a = 1, "repeats"_a = 5,
     "STREAM copy and triad bandwidth in GB/s: {'copy': ..., 'triad': ...}.");
  m.def("_measure_cuda_peak", [](int64_t array_bytes, int repeats) {
    CudaPeak peak;
    {
      py::gil_scoped_release release;
      peak = measure_cuda_peak(array_bytes, repeats);
    }
    py::dict out;
    out["fma_gflops"] = peak.fma_gflops;
    out["triad_gbs"] = peak.triad_gbs;
    return out;
  }, "array_bytes"_a = int64_t(256) << 20, "repeats"_a = 5,
     "The current CUDA device's float32 FMA peak (GFLOP/s) and triad bandwidth (GB/s): "
     "{'fma_gflops': ..., 'triad_gbs': ...}.");
}

}  // namespace nd::py_bind
