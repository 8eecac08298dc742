"""nativedl.nn.functional: PyTorch's functional API. One module per area (conv, pooling,
normalization, activation, loss ...), each with an __all__; all of them are re-exported here."""
from .._collect import collect

__all__ = collect(__name__, __path__, globals())
