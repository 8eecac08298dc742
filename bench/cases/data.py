"""DataLoader throughput: one epoch over scikit-learn's digits (resized to 28x28) in batches of 64.

Each call iterates a whole epoch, so the num_workers=2 rows include starting the two worker processes
(spawn, for both libraries: nativedl never forks, and PyTorch's default fork would not be comparable).
"""
from functools import lru_cache

import numpy as np

from bench.case import Case

BATCH = 64
SHAPE = (1797, 1, 28, 28)  # the digits set after resize=28; one call = one epoch over it


@lru_cache(maxsize=1)
def _digits():
    from nativedl.data.datasets import load_digits
    ds = load_digits(resize=28)
    return ds.data.numpy(), ds.targets.numpy()


def _epoch(loader):
    def run():
        for _ in loader:
            pass
    return run


def _loader(num_workers):
    def setup(lib, shape):
        images, labels = _digits()
        if lib.name == "nativedl":
            from nativedl import data
            ds = data.TensorDataset(lib.from_numpy(images), lib.from_numpy(labels))
            return _epoch(data.DataLoader(ds, batch_size=BATCH, shuffle=True, num_workers=num_workers))
        from torch.utils import data
        ds = data.TensorDataset(lib.from_numpy(images), lib.from_numpy(labels))
        ctx = "spawn" if num_workers else None
        return _epoch(data.DataLoader(ds, batch_size=BATCH, shuffle=True, num_workers=num_workers,
                                      multiprocessing_context=ctx))
    return setup


def _pipeline(lib, shape):
    """Per-sample augmentation (pad-and-crop, flip, normalize) in the dataset, single process."""
    if lib.name == "nativedl":
        from nativedl.data import DataLoader, transforms as T
        from nativedl.data.datasets import load_digits
    else:
        try:
            from torchvision import transforms as T
        except ImportError:
            return None
        from torch.utils.data import DataLoader
        images, labels = _digits()

        class load_digits:  # noqa: N801 - the same samples as nativedl's load_digits, as torch tensors
            def __init__(self, resize, transform):
                self.images, self.labels, self.transform = lib.from_numpy(images), labels, transform

            def __len__(self):
                return len(self.labels)

            def __getitem__(self, i):
                return self.transform(self.images[i]), int(self.labels[i])
    tf = T.Compose([T.RandomCrop(28, padding=2), T.RandomHorizontalFlip(), T.Normalize([0.5], [0.5])])
    return _epoch(DataLoader(load_digits(resize=28, transform=tf), batch_size=BATCH, shuffle=True))


def _bytes(shape):
    return 4 * float(np.prod(shape))  # the images' float32 bytes delivered per epoch


CASES = [
    Case("loader_digits_b64_w0", SHAPE, SHAPE, _loader(0), bytes=_bytes, libs=("nativedl", "torch"), inner=1),
    Case("loader_digits_b64_w2", SHAPE, SHAPE, _loader(2), bytes=_bytes, libs=("nativedl", "torch"), inner=1),
    Case("pipeline_digits_b64", SHAPE, SHAPE, _pipeline, bytes=_bytes, libs=("nativedl", "torch"), inner=1),
]
