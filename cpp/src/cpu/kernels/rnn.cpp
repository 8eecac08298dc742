// Fused pointwise gate kernels of the recurrent cells, forward and backward
// (Note [Recurrent step layout] in cpu/rnn_kernels.h). Each row's H units are walked once in
// vectors of T, the tail in 1-lane vectors, so the gate math is written once per mode. Also in the avx512 set: at 8 lanes the
// sigmoids and tanhs took a quarter of an LSTM sequence's forward.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "cpu/loops.h"
#include "cpu/rnn_kernels.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

// 1 where x > 0, else 0 (the relu derivative at its output).
template <typename T, int N> VecN<T, N> positive(const VecN<T, N>& a) {
  return a.map([](T x) { return x > T(0) ? T(1) : T(0); });
}
#if defined(__AVX512F__)
template <typename T> VecAvx512<T> positive(VecAvx512<T> a) {
  return vselect(vlt_mask(VecAvx512<T>(T(0)), a), VecAvx512<T>(T(1)), VecAvx512<T>(T(0)));
}
#elif defined(__AVX2__) && defined(__FMA__)
inline Vf positive(Vf a) { return vand(vlt(Vf(0.0f), a), Vf(1.0f)); }
inline Vd positive(Vd a) { return vand(vlt(Vd(0.0), a), Vd(1.0)); }
#endif

// Pointers of one row; H units per gate block.
template <typename T> struct FwdRow {
  const T *gi, *gh, *bi, *bh, *hp, *cp;  // bi, bh: the biases, or null
  T *gates, *h, *c, *y;
};
template <typename T> struct BwdRow {
  const T *gates, *hp, *cp, *hn, *cn, *dh;
  T *dc, *dgi, *dgh, *dhp;
};

// Units [j, j + V::size) of one row, forward.
template <typename V, typename T> void forward_units(RnnMode mode, int64_t H, const FwdRow<T>& r, int64_t j) {
  auto ld = [&](const T* p, int64_t k) { return p ? V::loadu(p + k * H + j) : V(T(0)); };
  // Gate block k of the input and hidden projections, biases included.
  auto in = [&](int64_t k) { return ld(r.gi, k) + ld(r.bi, k); };
  auto hid = [&](int64_t k) { return ld(r.gh, k) + ld(r.bh, k); };
  switch (mode) {
    case RnnMode::Tanh:
    case RnnMode::Relu: {
      const V pre = in(0) + hid(0);
      const V h = mode == RnnMode::Tanh ? vtanh(pre) : vrelu(pre);
      h.storeu(r.h + j);
      if (r.y) h.storeu(r.y + j);
      break;
    }
    case RnnMode::Lstm: {
      const V i = vsigmoid(in(0) + hid(0)), f = vsigmoid(in(1) + hid(1));
      const V g = vtanh(in(2) + hid(2)), o = vsigmoid(in(3) + hid(3));
      const V c = vfmadd(f, V::loadu(r.cp + j), i * g), h = o * vtanh(c);
      i.storeu(r.gates + j);
      f.storeu(r.gates + H + j);
      g.storeu(r.gates + 2 * H + j);
      o.storeu(r.gates + 3 * H + j);
      c.storeu(r.c + j);
      h.storeu(r.h + j);
      if (r.y) h.storeu(r.y + j);
      break;
    }
    case RnnMode::Gru: {
      // PyTorch's GRU: the reset gate multiplies the hidden projection including b_hn.
      const V rg = vsigmoid(in(0) + hid(0)), z = vsigmoid(in(1) + hid(1));
      const V ghn = hid(2), n = vtanh(vfmadd(rg, ghn, in(2)));
      const V h = vfmadd(z, V::loadu(r.hp + j) - n, n);  // (1 - z) n + z h
      rg.storeu(r.gates + j);
      z.storeu(r.gates + H + j);
      n.storeu(r.gates + 2 * H + j);
      ghn.storeu(r.gates + 3 * H + j);
      h.storeu(r.h + j);
      if (r.y) h.storeu(r.y + j);
      break;
    }
  }
}

// Units [j, j + V::size) of one row, backward.
template <typename V, typename T> void backward_units(RnnMode mode, int64_t H, const BwdRow<T>& r, int64_t j) {
  auto ld = [&](const T* p, int64_t k) { return V::loadu(p + k * H + j); };
  const V one(T(1)), dh = V::loadu(r.dh + j);
  switch (mode) {
    case RnnMode::Tanh:
    case RnnMode::Relu: {
      const V h = V::loadu(r.hn + j);
      (mode == RnnMode::Tanh ? dh * (one - h * h) : dh * positive(h)).storeu(r.dgi + j);
      break;
    }
    case RnnMode::Lstm: {
      const V i = ld(r.gates, 0), f = ld(r.gates, 1), g = ld(r.gates, 2), o = ld(r.gates, 3);
      const V tc = vtanh(V::loadu(r.cn + j));
      const V dc = vfmadd(dh * o, one - tc * tc, V::loadu(r.dc + j));
      (dc * g * i * (one - i)).storeu(r.dgi + j);
      (dc * V::loadu(r.cp + j) * f * (one - f)).storeu(r.dgi + H + j);
      (dc * i * (one - g * g)).storeu(r.dgi + 2 * H + j);
      (dh * tc * o * (one - o)).storeu(r.dgi + 3 * H + j);
      (dc * f).storeu(r.dc + j);  // in place: this lane's dc was read above
      break;
    }
    case RnnMode::Gru: {
      const V rg = ld(r.gates, 0), z = ld(r.gates, 1), n = ld(r.gates, 2), ghn = ld(r.gates, 3);
      const V dn = dh * (one - z) * (one - n * n);
      const V dz = dh * (V::loadu(r.hp + j) - n) * z * (one - z);
      const V dr = dn * ghn * rg * (one - rg);
      dr.storeu(r.dgi + j);
      dr.storeu(r.dgh + j);
      dz.storeu(r.dgi + H + j);
      dz.storeu(r.dgh + H + j);
      dn.storeu(r.dgi + 2 * H + j);
      (dn * rg).storeu(r.dgh + 2 * H + j);
      vfmadd(dh, z, V::loadu(r.dhp + j)).storeu(r.dhp + j);
      break;
    }
  }
}

// units(tag, j) with tag a null V* for full vectors and a null VecN<T, 1>* for the tail.
template <typename T, typename Units> void each_unit(int64_t H, const Units& units) {
  using V = Vec<T>;
  int64_t j = 0;
  for (; j + V::size <= H; j += V::size) units(static_cast<V*>(nullptr), j);
  for (; j < H; ++j) units(static_cast<VecN<T, 1>*>(nullptr), j);
}

bool frozen(const RnnStepArgs& a, int64_t b) { return a.lengths != nullptr && a.lengths[b] <= a.t; }

int64_t row_grain(const RnnStepArgs& a) {
  return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, 8 * a.H * rnn_gate_count(a.mode)));
}

template <typename T> void copy_row(T* dst, const T* src, int64_t n) {
  if (dst != nullptr) std::memcpy(dst, src, size_t(n) * sizeof(T));
}
template <typename T> void zero_row(T* dst, int64_t n) {
  if (dst != nullptr) std::fill(dst, dst + n, T(0));
}

template <typename T> void forward_typed(const RnnStepArgs& a, const T* gi, const T* gh, const T* hp, const T* cp,
                                         T* gates, T* h, T* c, T* y) {
  const int64_t H = a.H, GH = rnn_gate_count(a.mode) * H, GS = a.mode == RnnMode::Gru ? 4 * H : GH;
  core::parallel_for(0, a.B, row_grain(a), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      if (frozen(a, b)) {
        if (a.proj) zero_row(h + b * H, H);
        else copy_row(h + b * H, hp + b * H, H);
        if (c != nullptr) copy_row(c + b * H, cp + b * H, H);
        zero_row(y ? y + b * H : nullptr, H);
        continue;
      }
      const FwdRow<T> r{gi + b * GH, gh ? gh + b * GH : nullptr,
                        static_cast<const T*>(a.bias_i), static_cast<const T*>(a.bias_h),
                        hp ? hp + b * H : nullptr, cp ? cp + b * H : nullptr,
                        gates ? gates + b * GS : nullptr, h + b * H, c ? c + b * H : nullptr, y ? y + b * H : nullptr};
      each_unit<T>(H, [&](auto v, int64_t j) { forward_units<std::remove_pointer_t<decltype(v)>>(a.mode, H, r, j); });
    }
  });
}

template <typename T> void backward_typed(const RnnStepArgs& a, const T* gates, const T* hp, const T* cp,
                                          const T* hn, const T* cn, const T* dh, const T* dstate, T* dc, T* dgi,
                                          T* dgh, T* dhp) {
  const int64_t H = a.H, P = a.P, GH = rnn_gate_count(a.mode) * H, GS = a.mode == RnnMode::Gru ? 4 * H : GH;
  core::parallel_for(0, a.B, row_grain(a), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      if (frozen(a, b)) {  // dc passes through unchanged, in place
        zero_row(dgi + b * GH, GH);
        zero_row(dgh ? dgh + b * GH : nullptr, GH);
        T* d = dhp + b * P;
        const T* s = dstate + b * P;
        for (int64_t j = 0; j < P; ++j) d[j] += s[j];
        continue;
      }
      auto at = [&](const T* p, int64_t n) { return p ? p + b * n : nullptr; };
      auto mut = [&](T* p, int64_t n) { return p ? p + b * n : nullptr; };
      const BwdRow<T> r{at(gates, GS), at(hp, H), at(cp, H), at(hn, H), at(cn, H), at(dh, H),
                        mut(dc, H),    mut(dgi, GH), mut(dgh, GH), mut(dhp, H)};
      each_unit<T>(H, [&](auto v, int64_t j) { backward_units<std::remove_pointer_t<decltype(v)>>(a.mode, H, r, j); });
    }
  });
}

void forward_kernel(const RnnStepArgs& a, const void* gi, const void* gh, const void* hp, const void* cp, void* gates,
                    void* h, void* c, void* y) {
  ND_DISPATCH_FLOAT_TYPES(a.dtype, T, forward_typed<T>(a, static_cast<const T*>(gi), static_cast<const T*>(gh),
                                                       static_cast<const T*>(hp), static_cast<const T*>(cp),
                                                       static_cast<T*>(gates), static_cast<T*>(h),
                                                       static_cast<T*>(c), static_cast<T*>(y)))
}

void backward_kernel(const RnnStepArgs& a, const void* gates, const void* hp, const void* cp, const void* hn,
                     const void* cn, const void* dh, const void* dstate, void* dc, void* dgi, void* dgh, void* dhp) {
  ND_DISPATCH_FLOAT_TYPES(a.dtype, T, backward_typed<T>(
      a, static_cast<const T*>(gates), static_cast<const T*>(hp), static_cast<const T*>(cp),
      static_cast<const T*>(hn), static_cast<const T*>(cn), static_cast<const T*>(dh),
      static_cast<const T*>(dstate), static_cast<T*>(dc), static_cast<T*>(dgi), static_cast<T*>(dgh),
      static_cast<T*>(dhp)))
}

}  // namespace

void register_rnn_kernels() {
  rnn_forward_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = forward_kernel;
  rnn_backward_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = backward_kernel;
}

}  // namespace nd::cpu::NATIVEDL_ISA
