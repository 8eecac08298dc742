"""Variable-length sequences: pad_sequence, pack_padded_sequence, pad_packed_sequence,
pack_sequence and PackedSequence (PyTorch's layout: time-major rows of the sequences sorted by
decreasing length, batch_sizes[t] of them at step t).

The index bookkeeping is on the lengths (small integer arrays); the data moves with
index_select, so gradients flow through packing and unpacking."""
from collections import namedtuple

import numpy as np

from ... import _C, _creation

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence",
           "unpad_sequence", "unpack_sequence"]


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """data (sum(lengths), *), batch_sizes (T) int64; sorted_indices[i] is the original batch
    index of the i-th longest sequence and unsorted_indices its inverse (None when the batch was
    already sorted)."""

    def __new__(cls, data, batch_sizes, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    @property
    def is_cuda(self):
        return False

    def to(self, *args, **kwargs):
        return self._replace(data=self.data.to(*args, **kwargs))


def _int64(values):
    return _creation.tensor(np.asarray(values, dtype=np.int64))


def _invert(perm):
    p = np.asarray(perm.numpy() if hasattr(perm, "numpy") else perm, dtype=np.int64)
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size)
    return _int64(inv)


def _lengths_array(lengths, op):
    arr = np.asarray(lengths.numpy() if hasattr(lengths, "numpy") else lengths, dtype=np.int64).reshape(-1)
    if arr.size and arr.min() <= 0:
        raise ValueError(f"[{op}] every length must be > 0, got lengths {arr.tolist()}")
    return arr


def _batch_sizes(sorted_lengths):
    """batch_sizes[t] = how many sequences are longer than t (lengths sorted decreasingly)."""
    T = int(sorted_lengths[0]) if sorted_lengths.size else 0
    return (sorted_lengths[None, :] > np.arange(T)[:, None]).sum(1).astype(np.int64)


def _packed_rows(batch_sizes, B):
    """Row of the time-major (T * B) padded layout for each packed row."""
    return np.concatenate([t * B + np.arange(int(n)) for t, n in enumerate(batch_sizes)] or [np.zeros(0, np.int64)])


def _pack_sorted(padded, batch_sizes):
    """Packs a time-major (T, B, *) tensor whose columns are sorted by decreasing length."""
    T, B = padded.shape[0], padded.shape[1]
    flat = padded.reshape(T * B, *padded.shape[2:])
    return flat.index_select(0, _int64(_packed_rows(batch_sizes, B)))


def _unpack_sorted(sequence, padding_value=0.0, total_length=None):
    """(time-major padded (T, B, *) in sorted order, sorted lengths as a NumPy array)."""
    data = sequence.data
    bs = np.asarray(sequence.batch_sizes.numpy(), dtype=np.int64)
    T = len(bs)
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"[pad_packed_sequence] total_length={total_length} is less than the longest "
                             f"sequence length {T}")
        T = total_length
    B = int(bs[0]) if len(bs) else 0
    n = data.shape[0]
    # Each padded position reads its packed row, or row n: a padding row appended to the data.
    source = np.full(T * B, n, dtype=np.int64)
    source[_packed_rows(bs, B)] = np.arange(n)
    pad_row = _creation.full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    padded = _C.cat([data, pad_row], 0).index_select(0, _int64(source)).reshape(T, B, *data.shape[1:])
    lengths = (bs[None, :] > np.arange(B)[:, None]).sum(1).astype(np.int64) if B else np.zeros(0, np.int64)
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks tensors of shape (L_i, *) into (max L, B, *) ((B, max L, *) if batch_first)."""
    if padding_side not in ("right", "left"):
        raise ValueError(f"[pad_sequence] padding_side must be 'right' or 'left', got {padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise ValueError("[pad_sequence] received an empty list of sequences")
    rest = tuple(sequences[0].shape[1:])
    for i, s in enumerate(sequences):
        if tuple(s.shape[1:]) != rest:
            raise ValueError(f"[pad_sequence] sequence {i} has shape {tuple(s.shape)}, expected (L, *{rest}) "
                             f"like sequence 0")
    T = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        fill = _creation.full((T - s.shape[0], *rest), padding_value, dtype=s.dtype, device=s.device)
        rows.append(_C.cat([s, fill] if padding_side == "right" else [fill, s], 0))
    return _C.stack(rows, 0 if batch_first else 1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch (T, B, *) ((B, T, *) if batch_first) of sequences of `lengths`."""
    arr = _lengths_array(lengths, "pack_padded_sequence")
    B = input.shape[0 if batch_first else 1]
    if arr.size != B:
        raise ValueError(f"[pack_padded_sequence] got {arr.size} lengths for a batch of {B} "
                         f"(input {tuple(input.shape)}, batch_first={batch_first})")
    T = input.shape[1 if batch_first else 0]
    if arr.size and arr.max() > T:
        raise ValueError(f"[pack_padded_sequence] a length {int(arr.max())} exceeds the {T} time steps of input "
                         f"{tuple(input.shape)} (batch_first={batch_first})")
    if enforce_sorted:
        if np.any(arr[1:] > arr[:-1]):
            raise ValueError("[pack_padded_sequence] `lengths` array must be sorted in decreasing order when "
                             "`enforce_sorted` is True; pass enforce_sorted=False to pack unsorted sequences")
        sorted_indices = None
        order = np.arange(arr.size)
    else:
        order = np.argsort(-arr, kind="stable")
        sorted_indices = _int64(order)
    if batch_first:
        input = input.transpose(0, 1)
    if sorted_indices is not None:
        input = input.index_select(1, sorted_indices)
    bs = _batch_sizes(arr[order])
    data = _pack_sorted(input[: len(bs)], bs)
    return PackedSequence(data, _int64(bs), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of pack_padded_sequence: returns (padded, lengths), lengths an int64 tensor."""
    padded, lengths = _unpack_sorted(sequence, padding_value, total_length)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[np.asarray(sequence.unsorted_indices.numpy())]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, _int64(lengths)


def pack_sequence(sequences, enforce_sorted=True):
    """pack_padded_sequence(pad_sequence(sequences), lengths)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences in a padded batch, each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, : int(n)] for i, n in enumerate(_lengths_array(lengths, "unpad_sequence"))]


def unpack_sequence(packed_sequences):
    """The list of sequences in a PackedSequence, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
