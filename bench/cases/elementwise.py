from bench.case import Case, alloc, f32_bytes, into

N, QUICK = (1 << 24,), (1 << 20,)

CASES = [
    Case("add", N, QUICK, alloc(lambda m, a, b: a + b, 2), bytes=f32_bytes(3)),
    Case("mul", N, QUICK, alloc(lambda m, a, b: a * b, 2), bytes=f32_bytes(3)),
    Case("exp", N, QUICK, alloc(lambda m, a: m.exp(a), 1), bytes=f32_bytes(2)),
    Case("add_out", N, QUICK, into("add", 2), bytes=f32_bytes(3)),
    Case("mul_out", N, QUICK, into("mul", 2), bytes=f32_bytes(3)),
    Case("exp_out", N, QUICK, into("exp", 1), bytes=f32_bytes(2)),
]
