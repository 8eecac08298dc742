"""Re-exports every public op bound in nativedl._C (names not starting with '_')."""
from . import _C

_SKIP = {"Tensor", "Generator", "dtype", "Node"}
__all__ = [n for n in dir(_C) if not n.startswith("_") and n not in _SKIP]
globals().update({n: getattr(_C, n) for n in __all__})
