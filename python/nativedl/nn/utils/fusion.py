"""Folding an eval-mode batch norm into the convolution before it, for inference."""
import copy

from ...autograd import no_grad
from ..parameter import Parameter

__all__ = ["fuse_conv_bn"]


def fuse_conv_bn(conv, bn):
    """A copy of conv whose output equals bn(conv(x)) with bn in eval mode.

    With s = gamma / sqrt(running_var + eps): W' = W * s (per output channel) and
    b' = (b - running_mean) * s + beta.
    """
    if conv.training or bn.training:
        raise ValueError("[fuse_conv_bn] fusion is only valid in eval mode: call .eval() on both modules first")
    if bn.running_mean is None:
        raise ValueError("[fuse_conv_bn] the batch norm has no running statistics (track_running_stats=False)")
    if getattr(conv, "_transposed", False):
        raise ValueError("[fuse_conv_bn] transposed convolutions are not supported")
    if bn.num_features != conv.weight.shape[0]:
        raise ValueError(f"[fuse_conv_bn] batch norm has {bn.num_features} features but the conv has "
                         f"{conv.weight.shape[0]} output channels")
    fused = copy.deepcopy(conv)
    with no_grad():
        scale = bn.running_var.add(bn.eps).rsqrt()
        if bn.weight is not None:
            scale = scale * bn.weight
        shift = -bn.running_mean * scale
        if bn.bias is not None:
            shift = shift + bn.bias
        if conv.bias is not None:
            shift = shift + conv.bias * scale
        w = conv.weight * scale.reshape(-1, *([1] * (conv.weight.ndim - 1)))
        fused.weight = Parameter(w.contiguous())
        fused.bias = Parameter(shift.contiguous())
    return fused
