"""Loss layers over nn.functional, plus CenterLoss and MultiTaskLoss (learnable state)."""
import inspect

from ... import _C, _creation
from .. import functional as F
from ..parameter import Parameter
from .module import Module

_SIMPLE = {  # class name -> functional name; constructor arguments are the functional's keywords
    "L1Loss": "l1_loss", "MSELoss": "mse_loss", "SmoothL1Loss": "smooth_l1_loss", "HuberLoss": "huber_loss",
    "BCELoss": "binary_cross_entropy", "BCEWithLogitsLoss": "binary_cross_entropy_with_logits",
    "CrossEntropyLoss": "cross_entropy", "NLLLoss": "nll_loss", "KLDivLoss": "kl_div",
    "PoissonNLLLoss": "poisson_nll_loss", "HingeEmbeddingLoss": "hinge_embedding_loss",
    "MultiMarginLoss": "multi_margin_loss", "MultiLabelMarginLoss": "multilabel_margin_loss",
    "SoftMarginLoss": "soft_margin_loss", "MarginRankingLoss": "margin_ranking_loss",
    "CosineEmbeddingLoss": "cosine_embedding_loss", "TripletMarginLoss": "triplet_margin_loss",
    "GaussianNLLLoss": "gaussian_nll_loss", "ExponentialLoss": "exponential_loss", "FocalLoss": "focal_loss",
    "SoftmaxFocalLoss": "softmax_focal_loss", "DiceLoss": "dice_loss", "JaccardLoss": "jaccard_loss",
    "OhemCrossEntropyLoss": "ohem_cross_entropy",
}

__all__ = list(_SIMPLE) + ["CenterLoss", "MultiTaskLoss"]


# Registered as buffers even when None, as PyTorch's losses do (so `loss.weight` is None, not missing).
_TENSOR_OPTIONS = ("weight", "pos_weight")


def _loss_class(name, fn_name):
    """A loss layer whose constructor takes the functional's keyword options (reduction, weight ...) and
    keeps them as attributes; tensor options such as `weight` are buffers, so they follow .to() and
    state_dict() as in PyTorch."""
    def signature():
        fn = getattr(F, fn_name)
        params = [p for p in inspect.signature(fn).parameters.values() if p.default is not inspect.Parameter.empty]
        return fn, params, len(inspect.signature(fn).parameters) - len(params)

    def __init__(self, *args, **kwargs):
        Module.__init__(self)
        _, params, _ = signature()
        if len(args) > len(params):
            raise TypeError(f"[{name}] takes at most {len(params)} positional arguments, got {len(args)}")
        options = {p.name: p.default for p in params}
        options.update(zip([p.name for p in params], args))
        for k, v in kwargs.items():
            if k not in options:
                raise TypeError(f"[{name}] got an unexpected keyword argument '{k}'")
            options[k] = v
        self._option_names = tuple(options)
        for k, v in options.items():
            if k in _TENSOR_OPTIONS or isinstance(v, _C.Tensor):
                self.register_buffer(k, v)
            else:
                setattr(self, k, v)

    def forward(self, *inputs):
        fn, _, n_inputs = signature()
        if len(inputs) != n_inputs:
            raise TypeError(f"[{name}] forward takes {n_inputs} inputs, got {len(inputs)}")
        return fn(*inputs, **{k: getattr(self, k) for k in self._option_names})

    def extra_repr(self):
        return ""

    return type(name, (Module,), {"__init__": __init__, "forward": forward, "extra_repr": extra_repr,
                                  "__doc__": f"Layer form of nn.functional.{fn_name}."})


for _name, _fn in _SIMPLE.items():
    globals()[_name] = _loss_class(_name, _fn)


class CenterLoss(Module):
    """Center loss (Wen et al. 2016): 1/2 · mean over the batch of ||x_i - c_{y_i}||².

    The class centers are a learnable (num_classes, feat_dim) parameter, usually given their
    own optimizer (the paper updates them with rate alpha) beside the softmax loss.
    """

    def __init__(self, num_classes, feat_dim, dtype=None):
        super().__init__()
        self.num_classes, self.feat_dim = num_classes, feat_dim
        self.centers = Parameter(_creation.randn(num_classes, feat_dim, dtype=dtype))

    def forward(self, features, labels):
        if features.ndim != 2 or features.shape[1] != self.feat_dim:
            raise ValueError(f"[CenterLoss] features must be (N, {self.feat_dim}), got {tuple(features.shape)}")
        if labels.ndim != 1 or labels.shape[0] != features.shape[0]:
            raise ValueError(f"[CenterLoss] labels must be (N,) with N={features.shape[0]}, got "
                             f"{tuple(labels.shape)}")
        centers = self.centers.index_select(0, labels)
        return ((features - centers) ** 2).sum(1).mean() * 0.5

    def extra_repr(self):
        return f"num_classes={self.num_classes}, feat_dim={self.feat_dim}"


class MultiTaskLoss(Module):
    """Combines task losses: a fixed weighted sum, or Kendall et al. 2018's uncertainty weighting.

    weighting='fixed': sum_i w_i L_i (weights default to 1).
    weighting='uncertainty': sum_i (exp(-s_i) L_i + s_i) / 2 with learnable s_i = log(sigma_i^2),
    so a task with noisy or large-scale loss is down-weighted instead of dominating the
    shared layers, while the s_i term keeps every weight from collapsing to zero.
    """

    def __init__(self, num_tasks, weighting="fixed", weights=None):
        super().__init__()
        if weighting not in ("fixed", "uncertainty"):
            raise ValueError(f"[MultiTaskLoss] weighting must be 'fixed' or 'uncertainty', got '{weighting}'")
        if weights is not None and len(weights) != num_tasks:
            raise ValueError(f"[MultiTaskLoss] got {len(weights)} weights for {num_tasks} tasks")
        if weighting == "uncertainty" and weights is not None:
            raise ValueError("[MultiTaskLoss] weights are learned with weighting='uncertainty'; don't pass them")
        self.num_tasks, self.weighting = num_tasks, weighting
        if weighting == "uncertainty":
            self.log_vars = Parameter(_creation.zeros(num_tasks))
        else:
            self.register_buffer("weights", _creation.tensor(weights if weights is not None else [1.0] * num_tasks))

    def forward(self, losses):
        losses = list(losses)
        if len(losses) != self.num_tasks:
            raise ValueError(f"[MultiTaskLoss] expected {self.num_tasks} task losses, got {len(losses)}")
        for i, loss in enumerate(losses):
            # A (1,) or (N,) loss would broadcast against the (num_tasks,) weights into a wrong sum.
            if loss.numel() != 1:
                raise ValueError(f"[MultiTaskLoss] each task loss must be a scalar, got shape {tuple(loss.shape)} "
                                 f"for task {i} (reduce it first)")
        stacked = _C.stack([loss.reshape(()) for loss in losses])
        if self.weighting == "fixed":
            return (stacked * self.weights.to(stacked.dtype)).sum()
        s = self.log_vars.to(stacked.dtype)
        return ((-s).exp() * stacked + s).sum() * 0.5

    def extra_repr(self):
        return f"num_tasks={self.num_tasks}, weighting='{self.weighting}'"
