"""Stochastic gradient descent (PyTorch's torch.optim.SGD)."""
from .._C import _optim
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD with optional momentum (the buffer starts as the first gradient), dampening, Nesterov
    momentum, L2 weight decay and maximize, exactly PyTorch's update."""

    _impl_class = _optim.SGD
    _options_class = _optim.SGDOptions

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))
