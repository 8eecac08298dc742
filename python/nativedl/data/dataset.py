"""Map-style datasets and random_split, with torch.utils.data's semantics."""
import bisect
import math
import warnings

from .._creation import randperm

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class Dataset:
    """A map from keys (usually 0..len-1) to samples; subclasses define __getitem__ and __len__."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Sample i is (t[i] for t in tensors); every tensor must have the same first dimension."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("[TensorDataset] needs at least one tensor")
        sizes = [t.shape[0] if t.dim() > 0 else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ValueError(f"[TensorDataset] size mismatch between tensors: first dimensions of {shapes} differ")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of dataset at the given indices, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("[ConcatDataset] datasets should not be an empty iterable")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise IndexError(f"[ConcatDataset] index {idx} is out of range for length {n}")
            idx += n
        if idx >= n:
            raise IndexError(f"[ConcatDataset] index {idx} is out of range for length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]


def _split_lengths(n, lengths):
    """Absolute lengths; fractions summing to 1 become floor(n*f), remainder handed out round-robin."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        if any(f < 0 or f > 1 for f in lengths):
            raise ValueError(f"[random_split] fraction at index {[f < 0 or f > 1 for f in lengths].index(True)} "
                             f"is not between 0 and 1: {lengths}")
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(f"[random_split] length of split at index {i} is 0; this split will be empty")
        return counts
    if any(int(x) != x or x < 0 for x in lengths):
        raise ValueError(f"[random_split] lengths must be non-negative integers or fractions summing to 1, "
                         f"got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"[random_split] sum of input lengths {list(lengths)} ({sum(lengths)}) does not equal "
                         f"the length of the input dataset ({n})")
    return [int(x) for x in lengths]


def random_split(dataset, lengths, generator=None):
    """Disjoint random Subsets of the given lengths (or fractions); generator seeds the permutation."""
    counts = _split_lengths(len(dataset), list(lengths))
    perm = randperm(sum(counts), generator=generator).tolist()
    out, start = [], 0
    for c in counts:
        out.append(Subset(dataset, perm[start:start + c]))
        start += c
    return out
