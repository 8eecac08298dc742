"""Forward parity against NumPy and gradcheck for every row of the op table."""
import numpy as np
import pytest

import nativedl as nd
from nativedl.autograd import gradcheck
from op_table import all_rows

ROWS = all_rows()

# Names bound in nativedl._C that are not ops (settings, types, helpers).
NOT_OPS = {"Tensor", "Generator", "dtype", "Node", "manual_seed", "set_num_threads", "get_num_threads",
           "get_default_dtype", "set_default_dtype", "is_grad_enabled", "default_generator",
           "from_numpy", "promote_types", "result_type"}


def _cases(grad=False):
    for row in ROWS:
        if grad and not row.differentiable:
            continue
        shape_list = (row.grad_shapes or row.shapes) if grad else row.shapes
        for si, shapes in enumerate(shape_list):
            for ki, kw in enumerate(row.kwargs):
                yield pytest.param(row, shapes, kw, id=f"{row.name}-s{si}-k{ki}")


def _noncontig(arr):
    """arr's values in a strided (non-contiguous) nativedl view."""
    if arr.ndim == 0 or arr.size == 0:
        return nd.from_numpy(arr.copy())
    big = np.zeros(arr.shape[:-1] + (arr.shape[-1] * 2,), dtype=arr.dtype)
    big[..., ::2] = arr
    t = nd.from_numpy(big)[..., ::2]
    assert not t.is_contiguous() or arr.shape[-1] <= 1
    return t


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _compare(out, expected, row, dtype, context):
    outs, exps = _as_tuple(out), _as_tuple(expected)
    assert len(outs) == len(exps), f"{context}: {len(outs)} outputs, expected {len(exps)}"
    for o, e in zip(outs, exps):
        e = np.asarray(e)
        got = o.detach().numpy() if isinstance(o, nd.Tensor) else np.asarray(o)
        assert got.shape == e.shape, f"{context}: shape {got.shape} != reference {e.shape}"
        if e.dtype.kind == "f" or got.dtype.kind == "f":
            key = dtype if dtype in row.atol else "float32"
            np.testing.assert_allclose(got.astype(np.float64), e.astype(np.float64), atol=row.atol[key],
                                       rtol=row.rtol[key], equal_nan=True, err_msg=context)
        else:
            np.testing.assert_array_equal(got, e, err_msg=context)


@pytest.mark.parametrize("row,shapes,kw", list(_cases()))
def test_forward(row, shapes, kw):
    rng = np.random.default_rng(0)
    for dtype in row.dtypes:
        arrays = row.inputs(shapes, dtype, rng)
        expected = row.ref(*[a.copy() for a in arrays], **kw)
        out = row.fn(*[nd.from_numpy(a.copy()) for a in arrays], **kw)
        _compare(out, expected, row, dtype, f"{row.name} {dtype} {shapes} {kw}")
        if row.noncontig and any(a.ndim > 0 and a.shape[-1] > 1 for a in arrays):
            out = row.fn(*[_noncontig(a) for a in arrays], **kw)
            _compare(out, expected, row, dtype, f"{row.name} {dtype} {shapes} {kw} (non-contiguous)")


@pytest.mark.parametrize("row,shapes,kw", list(_cases(grad=True)))
def test_gradcheck(row, shapes, kw):
    rng = np.random.default_rng(1)
    arrays = row.inputs(shapes, "float64", rng)
    which = row.grad_inputs if row.grad_inputs is not None else [
        i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    tensors = [nd.from_numpy(a.copy()) for a in arrays]
    for i in which:
        tensors[i].requires_grad_(True)
    assert gradcheck(lambda *ts: row.fn(*ts, **kw), tensors)


def test_every_op_has_row():
    covered = set()
    for row in ROWS:
        covered.add(row.name.split("-")[0])
        covered.update(row.covers)
    bound = {n for n in dir(nd._C) if not n.startswith("_") and n not in NOT_OPS}
    missing = sorted(bound - covered)
    assert not missing, f"ops bound in nativedl._C without a row in the op table: {missing}"
