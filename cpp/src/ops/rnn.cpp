// Recurrent cells and sequence layers: checks, the GEMMs, the C++ time loop forward and
// backward (BPTT), autograd records (Note [Recurrent step layout] in cpu/rnn_kernels.h).
//
// Note [Recurrent sequence backward]
// A layer's forward keeps, per time step, the activated gates, the state h_t (and c_t, and
// the LSTM projection input r_t). Its backward walks time in reverse; the gradient buffer G
// (T, B, P) starts as the output gradient (0 at padded steps) and each step adds its
// gradient w.r.t. the previous state into G's previous slot (one GEMM with W_hh plus the
// kernel's direct part), so G[t] is complete when step t is reached. Weight gradients are
// then whole-sequence GEMMs: dW_ih = dGi^T X, dX = dGi W_ih, dW_hh from dGh and the states
// shifted by one step, dW_hr = G^T R. The node's backward is not made of ops, so it is
// first-order: under create_graph it raises; the cells are differentiable to any order.
#include <cstring>

#include "autograd/meta.h"
#include "core/shape.h"
#include "cpu/gemm.h"
#include "cpu/rnn_kernels.h"
#include "nativedl/nativedl.h"
#include "ops/iter.h"

namespace nd {

namespace cpu {
DispatchStub<RnnForwardKernel> rnn_forward_stub;
DispatchStub<RnnBackwardKernel> rnn_backward_stub;
}  // namespace cpu

using autograd::record;
using cpu::RnnMode;

namespace {

const char* mode_name(RnnMode m) {
  switch (m) {
    case RnnMode::Tanh: return "rnn_tanh";
    case RnnMode::Relu: return "rnn_relu";
    case RnnMode::Lstm: return "lstm";
    case RnnMode::Gru: return "gru";
  }
  return "rnn";
}

RnnMode parse_mode(const std::string& s) {
  if (s == "RNN_TANH") return RnnMode::Tanh;
  if (s == "RNN_RELU") return RnnMode::Relu;
  if (s == "LSTM") return RnnMode::Lstm;
  if (s == "GRU") return RnnMode::Gru;
  throw ValueError("[rnn] mode must be 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU', got '" + s + "'");
}

// Element `elems` of a contiguous tensor's buffer, in its device's memory (the sequence loop
// below hands these to the kernels of that device only).
void* at(const Tensor& t, int64_t elems) {
  return static_cast<char*>(t.device_data_ptr()) + elems * int64_t(t.element_size());
}

// c = op(a) op(b) (+ c when accumulate) on row-major raw buffers of `device`.
void gemm(Device device, DType dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
          const void* b, int64_t ldb, bool accumulate, void* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (device.type == DeviceType::CUDA) {
    cpu::GemmArgs g;
    g.dtype = dt, g.m = m, g.n = n, g.k = k, g.alpha = 1.0, g.beta = accumulate ? 1.0 : 0.0;
    g.a = a, g.a_rs = ta ? 1 : lda, g.a_cs = ta ? lda : 1;
    g.b = b, g.b_rs = tb ? 1 : ldb, g.b_cs = tb ? ldb : 1;
    g.c = c, g.c_rs = ldc, g.c_cs = 1;
    g.allow_tf32 = cuda_matmul_allow_tf32();
    ops::launch_on(device, "rnn", cpu::gemm_stub, g);
  } else if (dt == DType::Float32)
    cpu::sgemm(ta, tb, m, n, k, 1.0f, static_cast<const float*>(a), lda, static_cast<const float*>(b), ldb,
               accumulate ? 1.0f : 0.0f, static_cast<float*>(c), ldc);
  else
    cpu::dgemm(ta, tb, m, n, k, 1.0, static_cast<const double*>(a), lda, static_cast<const double*>(b), ldb,
               accumulate ? 1.0 : 0.0, static_cast<double*>(c), ldc);
}

// The B operand op(B) (k x n) of a sequence's per-step products, which reuse it T times. On
// the CPU it is packed once (Note [Prepacked B] in cpu/kernels/gemm.cpp); the CUDA GEMM reads
// the weight in place.
struct StepB {
  Device device;
  DType dtype;
  bool tb;
  int64_t k, n, ldb;
  const void* b;
  Tensor packed;  // CPU only
};

StepB step_b(Device device, DType dt, bool tb, int64_t k, int64_t n, const void* b, int64_t ldb) {
  StepB s{device, dt, tb, k, n, ldb, b, Tensor{}};
  if (device.type == DeviceType::CUDA) return s;
  s.packed = empty({cpu::select(cpu::gemm_packed_b_size_stub)(dt, k, n)}, dt);
  cpu::PackBArgs p;
  p.dtype = dt, p.k = k, p.n = n, p.b = b, p.b_rs = tb ? 1 : ldb, p.b_cs = tb ? ldb : 1, p.out = s.packed.data_ptr();
  cpu::select(cpu::gemm_pack_b_stub)(p);
  return s;
}

// c (m x w.n) = a (row-major, m x w.k) op(B) (+ c when accumulate).
void step_gemm(const StepB& w, int64_t m, const void* a, int64_t lda, bool accumulate, void* c, int64_t ldc) {
  if (m == 0 || w.n == 0) return;
  if (!w.packed.defined()) return gemm(w.device, w.dtype, false, w.tb, m, w.n, w.k, a, lda, w.b, w.ldb, accumulate,
                                       c, ldc);
  cpu::GemmArgs g;
  g.dtype = w.dtype, g.m = m, g.n = w.n, g.k = w.k, g.alpha = 1.0, g.beta = accumulate ? 1.0 : 0.0;
  g.a = a, g.a_rs = lda, g.a_cs = 1, g.b = w.packed.data_ptr(), g.c = c, g.c_rs = ldc, g.c_cs = 1;
  cpu::select(cpu::gemm_prepacked_stub)(g);
}

// The sequence lengths as the gate kernels read them: in the memory of the layer's device.
const int64_t* lengths_ptr(const Tensor& lengths) {
  return lengths.defined() ? static_cast<const int64_t*>(lengths.device_data_ptr()) : nullptr;
}

Tensor opt_contiguous(const Tensor& t) { return t.defined() ? contiguous(t) : t; }

// x W^T + b through ops (the cells: autograd differentiates the projections).
Tensor project(const Tensor& x, const Tensor& w, const Tensor& b) {
  return b.defined() ? addmm(b, x, t(w)) : mm(x, t(w));
}

// ---------------------------------------------------------------- cells

// The gate math as ops, for double backward (the cells' backward under create_graph).
TensorList composed_gates(RnnMode mode, const Tensor& gi, const Tensor& gh, const Tensor& hx, const Tensor& cx) {
  switch (mode) {
    case RnnMode::Tanh: return {tanh(gi + gh)};
    case RnnMode::Relu: return {relu(gi + gh)};
    case RnnMode::Lstm: {
      const TensorList g = chunk(gi + gh, 4, 1);
      const Tensor c = sigmoid(g[1]) * cx + sigmoid(g[0]) * tanh(g[2]);
      return {sigmoid(g[3]) * tanh(c), c};
    }
    case RnnMode::Gru: {
      const TensorList a = chunk(gi, 3, 1), b = chunk(gh, 3, 1);
      const Tensor r = sigmoid(a[0] + b[0]), z = sigmoid(a[1] + b[1]), n = tanh(a[2] + r * b[2]);
      return {n + z * (hx - n)};
    }
  }
  return {};
}

// The fused gate op of one cell step: inputs gi, gh (B, G*H) and hx (GRU), cx (LSTM) (B, H);
// returns {h'} or {h', c'}.
TensorList cell_gates(RnnMode mode, const Tensor& gi, const Tensor& gh, const Tensor& hx, const Tensor& cx) {
  const bool lstm = mode == RnnMode::Lstm, gru = mode == RnnMode::Gru;
  const int64_t B = gi.shape()[0], H = gi.shape()[1] / cpu::rnn_gate_count(mode);
  const DType dt = gi.dtype();
  const std::string op = std::string(mode_name(mode)) + "_cell";
  const Device device = ops::common_device(op.c_str(), {&gi, &gh, &hx, &cx});
  const TensorOptions opts = TensorOptions(dt).with_device(device);
  Tensor h = empty({B, H}, opts), c = lstm ? empty({B, H}, opts) : Tensor{};
  Tensor gates = (lstm || gru) ? empty({B, 4 * H}, opts) : Tensor{};
  cpu::RnnStepArgs a{mode, dt, B, H, H, false, nullptr, 0};
  if (B > 0 && H > 0)
    ops::launch_on(device, op.c_str(), cpu::rnn_forward_stub, a, gi.device_data_ptr(), gh.device_data_ptr(),
                   gru ? hx.device_data_ptr() : nullptr, lstm ? cx.device_data_ptr() : nullptr,
                   gates.defined() ? gates.device_data_ptr() : nullptr, h.device_data_ptr(),
                   lstm ? c.device_data_ptr() : nullptr, nullptr);
  TensorList outs = lstm ? TensorList{h, c} : TensorList{h};
  const Tensor hx_in = gru ? hx : Tensor{}, cx_in = lstm ? cx : Tensor{};
  SavedTensor sgi(gi), sgh(gh), shx(hx_in), scx(cx_in), sh(h, 0), sc(c, 1);
  std::string name = std::string(mode_name(mode)) + "_cellBackward0";
  record(name.c_str(), {gi, gh, hx_in, cx_in}, outs, [=](const TensorList& g) -> TensorList {
    const Tensor gi_s = sgi.unpack(), gh_s = sgh.unpack();
    const Tensor hx_s = shx.defined() ? shx.unpack() : Tensor{}, cx_s = scx.defined() ? scx.unpack() : Tensor{};
    if (grad_mode_enabled()) {  // create_graph: through the ops, differentiable again
      TensorList ins, all{gi_s, gh_s, hx_s, cx_s};
      std::vector<size_t> pos;
      for (size_t k = 0; k < all.size(); ++k)
        if (all[k].defined() && all[k].requires_grad()) { ins.push_back(all[k]); pos.push_back(k); }
      TensorList res(4);
      if (ins.empty()) return res;
      const TensorList gr = autograd::grad(composed_gates(mode, gi_s, gh_s, hx_s, cx_s), ins, g, true, true, true);
      for (size_t k = 0; k < pos.size(); ++k) res[pos[k]] = gr[k];
      return res;
    }
    const Tensor dh = contiguous(g[0]);
    Tensor dc = lstm ? clone(contiguous(g[1])) : Tensor{};
    Tensor dgi = empty({B, cpu::rnn_gate_count(mode) * H}, opts), dgh = gru ? empty(dgi.shape(), opts) : dgi;
    Tensor dhx = gru ? zeros({B, H}, opts) : Tensor{};
    const Tensor hn = sh.unpack(), cn = sc.defined() ? sc.unpack() : Tensor{};
    auto ptr = [](const Tensor& t) { return t.defined() ? t.device_data_ptr() : nullptr; };
    if (B > 0 && H > 0)
      ops::launch_on(device, op.c_str(), cpu::rnn_backward_stub, a, ptr(gates), gru ? ptr(hx_s) : nullptr,
                     lstm ? ptr(cx_s) : nullptr, ptr(hn), lstm ? ptr(cn) : nullptr, ptr(dh), ptr(dh),
                     lstm ? ptr(dc) : nullptr, ptr(dgi), gru ? ptr(dgh) : nullptr, gru ? ptr(dhx) : nullptr);
    return {dgi, dgh, dhx, dc};
  });
  return outs;
}

void check_float(const Tensor& t, DType dt, const char* op, const char* arg) {
  ND_CHECK(is_floating(t.dtype()), TypeError, "[", op, "] ", arg, " must be floating point, got ",
           dtype_name(t.dtype()));
  ND_CHECK(t.dtype() == dt, TypeError, "[", op, "] ", arg, " has dtype ", dtype_name(t.dtype()),
           " but input has dtype ", dtype_name(dt));
}

void check_shape(const Tensor& t, const Shape& want, const char* op, const char* arg, const std::string& ctx) {
  ND_CHECK(t.shape() == want, ValueError, "[", op, "] expected ", arg, " of shape ", shape_str(want), ", got ",
           shape_str(t.shape()), ctx);
}

TensorList cell(RnnMode mode, const Tensor& input, const Tensor& hx_in, const Tensor& cx_in, const Tensor& w_ih,
                const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  const std::string op_s = std::string(mode_name(mode)) + "_cell";
  const char* op = op_s.c_str();
  const bool lstm = mode == RnnMode::Lstm;
  ND_CHECK(input.dim() == 1 || input.dim() == 2, ValueError, "[", op,
           "] expected input of shape (batch, input_size) or (input_size), got ", shape_str(input.shape()));
  check_float(input, input.dtype(), op, "input");
  const DType dt = input.dtype();
  const bool unbatched = input.dim() == 1;
  const Tensor x = unbatched ? unsqueeze(input, 0) : input;
  const int64_t G = cpu::rnn_gate_count(mode), B = x.shape()[0], I = x.shape()[1];
  ND_CHECK(w_ih.dim() == 2 && w_ih.shape()[0] % G == 0, ValueError, "[", op, "] weight_ih must be (", G,
           "*hidden_size, input_size), got ", shape_str(w_ih.shape()));
  const int64_t H = w_ih.shape()[0] / G;
  ND_CHECK(w_ih.shape()[1] == I, ValueError, "[", op, "] input ", shape_str(input.shape()), " has ", I,
           " features in its last dim but weight_ih ", shape_str(w_ih.shape()), " expects input_size=", w_ih.shape()[1]);
  check_float(w_ih, dt, op, "weight_ih");
  check_float(w_hh, dt, op, "weight_hh");
  check_shape(w_hh, {G * H, H}, op, "weight_hh", "");
  for (const auto& [b, name] : {std::pair{b_ih, "bias_ih"}, std::pair{b_hh, "bias_hh"}})
    if (b.defined()) { check_float(b, dt, op, name); check_shape(b, {G * H}, op, name, ""); }
  const Shape state = unbatched ? Shape{H} : Shape{B, H};
  const std::string ctx = " (input " + shape_str(input.shape()) + ", hidden_size=" + std::to_string(H) + ")";
  if (hx_in.defined()) { check_float(hx_in, dt, op, "hx"); check_shape(hx_in, state, op, "hx", ctx); }
  if (cx_in.defined()) { check_float(cx_in, dt, op, "cx"); check_shape(cx_in, state, op, "cx", ctx); }
  const TensorOptions on_x = TensorOptions(dt).with_device(x.device());
  auto batched = [&](const Tensor& s) {
    return s.defined() ? contiguous(unbatched ? unsqueeze(s, 0) : s) : zeros({B, H}, on_x);
  };
  const Tensor hx = batched(hx_in), cx = lstm ? batched(cx_in) : Tensor{};
  const Tensor gi = contiguous(project(x, w_ih, b_ih)), gh = contiguous(project(hx, w_hh, b_hh));
  TensorList outs = cell_gates(mode, gi, gh, hx, cx);
  if (unbatched)
    for (auto& o : outs) o = squeeze(o, std::vector<int64_t>{0});
  return outs;
}

// ---------------------------------------------------------------- sequences

// One layer in one direction over (T, B, I).
struct Layer {
  RnnMode mode;
  int64_t T, B, I, H, P, G;
  bool reverse, proj;
  int64_t time(int64_t step) const { return reverse ? T - 1 - step : step; }
  int64_t prev(int64_t t) const { return reverse ? t + 1 : t - 1; }
  int64_t GH() const { return G * H; }
  int64_t GS() const { return mode == RnnMode::Gru ? 4 * H : G * H; }  // saved gate row
};

struct Weights {
  Tensor w_ih, w_hh, b_ih, b_hh, w_hr;
};

// Which of the backward's whole-sequence GEMMs are wanted: those of inputs that required
// grad when the forward was recorded (a classifier's data or a frozen weight gets none).
struct Needs {
  bool dx, dw_ih, dw_hh, db, dw_hr;
};

// Forward workspace kept for the backward.
struct Saved {
  Tensor gates, hs, cs, rs;  // (T, B, GS), (T, B, P) states, (T, B, H) cells, (T, B, H) LSTM r
};

TensorList layer_backward(const Layer& L, const TensorList& g, const Tensor& x, const Tensor& h0, const Tensor& c0,
                          const Weights& w, const Saved& sv, const Tensor& lengths, const Needs& need) {
  const bool lstm = L.mode == RnnMode::Lstm, gru = L.mode == RnnMode::Gru;
  const int64_t T = L.T, B = L.B, H = L.H, P = L.P, GH = L.GH(), GS = L.GS(), TB = T * B;
  const DType dt = x.dtype();
  const Device dev = x.device();
  const TensorOptions opts = TensorOptions(dt).with_device(dev);
  // G: the gradient w.r.t. each step's state (Note [Recurrent sequence backward]).
  Tensor G = empty({T, B, P}, opts);
  if (lengths.defined()) {
    const Tensor steps = arange(0, T, 1, TensorOptions(DType::Int64).with_device(dev));
    const Tensor valid = lt(unsqueeze(steps, 1), unsqueeze(lengths, 0));
    copy_(G, where(unsqueeze(valid, 2), g[0], zeros({}, dt)));
  } else {
    copy_(G, g[0]);
  }
  Tensor last = select(G, 0, L.time(T - 1));
  add_(last, g[1]);
  Tensor dc = lstm ? clone(contiguous(g[2])) : Tensor{};
  Tensor dgi = empty({T, B, GH}, opts), dgh = gru ? empty({T, B, GH}, opts) : dgi;
  Tensor dh0 = zeros({B, P}, opts), dr = L.proj ? empty({B, H}, opts) : Tensor{};
  cpu::RnnStepArgs a{L.mode, dt, B, H, P, L.proj, lengths_ptr(lengths), 0};
  const StepB w_hh_p = step_b(dev, dt, false, GH, P, at(w.w_hh, 0), P);
  const StepB w_hr_p = L.proj ? step_b(dev, dt, false, P, H, at(w.w_hr, 0), H) : StepB{};
  for (int64_t s = T - 1; s >= 0; --s) {
    const int64_t t = L.time(s), tp = L.prev(t);
    void* dstate = at(G, t * B * P);
    if (L.proj) step_gemm(w_hr_p, B, dstate, P, false, at(dr, 0), H);
    const void* hp = s == 0 ? at(h0, 0) : at(sv.hs, tp * B * P);
    const void* cp = !lstm ? nullptr : s == 0 ? at(c0, 0) : at(sv.cs, tp * B * H);
    void* dprev = s == 0 ? at(dh0, 0) : at(G, tp * B * P);
    a.t = t;
    if (B > 0 && H > 0)
      ops::launch_on(dev, mode_name(L.mode), cpu::rnn_backward_stub, a,
                     sv.gates.defined() ? at(sv.gates, t * B * GS) : nullptr, hp, cp, at(sv.hs, t * B * P),
                     lstm ? at(sv.cs, t * B * H) : nullptr, L.proj ? at(dr, 0) : dstate, dstate,
                     lstm ? at(dc, 0) : nullptr, at(dgi, t * B * GH), gru ? at(dgh, t * B * GH) : nullptr, dprev);
    step_gemm(w_hh_p, B, at(dgh, t * B * GH), GH, true, dprev, P);
  }
  Tensor dx, dw_ih, dw_hh, dw_hr;
  if (need.dx) {
    dx = empty({T, B, L.I}, opts);
    gemm(dev, dt, false, false, TB, L.I, GH, at(dgi, 0), GH, at(w.w_ih, 0), L.I, false, at(dx, 0), L.I);
  }
  if (need.dw_ih) {
    dw_ih = empty({GH, L.I}, opts);
    gemm(dev, dt, true, false, GH, L.I, TB, at(dgi, 0), GH, at(x, 0), L.I, false, at(dw_ih, 0), L.I);
  }
  if (need.dw_hh) {
    // dW_hh = sum_t dGh[t]^T h_prev(t): the first step's h_prev is h0, the others are states.
    dw_hh = empty({GH, P}, opts);
    gemm(dev, dt, true, false, GH, P, B, at(dgh, L.time(0) * B * GH), GH, at(h0, 0), P, false, at(dw_hh, 0), P);
    gemm(dev, dt, true, false, GH, P, (T - 1) * B, at(dgh, (L.reverse ? 0 : 1) * B * GH), GH,
         at(sv.hs, (L.reverse ? 1 : 0) * B * P), P, true, at(dw_hh, 0), P);
  }
  if (L.proj && need.dw_hr) {
    dw_hr = empty({P, H}, opts);
    gemm(dev, dt, true, false, P, H, TB, at(G, 0), P, at(sv.rs, 0), H, false, at(dw_hr, 0), H);
  }
  Tensor db_ih, db_hh;
  if (w.b_ih.defined() && need.db) {
    db_ih = sum(reshape(dgi, {TB, GH}), {0});
    db_hh = gru ? sum(reshape(dgh, {TB, GH}), {0}) : db_ih;
  }
  return {dx, dh0, dc, dw_ih, dw_hh, db_ih, db_hh, dw_hr};
}

// The projected state h_t (B, P) of step t: rows past their length (lengths[b] <= t) keep
// h_prev and output 0, the others output h_t into y_t. Row copies on the CPU; on a GPU the same
// selection as device ops.
void freeze_projected(Tensor h_t, const Tensor& h_prev, Tensor y_t, const Tensor& lengths, int64_t t) {
  if (h_t.is_cuda()) {
    if (!lengths.defined()) {
      copy_(y_t, h_t);
      return;
    }
    const Tensor live = unsqueeze(gt(lengths, Scalar(t)), 1);
    copy_(h_t, where(live, h_t, h_prev));
    copy_(y_t, where(live, h_t, zeros({}, h_t.dtype())));
    return;
  }
  const int64_t B = h_t.shape()[0];
  const size_t row = size_t(h_t.shape()[1]) * h_t.element_size();
  char* h = static_cast<char*>(h_t.data_ptr());
  char* y = static_cast<char*>(y_t.data_ptr());
  const char* hp = static_cast<const char*>(h_prev.data_ptr());
  const int64_t* len = lengths.defined() ? lengths.data<int64_t>() : nullptr;
  for (int64_t b = 0; b < B; ++b) {
    if (len != nullptr && len[b] <= t) {
      std::memcpy(h + b * row, hp + b * row, row);
      std::memset(y + b * row, 0, row);
    } else {
      std::memcpy(y + b * row, h + b * row, row);
    }
  }
}

// Runs one layer and direction over x (T, B, I); returns {output (T, B, P), h_n, c_n}.
TensorList layer_forward(const Layer& L, const Tensor& x, const Tensor& h0, const Tensor& c0, const Weights& w,
                         const Tensor& lengths) {
  const bool lstm = L.mode == RnnMode::Lstm, gru = L.mode == RnnMode::Gru;
  const int64_t T = L.T, B = L.B, H = L.H, P = L.P, GH = L.GH(), GS = L.GS(), TB = T * B;
  const DType dt = x.dtype();
  const Device dev = x.device();
  const TensorOptions opts = TensorOptions(dt).with_device(dev);
  Saved sv;
  Tensor out = empty({T, B, P}, opts), hn, cn;
  {
    NoGradGuard no_grad;
    // All time steps' input projections in one GEMM. The gate kernel adds the biases: b_hh
    // folds into b_ih except for the GRU, whose n block of the hidden projection is scaled by r.
    // Except for the GRU, each step's hidden projection then accumulates onto its slot of gi
    // (the GEMM fetches it while it multiplies), and the LSTM's activated gates overwrite it
    // there: the gate kernel reads and writes one cache-hot block per step.
    Tensor gi = empty({T, B, GH}, opts);
    const Tensor bias_i = !w.b_ih.defined() ? Tensor{} : gru ? w.b_ih : contiguous(w.b_ih + w.b_hh);
    const Tensor bias_h = gru && w.b_hh.defined() ? w.b_hh : Tensor{};
    gemm(dev, dt, false, true, TB, GH, L.I, at(x, 0), L.I, at(w.w_ih, 0), L.I, false, at(gi, 0), GH);
    sv.gates = gru ? empty({T, B, GS}, opts) : lstm ? gi : Tensor{};
    sv.hs = empty({T, B, P}, opts);
    sv.cs = lstm ? empty({T, B, H}, opts) : Tensor{};
    sv.rs = L.proj ? empty({T, B, H}, opts) : Tensor{};
    Tensor gh = gru ? empty({B, GH}, opts) : Tensor{};
    const StepB w_hh_p = step_b(dev, dt, true, P, GH, at(w.w_hh, 0), P);
    const StepB w_hr_p = L.proj ? step_b(dev, dt, true, H, P, at(w.w_hr, 0), H) : StepB{};
    cpu::RnnStepArgs a{L.mode, dt, B, H, P, L.proj, lengths_ptr(lengths), 0,
                       bias_i.defined() ? at(bias_i, 0) : nullptr, bias_h.defined() ? at(bias_h, 0) : nullptr};
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = L.time(s), tp = L.prev(t);
      const void* hp = s == 0 ? at(h0, 0) : at(sv.hs, tp * B * P);
      const void* cp = !lstm ? nullptr : s == 0 ? at(c0, 0) : at(sv.cs, tp * B * H);
      void* gi_t = at(gi, t * B * GH);
      step_gemm(w_hh_p, B, hp, P, !gru, gru ? at(gh, 0) : gi_t, GH);
      a.t = t;
      void* hs_t = at(sv.hs, t * B * P);
      void* out_t = at(out, t * B * P);
      if (B > 0 && H > 0)
        ops::launch_on(dev, mode_name(L.mode), cpu::rnn_forward_stub, a, gi_t, gru ? at(gh, 0) : nullptr, hp, cp,
                       sv.gates.defined() ? at(sv.gates, t * B * GS) : nullptr, L.proj ? at(sv.rs, t * B * H) : hs_t,
                       lstm ? at(sv.cs, t * B * H) : nullptr, L.proj ? nullptr : out_t);
      if (L.proj) {  // h_t = r_t W_hr^T; frozen rows keep their state and output 0
        step_gemm(w_hr_p, B, at(sv.rs, t * B * H), H, false, hs_t, P);
        freeze_projected(select(sv.hs, 0, t), s == 0 ? h0 : select(sv.hs, 0, tp), select(out, 0, t), lengths, t);
      }
    }
    const int64_t t_last = L.time(T - 1);
    hn = clone(select(sv.hs, 0, t_last));
    cn = lstm ? clone(select(sv.cs, 0, t_last)) : Tensor{};
  }
  TensorList outs = lstm ? TensorList{out, hn, cn} : TensorList{out, hn};
  SavedTensor sx(x), sh0(h0), sc0(c0), swi(w.w_ih), swh(w.w_hh), swr(w.w_hr);
  const Weights wb{Tensor{}, Tensor{}, w.b_ih, w.b_hh, Tensor{}};
  auto wants = [](const Tensor& t) { return t.defined() && t.requires_grad(); };
  const Needs need{wants(x), wants(w.w_ih), wants(w.w_hh), wants(w.b_ih) || wants(w.b_hh), wants(w.w_hr)};
  std::string name = std::string(mode_name(L.mode)) + "Backward0";
  record(name.c_str(), {x, h0, c0, w.w_ih, w.w_hh, w.b_ih, w.b_hh, w.w_hr}, outs,
         [=](const TensorList& g) -> TensorList {
    ND_CHECK(!grad_mode_enabled(), Error, "[", mode_name(L.mode),
             "] backward with create_graph=True through a whole sequence is not supported (its BPTT is "
             "first-order); use the cells (", mode_name(L.mode), "_cell) for higher-order gradients");
    const Weights ws{swi.unpack(), swh.unpack(), wb.b_ih, wb.b_hh, swr.defined() ? swr.unpack() : Tensor{}};
    const Tensor gn_c = g.size() > 2 ? g[2] : Tensor{};
    return layer_backward(L, {g[0], g[1], gn_c}, sx.unpack(), sh0.unpack(), sc0.defined() ? sc0.unpack() : Tensor{},
                          ws, sv, lengths, need);
  });
  return outs;
}

// Shape checks of the whole-sequence op; messages name the argument, its dim and the layout.
struct SeqDims {
  int64_t T, B, I, H, P, G, D, L;
};

std::string layout(bool unbatched, bool batch_first) {
  return unbatched ? "(seq_len, input_size)" : batch_first ? "(batch, seq_len, input_size)" : "(seq_len, batch, input_size)";
}

void check_state(const Tensor& s, const char* arg, const Shape& want, const Tensor& input, bool unbatched,
                 bool batch_first, DType dt, const char* op) {
  if (!s.defined()) return;
  check_float(s, dt, op, arg);
  if (s.shape() == want) return;
  const std::string where = "input " + shape_str(input.shape()) + " read as " + layout(unbatched, batch_first);
  if (!unbatched && s.dim() == 3 && s.shape()[0] == want[0] && s.shape()[2] == want[2]) {
    const int64_t bdim = batch_first ? 0 : 1, tdim = 1 - bdim;
    std::string hint;
    if (s.shape()[1] == input.shape()[tdim])
      hint = std::string("; dim ") + std::to_string(tdim) + " of the input has that size: did you mean batch_first=" +
             (batch_first ? "False" : "True") + "?";
    throw ValueError(std::string("[") + op + "] " + arg + " " + shape_str(s.shape()) + " has batch size " +
                     std::to_string(s.shape()[1]) + " in dim 1, but the batch size is " + std::to_string(want[1]) +
                     " (dim " + std::to_string(bdim) + " of the " + where + ", batch_first=" +
                     (batch_first ? "True" : "False") + ")" + hint);
  }
  throw ValueError(std::string("[") + op + "] expected " + arg + " of shape " + shape_str(want) + " for the " + where +
                   ", got " + shape_str(s.shape()));
}

}  // namespace

Tensor rnn_tanh_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                     const Tensor& b_hh) {
  return cell(RnnMode::Tanh, input, hx, {}, w_ih, w_hh, b_ih, b_hh)[0];
}

Tensor rnn_relu_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                     const Tensor& b_hh) {
  return cell(RnnMode::Relu, input, hx, {}, w_ih, w_hh, b_ih, b_hh)[0];
}

std::vector<Tensor> lstm_cell(const Tensor& input, const Tensor& hx, const Tensor& cx, const Tensor& w_ih,
                              const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  return cell(RnnMode::Lstm, input, hx, cx, w_ih, w_hh, b_ih, b_hh);
}

Tensor gru_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                const Tensor& b_hh) {
  return cell(RnnMode::Gru, input, hx, {}, w_ih, w_hh, b_ih, b_hh)[0];
}

std::vector<Tensor> rnn(const std::string& mode_s, const Tensor& input, const std::vector<Tensor>& hx,
                        const std::vector<Tensor>& params, bool has_biases, int64_t num_layers, double dropout_p,
                        bool train, bool bidirectional, bool batch_first, int64_t proj_size, const Tensor& lengths) {
  const RnnMode mode = parse_mode(mode_s);
  const char* op = mode_name(mode);
  const bool lstm = mode == RnnMode::Lstm;
  ND_CHECK(input.dim() == 2 || input.dim() == 3, ValueError, "[", op, "] expected a 3-d (batched) or 2-d (unbatched) ",
           "input, got shape ", shape_str(input.shape()));
  check_float(input, input.dtype(), op, "input");
  const DType dt = input.dtype();
  ND_CHECK(num_layers >= 1, ValueError, "[", op, "] num_layers must be >= 1, got ", num_layers);
  ND_CHECK(proj_size >= 0 && (proj_size == 0 || lstm), ValueError, "[", op,
           "] proj_size must be >= 0 and is only supported by LSTM, got ", proj_size);
  ND_CHECK(dropout_p >= 0 && dropout_p <= 1, ValueError, "[", op, "] dropout must be in [0, 1], got ", dropout_p);
  const bool unbatched = input.dim() == 2;
  const Tensor x0 = unbatched ? unsqueeze(input, 1) : batch_first ? transpose(input, 0, 1) : input;
  SeqDims d{};
  d.T = x0.shape()[0];
  d.B = x0.shape()[1];
  d.I = x0.shape()[2];
  d.G = cpu::rnn_gate_count(mode);
  d.D = bidirectional ? 2 : 1;
  d.L = num_layers;
  const size_t per = 2 + (has_biases ? 2 : 0) + (proj_size > 0 ? 1 : 0);
  ND_CHECK(params.size() == per * size_t(d.L * d.D), ValueError, "[", op, "] expected ", per * size_t(d.L * d.D),
           " parameter tensors for num_layers=", d.L, ", bidirectional=", bidirectional ? "True" : "False",
           ", bias=", has_biases ? "True" : "False", ", proj_size=", proj_size, ", got ", params.size());
  ND_CHECK(params[0].dim() == 2 && params[0].shape()[0] % d.G == 0, ValueError, "[", op, "] weight_ih_l0 must be (",
           d.G, "*hidden_size, input_size), got ", shape_str(params[0].shape()));
  d.H = params[0].shape()[0] / d.G;
  d.P = proj_size > 0 ? proj_size : d.H;
  ND_CHECK(d.I == params[0].shape()[1], ValueError, "[", op, "] input.size(-1) must be equal to input_size: input ",
           shape_str(input.shape()), " read as ", layout(unbatched, batch_first), " has ", d.I,
           " features in its last dim, but weight_ih_l0 expects input_size=", params[0].shape()[1]);
  ND_CHECK(d.T > 0, ValueError, "[", op, "] input ", shape_str(input.shape()), " has no time steps");
  const int64_t LD = d.L * d.D;
  const Tensor h0 = hx.size() > 0 ? hx[0] : Tensor{}, c0 = hx.size() > 1 ? hx[1] : Tensor{};
  ND_CHECK(hx.size() <= (lstm ? 2u : 1u), ValueError, "[", op, "] expected at most ", lstm ? 2 : 1,
           " initial state tensors, got ", hx.size());
  check_state(h0, "h0", unbatched ? Shape{LD, d.P} : Shape{LD, d.B, d.P}, input, unbatched, batch_first, dt, op);
  check_state(c0, "c0", unbatched ? Shape{LD, d.H} : Shape{LD, d.B, d.H}, input, unbatched, batch_first, dt, op);
  // The weights and states live where the input does; the lengths may be anywhere (PyTorch
  // keeps them on the CPU) and move to the input's device for the gate kernels.
  for (const Tensor& p : params) ops::common_device(op, {&input, &p});
  const Device dev = ops::common_device(op, {&input, &h0, &c0});
  const TensorOptions opts = TensorOptions(dt).with_device(dev);
  Tensor len;
  if (lengths.defined()) {
    ND_CHECK(lengths.dtype() == DType::Int64 && lengths.dim() == 1 && lengths.shape()[0] == d.B, ValueError, "[", op,
             "] lengths must be an int64 tensor of shape (", d.B, "), got ", dtype_name(lengths.dtype()), " ",
             shape_str(lengths.shape()));
    const Tensor host = contiguous(to_device(lengths, Device{}));
    const int64_t* l = host.data<int64_t>();
    for (int64_t b = 0; b < d.B; ++b)
      ND_CHECK(l[b] >= 0 && l[b] <= d.T, ValueError, "[", op, "] lengths[", b, "]=", l[b],
               " is outside [0, ", d.T, "] (the sequence length)");
    len = to_device(host, dev);
  }
  const Tensor h0b = h0.defined() && unbatched ? unsqueeze(h0, 1) : h0;
  const Tensor c0b = c0.defined() && unbatched ? unsqueeze(c0, 1) : c0;
  Tensor layer_in = contiguous(x0);
  TensorList hns, cns;
  for (int64_t l = 0; l < d.L; ++l) {
    TensorList outs_dir;
    for (int64_t dir = 0; dir < d.D; ++dir) {
      const int64_t idx = l * d.D + dir;
      const Tensor* p = params.data() + size_t(idx) * per;
      Weights w{contiguous(p[0]), contiguous(p[1]), has_biases ? contiguous(p[2]) : Tensor{},
                has_biases ? contiguous(p[3]) : Tensor{}, proj_size > 0 ? contiguous(p[per - 1]) : Tensor{}};
      const int64_t in_size = layer_in.shape()[2];
      const std::string sfx = std::to_string(l) + (dir ? "_reverse" : "");
      check_float(w.w_ih, dt, op, ("weight_ih_l" + sfx).c_str());
      check_shape(w.w_ih, {d.G * d.H, in_size}, op, ("weight_ih_l" + sfx).c_str(), "");
      check_float(w.w_hh, dt, op, ("weight_hh_l" + sfx).c_str());
      check_shape(w.w_hh, {d.G * d.H, d.P}, op, ("weight_hh_l" + sfx).c_str(), "");
      for (const auto& [b, nm] : {std::pair{w.b_ih, "bias_ih_l"}, std::pair{w.b_hh, "bias_hh_l"}})
        if (b.defined()) {
          check_float(b, dt, op, (nm + sfx).c_str());
          check_shape(b, {d.G * d.H}, op, (nm + sfx).c_str(), "");
        }
      if (w.w_hr.defined()) {
        check_float(w.w_hr, dt, op, ("weight_hr_l" + sfx).c_str());
        check_shape(w.w_hr, {d.P, d.H}, op, ("weight_hr_l" + sfx).c_str(), "");
      }
      const Tensor hi = h0b.defined() ? contiguous(select(h0b, 0, idx)) : zeros({d.B, d.P}, opts);
      const Tensor ci = !lstm ? Tensor{} : c0b.defined() ? contiguous(select(c0b, 0, idx)) : zeros({d.B, d.H}, opts);
      const Layer L{mode, d.T, d.B, in_size, d.H, d.P, d.G, dir == 1, proj_size > 0};
      TensorList r = layer_forward(L, layer_in, hi, ci, w, len);
      outs_dir.push_back(r[0]);
      hns.push_back(r[1]);
      if (lstm) cns.push_back(r[2]);
    }
    Tensor out = d.D == 2 ? cat(outs_dir, 2) : outs_dir[0];
    if (dropout_p > 0 && train && l + 1 < d.L) out = dropout(out, dropout_p, true);
    layer_in = contiguous(out);
  }
  Tensor output = layer_in, h_n = stack(hns, 0), c_n = lstm ? stack(cns, 0) : Tensor{};
  if (unbatched) {
    output = squeeze(output, std::vector<int64_t>{1});
    h_n = squeeze(h_n, std::vector<int64_t>{1});
    if (lstm) c_n = squeeze(c_n, std::vector<int64_t>{1});
  } else if (batch_first) {
    output = transpose(output, 0, 1);
  }
  return lstm ? std::vector<Tensor>{output, h_n, c_n} : std::vector<Tensor>{output, h_n};
}

}  // namespace nd
