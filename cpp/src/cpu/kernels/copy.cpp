// Copy with dtype conversion, and fill.
#include "cpu/loops.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

template <typename To, typename From> To convert(From x) {
  if constexpr (std::is_same_v<To, bool>) return x != From(0);
  else return static_cast<To>(x);
}

template <typename To, typename From> void copy_typed(const ElementwiseIter& it) {
  parallel_runs(it, [](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(To) && s[1] == sizeof(From)) {
      To* o = reinterpret_cast<To*>(p[0]);
      const From* a = reinterpret_cast<const From*>(p[1]);
      if constexpr (std::is_same_v<To, From>) std::memcpy(o, a, size_t(n) * sizeof(To));
      else for (int64_t i = 0; i < n; ++i) o[i] = convert<To>(a[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<To*>(p[0] + i * s[0]) = convert<To>(*reinterpret_cast<const From*>(p[1] + i * s[1]));
    }
  });
}

void copy_kernel(const ElementwiseIter& it) {
  ND_DISPATCH_ALL_TYPES(it.dtypes[0], To,
    ND_DISPATCH_ALL_TYPES(it.dtypes[1], From, copy_typed<To, From>(it)))
}

void fill_kernel(const ElementwiseIter& it, double v, int64_t iv) {
  ND_DISPATCH_ALL_TYPES(it.dtypes[0], T, {
    T value;
    if constexpr (std::is_floating_point_v<T>) value = T(v);
    else if constexpr (std::is_same_v<T, bool>) value = (v != 0 || iv != 0);
    else value = T(iv);
    parallel_runs(it, [value](char** p, const int64_t* s, int64_t n) {
      if (s[0] == sizeof(T)) { T* o = reinterpret_cast<T*>(p[0]); for (int64_t i = 0; i < n; ++i) o[i] = value; }
      else for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = value;
    });
  })
}

}  // namespace

void register_copy_kernels() {
  copy_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = copy_kernel;
  fill_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = fill_kernel;
}

}  // namespace nd::cpu::NATIVEDL_ISA
