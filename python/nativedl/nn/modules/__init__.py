"""nativedl.nn layers. One module per area, each with an __all__; all re-exported by nativedl.nn."""
from .._collect import collect

__all__ = collect(__name__, __path__, globals())
