from bench.case import Case, alloc, f32_bytes

N, QUICK = (1 << 24,), (1 << 20,)

CASES = [
    Case("sum", N, QUICK, alloc(lambda m, a: a.sum(), 1), bytes=f32_bytes(1)),
]
