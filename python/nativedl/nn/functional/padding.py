"""F.pad: nativedl's pad op (constant, reflect, replicate, circular) under its functional name."""
from ... import _C

__all__ = ["pad"]

pad = _C.pad
