"""The Adam family: Adam, AdamW, Adamax, NAdam and RAdam (PyTorch's torch.optim classes)."""
from .._C import _optim
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"]


class Adam(Optimizer):
    """Adam with bias correction, L2 weight decay added to the gradient, optional AMSGrad."""

    _impl_class = _optim.Adam
    _options_class = _optim.AdamOptions

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))


class AdamW(Adam):
    """Adam with decoupled weight decay: the parameter shrinks by lr * weight_decay each step."""

    _impl_class = _optim.AdamW

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm in place of the second moment."""

    _impl_class = _optim.Adamax
    _options_class = _optim.AdamaxOptions

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize))


class NAdam(Optimizer):
    """NAdam: Adam with Nesterov momentum and a momentum schedule (momentum_decay)."""

    _impl_class = _optim.NAdam
    _options_class = _optim.NAdamOptions

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))


class RAdam(Optimizer):
    """RAdam: Adam whose adaptive step is rectified, and used only once its variance is tractable."""

    _impl_class = _optim.RAdam
    _options_class = _optim.RAdamOptions

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize))
