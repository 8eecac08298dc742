from bench.case import Case, alloc, f32_bytes

N, QUICK = (1 << 24,), (1 << 20,)
M, QUICK_M = (4096, 4096), (1024, 1024)

CASES = [
    Case("sum", N, QUICK, alloc(lambda m, a: a.sum(), 1), bytes=f32_bytes(1)),
    # torch.max(x, dim) returns (values, indices); NumPy needs max and argmax.
    Case("max_dim0", M, QUICK_M, alloc(lambda m, a: m.max(a, 0) if m.__name__ != "numpy" else
                                       (a.max(0), a.argmax(0)), 1), bytes=f32_bytes(1)),
    Case("max_dim1", M, QUICK_M, alloc(lambda m, a: m.max(a, 1) if m.__name__ != "numpy" else
                                       (a.max(1), a.argmax(1)), 1), bytes=f32_bytes(1)),
    Case("amax_dim1", M, QUICK_M, alloc(lambda m, a: a.amax(1) if m.__name__ != "numpy" else a.max(1), 1),
         bytes=f32_bytes(1)),
    Case("var", N, QUICK, alloc(lambda m, a: a.var(), 1), bytes=f32_bytes(1)),
    Case("var_dim1", M, QUICK_M, alloc(lambda m, a: a.var(1), 1), bytes=f32_bytes(1)),
    Case("logsumexp_dim1", M, QUICK_M, alloc(lambda m, a: m.logaddexp.reduce(a, axis=1) if m.__name__ == "numpy"
                                             else m.logsumexp(a, 1), 1), bytes=f32_bytes(1)),
    Case("cumsum", N, QUICK, alloc(lambda m, a: m.cumsum(a, 0), 1), bytes=f32_bytes(2)),
    Case("cumsum_dim0", M, QUICK_M, alloc(lambda m, a: m.cumsum(a, 0), 1), bytes=f32_bytes(2)),
]
