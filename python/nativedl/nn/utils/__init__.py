"""nativedl.nn.utils: one module per area (penalties, fusion, clipping ...), each with an __all__."""
from .._collect import collect

__all__ = collect(__name__, __path__, globals())
