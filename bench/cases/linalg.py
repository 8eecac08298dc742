from bench.case import Case, alloc

MATMUL = alloc(lambda m, a, b: a @ b, 2)


def _square_matmul_flops(shape):
    return 2 * shape[0] ** 3


def _skinny(lib, shape):
    """(m, k) @ (k, n) with small m and large n: the per-image GEMM of a 3x3 conv (64 -> 64, 56x56)."""
    m, k, n = shape
    a, b = lib.randn((m, k), seed=0), lib.randn((k, n), seed=1)
    return lambda: lib.m.matmul(a, b)


def _bmm(lib, shape):
    """bmm of a batch of square matrices, shape (batch, n, n)."""
    a, b = lib.randn(shape, seed=0), lib.randn(shape, seed=1)
    return lambda: lib.m.matmul(a, b)


def _bmm_flops(shape):
    return 2 * shape[0] * shape[1] ** 3


def _mv(lib, shape):
    """Matrix (n, n) times vector (n,): memory-bound, reads the matrix once."""
    a, v = lib.randn(shape, seed=0), lib.randn(shape[:1], seed=1)
    return lambda: lib.m.matmul(a, v)


CASES = [
    Case("matmul", (256, 256), (64, 64), MATMUL, flops=_square_matmul_flops),
    Case("matmul", (1024, 1024), (128, 128), MATMUL, flops=_square_matmul_flops),
    Case("matmul", (2048, 2048), (256, 256), MATMUL, flops=_square_matmul_flops),
    Case("matmul conv-shaped", (64, 576, 3136), (16, 72, 196), _skinny, flops=lambda s: 2 * s[0] * s[1] * s[2]),
    Case("bmm", (64, 128, 128), (8, 32, 32), _bmm, flops=_bmm_flops),
    Case("mv", (4096, 4096), (256, 256), _mv, flops=lambda s: 2 * s[0] * s[1],
         bytes=lambda s: 4 * (s[0] * s[1] + s[0] + s[1])),
]
