"""Samplers: iterables of dataset indices (or of index lists), drawing from nativedl's seeded generators."""
import numpy as np

from .. import _C
from .._creation import rand, randint, randperm, tensor
from .._dtypes import float64

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]

_CHUNK = 32  # indices drawn per generator call when sampling with replacement (as PyTorch)


class Sampler:
    """Base class: subclasses yield indices from __iter__ and usually define __len__."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source)-1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation per pass (or num_samples draws with replacement)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"[RandomSampler] replacement should be a boolean value, got {replacement!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.num_samples, int) or isinstance(self.num_samples, bool) or self.num_samples <= 0:
            raise ValueError(f"[RandomSampler] num_samples should be a positive integer, got {self.num_samples!r}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, g = len(self.data_source), self.generator
        if self.replacement:
            for start in range(0, self.num_samples, _CHUNK):
                yield from randint(n, (min(_CHUNK, self.num_samples - start),), generator=g).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from randperm(n, generator=g).tolist()
        if self.num_samples % n:
            yield from randperm(n, generator=g)[:self.num_samples % n].tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order, once each."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Indices 0..len(weights)-1 drawn with probability proportional to weights (rare classes over-sampled)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"[WeightedRandomSampler] num_samples should be a positive integer, got {num_samples!r}")
        if not isinstance(replacement, bool):
            raise ValueError(f"[WeightedRandomSampler] replacement should be a boolean value, got {replacement!r}")
        w = np.asarray(weights.detach().numpy() if isinstance(weights, _C.Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"[WeightedRandomSampler] weights should be a 1-d sequence, got shape {w.shape}")
        if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
            raise ValueError("[WeightedRandomSampler] weights must be finite, non-negative and not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(f"[WeightedRandomSampler] can't draw num_samples={num_samples} without replacement "
                             f"from {np.count_nonzero(w)} indices of non-zero weight")
        self.weights = tensor(w)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        w = self.weights.numpy()
        if self.replacement:  # inverse-CDF sampling: u in [0,1) lands in index i with probability w_i / sum(w)
            cdf = np.cumsum(w)
            u = rand(self.num_samples, generator=self.generator, dtype=float64).numpy() * cdf[-1]
            yield from np.searchsorted(cdf, u, side="right").tolist()
            return
        # Without replacement: exponential race (Efraimidis-Spirakis). Index i arrives at time E_i / w_i with
        # E_i ~ Exp(1); the arrival order has the law of successive weighted draws without replacement.
        with np.errstate(divide="ignore"):
            arrival = -np.log1p(-rand(w.size, generator=self.generator, dtype=float64).numpy()) / w
        yield from np.argsort(arrival, kind="stable")[:self.num_samples].tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of sampler into lists of batch_size (the last one shorter unless drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"[BatchSampler] batch_size should be a positive integer value, got {batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"[BatchSampler] drop_last should be a boolean value, got {drop_last!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
