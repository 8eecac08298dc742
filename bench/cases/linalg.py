from bench.case import Case, alloc

MATMUL = alloc(lambda m, a, b: a @ b, 2)


def _square_matmul_flops(shape):
    return 2 * shape[0] ** 3


CASES = [
    Case("matmul", (256, 256), (64, 64), MATMUL, flops=_square_matmul_flops),
    Case("matmul", (1024, 1024), (128, 128), MATMUL, flops=_square_matmul_flops),
    Case("matmul", (2048, 2048), (256, 256), MATMUL, flops=_square_matmul_flops),
]
