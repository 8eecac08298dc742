// Marks functions that run on the host and, when nvcc compiles them, on CUDA devices too; and
// picks the math library for each side. Only macros: headers using them stay plain C++ for the
// host compiler, and a per-ISA CPU file including them gets no shared symbol from here.
#pragma once
#include <cmath>

#ifdef __CUDACC__
#define ND_HD __host__ __device__ __forceinline__
#else
#define ND_HD inline
#endif

// Device code calls CUDA's global math overloads (float and double); host code calls <cmath>'s.
#ifdef __CUDA_ARCH__
#define ND_M(f) ::f
#else
#define ND_M(f) std::f
#endif
