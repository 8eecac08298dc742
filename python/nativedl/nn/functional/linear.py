"""F.linear and F.bilinear."""
from ... import _C

__all__ = ["linear", "bilinear"]


def linear(input, weight, bias=None):
    """input @ weight.T + bias; a 2-D input with a bias is one fused GEMM (addmm)."""
    if bias is not None and input.ndim == 2:
        return _C.addmm(bias, input, weight.t())
    out = _C.matmul(input, weight.t() if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


def bilinear(input1, input2, weight, bias=None):
    """y_o = x1 W_o x2 + b_o for weight (out, in1, in2), over any leading dims."""
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    out = _C.einsum("bi,oij,bj->bo", [x1, weight, x2])
    if bias is not None:
        out = out + bias
    return out.reshape(*lead, weight.shape[0])
