"""default_collate / default_convert: lists of samples -> batched tensors, as torch.utils.data's."""
import collections.abc

import numpy as np

from .. import _C
from .._creation import as_tensor, tensor
from .._dtypes import float64

__all__ = ["default_collate", "default_convert"]


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _numeric_array(x):
    return isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind in "biuf"


def _rebuild(elem, items):
    """A container of elem's type holding items (mappings: a dict of key -> item), plain dict/list if not."""
    try:
        return type(elem)(items)
    except TypeError:  # the type's constructor takes other arguments
        return dict(items) if isinstance(elem, collections.abc.Mapping) else list(items)


def default_collate(batch):
    """Stacks tensors and NumPy arrays, turns numbers into tensors, recurses into tuples, lists and dicts."""
    elem = batch[0]
    if isinstance(elem, _C.Tensor):
        from .._ops import stack
        return stack(list(batch), 0)
    if _numeric_array(elem):
        return default_collate([as_tensor(np.asarray(b)) for b in batch])
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, int):  # bools included: they give a bool tensor, as in PyTorch
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError("[default_collate] each element in list of batch should be of equal size, got "
                               f"sizes {[len(b) for b in batch]}")
        columns = [default_collate(list(s)) for s in zip(*batch)]
        return columns if isinstance(elem, tuple) else _rebuild(elem, columns)  # tuples -> list, as PyTorch
    raise TypeError(f"[default_collate] batch must contain tensors, NumPy arrays, numbers, dicts or lists; "
                    f"found {type(elem).__name__}")


def default_convert(data):
    """NumPy arrays (at any depth of dicts/lists/tuples) -> tensors; the rest unchanged (batch_size=None)."""
    if _numeric_array(data):
        return as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild(data, {k: default_convert(v) for k, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild(data, [default_convert(d) for d in data])
    return data
