// The vector type kernels are written against: Vec<T> has `size` lanes of T, loads,
// stores, arithmetic and the math below. Per-ISA files get the widest type of their ISA;
// see Note [ISA namespaces] in cpu/kernel_api.h for why all of it sits in NATIVEDL_ISA.
#pragma once
#ifndef NATIVEDL_ISA
#error "vec.h is for per-ISA kernel files (NATIVEDL_ISA must be defined)"
#endif
#include "cpu/vec/vec_generic.h"
#if defined(__AVX512F__)
#include "cpu/vec/vec_avx512.h"
#elif defined(__AVX2__) && defined(__FMA__)
#include "cpu/vec/vec_avx2.h"
#endif
#include "cpu/vec/vec_math.h"
