"""nativedl.backends.cuda, as torch.backends.cuda: `matmul.allow_tf32` lets float32 matrix
products on CUDA devices use TF32 tensor cores (sm_80 and later; operands rounded to a 10-bit
mantissa, float32 accumulation). Off by default, as in PyTorch. The switch is process-wide and
can be set on any machine; it changes nothing on the CPU."""
from .. import _C

__all__ = ["is_built", "matmul", "set_float32_matmul_precision", "get_float32_matmul_precision"]

_PRECISIONS = ("highest", "high", "medium")
_tf32_precision = "high"  # what get_float32_matmul_precision reports while TF32 is allowed


def is_built():
    """Whether the CUDA kernels were compiled in (a GPU may still be absent)."""
    return _C._cuda_compiled()


class _MatmulSettings:
    """torch.backends.cuda.matmul's object: attributes read and set the process-wide switch."""

    __slots__ = ()

    @property
    def allow_tf32(self):
        return _C._cuda_matmul_allow_tf32()

    @allow_tf32.setter
    def allow_tf32(self, value):
        global _tf32_precision
        if not isinstance(value, bool):
            raise TypeError(f"[allow_tf32] expected a bool, got {type(value).__name__}")
        _tf32_precision = "high"
        _C._set_cuda_matmul_allow_tf32(value)

    def __setattr__(self, name, value):
        if name != "allow_tf32":
            raise AttributeError(f"[backends.cuda.matmul] unknown setting {name!r} (allow_tf32 is the one there is)")
        object.__setattr__(self, name, value)

    def __repr__(self):
        return f"backends.cuda.matmul(allow_tf32={self.allow_tf32})"


matmul = _MatmulSettings()


def set_float32_matmul_precision(precision):
    """torch.set_float32_matmul_precision: 'highest' keeps float32 products in float32;
    'high' and 'medium' allow TF32 tensor cores (this backend has no bfloat16 path for 'medium')."""
    global _tf32_precision
    if precision not in _PRECISIONS:
        raise ValueError(f"[set_float32_matmul_precision] precision must be one of {', '.join(map(repr, _PRECISIONS))}, "
                         f"got {precision!r}")
    if precision != "highest":
        _tf32_precision = precision
    _C._set_cuda_matmul_allow_tf32(precision != "highest")


def get_float32_matmul_precision():
    return _tf32_precision if _C._cuda_matmul_allow_tf32() else "highest"
