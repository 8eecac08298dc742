"""Adagrad, Adadelta and RMSprop (PyTorch's torch.optim classes of those names)."""
from .._C import _optim
from .optimizer import Optimizer

__all__ = ["Adagrad", "Adadelta", "RMSprop"]


class Adagrad(Optimizer):
    """Adagrad: steps scaled by the root of the summed squared gradients."""

    _impl_class = _optim.Adagrad
    _options_class = _optim.AdagradOptions

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize))


class Adadelta(Optimizer):
    """Adadelta: unit-corrected steps from running averages of squared gradients and updates."""

    _impl_class = _optim.Adadelta
    _options_class = _optim.AdadeltaOptions

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))


class RMSprop(Optimizer):
    """RMSprop, optionally centered (variance instead of second moment) and with momentum."""

    _impl_class = _optim.RMSprop
    _options_class = _optim.RMSpropOptions

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))
