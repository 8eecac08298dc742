// Matrix products: checks, output allocation, the GEMM dispatch, and backward rules written
// with these same ops (so double backward works). matmul, mv, dot, einsum and tensordot are
// compositions of views with mm/bmm, so their gradients come from those pieces: a broadcast
// batch dim is an expand, whose backward is sum_to.
#include <algorithm>
#include <atomic>
#include <string>

#include "autograd/meta.h"
#include "core/shape.h"
#include "cpu/gemm.h"
#include "nativedl/nativedl.h"
#include "ops/iter.h"

namespace nd {

namespace {
std::atomic<bool> g_cuda_matmul_allow_tf32{false};
}  // namespace

void set_cuda_matmul_allow_tf32(bool allow) { g_cuda_matmul_allow_tf32.store(allow); }
bool cuda_matmul_allow_tf32() { return g_cuda_matmul_allow_tf32.load(); }

namespace cpu {

DispatchStub<GemmKernel> gemm_stub;
DispatchStub<GemmPackedBSizeKernel> gemm_packed_b_size_stub;
DispatchStub<GemmPackBKernel> gemm_pack_b_stub;
DispatchStub<GemmPrepackedKernel> gemm_prepacked_stub;

void gemm(const GemmArgs& args) { select(gemm_stub)(args); }

template <typename T>
static void blas_gemm(DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
                      const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  GemmArgs g;
  g.dtype = dtype;
  g.m = m, g.n = n, g.k = k, g.alpha = alpha, g.beta = beta;
  g.a = a, g.a_rs = trans_a ? 1 : lda, g.a_cs = trans_a ? lda : 1;
  g.b = b, g.b_rs = trans_b ? 1 : ldb, g.b_cs = trans_b ? ldb : 1;
  g.c = c, g.c_rs = ldc, g.c_cs = 1;
  gemm(g);
}

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  blas_gemm(DType::Float32, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
           int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  blas_gemm(DType::Float64, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace cpu

using autograd::record;

namespace {

void check_dim(const char* op, const char* arg, const Tensor& t, int64_t dim) {
  ND_CHECK(t.dim() == dim, ValueError, "[", op, "] ", arg, " must be a ", dim, "D tensor, got ", t.dim(),
           "D of shape ", shape_str(t.shape()));
}

// Both operands of a product: one dtype, and not bool (which has no products in PyTorch).
void check_dtypes(const char* op, const Tensor& a, const Tensor& b) {
  ND_CHECK(a.dtype() == b.dtype(), TypeError, "[", op, "] expected both operands to have the same dtype, got ",
           dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  ND_CHECK(a.dtype() != DType::Bool, TypeError, "[", op, "] is not implemented for bool tensors");
}

void check_inner(const char* op, const Tensor& a, const Tensor& b, int64_t ka, int64_t kb) {
  ND_CHECK(ka == kb, ValueError, "[", op, "] shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
           " cannot be multiplied: inner dimensions ", ka, " and ", kb, " differ");
}

// Integer products take integer alpha and beta, as in PyTorch.
void check_scalars(const char* op, DType dtype, Scalar beta, Scalar alpha) {
  ND_CHECK(is_floating(dtype) || (!beta.is_floating() && !alpha.is_floating()), TypeError, "[", op,
           "] beta and alpha must be integers for ", dtype_name(dtype), " inputs");
}

Tensor as_batched(const Tensor& t) { return t.dim() == 3 ? t : unsqueeze(t, 0); }

// out = beta * input + alpha * a @ b for a (B, m, k) and b (B, k, n) of any strides, allocated with
// out_shape ((B, m, n), or (m, n) when B == 1: a fresh tensor, never a view, so that in-place ops
// on a product stay differentiable); input is undefined or already broadcast to out_shape. No autograd.
Tensor gemm_forward(const Tensor& a, const Tensor& b, const Tensor& input, Scalar beta, Scalar alpha,
                    const Shape& out_shape) {
  const int64_t batch = a.size(0), m = a.size(1), k = a.size(2), n = b.size(2);
  const Device device = ops::common_device("matmul", {&a, &b, &input});
  Tensor out = empty(out_shape, TensorOptions(a.dtype()).with_device(device));
  const bool use_input = input.defined() && beta.to_double() != 0.0;
  if (use_input) copy_(out, input);
  cpu::GemmArgs g;
  g.dtype = a.dtype();
  g.batch = batch, g.m = m, g.n = n, g.k = k;
  g.alpha = alpha.to_double();
  g.beta = use_input ? beta.to_double() : 0.0;
  g.a = a.device_data_ptr(), g.a_bs = a.stride(0), g.a_rs = a.stride(1), g.a_cs = a.stride(2);
  g.b = b.device_data_ptr(), g.b_bs = b.stride(0), g.b_rs = b.stride(1), g.b_cs = b.stride(2);
  g.c = out.device_data_ptr(), g.c_bs = m * n, g.c_rs = n, g.c_cs = 1;
  g.allow_tf32 = cuda_matmul_allow_tf32();
  if (out.numel() > 0) ops::launch_on(device, "matmul", cpu::gemm_stub, g);
  return out;
}

Tensor scaled(const Tensor& t, Scalar s) { return s.to_double() == 1.0 ? t : mul(t, s); }

// beta * input + alpha * a @ b for 2-D (mm, addmm) or 3-D (bmm, baddbmm) operands already
// checked; input is undefined for mm/bmm. Records the backward:
//   grad_a = alpha * g @ b^T,  grad_b = alpha * a^T @ g,  grad_input = sum_to(beta * g).
Tensor product(const char* grad_name, const Tensor& input, const Tensor& a, const Tensor& b, Scalar beta,
               Scalar alpha) {
  const bool batched = a.dim() == 3;
  const Shape out_shape = batched ? Shape{a.size(0), a.size(1), b.size(2)} : Shape{a.size(0), b.size(1)};
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor in = input.defined() ? expand(input, out_shape) : Tensor();
    out = gemm_forward(as_batched(a), as_batched(b), in, beta, alpha, out_shape);
  }
  const TensorList inputs = input.defined() ? TensorList{a, b, input} : TensorList{a, b};
  if (!is_floating(out.dtype()) || !autograd::any_requires_grad(inputs)) return out;
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  const SavedTensor sa(need_b ? a : Tensor()), sb(need_a ? b : Tensor());
  const Shape in_shape = input.defined() ? input.shape() : Shape{};
  const bool has_input = input.defined();
  record(grad_name, inputs, {out}, [=](const TensorList& g) {
    auto prod = batched ? &bmm : &mm;
    TensorList grads(has_input ? 3 : 2);
    if (need_a) grads[0] = scaled(prod(g[0], mT(sb.unpack())), alpha);
    if (need_b) grads[1] = scaled(prod(mT(sa.unpack()), g[0]), alpha);
    if (has_input) grads[2] = sum_to(scaled(g[0], beta), in_shape);
    return grads;
  });
  return out;
}

void check_input_broadcasts(const char* op, const Tensor& input, const Shape& out_shape) {
  const int64_t lead = int64_t(out_shape.size()) - input.dim();
  bool ok = lead >= 0;
  for (int64_t d = 0; ok && d < input.dim(); ++d)
    ok = input.size(d) == 1 || input.size(d) == out_shape[size_t(lead + d)];
  ND_CHECK(ok, ValueError, "[", op, "] input of shape ", shape_str(input.shape()),
           " can't be broadcast to the product's shape ", shape_str(out_shape));
}

void check_mm(const char* op, const char* n1, const Tensor& a, const char* n2, const Tensor& b) {
  check_dim(op, n1, a, 2);
  check_dim(op, n2, b, 2);
  check_dtypes(op, a, b);
  check_inner(op, a, b, a.size(1), b.size(0));
}

void check_bmm(const char* op, const Tensor& a, const Tensor& b) {
  check_dim(op, "batch1", a, 3);
  check_dim(op, "batch2", b, 3);
  check_dtypes(op, a, b);
  ND_CHECK(a.size(0) == b.size(0), ValueError, "[", op, "] batch1 and batch2 must have the same batch size, got ",
           shape_str(a.shape()), " and ", shape_str(b.shape()));
  check_inner(op, a, b, a.size(2), b.size(1));
}

}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) {
  check_mm("mm", "mat1", a, "mat2", b);
  return product("MmBackward0", Tensor(), a, b, 0, 1);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_bmm("bmm", a, b);
  return product("BmmBackward0", Tensor(), a, b, 0, 1);
}

Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2, Scalar beta, Scalar alpha) {
  check_mm("addmm", "mat1", mat1, "mat2", mat2);
  check_dtypes("addmm", input, mat1);
  check_scalars("addmm", mat1.dtype(), beta, alpha);
  check_input_broadcasts("addmm", input, {mat1.size(0), mat2.size(1)});
  return product("AddmmBackward0", input, mat1, mat2, beta, alpha);
}

Tensor baddbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, Scalar beta, Scalar alpha) {
  check_bmm("baddbmm", batch1, batch2);
  check_dtypes("baddbmm", input, batch1);
  check_scalars("baddbmm", batch1.dtype(), beta, alpha);
  check_input_broadcasts("baddbmm", input, {batch1.size(0), batch1.size(1), batch2.size(2)});
  return product("BaddbmmBackward0", input, batch1, batch2, beta, alpha);
}

Tensor mv(const Tensor& mat, const Tensor& vec) {
  check_dim("mv", "mat", mat, 2);
  check_dim("mv", "vec", vec, 1);
  check_dtypes("mv", mat, vec);
  check_inner("mv", mat, vec, mat.size(1), vec.size(0));
  return squeeze(mm(mat, unsqueeze(vec, 1)), std::vector<int64_t>{1});
}

Tensor dot(const Tensor& a, const Tensor& b) {
  check_dim("dot", "input", a, 1);
  check_dim("dot", "tensor", b, 1);
  check_dtypes("dot", a, b);
  ND_CHECK(a.size(0) == b.size(0), ValueError, "[dot] input and tensor must have the same number of elements, got ",
           shape_str(a.shape()), " and ", shape_str(b.shape()));
  return reshape(mm(unsqueeze(a, 0), unsqueeze(b, 1)), {});
}

Tensor outer(const Tensor& a, const Tensor& b) {
  check_dim("outer", "input", a, 1);
  check_dim("outer", "vec2", b, 1);
  return mul(unsqueeze(a, 1), unsqueeze(b, 0));
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  const int64_t da = a.dim(), db = b.dim();
  ND_CHECK(da >= 1 && db >= 1, ValueError, "[matmul] both arguments need to be at least 1D, but they are ", da,
           "D and ", db, "D");
  check_dtypes("matmul", a, b);
  const int64_t k = a.size(-1);
  check_inner("matmul", a, b, k, db == 1 ? b.size(0) : b.size(-2));
  if (da == 1 && db == 1) return dot(a, b);
  if (da == 2 && db == 1) return mv(a, b);
  if (da == 1 && db == 2) return squeeze(mm(unsqueeze(a, 0), b), std::vector<int64_t>{0});
  if (da == 2 && db == 2) return mm(a, b);
  Shape out_shape;
  if (db <= 2) {
    // A batch of matrices times one matrix is one taller product: fold the batch into rows.
    out_shape.assign(a.shape().begin(), a.shape().end() - 1);
    if (db == 2) out_shape.push_back(b.size(1));
    const Tensor r = mm(reshape(a, {-1, k}), db == 2 ? b : unsqueeze(b, 1));
    return reshape(r, out_shape);
  }
  // Batched: vectors become 1-row / 1-column matrices, batch dims broadcast.
  const Tensor a3 = da == 1 ? unsqueeze(a, 0) : a;
  const Tensor b3 = b;
  const Shape batch = core::broadcast_shapes(Shape(a3.shape().begin(), a3.shape().end() - 2),
                                             Shape(b3.shape().begin(), b3.shape().end() - 2), "matmul");
  const int64_t m = a3.size(-2), n = b3.size(-1), nb = shape_numel(batch);
  Shape a_full = batch, b_full = batch;
  a_full.insert(a_full.end(), {m, k});
  b_full.insert(b_full.end(), {k, n});
  const Tensor r = bmm(reshape(expand(a3, a_full), {nb, m, k}), reshape(expand(b3, b_full), {nb, k, n}));
  out_shape = batch;
  if (da > 1) out_shape.push_back(m);
  out_shape.push_back(n);
  return reshape(r, out_shape);
}

// ---------------------------------------------------------------- tensordot

Tensor tensordot(const Tensor& a, const Tensor& b, const std::vector<int64_t>& dims_a,
                 const std::vector<int64_t>& dims_b) {
  ND_CHECK(dims_a.size() == dims_b.size(), ValueError, "[tensordot] both dim lists should have the same length, got ",
           core::ints_str(dims_a), " and ", core::ints_str(dims_b));
  check_dtypes("tensordot", a, b);
  std::vector<bool> con_a(size_t(a.dim()), false), con_b(size_t(b.dim()), false);
  std::vector<int64_t> perm_a, perm_b;
  int64_t kk = 1;
  for (size_t i = 0; i < dims_a.size(); ++i) {
    const int64_t da = core::wrap_dim(dims_a[i], a.dim(), "tensordot");
    const int64_t db = core::wrap_dim(dims_b[i], b.dim(), "tensordot");
    ND_CHECK(!con_a[size_t(da)] && !con_b[size_t(db)], ValueError, "[tensordot] a dim is listed twice in ",
             core::ints_str(dims_a), " / ", core::ints_str(dims_b));
    ND_CHECK(a.size(da) == b.size(db), ValueError, "[tensordot] contracted dimensions need to match, but a ",
             shape_str(a.shape()), " has size ", a.size(da), " in dim ", da, " and b ", shape_str(b.shape()),
             " has size ", b.size(db), " in dim ", db);
    con_a[size_t(da)] = con_b[size_t(db)] = true;
    kk *= a.size(da);
  }
  Shape out_shape;
  std::vector<int64_t> free_a, free_b;
  int64_t rows = 1, cols = 1;
  for (int64_t d = 0; d < a.dim(); ++d)
    if (!con_a[size_t(d)]) { free_a.push_back(d); out_shape.push_back(a.size(d)); rows *= a.size(d); }
  for (int64_t d = 0; d < b.dim(); ++d)
    if (!con_b[size_t(d)]) { free_b.push_back(d); out_shape.push_back(b.size(d)); cols *= b.size(d); }
  perm_a = free_a;
  for (int64_t d : dims_a) perm_a.push_back(core::wrap_dim(d, a.dim(), "tensordot"));
  for (int64_t d : dims_b) perm_b.push_back(core::wrap_dim(d, b.dim(), "tensordot"));
  perm_b.insert(perm_b.end(), free_b.begin(), free_b.end());
  const Tensor a2 = reshape(permute(a, perm_a), {rows, kk});
  const Tensor b2 = reshape(permute(b, perm_b), {kk, cols});
  return reshape(mm(a2, b2), out_shape);
}

Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims) {
  ND_CHECK(dims >= 0 && dims <= a.dim() && dims <= b.dim(), ValueError, "[tensordot] dims must be between 0 and ",
           std::min(a.dim(), b.dim()), " for shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()), ", got ", dims);
  std::vector<int64_t> da, db;
  for (int64_t i = 0; i < dims; ++i) {
    da.push_back(a.dim() - dims + i);
    db.push_back(i);
  }
  return tensordot(a, b, da, db);
}

}  // namespace nd
