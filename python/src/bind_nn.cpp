// Pooling, normalization, resampling and dropout ops as nativedl.<op> (the numerics behind
// nativedl.nn.functional), with PyTorch's argument names. Sizes accept an int or a sequence.
#include "bindings.h"
#include "inplace.h"

namespace nd::py_bind {

namespace {

// None -> {}, an int -> {v}, a sequence of ints -> its values.
std::vector<int64_t> ints(py::handle h, const char* op, const char* arg) {
  if (h.is_none()) return {};
  if (PyLong_Check(h.ptr()) && !PyBool_Check(h.ptr())) return {h.cast<int64_t>()};
  std::vector<int64_t> v;
  try {
    for (py::handle e : h) v.push_back(py::cast<int64_t>(e));
  } catch (std::exception&) {
    throw TypeError(std::string("[") + op + "] " + arg + " must be an int or a sequence of ints, got " +
                    std::string(py::repr(h)));
  }
  return v;
}

std::vector<double> floats(py::handle h, const char* op, const char* arg) {
  if (h.is_none()) return {};
  if (PyFloat_Check(h.ptr()) || PyLong_Check(h.ptr())) return {h.cast<double>()};
  std::vector<double> v;
  try {
    for (py::handle e : h) v.push_back(py::cast<double>(e));
  } catch (std::exception&) {
    throw TypeError(std::string("[") + op + "] " + arg + " must be a number or a sequence of numbers, got " +
                    std::string(py::repr(h)));
  }
  return v;
}

Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor{}; }

}  // namespace

void bind_nn(py::module_& m, TensorClass& cls) {
  (void)cls;
  const auto none = py::none();
  using OptT = std::optional<Tensor>;

  // max_pool2d and its form returning the indices take the same arguments.
  auto def_max_pool2d = [&](const char* name, auto pool) {
    m.def(name, [pool](const Tensor& x, py::handle k, py::handle s, py::handle p, py::handle d, bool c) {
      const char* op = "max_pool2d";
      auto kk = ints(k, op, "kernel_size"), ss = ints(s, op, "stride"), pp = ints(p, op, "padding"),
           dd = ints(d, op, "dilation");
      py::gil_scoped_release release;
      return pool(x, kk, ss, pp, dd, c);
    }, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = none, py::arg("padding") = 0,
       py::arg("dilation") = 1, py::arg("ceil_mode") = false);
  };
  def_max_pool2d("max_pool2d_with_indices", [](auto&&... a) { return max_pool2d_with_indices(a...); });
  def_max_pool2d("max_pool2d", [](auto&&... a) { return max_pool2d(a...); });
  m.def("max_pool1d", [](const Tensor& x, int64_t k, std::optional<int64_t> s, int64_t p, int64_t d, bool c) {
    py::gil_scoped_release release;
    return max_pool1d(x, k, s, p, d, c);
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = none, py::arg("padding") = 0,
     py::arg("dilation") = 1, py::arg("ceil_mode") = false);
  m.def("max_pool1d_with_indices", [](const Tensor& x, int64_t k, std::optional<int64_t> s, int64_t p, int64_t d,
                                      bool c) {
    py::gil_scoped_release release;
    return max_pool1d_with_indices(x, k, s, p, d, c);
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = none, py::arg("padding") = 0,
     py::arg("dilation") = 1, py::arg("ceil_mode") = false);
  m.def("avg_pool2d", [](const Tensor& x, py::handle k, py::handle s, py::handle p, bool c, bool cip,
                         std::optional<int64_t> div) {
    const char* op = "avg_pool2d";
    auto kk = ints(k, op, "kernel_size"), ss = ints(s, op, "stride"), pp = ints(p, op, "padding");
    py::gil_scoped_release release;
    return avg_pool2d(x, kk, ss, pp, c, cip, div);
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = none, py::arg("padding") = 0,
     py::arg("ceil_mode") = false, py::arg("count_include_pad") = true, py::arg("divisor_override") = none);
  m.def("avg_pool1d", [](const Tensor& x, int64_t k, std::optional<int64_t> s, int64_t p, bool c, bool cip) {
    py::gil_scoped_release release;
    return avg_pool1d(x, k, s, p, c, cip);
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = none, py::arg("padding") = 0,
     py::arg("ceil_mode") = false, py::arg("count_include_pad") = true);
  m.def("adaptive_avg_pool2d", [](const Tensor& x, py::handle size) {
    auto s = ints(size, "adaptive_avg_pool2d", "output_size");
    py::gil_scoped_release release;
    return adaptive_avg_pool2d(x, s);
  }, py::arg("input"), py::arg("output_size"));
  m.def("adaptive_avg_pool1d", [](const Tensor& x, int64_t size) {
    py::gil_scoped_release release;
    return adaptive_avg_pool1d(x, size);
  }, py::arg("input"), py::arg("output_size"));
  m.def("adaptive_max_pool2d", [](const Tensor& x, py::handle size) {
    auto s = ints(size, "adaptive_max_pool2d", "output_size");
    py::gil_scoped_release release;
    return adaptive_max_pool2d(x, s);
  }, py::arg("input"), py::arg("output_size"));
  m.def("adaptive_max_pool1d", [](const Tensor& x, int64_t size) {
    py::gil_scoped_release release;
    return adaptive_max_pool1d(x, size);
  }, py::arg("input"), py::arg("output_size"));
  m.def("max_unpool2d", [](const Tensor& x, const Tensor& idx, py::handle size) {
    auto s = ints(size, "max_unpool2d", "output_size");
    py::gil_scoped_release release;
    return max_unpool2d(x, idx, s);
  }, py::arg("input"), py::arg("indices"), py::arg("output_size"));

  m.def("batch_norm", [](const Tensor& x, OptT w, OptT b, OptT rm, OptT rv, bool training, double momentum,
                         double eps) {
    py::gil_scoped_release release;
    return batch_norm(x, opt(w), opt(b), opt(rm), opt(rv), training, momentum, eps);
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("running_mean"), py::arg("running_var"),
     py::arg("training"), py::arg("momentum"), py::arg("eps"));
  m.def("instance_norm", [](const Tensor& x, OptT w, OptT b, OptT rm, OptT rv, bool use_input_stats,
                            double momentum, double eps) {
    py::gil_scoped_release release;
    return instance_norm(x, opt(rm), opt(rv), opt(w), opt(b), use_input_stats, momentum, eps);
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("running_mean"), py::arg("running_var"),
     py::arg("use_input_stats"), py::arg("momentum"), py::arg("eps"));
  m.def("layer_norm", [](const Tensor& x, py::handle shape, OptT w, OptT b, double eps) {
    auto s = ints(shape, "layer_norm", "normalized_shape");
    py::gil_scoped_release release;
    return layer_norm(x, s, opt(w), opt(b), eps);
  }, py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = none, py::arg("bias") = none,
     py::arg("eps") = 1e-5);
  m.def("group_norm", [](const Tensor& x, int64_t groups, OptT w, OptT b, double eps) {
    py::gil_scoped_release release;
    return group_norm(x, groups, opt(w), opt(b), eps);
  }, py::arg("input"), py::arg("num_groups"), py::arg("weight") = none, py::arg("bias") = none,
     py::arg("eps") = 1e-5);

  m.def("interpolate", [](const Tensor& x, py::handle size, py::handle scale, const std::string& mode,
                          std::optional<bool> align_corners) {
    auto s = ints(size, "interpolate", "size");
    auto f = floats(scale, "interpolate", "scale_factor");
    py::gil_scoped_release release;
    return interpolate(x, s, f, mode, align_corners);
  }, py::arg("input"), py::arg("size") = none, py::arg("scale_factor") = none, py::arg("mode") = "nearest",
     py::arg("align_corners") = none);
  m.def("pixel_shuffle", &pixel_shuffle, py::arg("input"), py::arg("upscale_factor"));
  m.def("pixel_unshuffle", &pixel_unshuffle, py::arg("input"), py::arg("downscale_factor"));
  m.def("channel_shuffle", &channel_shuffle, py::arg("input"), py::arg("groups"));

  m.def("dropout", &dropout, py::arg("input"), py::arg("p"), py::arg("train"));
  m.def("dropout_", [](py::object input, double p, bool train) {
    return return_self(input, [&](Tensor& x) { dropout_(x, p, train); });
  }, py::arg("input"),
        py::arg("p"), py::arg("train"));
  m.def("feature_dropout", &feature_dropout, py::arg("input"), py::arg("p"), py::arg("train"));
  m.def("alpha_dropout", &alpha_dropout, py::arg("input"), py::arg("p"), py::arg("train"));
  m.def("feature_alpha_dropout", &feature_alpha_dropout, py::arg("input"), py::arg("p"), py::arg("train"));
}

}  // namespace nd::py_bind
