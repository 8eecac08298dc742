"""Dropout layers, and DropConnect (drops weights instead of activations)."""
from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout2d", "AlphaDropout", "DropConnect"]


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"[{type(self).__name__}] dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Inverted dropout: kept units are scaled by 1/(1-p) in training; identity in eval."""

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU's self-normalizing mean and variance."""

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training, self.inplace)


class DropConnect(Module):
    """Wraps a layer with a `weight` (Linear, Conv ...) and drops weights, not activations.

    In training each forward call uses dropout(weight, p): a fresh mask over the weights, kept
    ones scaled by 1/(1-p) so the expected weight is unchanged; in eval the layer runs as is.
    """

    def __init__(self, module, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"[DropConnect] drop probability has to be between 0 and 1, but got {p}")
        if "weight" not in getattr(module, "_parameters", {}):
            raise TypeError(f"[DropConnect] the wrapped module must have a 'weight' parameter, got "
                            f"{type(module).__name__}")
        self.module, self.p = module, p

    def forward(self, *args, **kwargs):
        if not self.training or self.p == 0.0:
            return self.module(*args, **kwargs)
        params = self.module._parameters
        weight = params["weight"]
        # The wrapped layer reads its weight from _parameters: swap in the dropped one for this call.
        params["weight"] = F.dropout(weight, self.p, True)
        try:
            return self.module(*args, **kwargs)
        finally:
            params["weight"] = weight

    def extra_repr(self):
        return f"p={self.p}"
