// A portable vector of N lanes as a plain array; the compiler vectorizes its loops with
// whatever the file's flags allow. Used by the scalar ISA for all types and by others for
// the types they have no intrinsics for.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace nd::cpu::NATIVEDL_ISA {

// Orders a thread's earlier `stream` stores (Vec<T>::stream: a non-temporal store to p
// aligned to sizeof(Vec<T>), which skips the caches and is weakly ordered) before its later
// stores, e.g. the one that tells other threads its part is done.
inline void stream_fence() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

#if defined(__AVX512F__)
constexpr int kVecBytes = 64;
#elif defined(__AVX2__)
constexpr int kVecBytes = 32;
#else
constexpr int kVecBytes = 16;
#endif

template <typename T, int N> struct VecN {
  static constexpr int size = N;
  T v[N];
  VecN() = default;
  explicit VecN(T x) { for (int i = 0; i < N; ++i) v[i] = x; }
  static VecN loadu(const T* p) { VecN r; std::memcpy(r.v, p, sizeof(r.v)); return r; }
  void storeu(T* p) const { std::memcpy(p, v, sizeof(v)); }
  /// A store past the caches where the ISA has one (p aligned to the vector's size); kernels
  /// call stream_fence() before other threads may read what they streamed.
  void stream(T* p) const { storeu(p); }
  template <typename F> VecN map(F f) const { VecN r; for (int i = 0; i < N; ++i) r.v[i] = f(v[i]); return r; }
  template <typename F> friend VecN zip(const VecN& a, const VecN& b, F f) {
    VecN r; for (int i = 0; i < N; ++i) r.v[i] = f(a.v[i], b.v[i]); return r;
  }
  friend VecN operator+(const VecN& a, const VecN& b) { return zip(a, b, [](T x, T y) { return T(x + y); }); }
  friend VecN operator-(const VecN& a, const VecN& b) { return zip(a, b, [](T x, T y) { return T(x - y); }); }
  friend VecN operator*(const VecN& a, const VecN& b) { return zip(a, b, [](T x, T y) { return T(x * y); }); }
  friend VecN operator/(const VecN& a, const VecN& b) { return zip(a, b, [](T x, T y) { return T(x / y); }); }
  VecN operator-() const { return map([](T x) { return T(-x); }); }
};

template <typename T> struct VecOf { using type = VecN<T, kVecBytes / sizeof(T)>; };

template <typename T> using Vec = typename VecOf<T>::type;

// Math on generic vectors, lane by lane; ISA headers overload these for their types.
template <typename T, int N> VecN<T, N> vabs(const VecN<T, N>& a) { return a.map([](T x) { return T(x < 0 ? -x : x); }); }
template <typename T, int N> VecN<T, N> vsqrt(const VecN<T, N>& a) { return a.map([](T x) { return T(std::sqrt(x)); }); }
template <typename T, int N> VecN<T, N> vfloor(const VecN<T, N>& a) { return a.map([](T x) { return T(std::floor(x)); }); }
template <typename T, int N> VecN<T, N> vceil(const VecN<T, N>& a) { return a.map([](T x) { return T(std::ceil(x)); }); }
template <typename T, int N> VecN<T, N> vtrunc(const VecN<T, N>& a) { return a.map([](T x) { return T(std::trunc(x)); }); }
template <typename T, int N> VecN<T, N> vround(const VecN<T, N>& a) { return a.map([](T x) { return T(std::nearbyint(x)); }); }
// max/min that return NaN when either lane is NaN (PyTorch's maximum/minimum).
template <typename T, int N> VecN<T, N> vmax(const VecN<T, N>& a, const VecN<T, N>& b) {
  return zip(a, b, [](T x, T y) { return (x != x || y != y) ? T(x + y) : (x > y ? x : y); });
}
template <typename T, int N> VecN<T, N> vmin(const VecN<T, N>& a, const VecN<T, N>& b) {
  return zip(a, b, [](T x, T y) { return (x != x || y != y) ? T(x + y) : (x < y ? x : y); });
}
template <typename T, int N> VecN<T, N> vfmadd(const VecN<T, N>& a, const VecN<T, N>& b, const VecN<T, N>& c) {
  VecN<T, N> r; for (int i = 0; i < N; ++i) r.v[i] = T(a.v[i] * b.v[i] + c.v[i]); return r;
}
/// relu keeping NaN: x < 0 ? 0 : x.
template <typename T, int N> VecN<T, N> vrelu(const VecN<T, N>& a) { return a.map([](T x) { return x < T(0) ? T(0) : x; }); }

}  // namespace nd::cpu::NATIVEDL_ISA
