// Creation functions: constant fills, ranges and random draws.
#include <algorithm>
#include <cmath>

#include "core/parallel.h"
#include "core/philox.h"
#include "cuda/runtime.h"
#include "nativedl/nativedl.h"

namespace nd {

static void check_shape(const Shape& shape, const char* op) {
  for (int64_t d : shape)
    ND_CHECK(d >= 0, ValueError, "[", op, "] negative dimension ", d, " in shape ", shape_str(shape));
}

static Tensor finish(Tensor t, const TensorOptions& opt) {
  if (opt.requires_grad) t.set_requires_grad(true);
  return t;
}

Tensor empty(const Shape& shape, TensorOptions opt) {
  check_shape(shape, "empty");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = Storage::allocate(size_t(shape_numel(shape)) * element_size(opt.dtype), opt.device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = opt.dtype;
  return finish(Tensor(std::move(impl)), opt);
}

Tensor full(const Shape& shape, Scalar value, TensorOptions opt) {
  const bool rg = opt.requires_grad;
  Tensor t = empty(shape, opt.with_requires_grad(false));
  fill_(t, value);
  return finish(t, TensorOptions(opt).with_requires_grad(rg));
}
Tensor zeros(const Shape& shape, TensorOptions opt) { return full(shape, Scalar(0.0), opt); }
Tensor ones(const Shape& shape, TensorOptions opt) { return full(shape, Scalar(1.0), opt); }

Tensor scalar_tensor(Scalar value, DType dtype, bool wrapped) {
  Tensor t = full({}, value, dtype);
  t.impl()->is_wrapped_number = wrapped;
  return t;
}

static TensorOptions like(const Tensor& t) { return TensorOptions(t.dtype()).with_device(t.device()); }
Tensor empty_like(const Tensor& t) { return empty(t.shape(), like(t)); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), like(t)); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), like(t)); }
Tensor full_like(const Tensor& t, Scalar value) { return full(t.shape(), value, like(t)); }

// Values computed on the host; tensors for a CUDA device are copied there afterwards.
template <typename Fn> static Tensor generate(const Shape& shape, const TensorOptions& opt, Fn fn) {
  if (opt.device.type != DeviceType::CPU) {
    cuda::check_device(opt.device, "empty");
    Tensor host = generate(shape, TensorOptions(opt).with_device({}).with_requires_grad(false), fn);
    return finish(to_device(host, opt.device), opt);
  }
  Tensor t = empty(shape, TensorOptions(opt).with_requires_grad(false));
  const int64_t n = t.numel();
  switch (t.dtype()) {
    case DType::Float32: { float* p = t.data<float>(); core::parallel_for(0, n, 4096, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; ++i) p[i] = float(fn(i)); }); break; }
    case DType::Float64: { double* p = t.data<double>(); core::parallel_for(0, n, 4096, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; ++i) p[i] = fn(i); }); break; }
    case DType::Int64: { int64_t* p = t.data<int64_t>(); core::parallel_for(0, n, 4096, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; ++i) p[i] = int64_t(fn(i)); }); break; }
    case DType::Int32: { int32_t* p = t.data<int32_t>(); core::parallel_for(0, n, 4096, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; ++i) p[i] = int32_t(fn(i)); }); break; }
    case DType::UInt8: { uint8_t* p = t.data<uint8_t>(); core::parallel_for(0, n, 4096, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; ++i) p[i] = uint8_t(fn(i)); }); break; }
    case DType::Bool: { bool* p = t.data<bool>(); core::parallel_for(0, n, 4096, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; ++i) p[i] = fn(i) != 0; }); break; }
  }
  return finish(t, opt);
}

Tensor arange(Scalar start, Scalar end, Scalar step, TensorOptions opt) {
  const double s = start.to_double(), e = end.to_double(), st = step.to_double();
  ND_CHECK(st != 0, ValueError, "[arange] step must be nonzero");
  ND_CHECK((st > 0 && e >= s) || (st < 0 && e <= s), ValueError, "[arange] upper bound and larger bound "
           "inconsistent with step sign: start=", s, ", end=", e, ", step=", st);
  int64_t n;
  if (!start.is_floating() && !end.is_floating() && !step.is_floating()) {
    const int64_t a = start.to_int(), b = end.to_int(), c = step.to_int();
    n = c > 0 ? (b - a + c - 1) / c : (a - b - c - 1) / -c;
    return generate({n}, opt, [a, c](int64_t i) { return double(a + i * c); });
  }
  n = int64_t(std::ceil((e - s) / st));
  return generate({n}, opt, [s, st](int64_t i) { return s + double(i) * st; });
}

Tensor linspace(double start, double end, int64_t steps, TensorOptions opt) {
  ND_CHECK(steps >= 0, ValueError, "[linspace] number of steps must be non-negative, got ", steps);
  const double step = steps > 1 ? (end - start) / double(steps - 1) : 0.0;
  const int64_t half = std::max<int64_t>(steps / 2, 1);  // steps == 1 gives `start`, as PyTorch
  // Fill from both ends, as PyTorch, so the last value is exactly `end`.
  return generate({steps}, opt, [=](int64_t i) {
    return i < half ? start + step * double(i) : end - step * double(steps - 1 - i);
  });
}

Tensor eye(int64_t n, int64_t m, TensorOptions opt) {
  ND_CHECK(n >= 0 && m >= 0, ValueError, "[eye] n and m must be non-negative, got ", n, " and ", m);
  return generate({n, m}, opt, [m](int64_t i) { return i / m == i % m ? 1.0 : 0.0; });
}

// Draws for a CUDA device come from its own generator, as in PyTorch (nd.cuda.manual_seed).
static Generator& generator_for(Device device) {
  return device.type == DeviceType::CUDA ? cuda_generator() : default_generator();
}

// Element i of a draw uses counter (offset + i / 4) lane i % 4 (floats) so it does not
// depend on how the work is split across threads.
Tensor rand(const Shape& shape, TensorOptions opt, Generator* gen) {
  ND_CHECK(is_floating(opt.dtype), TypeError, "[rand] dtype must be floating, got ", dtype_name(opt.dtype));
  Generator& g = gen ? *gen : generator_for(opt.device);
  const uint64_t key = g.initial_seed(), base = g.advance(uint64_t(shape_numel(shape)) * 2);
  const bool dbl = opt.dtype == DType::Float64;
  if (opt.device.type == DeviceType::CUDA) {  // drawn on the device: the same numbers, no host copy
    Tensor t = empty(shape, TensorOptions(opt).with_requires_grad(false));
    if (t.numel() > 0) {
      cuda::DeviceScope scope(t.device());
      cuda::fill_uniform(t.device_data_ptr(), t.numel(), dbl, key, base);
    }
    return finish(t, opt);
  }
  return generate(shape, opt, [=](int64_t i) { return core::uniform_element(key, base, uint64_t(i), dbl); });
}

Tensor randn(const Shape& shape, TensorOptions opt, Generator* gen) {
  ND_CHECK(is_floating(opt.dtype), TypeError, "[randn] dtype must be floating, got ", dtype_name(opt.dtype));
  Generator& g = gen ? *gen : generator_for(opt.device);
  const uint64_t key = g.initial_seed(), base = g.advance(uint64_t(shape_numel(shape)) * 4);
  // Box-Muller on two 53-bit uniforms per element.
  return generate(shape, opt, [=](int64_t i) {
    core::Philox4x32 r(key, base / 4 + uint64_t(i));
    const double u1 = 1.0 - core::uniform_double(r.out[0], r.out[1]);  // (0, 1]
    const double u2 = core::uniform_double(r.out[2], r.out[3]);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  });
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions opt, Generator* gen) {
  ND_CHECK(high > low, ValueError, "[randint] expected low < high, got low=", low, ", high=", high);
  Generator& g = gen ? *gen : generator_for(opt.device);
  const uint64_t key = g.initial_seed(), base = g.advance(uint64_t(shape_numel(shape)) * 4);
  const uint64_t range = uint64_t(high - low);
  return generate(shape, opt, [=](int64_t i) {
    core::Philox4x32 r(key, base / 4 + uint64_t(i));
    const uint64_t x = (uint64_t(r.out[0]) << 32) | r.out[1];
    return double(low + int64_t(x % range));  // 64-bit draw: the modulo bias is below 2^-32
  });
}

Tensor randperm(int64_t n, TensorOptions opt, Generator* gen) {
  ND_CHECK(n >= 0, ValueError, "[randperm] n must be non-negative, got ", n);
  Generator& g = gen ? *gen : generator_for(opt.device);
  const uint64_t key = g.initial_seed(), base = g.advance(uint64_t(n) * 4);
  std::vector<int64_t> perm(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) perm[size_t(i)] = i;
  for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
    core::Philox4x32 r(key, base / 4 + uint64_t(i));
    const uint64_t x = (uint64_t(r.out[0]) << 32) | r.out[1];
    std::swap(perm[size_t(i)], perm[size_t(x % uint64_t(i + 1))]);
  }
  return to_device(to_dtype(from_vector(perm, {n}), opt.dtype), opt.device);
}

Generator& default_generator() {
  static Generator g;
  return g;
}
Generator& cuda_generator() {
  static Generator g;
  return g;
}
// Seeds the CPU and the CUDA generators, as torch.manual_seed does.
void manual_seed(uint64_t seed) {
  default_generator().manual_seed(seed);
  cuda_generator().manual_seed(seed);
}

template <typename T> Tensor from_vector(const std::vector<T>& data, const Shape& shape, bool requires_grad) {
  ND_CHECK(int64_t(data.size()) == shape_numel(shape), ValueError, "[tensor] ", data.size(),
           " values can't fill shape ", shape_str(shape));
  Tensor t = empty(shape, dtype_of<T>::value);
  std::copy(data.begin(), data.end(), t.data<T>());
  if (requires_grad) t.set_requires_grad(true);
  return t;
}
template Tensor from_vector(const std::vector<float>&, const Shape&, bool);
template Tensor from_vector(const std::vector<double>&, const Shape&, bool);
template Tensor from_vector(const std::vector<int64_t>&, const Shape&, bool);
template Tensor from_vector(const std::vector<int32_t>&, const Shape&, bool);
template Tensor from_vector(const std::vector<uint8_t>&, const Shape&, bool);

}  // namespace nd
