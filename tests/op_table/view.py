"""View ops: new shape/strides over the same storage (forward parity and gradients)."""
import numpy as np

import nativedl as nd
from op_table import OpInfo

ALL = ("float32", "float64", "int64", "int32", "uint8", "bool")


def view_row(name, fn, ref, shapes, kwargs=({},), **kw):
    """A view row: every dtype forward, gradcheck on float64."""
    return OpInfo(name, fn, ref, shapes, kwargs=kwargs, dtypes=kw.pop("dtypes", ALL), **kw)


def diag_ref(x, offset=0, dim1=0, dim2=1):
    return np.diagonal(x, offset, dim1, dim2)


def as_strided_ref(x, size, stride, storage_offset=0):
    flat = np.ascontiguousarray(x).reshape(-1)[storage_offset:]
    return np.lib.stride_tricks.as_strided(flat, size, [s * x.itemsize for s in stride]).copy()


ROWS = [
    view_row("reshape", nd.reshape, np.reshape, [((2, 3, 4),)],
             kwargs=[{"shape": (6, 4)}, {"shape": (-1,)}, {"shape": (4, -1, 2)}, {"shape": (24, 1)}]),
    view_row("reshape-0d_and_empty", nd.reshape, np.reshape, [((),), ((0, 3),)], kwargs=[{"shape": (1, -1)}]),
    view_row("reshape-method", lambda x: x.reshape(3, 8).reshape((2, 12)), lambda x: x.reshape(2, 12), [((2, 3, 4),)]),
    view_row("view", lambda x: x.view(4, 6).view(-1), lambda x: x.reshape(-1), [((2, 3, 4),)], noncontig=False,
             covers=("view_as",)),
    view_row("view_as", lambda x, o: x.view_as(o), lambda x, o: x.reshape(o.shape), [((2, 6), (3, 4))],
             grad_inputs=[0], noncontig=False),
    view_row("reshape_as", lambda x, o: x.reshape_as(o), lambda x, o: x.reshape(o.shape), [((2, 6), (3, 4))],
             grad_inputs=[0]),
    view_row("permute", nd.permute, lambda x, dims: np.transpose(x, dims), [((2, 3, 4),)],
             kwargs=[{"dims": (2, 0, 1)}, {"dims": (-1, 1, 0)}, {"dims": (0, 1, 2)}]),
    view_row("permute-method", lambda x: x.permute(1, 0, 2), lambda x: x.transpose(1, 0, 2), [((2, 3, 4),)]),
    view_row("transpose", nd.transpose, lambda x, dim0, dim1: np.swapaxes(x, dim0, dim1), [((2, 3, 4),)],
             kwargs=[{"dim0": 0, "dim1": 2}, {"dim0": -1, "dim1": -2}, {"dim0": 1, "dim1": 1}]),
    view_row("swapaxes", lambda x: nd.swapaxes(x, 0, 1), lambda x: np.swapaxes(x, 0, 1), [((2, 3, 4),)]),
    view_row("swapdims", nd.swapdims, lambda x, dim0, dim1: np.swapaxes(x, dim0, dim1), [((2, 3, 4),)],
             kwargs=[{"dim0": 2, "dim1": 0}]),
    view_row("t", nd.t, lambda x: x.T, [((3, 4),), ((5,),), ((),)], covers=("T",)),
    view_row("t-properties", lambda x: (x.T, x.mT), lambda x: (x.T, np.swapaxes(x, -1, -2)), [((2, 3, 4),)]),
    view_row("squeeze", nd.squeeze, lambda x, dim=None: np.squeeze(x, dim), [((1, 3, 1, 2),)],
             kwargs=[{}, {"dim": 0}, {"dim": -2}, {"dim": (0, 2)}]),
    view_row("squeeze-not_size_1", lambda x: nd.squeeze(x, 1), lambda x: x, [((2, 3),)]),
    view_row("unsqueeze", nd.unsqueeze, lambda x, dim: np.expand_dims(x, dim), [((2, 3),), ((),)],
             kwargs=[{"dim": 0}, {"dim": -1}]),
    view_row("unsqueeze-middle", lambda x: nd.unsqueeze(x, 1), lambda x: x[:, None], [((2, 3),)]),
    view_row("flatten", nd.flatten,
             lambda x, start_dim=0, end_dim=-1: x.reshape(x.shape[:start_dim] + (-1,) + x.shape[end_dim % x.ndim + 1:]),
             [((2, 3, 4),)], kwargs=[{}, {"start_dim": 1}, {"start_dim": 0, "end_dim": 1}, {"start_dim": -2, "end_dim": -1}]),
    view_row("flatten-0d", nd.flatten, lambda x: x.reshape(1), [((),)]),
    view_row("unflatten", nd.unflatten, lambda x, dim, sizes: x.reshape(x.shape[:dim] + sizes + x.shape[dim + 1:]),
             [((2, 12, 3),)], kwargs=[{"dim": 1, "sizes": (3, 4)}, {"dim": 1, "sizes": (2, 2, 3)}]),
    view_row("unflatten-infer", lambda x: nd.unflatten(x, -1, (2, -1)), lambda x: x.reshape(3, 2, 4), [((3, 8),)]),
    view_row("narrow", nd.narrow, lambda x, dim, start, length: np.take(x, range(start % x.shape[dim], start % x.shape[dim] + length), axis=dim),
             [((4, 5),)], kwargs=[{"dim": 0, "start": 1, "length": 2}, {"dim": 1, "start": -3, "length": 3},
                                  {"dim": -1, "start": 0, "length": 0}]),
    view_row("select", nd.select, lambda x, dim, index: np.take(x, index, axis=dim), [((3, 4, 5),)],
             kwargs=[{"dim": 0, "index": 1}, {"dim": 2, "index": -1}, {"dim": -2, "index": 3}]),
    view_row("unbind", nd.unbind, lambda x, dim=0: tuple(np.moveaxis(x, dim, 0)), [((3, 4),), ((2, 0),)],
             kwargs=[{}, {"dim": 1}]),
    view_row("unbind-method_iter", lambda x: tuple(iter(x)), lambda x: tuple(x), [((3, 4),)]),
    view_row("diagonal", nd.diagonal, diag_ref, [((4, 5),)],
             kwargs=[{}, {"offset": 1}, {"offset": -2}, {"offset": 7}]),
    view_row("diagonal-dims", nd.diagonal, diag_ref, [((2, 3, 4),)],
             kwargs=[{"dim1": 1, "dim2": 2}, {"offset": 1, "dim1": -1, "dim2": 0}]),
    view_row("as_strided", nd.as_strided, as_strided_ref, [((4, 5),)], differentiable=False, noncontig=False,
             kwargs=[{"size": (2, 2), "stride": (5, 1)}, {"size": (3, 3), "stride": (1, 5), "storage_offset": 2},
                     {"size": (4, 3), "stride": (1, 1)}]),
    view_row("expand", lambda x: x.expand(3, -1, 4), lambda x: np.broadcast_to(x, (3, 2, 4)),
             [((2, 1),), ((1, 2, 4),)], covers=("expand_as",)),
    view_row("expand-as", lambda x, o: x.expand_as(o), lambda x, o: np.broadcast_to(x, o.shape),
             [((3, 1), (2, 3, 4))], grad_inputs=[0]),
    view_row("contiguous", lambda x: x.t().contiguous(), lambda x: x.T.copy(), [((3, 4),)]),
    view_row("slice", lambda x: x[1:, ::2][..., None, -1], lambda x: x[1:, ::2][..., None, -1], [((4, 5),)],
             covers=("__getitem__",)),
    view_row("slice-steps", lambda x: x[::3, 1:4:2, None, ...], lambda x: x[::3, 1:4:2, None, ...], [((7, 6, 2),)]),
]
