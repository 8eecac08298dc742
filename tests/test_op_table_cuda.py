"""Every op-table row on a CUDA device against the same row on the CPU, forward and backward
(needs a GPU: the `cuda` fixture skips these without one). An op without a CUDA kernel must
raise the clear "[op] not implemented for CUDA tensors (device cuda:0)" error, never crash or compute
garbage; the rows of HAS_CUDA_KERNEL must run."""
import numpy as np
import pytest

import nativedl as nd
from cuda_device import cuda  # noqa: F401  (fixture)
from test_op_table import _as_tuple, _cases

NOT_IMPLEMENTED = "not implemented for CUDA tensors"
# Rows whose ops have CUDA kernels: "not implemented" is a failure for them, not a pass.
HAS_CUDA_KERNEL = {"layer_norm", "var", "std", "interpolate", "interpolate-1d", "embedding", "max_unpool2d",
                   "conv2d-depthwise", "conv1d-depthwise", "conv_transpose2d-depthwise", "tril", "triu",
                   "scaled_dot_product_attention", "scaled_dot_product_attention-bool",
                   "scaled_dot_product_attention-additive", "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell",
                   "lstm_cell-nobias", "gru_cell", "cumsum", "cumprod", "cumprod-zeros", "index_select", "index-mask",
                   "index_put", "index_put-accumulate", "index_add", "index_add-dim1", "masked_select", "take",
                   "nonzero", "nonzero-tuple", "cat", "cat-last", "stack", "pad", "pad-int",
                   "sort", "sort-ties", "argsort", "topk"}


def _has_cuda_kernel(name):
    base = name.rsplit("-", 1)[0] if name.rsplit("-", 1)[-1].isdigit() else name
    return base in HAS_CUDA_KERNEL


def _run(row, arrays, kw, device, grad):
    """Outputs (on the CPU) and, with grad, the inputs' gradients of sum(outputs * 1.5). Rows with
    CUDA kernels must leave their outputs on the device (no silent round trip through the host)."""
    nd.manual_seed(0)  # random ops draw the same numbers on both devices (one Philox stream)
    ts = [nd.from_numpy(a.copy()).to(device) for a in arrays]
    if grad:
        for t in ts:
            if t.dtype.is_floating_point:
                t.requires_grad_(True)
    outs = [o for o in _as_tuple(row.fn(*ts, **kw)) if isinstance(o, nd.Tensor)]
    if _has_cuda_kernel(row.name):
        assert all(o.device == nd.device(device) for o in outs), f"{row.name}: an output left {device}"
    grads = []
    if grad:
        diff = [o for o in outs if o.requires_grad]
        if diff:
            sum(((o * 1.5).sum() for o in diff), nd.zeros((), dtype=diff[0].dtype, device=device)).backward()
        grads = [t.grad.cpu() if t.grad is not None else None for t in ts]
    return [o.detach().cpu() for o in outs], grads


def _close(cpu, gpu, row, dtype, what):
    key = dtype if dtype in row.atol else "float32"
    a, b = cpu.numpy(), gpu.numpy()
    assert a.shape == b.shape and a.dtype == b.dtype, what
    if a.dtype.kind == "f":
        # Sums run in another order on the GPU: allow a few ulps of the accumulated magnitude.
        np.testing.assert_allclose(b, a, atol=max(row.atol[key], 1e-5 if dtype == "float32" else 1e-12),
                                   rtol=max(row.rtol[key], 1e-4 if dtype == "float32" else 1e-10),
                                   equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(b, a, err_msg=what)


@pytest.mark.parametrize("row,shapes,kw", list(_cases()))
def test_cuda_matches_cpu(cuda, row, shapes, kw):
    rng = np.random.default_rng(0)
    for dtype in row.dtypes:
        arrays = row.inputs(shapes, dtype, rng)
        grad = row.differentiable and dtype.startswith("float")
        want, want_grads = _run(row, arrays, kw, "cpu", grad)
        try:
            got, got_grads = _run(row, arrays, kw, cuda, grad)
        except RuntimeError as e:
            assert NOT_IMPLEMENTED in str(e) and not _has_cuda_kernel(row.name), \
                f"{row.name}: unexpected error on CUDA: {e}"
            continue
        context = f"{row.name} {dtype} {shapes} {kw}"
        assert len(got) == len(want), context
        for c, g in zip(want, got):
            _close(c, g, row, dtype, context)
        for c, g in zip(want_grads, got_grads):
            assert (c is None) == (g is None), context
            if c is not None:
                _close(c, g, row, dtype, context + " (grad)")
