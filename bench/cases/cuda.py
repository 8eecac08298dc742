"""CUDA rows: nativedl's CUDA kernels against PyTorch CUDA. Present only when nd.cuda.is_available();
every timed call ends with a device synchronize, so a row measures finished GPU work."""
import nativedl as nd

from bench.case import Case, f32_bytes


def _on_gpu(op, arity):
    """Setup timing op(module, *inputs) on CUDA float32 inputs; None for NumPy or a torch without CUDA."""
    def setup(lib, shape):
        if lib.name == "torch" and not lib.m.cuda.is_available():
            return None
        if lib.name not in ("nativedl", "torch"):
            return None
        args = [lib.randn(shape, seed=i).cuda() for i in range(arity)]
        sync = lib.m.cuda.synchronize
        return lambda: (op(lib.m, *args), sync())
    return setup


def _softmax(m, x):
    return m.nn.functional.softmax(x, 1)


CASES = [] if not nd.cuda.is_available() else [
    Case("cuda sgemm", (4096, 4096), (512, 512), _on_gpu(lambda m, a, b: a @ b, 2),
         flops=lambda s: 2 * s[0] ** 3, libs=("nativedl", "torch")),
    Case("cuda add", (4096, 4096), (512, 512), _on_gpu(lambda m, a, b: a + b, 2), bytes=f32_bytes(3),
         libs=("nativedl", "torch")),
    Case("cuda sum over dim 1", (4096, 4096), (512, 512), _on_gpu(lambda m, a: a.sum(1), 1), bytes=f32_bytes(1),
         libs=("nativedl", "torch")),
    Case("cuda softmax", (4096, 4096), (512, 512), _on_gpu(_softmax, 1), bytes=f32_bytes(2),
         libs=("nativedl", "torch")),
]
