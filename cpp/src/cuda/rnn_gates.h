// The recurrent gate math of the CUDA kernels (cuda/rnn.cu), one (row, unit) element at a
// time, with the semantics of the CPU kernels (Note [Recurrent step layout] in
// cpu/rnn_kernels.h), frozen rows included. `__host__ __device__`, so
// cpp/tests/test_rnn_gates.cpp runs this very code on the CPU against the CPU kernels, without
// a GPU. Plain C++ when a host compiler reads it.
#pragma once
#include <cstdint>

#include "core/host_device.h"
#include "cpu/rnn_kernels.h"

namespace nd::cuda::rnn {

using cpu::RnnMode;
using cpu::RnnStepArgs;

template <typename T> ND_HD T sigmoid(T x) { return T(1) / (T(1) + ND_M(exp)(-x)); }

/// The typed buffers of one forward step (RnnForwardKernel's, same nulls).
template <typename T> struct FwdBufs {
  const T *gi, *gh, *hp, *cp;
  T *gates, *h, *c, *y;
};

/// The typed buffers of one backward step (RnnBackwardKernel's, same nulls).
template <typename T> struct BwdBufs {
  const T *gates, *hp, *cp, *hn, *cn, *dh, *dstate;
  T *dc, *dgi, *dgh, *dhp;
};

ND_HD bool frozen(const RnnStepArgs& a, int64_t b) { return a.lengths != nullptr && a.lengths[b] <= a.t; }

/// Forward of unit j < H of row b.
template <typename T> ND_HD void forward_unit(const RnnStepArgs& a, const FwdBufs<T>& p, int64_t b, int64_t j) {
  const int64_t H = a.H, GH = cpu::rnn_gate_count(a.mode) * H, GS = a.mode == RnnMode::Gru ? 4 * H : GH;
  const int64_t u = b * H + j;  // this unit in the (B, H) buffers
  if (frozen(a, b)) {
    p.h[u] = a.proj ? T(0) : p.hp[u];
    if (p.c) p.c[u] = p.cp[u];
    if (p.y) p.y[u] = T(0);
    return;
  }
  const T* bi = static_cast<const T*>(a.bias_i);
  const T* bh = static_cast<const T*>(a.bias_h);
  // Gate block k of the input and hidden projections, biases included.
  auto in = [&](int k) { return p.gi[b * GH + k * H + j] + (bi ? bi[k * H + j] : T(0)); };
  auto hid = [&](int k) { return (p.gh ? p.gh[b * GH + k * H + j] : T(0)) + (bh ? bh[k * H + j] : T(0)); };
  T h = T(0);
  switch (a.mode) {
    case RnnMode::Tanh: h = ND_M(tanh)(in(0) + hid(0)); break;
    case RnnMode::Relu: {
      const T pre = in(0) + hid(0);
      h = pre > T(0) ? pre : T(0);
      break;
    }
    case RnnMode::Lstm: {
      // Every gate is read before any is written: `gates` may be gi itself.
      const T i = sigmoid(in(0) + hid(0)), f = sigmoid(in(1) + hid(1));
      const T g = ND_M(tanh)(in(2) + hid(2)), o = sigmoid(in(3) + hid(3));
      const T c = f * p.cp[u] + i * g;
      h = o * ND_M(tanh)(c);
      T* gs = p.gates + b * GS + j;
      gs[0] = i, gs[H] = f, gs[2 * H] = g, gs[3 * H] = o;
      p.c[u] = c;
      break;
    }
    case RnnMode::Gru: {
      // PyTorch's GRU: the reset gate multiplies the hidden projection including b_hn.
      const T r = sigmoid(in(0) + hid(0)), z = sigmoid(in(1) + hid(1));
      const T ghn = hid(2), n = ND_M(tanh)(r * ghn + in(2));
      h = z * (p.hp[u] - n) + n;  // (1 - z) n + z h
      T* gs = p.gates + b * GS + j;
      gs[0] = r, gs[H] = z, gs[2 * H] = n, gs[3 * H] = ghn;
      break;
    }
  }
  p.h[u] = h;
  if (p.y) p.y[u] = h;
}

/// Backward of unit j < max(H, P) of row b (a frozen row passes its P-wide state gradient on;
/// a live one has H units).
template <typename T> ND_HD void backward_unit(const RnnStepArgs& a, const BwdBufs<T>& p, int64_t b, int64_t j) {
  const int G = int(cpu::rnn_gate_count(a.mode));
  const int64_t H = a.H, P = a.P, GH = G * H, GS = a.mode == RnnMode::Gru ? 4 * H : GH;
  if (frozen(a, b)) {  // dc passes through unchanged, in place
    if (j < H)
      for (int k = 0; k < G; ++k) {
        p.dgi[b * GH + k * H + j] = T(0);
        if (p.dgh) p.dgh[b * GH + k * H + j] = T(0);
      }
    if (j < P) p.dhp[b * P + j] += p.dstate[b * P + j];
    return;
  }
  if (j >= H) return;
  const int64_t u = b * H + j;
  const T dh = p.dh[u];
  T* dgi = p.dgi + b * GH + j;
  switch (a.mode) {
    case RnnMode::Tanh: {
      const T h = p.hn[u];
      dgi[0] = dh * (T(1) - h * h);
      break;
    }
    case RnnMode::Relu: dgi[0] = dh * (p.hn[u] > T(0) ? T(1) : T(0)); break;  // NaN dh stays NaN, as on the CPU
    case RnnMode::Lstm: {
      const T* gs = p.gates + b * GS + j;
      const T i = gs[0], f = gs[H], g = gs[2 * H], o = gs[3 * H];
      const T tc = ND_M(tanh)(p.cn[u]);
      const T dc = dh * o * (T(1) - tc * tc) + p.dc[u];
      dgi[0] = dc * g * i * (T(1) - i);
      dgi[H] = dc * p.cp[u] * f * (T(1) - f);
      dgi[2 * H] = dc * i * (T(1) - g * g);
      dgi[3 * H] = dh * tc * o * (T(1) - o);
      p.dc[u] = dc * f;  // in place: this unit's dc was read above
      break;
    }
    case RnnMode::Gru: {
      const T* gs = p.gates + b * GS + j;
      const T r = gs[0], z = gs[H], n = gs[2 * H], ghn = gs[3 * H];
      const T dn = dh * (T(1) - z) * (T(1) - n * n);
      const T dz = dh * (p.hp[u] - n) * z * (T(1) - z);
      const T dr = dn * ghn * r * (T(1) - r);
      T* dgh = p.dgh + b * GH + j;
      dgi[0] = dr, dgh[0] = dr;
      dgi[H] = dz, dgh[H] = dz;
      dgi[2 * H] = dn, dgh[2 * H] = dn * r;
      p.dhp[u] += dh * z;  // GRU has no projection: P == H
      break;
    }
  }
}

}  // namespace nd::cuda::rnn
